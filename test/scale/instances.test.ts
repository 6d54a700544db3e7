// Two fieldwork processes behind Debian's HAProxy, sharing one PostgreSQL and one S3 server
// (s3rver) and nothing else: what one instance stored or started, the other serves; sessions,
// CSRF tokens and the sign-in limits hold whichever answers; a job sent by one runs once, on
// either; and a rolling restart (SIGTERM to one, start it again, then the other) under load
// drains through HAProxy's readiness check: no request fails, not even an upload, and every
// upload that completed is there. Every process is real and talks over sockets on 127.0.0.1.
import { createHash, randomBytes } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import pgPromise from 'pg-promise'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createStorage } from '../../runtime/src/index.js'
import { startInstances, type Instance, type Instances } from '../../examples/fieldwork/scripts/instances.js'

const PASSWORD = 'correct horse battery'
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
/** A PNG as the sniffing sees it (signature and IHDR), then `size` bytes that differ per photo. */
const png = (size: number): Buffer => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]), randomBytes(size)])

let cluster: Instances
let a: Instance
let b: Instance
let pm: string
let mapper: string
let projectId: number
let submissionsUrl: string

interface Answer {
  status: number
  headers: Headers
  bytes: Buffer
  json<T = Record<string, unknown>>(): T
}

async function send(base: string, method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token) headers.authorization = `Bearer ${options.token}`
  let body: FormData | string | undefined
  if (options.body instanceof FormData) body = options.body
  else if (options.body !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(options.body)
  }
  const res = await fetch(`${base}${path}`, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(30_000) })
  const bytes = Buffer.from(await res.arrayBuffer())
  return { status: res.status, headers: res.headers, bytes, json: <T>() => JSON.parse(bytes.toString('utf8')) as T }
}

const uniqueEmail = (name: string): string => `${name.toLowerCase()}.${randomBytes(4).toString('hex')}@example.org`

async function signUp(base: string, name: string, email = uniqueEmail(name)): Promise<{ email: string; token: string }> {
  const made = await send(base, 'POST', '/v1/users', { body: { email, name, password: PASSWORD } })
  assert.is(made.status, 201, made.bytes.toString())
  const login = await send(base, 'POST', '/v1/auth/tokens', { body: { email, password: PASSWORD } })
  assert.is(login.status, 200, login.bytes.toString())
  return { email, token: login.json<{ access_token: string }>().access_token }
}

const pgp = pgPromise()
/** The shared database, behind the app's back. */
let db: ReturnType<typeof pgp>

function photoForm(name: string, bytes: Buffer): FormData {
  const form = new FormData()
  form.append('submission_xml', '<data><well>dry</well></data>')
  form.append('attachments', new Blob([bytes], { type: 'image/png' }), name)
  return form
}

test.before(async () => {
  cluster = await startInstances({ env: { AUTH_ATTEMPTS_PER_ACCOUNT: '4', AUTH_ATTEMPTS_PER_ADDRESS: '100000' } })
  ;[a, b] = cluster.instances as [Instance, Instance]
  db = pgp(cluster.databaseUrl)
  const manager = await signUp(a.url, 'Pat')
  await db.none('UPDATE users SET is_admin = true WHERE email = $1', [manager.email])
  pm = manager.token
  const mo = await signUp(b.url, 'Mo')
  mapper = mo.token
  const made = await send(cluster.url, 'POST', '/v1/projects', { token: pm, body: { name: 'Wells', area: { type: 'Polygon', coordinates: [[[32.5, 0.3], [32.55, 0.3], [32.55, 0.35], [32.5, 0.35], [32.5, 0.3]]] } } })
  assert.is(made.status, 201, made.bytes.toString())
  projectId = made.json<{ id: number }>().id
  const me = await send(b.url, 'GET', '/v1/users/me', { token: mapper })
  assert.is((await send(cluster.url, 'PUT', `/v1/projects/${projectId}/members/${me.json<{ id: number }>().id}`, { token: pm, body: { role: 'mapper' } })).status, 200)
})

test.after(async () => {
  pgp.end()
  await cluster?.close()
})

test('a photo uploaded through instance A downloads whole and resumed through B and through the load balancer', async () => {
  const split = await send(a.url, 'POST', `/v1/projects/${projectId}/tasks`, { token: pm, body: { cellMetres: 2500 } })
  assert.is(split.status, 201, split.bytes.toString())
  submissionsUrl = `/v1/projects/${projectId}/tasks/${split.json<{ id: number }[]>()[0]!.id}/submissions`
  const photo = png(700_000)
  const made = await send(a.url, 'POST', submissionsUrl, { token: mapper, body: photoForm('well.png', photo) })
  assert.is(made.status, 201, made.bytes.toString())
  const [stored] = made.json<{ attachments: { url: string; sha256: string }[] }>().attachments
  assert.is(stored!.sha256, sha256(photo))

  const fromB = await send(b.url, 'GET', stored!.url, { token: mapper })
  assert.is(fromB.status, 200, fromB.bytes.toString())
  assert.is(sha256(fromB.bytes), sha256(photo), 'B serves the bytes A stored')
  const etag = fromB.headers.get('etag')!
  const fromA = await send(a.url, 'GET', stored!.url, { token: mapper, headers: { range: 'bytes=0-0' } })
  assert.is(fromA.headers.get('etag'), etag, 'both instances give the object the same ETag')
  const resumed = await send(b.url, 'GET', stored!.url, { token: mapper, headers: { range: 'bytes=500000-', 'if-range': etag } })
  assert.is(resumed.status, 206)
  assert.equal(resumed.bytes, photo.subarray(500_000))
  for (let i = 0; i < 2; i++) {
    const viaLb = await send(cluster.url, 'GET', stored!.url, { token: mapper })
    assert.is(viaLb.status, 200)
    assert.is(sha256(viaLb.bytes), sha256(photo))
  }
  const local = await Promise.all(cluster.instances.map((instance) => readdir(join(instance.dataDir, 'uploads')).catch(() => [])))
  assert.equal(local, [[], []], 'no instance keeps the photo on its own disk')
  // streamed into the store while it arrived: not even a request's temp folder was made
  const temp = await Promise.all(cluster.instances.map((instance) => readdir(instance.tempDir)))
  assert.equal(temp, [[], []], 'no instance wrote the photo in its temp folder')
})

test('a task split started on A is polled to the end through B', async () => {
  const made = await send(cluster.url, 'POST', '/v1/projects', { token: pm, body: { name: 'Boreholes', area: { type: 'Polygon', coordinates: [[[33, 0.3], [33.05, 0.3], [33.05, 0.35], [33, 0.35], [33, 0.3]]] } } })
  assert.is(made.status, 201)
  const id = made.json<{ id: number }>().id
  const started = await send(a.url, 'POST', `/v1/projects/${id}/task-splits`, { token: pm, body: { cellMetres: 250 } })
  assert.is(started.status, 202, started.bytes.toString())
  const { statusUrl, cells } = started.json<{ statusUrl: string; cells: number }>()
  const seen = new Set<string>()
  let status: { status: string; result: { tasks: number } | null; progress: number | null }
  const deadline = Date.now() + 60_000
  do {
    const polled = await send(b.url, 'GET', statusUrl, { token: pm })
    assert.is(polled.status, 200, polled.bytes.toString())
    status = polled.json()
    seen.add(status.status)
    if (status.status === 'done' || status.status === 'failed') break
    await new Promise((resolve) => setTimeout(resolve, 100))
  } while (Date.now() < deadline)
  assert.is(status.status, 'done', JSON.stringify(status))
  assert.ok(status.result!.tasks > 100 && status.result!.tasks <= cells, JSON.stringify(status))
  const listed = await send(b.url, 'GET', `/v1/projects/${id}/tasks?limit=1`, { token: pm })
  assert.is(Number(listed.headers.get('x-total-count')), status.result!.tasks, 'B lists the tasks A made')
})

/** The `name=value` pairs of an answer's Set-Cookie headers. */
function cookies(answer: Answer): Record<string, string> {
  return Object.fromEntries(answer.headers.getSetCookie().map((line) => line.split(';')[0]!.split('=') as [string, string]))
}

test('a session started on A works on B, with its CSRF token, and a logout on B is seen by A', async () => {
  const email = uniqueEmail('Vic')
  await signUp(cluster.url, 'Vic', email)
  const login = await send(a.url, 'POST', '/v1/auth/sessions', { body: { email, password: PASSWORD } })
  assert.is(login.status, 204, login.bytes.toString())
  const jar = cookies(login)
  assert.ok(jar.session && jar.csrf_token, JSON.stringify(jar))
  const cookie = `session=${jar.session}; csrf_token=${jar.csrf_token}`

  const me = await send(b.url, 'GET', '/v1/users/me', { headers: { cookie } })
  assert.is(me.status, 200, 'B accepts the session A started')
  assert.is(me.json<{ email: string }>().email, email)
  // an unsafe request from the cookie alone is refused, on either instance
  for (const instance of [a, b]) {
    const forged = await send(instance.url, 'DELETE', '/v1/auth/sessions', { headers: { cookie } })
    assert.is(forged.status, 403, `${instance.name} refuses a cookie request without the CSRF token`)
  }
  const out = await send(b.url, 'DELETE', '/v1/auth/sessions', { headers: { cookie, 'x-csrf-token': jar.csrf_token! } })
  assert.is(out.status, 204, 'B accepts the CSRF token A issued')
  assert.is((await send(a.url, 'GET', '/v1/users/me', { headers: { cookie } })).status, 401, 'A refuses the session B ended')
})

test('the sign-in attempt limit holds across both instances through the load balancer', async () => {
  const email = uniqueEmail('Guess')
  await signUp(a.url, 'Guess', email)
  const servedBy = new Set<string>()
  for (let i = 0; i < 4; i++) {
    const wrong = await send(cluster.url, 'POST', '/v1/auth/tokens', { body: { email, password: `wrong password ${i}` } })
    assert.is(wrong.status, 401, wrong.bytes.toString())
    servedBy.add(wrong.headers.get('x-served-by')!)
  }
  assert.equal([...servedBy].sort(), ['a', 'b'], 'the attempts were spread over both instances')
  const limited = await send(cluster.url, 'POST', '/v1/auth/tokens', { body: { email, password: PASSWORD } })
  assert.is(limited.status, 429, 'the fifth attempt is refused, even with the right password')
  assert.ok(Number(limited.headers.get('retry-after')) > 0)
  for (const instance of [a, b]) assert.is((await send(instance.url, 'POST', '/v1/auth/tokens', { body: { email, password: PASSWORD } })).status, 429, `${instance.name} counts the same attempts`)
})

test('the job that deletes a deleted project\'s photos, sent by A, runs exactly once, on either instance', async () => {
  const made = await send(cluster.url, 'POST', '/v1/projects', { token: pm, body: { name: 'Springs', area: { type: 'Polygon', coordinates: [[[34, 0.3], [34.02, 0.3], [34.02, 0.32], [34, 0.32], [34, 0.3]]] } } })
  assert.is(made.status, 201)
  const id = made.json<{ id: number }>().id
  const split = await send(a.url, 'POST', `/v1/projects/${id}/tasks`, { token: pm, body: { cellMetres: 2500 } })
  assert.is(split.status, 201, split.bytes.toString())
  const url = `/v1/projects/${id}/tasks/${split.json<{ id: number }[]>()[0]!.id}/submissions`
  for (const instance of [a, b]) assert.is((await send(instance.url, 'POST', url, { token: pm, body: photoForm(`${instance.name}.png`, png(50_000)) })).status, 201)
  const keys = await db.map('SELECT a.stored_name FROM attachments a JOIN submissions s ON s.id = a.submission_id JOIN tasks t ON t.id = s.task_id WHERE t.project_id = $1', [id], (row: { stored_name: string }) => row.stored_name)
  assert.is(keys.length, 2)
  const bucket = createStorage({ ...cluster.env, S3_FORCE_PATH_STYLE: true })
  try {
    for (const key of keys) assert.ok(await bucket.head(key), `${key} is in the bucket`)
    const logged = (): number => cluster.instances.reduce((n, instance) => n + instance.output.split('Deleted the stored files').length - 1, 0)
    const before = logged()

    assert.is((await send(a.url, 'DELETE', `/v1/projects/${id}`, { token: pm })).status, 204)
    let runs: { state: string; retry_count: number; output: { deleted: number } | null }[] = []
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline) {
      runs = await db.any("SELECT state, retry_count, output FROM pgboss.job WHERE name = 'delete-files' AND data->'keys' ?| $1::text[]", [keys])
      if (runs.length > 0 && runs.every((run) => run.state === 'completed')) break
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    assert.equal(runs, [{ state: 'completed', retry_count: 0, output: { deleted: 2 } }], 'one job, run once, without a retry')
    // the other instance's poll comes and goes without running it again
    await new Promise((resolve) => setTimeout(resolve, 2500))
    assert.is(logged() - before, 1, 'one run in all, on one of the two instances')
    for (const key of keys) assert.is(await bucket.head(key), undefined, `${key} is gone from the bucket`)
  } finally {
    bucket.close()
  }
})

interface LoadReport {
  gets: number
  failedGets: string[]
  uploads: { sha256: string; url: string }[]
  failedUploads: string[]
}

/** GETs from `clients` loops and uploads from one, through the load balancer, until `stop` is aborted. */
async function load(stop: AbortSignal, clients: number): Promise<LoadReport> {
  const report: LoadReport = { gets: 0, failedGets: [], uploads: [], failedUploads: [] }
  const reader = async (): Promise<void> => {
    while (!stop.aborted) {
      try {
        const res = await send(cluster.url, 'GET', `/v1/projects/${projectId}/tasks?limit=20`, { token: mapper })
        if (res.status === 200) report.gets++
        else report.failedGets.push(`${res.status} ${res.bytes.toString().slice(0, 200)}`)
      } catch (error) {
        report.failedGets.push(String((error as Error).cause ?? error))
      }
    }
  }
  const uploader = async (): Promise<void> => {
    for (let i = 0; !stop.aborted; i++) {
      const photo = png(200_000)
      try {
        const res = await send(cluster.url, 'POST', submissionsUrl, { token: mapper, body: photoForm(`load-${i}.png`, photo) })
        if (res.status === 201) {
          const [stored] = res.json<{ attachments: { url: string; sha256: string }[] }>().attachments
          assert.is(stored!.sha256, sha256(photo))
          report.uploads.push(stored!)
        } else report.failedUploads.push(`${res.status} ${res.bytes.toString().slice(0, 200)}`)
      } catch (error) {
        report.failedUploads.push(String((error as Error).cause ?? error))
      }
    }
  }
  await Promise.all([...Array.from({ length: clients }, reader), uploader()])
  return report
}

/** How many times each message occurs. */
function tally(messages: string[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const message of messages) counts[message] = (counts[message] ?? 0) + 1
  return counts
}

test('a rolling restart under load drains through the readiness check: no request fails, and every completed upload is whole', async () => {
  const stop = new AbortController()
  const running = load(stop.signal, 3)
  const counts: number[] = []
  const mark = async (): Promise<void> => {
    counts.push(await db.one('SELECT count(*)::int AS n FROM submissions', [], (row: { n: number }) => row.n))
  }
  await new Promise((resolve) => setTimeout(resolve, 1500))
  await mark()
  for (const instance of [a, b]) {
    const code = await instance.stop('SIGTERM')
    assert.is(code, 0, `${instance.name} drains and exits cleanly on SIGTERM:\n${instance.output.slice(-2000)}`)
    await mark()
    await instance.start()
    await cluster.waitServing(instance.name)
    await mark()
  }
  await new Promise((resolve) => setTimeout(resolve, 1000))
  stop.abort()
  const report = await running
  if (process.env.SCALE_REPORT) console.log(JSON.stringify({ gets: report.gets, uploads: report.uploads.length, failedUploads: tally(report.failedUploads), counts }))
  assert.equal(tally(report.failedGets), {}, `every GET was answered 200 (${report.gets} were)`)
  assert.ok(report.gets > 50, `the load ran throughout (${report.gets} GETs)`)
  assert.ok(report.uploads.length >= 3, `uploads went on (${report.uploads.length})`)
  // a stopping instance answers its readiness check 503 and goes on serving while HAProxy takes
  // it out, so not even an upload (too large for HAProxy to hold and retry) fails
  assert.equal(tally(report.failedUploads), {}, `every upload was answered 201 (${report.uploads.length} were)`)
  for (let i = 1; i < counts.length; i++) assert.ok(counts[i]! >= counts[i - 1]!, `submissions kept arriving: ${counts.join(', ')}`)
  // every upload that was answered 201 is there, whole, from either instance
  for (const [i, stored] of report.uploads.entries()) {
    const res = await send((i % 2 === 0 ? a : b).url, 'GET', stored.url, { token: mapper })
    assert.is(res.status, 200, stored.url)
    assert.is(sha256(res.bytes), stored.sha256, stored.url)
  }
})

test.run()
