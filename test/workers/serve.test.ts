// `trefoil serve`: real processes on node:cluster. SIGTERM during in-flight requests loses none
// of them, a dead process is replaced, an app that cannot start does not respawn forever.
import { spawn, type ChildProcess } from 'node:child_process'
import { Agent, request } from 'node:http'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const root = fileURLToPath(new URL('../..', import.meta.url))
const cli = fileURLToPath(new URL('../../runtime/bin/trefoil.js', import.meta.url))
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

interface Line {
  msg?: string
  url?: string
  pids?: number[]
  pid?: number
  poolSize?: number
}

interface Served {
  child: ChildProcess
  lines: Line[]
  output: () => string
  exited: Promise<number | null>
  waitFor(what: string, match: (line: Line) => boolean, ms?: number): Promise<Line>
}

const started: ChildProcess[] = []

function serve(app: string, args: string[]): Served {
  const child = spawn(process.execPath, [...process.execArgv, cli, 'serve', fixture(app), '--port', '0', ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  started.push(child)
  const lines: Line[] = []
  let text = ''
  let buffered = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    text += chunk
    buffered += chunk
    const parts = buffered.split('\n')
    buffered = parts.pop()!
    for (const part of parts) {
      try {
        lines.push(JSON.parse(part) as Line)
      } catch {
        // not a log line
      }
    }
  })
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const waitFor = async (what: string, match: (line: Line) => boolean, ms = 30_000): Promise<Line> => {
    const deadline = Date.now() + ms
    for (;;) {
      const found = lines.find(match)
      if (found) return found
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`Timed out waiting for ${what}; output:\n${text}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
  return { child, lines, output: () => text, exited, waitFor }
}

test.after(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

function get(url: string, agent?: Agent): Promise<{ status: number; body: { pid: number } }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: agent ?? false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as { pid: number } }))
    })
    req.on('error', reject)
    req.end()
  })
}

test('SIGTERM during in-flight requests loses none of them; every process closes its app and exits 0', async () => {
  const served = serve('server-app.ts', ['--workers', '2', '--grace', '10000'])
  const { url, pids } = await served.waitFor('listening', (l) => l.msg === 'Listening')
  assert.is(pids?.length, 2)
  const keepAlive = new Agent({ keepAlive: true })
  const inFlight = [
    ...Array.from({ length: 10 }, () => get(`${url}/slow?ms=800`)),
    ...Array.from({ length: 4 }, () => get(`${url}/slow?ms=600`, keepAlive)),
    get(`${url}/heavy`),
  ]
  await new Promise((resolve) => setTimeout(resolve, 300))
  served.child.kill('SIGTERM')
  const results = await Promise.all(inFlight)
  keepAlive.destroy()
  assert.equal(results.map((r) => r.status), Array(15).fill(200))
  assert.is(new Set(results.map((r) => r.body.pid)).size, 2, 'both processes served')
  assert.is(await served.exited, 0)
  const closed = served.lines.filter((l) => l.msg === 'App closed')
  assert.equal(closed.map((l) => l.pid).sort(), [...pids!].sort())
  assert.ok(closed.every((l) => l.poolSize === 0), 'each worker pool closed')
})

test('a request longer than the grace period is cut, and the stop exits non-zero', async () => {
  const served = serve('server-app.ts', ['--workers', '1', '--grace', '300'])
  const { url } = await served.waitFor('listening', (l) => l.msg === 'Listening')
  const slow = get(`${url}/slow?ms=20000`).then(
    () => 'answered',
    () => 'cut',
  )
  await new Promise((resolve) => setTimeout(resolve, 200))
  const stopped = Date.now()
  served.child.kill('SIGTERM')
  assert.is(await slow, 'cut')
  assert.is(await served.exited, 1)
  assert.ok(Date.now() - stopped < 10_000, 'the grace period bounds the stop')
})

test('SIGTERM with a half-sent request and an idle keep-alive connection: the stop does not wait for them, exit 0', async () => {
  const served = serve('server-app.ts', ['--workers', '1', '--grace', '10000'])
  const { url } = await served.waitFor('listening', (l) => l.msg === 'Listening')
  const { port } = new URL(url!)
  const half = connect(Number(port), '127.0.0.1', () => half.write('GET /pi'))
  half.on('error', () => undefined)
  const keepAlive = new Agent({ keepAlive: true })
  assert.is((await get(`${url}/pid`, keepAlive)).status, 200)
  await new Promise((resolve) => setTimeout(resolve, 100))
  const stopped = performance.now()
  served.child.kill('SIGTERM')
  assert.is(await served.exited, 0)
  const ms = performance.now() - stopped
  keepAlive.destroy()
  half.destroy()
  assert.ok(ms < 5000, `exited ${ms.toFixed(0)} ms after SIGTERM, with a grace period of 10 s`)
})

test('a process that dies is replaced, and the port keeps answering', async () => {
  const served = serve('server-app.ts', ['--workers', '2'])
  const { url, pids } = await served.waitFor('listening', (l) => l.msg === 'Listening')
  process.kill(pids![0]!, 'SIGKILL')
  await served.waitFor('the replacement', (l) => l.msg === 'Worker process died: replacing it')
  const seen = new Set<number>()
  const deadline = Date.now() + 30_000
  while (![...seen].some((pid) => !pids!.includes(pid))) {
    if (Date.now() > deadline) throw new Error(`No new process answered; output:\n${served.output()}`)
    const res = await get(`${url}/pid`)
    assert.is(res.status, 200)
    seen.add(res.body.pid)
  }
  assert.not.ok(seen.has(pids![0]!), 'the killed process does not answer')
  served.child.kill('SIGINT')
  assert.is(await served.exited, 0)
})

test("each process's default worker pool takes its share of the cores", async () => {
  const served = serve('server-app.ts', ['--workers', '2'])
  const { url } = await served.waitFor('listening', (l) => l.msg === 'Listening')
  const res = await get(`${url}/pool-default`)
  // 16 cores over 2 processes: 8 each, one of them for the process's own event loop
  assert.equal(res.body, { pid: res.body.pid, threadsOn16Cores: 7 })
  served.child.kill('SIGTERM')
  assert.is(await served.exited, 0)
})

test('an app that fails to start stops the primary with an error instead of respawning forever', async () => {
  const served = serve('broken-app.ts', ['--workers', '1'])
  assert.is(await served.exited, 1)
  assert.match(served.output(), /This app cannot start/)
  assert.match(served.output(), /3 worker processes in a row died before listening/)
})

test('--workers 0 serves from one process, stopped gracefully the same way', async () => {
  const served = serve('server-app.ts', ['--workers', '0'])
  const ready = await served.waitFor('listening', (l) => l.msg === 'Listening')
  const slow = get(`${ready.url}/slow?ms=500`)
  await new Promise((resolve) => setTimeout(resolve, 150))
  served.child.kill('SIGTERM')
  assert.is((await slow).status, 200)
  assert.is(await served.exited, 0)
})

test.run()
