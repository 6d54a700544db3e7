// Measurements of the fieldwork API for the session note (not a test): the task split of a
// 10 km² area into 100 m squares (tasks/s, the event loop's delay meanwhile), and the export of
// 100,000 submissions (the server's RSS while it streams, against building the file in memory).
// Run from the repository root, alone on the machine:
//   flock /tmp/bench.lock node --import tsx --conditions=source examples/fieldwork/scripts/measure.ts
// The app runs in this process on the embedded database in a temp DATA_DIR; its client is a
// plain fetch over a real socket that drops what it reads.
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { AddressInfo } from 'node:net'

const ROUNDS = Number(process.env.ROUNDS ?? 3)
const SPLITS = process.env.SPLITS !== '0'
const SUBMISSIONS = Number(process.env.SUBMISSIONS ?? 100_000)

const dataDir = await mkdtemp(join(tmpdir(), 'fieldwork-measure-'))
await chmod(dataDir, 0o755)
Object.assign(process.env, { DATA_DIR: dataDir, SECRET_KEY: 'a-measurement-secret-of-the-fieldwork-example', NODE_ENV: 'test', LOG_LEVEL: 'warn', WORKER_THREADS: process.env.WORKER_THREADS ?? '2' })
const { app } = await import('../src/main.js')
const { databasePlugin } = await import('../src/db/database.js')
const { default: splitRows, gridOf } = await import('../src/tasks/split-area.js')
const server = await app.listen({ port: 0, host: '127.0.0.1' })
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
const db = app.plugin(databasePlugin).db

async function api(method: string, path: string, token?: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (token) headers.authorization = `Bearer ${token}`
  return fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
}

await api('POST', '/v1/users', undefined, { email: 'measure@example.org', name: 'Measure', password: 'correct horse battery' })
// an organisation admin: only they create projects
await db.none("UPDATE users SET is_admin = true WHERE email = 'measure@example.org'")
const token = ((await (await api('POST', '/v1/auth/tokens', undefined, { email: 'measure@example.org', password: 'correct horse battery' })).json()) as { access_token: string }).access_token

// 10 km²: a square of 3.162 km a side, and a circle of the same surface drawn with 2,000 points
// (a real area's outline: every cell that touches the edge clips against it)
const SIDE_M = Math.sqrt(10e6)
const LAT = -6.8
const M_PER_DEG_LAT = 111_195
const M_PER_DEG_LON = M_PER_DEG_LAT * Math.cos((LAT * Math.PI) / 180)
function squareArea(lon: number) {
  const [dx, dy] = [SIDE_M / M_PER_DEG_LON, SIDE_M / M_PER_DEG_LAT]
  return { type: 'Polygon' as const, coordinates: [[[lon, LAT], [lon + dx, LAT], [lon + dx, LAT + dy], [lon, LAT + dy], [lon, LAT]] as [number, number][]] }
}
function circleArea(lon: number, points = 2000) {
  const r = Math.sqrt(10e6 / Math.PI)
  const ring = Array.from({ length: points }, (_, i): [number, number] => [lon + (r * Math.cos((2 * Math.PI * i) / points)) / M_PER_DEG_LON, LAT + (r * Math.sin((2 * Math.PI * i) / points)) / M_PER_DEG_LAT])
  return { type: 'Polygon' as const, coordinates: [[...ring, ring[0]!]] }
}

function ms(ns: number): string {
  return (ns / 1e6).toFixed(1)
}

async function splitOnce(label: string, area: ReturnType<typeof squareArea>): Promise<void> {
  const created = await api('POST', '/v1/projects', token, { name: `${label} ${Math.random()}`, area })
  const project = (await created.json()) as { id: number; outline: { properties: { areaKm2: number } } }
  const loop = monitorEventLoopDelay({ resolution: 1 })
  const cpu = process.cpuUsage()
  const started = performance.now()
  loop.enable()
  const answer = await api('POST', `/v1/projects/${project.id}/task-splits`, token, { cellMetres: 100 })
  if (answer.status !== 202) throw new Error(`task-splits answered ${answer.status}: ${await answer.text()}`)
  const accepted = (await answer.json()) as { statusUrl: string }
  let status: { status: string; result: { tasks: number } | null; message: string | null }
  for (;;) {
    status = (await (await api('GET', accepted.statusUrl, token)).json()) as typeof status
    if (status.status === 'done' || status.status === 'failed') break
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  loop.disable()
  const seconds = (performance.now() - started) / 1000
  const mainCpu = process.cpuUsage(cpu)
  if (status.status !== 'done') throw new Error(`split failed: ${status.message}`)
  const tasks = status.result!.tasks
  console.log(
    `split ${label} (${project.outline.properties.areaKm2} km², 100 m): ${tasks} tasks in ${(seconds * 1000).toFixed(0)} ms = ${(tasks / seconds).toFixed(0)} tasks/s;` +
      ` event loop delay p50 ${ms(loop.percentile(50))} ms, p99 ${ms(loop.percentile(99))} ms, max ${ms(loop.max)} ms;` +
      ` main thread CPU ${((mainCpu.user + mainCpu.system) / 1000).toFixed(0)} ms (process, threads included)`,
  )
}

// the same cutting on the event loop, for comparison: how long the loop would be blocked
function splitOnLoop(label: string, area: ReturnType<typeof squareArea>): void {
  const grid = gridOf(area, 100)
  const started = performance.now()
  const cells = splitRows({ area, grid, rowStart: 0, rowEnd: grid.rows })
  const took = performance.now() - started
  console.log(`split ${label} on one thread (reference): ${cells.length} tasks in ${took.toFixed(0)} ms = ${(cells.length / (took / 1000)).toFixed(0)} tasks/s, the loop blocked all along`)
}

console.log(`Node ${process.version}, ${process.env.WORKER_THREADS} worker threads, ${ROUNDS} rounds`)
for (let round = 0; round < (SPLITS ? ROUNDS : 0); round++) {
  await splitOnce('square', squareArea(39 + round * 0.1))
  splitOnLoop('square', squareArea(39 + round * 0.1))
  await splitOnce('circle', circleArea(40 + round * 0.1))
  splitOnLoop('circle', circleArea(40 + round * 0.1))
}

// exports: 100,000 submissions over the tasks of one project
const exported = (await (await api('POST', '/v1/projects', token, { name: 'Exported', area: squareArea(38) })).json()) as { id: number }
await api('POST', `/v1/projects/${exported.id}/tasks`, token, { cellMetres: 500 })
const userId = (await db.one<{ id: number }>("SELECT id FROM users WHERE email = 'measure@example.org'")).id
await db.none(
  `INSERT INTO submissions (task_id, user_id, device_id, xml)
   SELECT (SELECT array_agg(id) FROM tasks WHERE project_id = $1)[1 + i % 40], $2, 'phone-' || (i % 50),
          '<data><plot>' || i || '</plot><note>a note, with "quotes"</note><count>' || (i % 17) || '</count></data>'
   FROM generate_series(1, $3) AS i`,
  [exported.id, userId, SUBMISSIONS],
)
// what autovacuum does within a minute of a bulk load; without fresh statistics the planner takes
// the table for empty and may scan all of it for each batch
await db.none('ANALYZE submissions')

function rssMiB(): number {
  return process.memoryUsage().rss / 2 ** 20
}

async function sampleWhile<T>(work: () => Promise<T>): Promise<{ value: T; baseline: number; peak: number; ms: number }> {
  global.gc?.()
  await new Promise((resolve) => setTimeout(resolve, 200))
  const baseline = rssMiB()
  let peak = baseline
  const timer = setInterval(() => (peak = Math.max(peak, rssMiB())), 10)
  const started = performance.now()
  const value = await work()
  const took = performance.now() - started
  clearInterval(timer)
  peak = Math.max(peak, rssMiB())
  return { value, baseline, peak, ms: took }
}

async function download(path: string): Promise<number> {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } })
  if (res.status !== 200) throw new Error(`${path}: ${res.status}`)
  let bytes = 0
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.byteLength
  return bytes
}

// the way not to do it, for comparison: every row in one query, the whole file in one string
async function buffered(): Promise<number> {
  const { csvField } = await import('../src/exports/logic.js')
  const rows = await db.manyOrNone<Record<string, string | number | null>>(
    `SELECT s.id, s.task_id, t.project_task_index, s.user_id, u.name, s.device_id, to_json(s.created_at) #>> '{}' AS created_at, 0 AS attachments, s.xml
     FROM submissions s JOIN tasks t ON t.id = s.task_id JOIN users u ON u.id = s.user_id WHERE t.project_id = $1 ORDER BY s.id`,
    [exported.id],
  )
  const text = rows.map((row) => Object.values(row).map((v) => csvField(v)).join(',')).join('\r\n')
  return Buffer.byteLength(text)
}

for (let round = 0; round < ROUNDS; round++) {
  for (const [label, work] of [
    ['CSV streamed', () => download(`/v1/projects/${exported.id}/submissions.csv`)],
    ['GeoJSON streamed', () => download(`/v1/projects/${exported.id}/submissions.geojson`)],
    ['CSV built in memory (reference)', buffered],
  ] as const) {
    const { value: bytes, baseline, peak, ms: took } = await sampleWhile(work)
    console.log(`export ${label}, ${SUBMISSIONS} submissions: ${(bytes / 2 ** 20).toFixed(1)} MiB in ${took.toFixed(0)} ms (${(SUBMISSIONS / (took / 1000)).toFixed(0)} rows/s); RSS ${baseline.toFixed(0)} → peak ${peak.toFixed(0)} MiB (+${(peak - baseline).toFixed(1)} MiB)`)
  }
}

await app.close()
await rm(dataDir, { recursive: true, force: true })
