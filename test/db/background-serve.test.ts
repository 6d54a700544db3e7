// `trefoil serve` with background tasks: SIGTERM during in-flight requests loses none of them,
// and the tasks they started (running longer than the requests) finish within the grace period.
import { spawn, type ChildProcess } from 'node:child_process'
import { request } from 'node:http'
import { fileURLToPath } from 'node:url'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { startEmbeddedDatabase } from 'trefoil'
import { kinds, loud, prepare, withDb, type Prepared } from './fixtures/harness.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const cli = fileURLToPath(new URL('../../runtime/bin/trefoil.js', import.meta.url))
const fixture = fileURLToPath(new URL('../background/fixtures/serve-app.ts', import.meta.url))

interface Context {
  place: Prepared
  url: string
  stop: () => Promise<void>
  children: ChildProcess[]
}

function get(url: string): Promise<{ status: number; body: { pid: number; id: string } }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as { pid: number; id: string } }))
    })
    req.on('error', reject)
    req.end()
  })
}

for (const kind of kinds()) {
  const it = suite<Context>(`graceful shutdown with background tasks [${kind}]`)

  it.before(
    loud(async (context) => {
      context.children = []
      context.place = await prepare(kind)
      if (kind === 'embedded') {
        // the test process runs the server the cluster's processes share (none of them owns it)
        const embedded = await startEmbeddedDatabase({ dataDir: context.place.dataDir })
        context.url = embedded.connectionString
        context.stop = embedded.stop
      } else {
        context.url = context.place.settings.DATABASE_URL!
        context.stop = async () => undefined
      }
    }),
  )

  it.after(async ({ children, stop, place }) => {
    for (const child of children ?? []) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await stop?.()
    await place?.cleanup()
  })

  it('SIGTERM during in-flight requests loses none of them, and their background tasks finish before exit', async ({ url, children }) => {
    const child = spawn(process.execPath, [...process.execArgv, cli, 'serve', fixture, '--port', '0', '--workers', '2', '--grace', '10000'], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'info', DATABASE_URL: url },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    let output = ''
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk))
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    const deadline = Date.now() + 30_000
    let base = ''
    while (!base) {
      const line = output.split('\n').find((l) => l.includes('"msg":"Listening"') && l.includes('"workers":2'))
      if (line) base = (JSON.parse(line) as { url: string }).url
      else if (Date.now() > deadline || child.exitCode !== null) throw new Error(`Not listening; output:\n${output}`)
      else await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const inFlight = Array.from({ length: 12 }, () => get(`${base}/slow?ms=700&taskMs=1500`))
    await new Promise((resolve) => setTimeout(resolve, 300))
    const signalled = Date.now()
    child.kill('SIGTERM')
    const results = await Promise.all(inFlight)
    assert.equal(results.map((r) => r.status), Array(12).fill(200))
    assert.is(new Set(results.map((r) => r.body.pid)).size, 2, 'both processes served')
    assert.is(await exited, 0, output)
    const tookMs = Date.now() - signalled
    const rows = await withDb(url, (db) => db.manyOrNone<{ status: string; progress: number; result: { pid: number } }>('SELECT status, progress, result FROM trefoil_background_tasks WHERE id = ANY($1::uuid[])', [results.map((r) => r.body.id)]))
    assert.is(rows.length, 12)
    assert.equal(rows.map((r) => r.status), Array(12).fill('done'), JSON.stringify(rows))
    assert.ok(rows.every((r) => r.progress === 100))
    // the requests took 700 ms and their tasks 1500 ms more: the processes waited for both
    assert.ok(tookMs >= 1500, `exited ${tookMs} ms after SIGTERM`)
  })

  it.run()
}
