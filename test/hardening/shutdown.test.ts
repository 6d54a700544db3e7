// SIGTERM to real processes with real connections on 127.0.0.1: a half-sent request and an idle
// keep-alive connection do not hold the stop; an in-flight request finishes before the exit
// (exit 0), and so do requests pipelined behind it before the stop; a request sent on its connection meanwhile is told 503; a request longer than the
// deadline is cut, logged by name, and the exit is 1. While the stop waits for a request, the
// port still answers: readiness 503, liveness 200, anything else 503, each closing its
// connection; with SHUTDOWN_DRAIN_MS every request is first served as usual while readiness
// says 503. Then the example itself, as `npm start` runs it.
import { spawn, type ChildProcess } from 'node:child_process'
import { connect, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { tempDataDir } from '../examples/fixtures/fieldwork.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const fixture = fileURLToPath(new URL('./fixtures/stop-app.ts', import.meta.url))
const drainFixture = fileURLToPath(new URL('./fixtures/drain-app.ts', import.meta.url))
const started: ChildProcess[] = []

interface Running {
  child: ChildProcess
  url: URL
  output: () => string
  /** Exit code and ms from `since` (set when the signal goes) to the exit; bounded at 60 s. */
  exited: Promise<{ code: number | null; ms: number }>
  since: { at: number }
}

async function run(args: string[], options: { cwd: string; env: Record<string, string | undefined> }): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', ...args], { cwd: options.cwd, env: { ...process.env, LOG_LEVEL: 'info', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  started.push(child)
  let text = ''
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk))
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk))
  const since = { at: performance.now() }
  const exited = new Promise<{ code: number | null; ms: number }>((resolve) => {
    const timer = setTimeout(() => resolve({ code: null, ms: Infinity }), 60_000 + 120_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, ms: performance.now() - since.at })
    })
  })
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "Listening" within 120 s:\n${text}`)), 120_000)
    const look = (): void => {
      const found = /"url":"(http:[^"]+)".*"msg":"Listening"/.exec(text)?.[1]
      if (!found) return
      clearTimeout(timer)
      child.stdout!.off('data', look)
      resolve(new URL(found))
    }
    child.stdout!.on('data', look)
    child.once('exit', (code) => reject(new Error(`exited with ${code} before listening:\n${text}`)))
  })
  return { child, url, output: () => text, exited, since }
}

test.after(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

/** A raw connection and everything it received. */
function open(url: URL): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname)
    let text = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (text += chunk))
    const closed = new Promise<void>((done) => socket.once('close', () => done()))
    socket.once('connect', () => {
      socket.on('error', () => undefined)
      resolve({ socket, received: () => text, closed })
    })
    socket.once('error', reject)
  })
}

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`

/**
 * One keep-alive request on a new connection; resolves with what came back once the server
 * closed the connection (so only an answer that says `Connection: close` and means it resolves).
 */
async function exchange(url: URL, path: string): Promise<string> {
  const connection = await open(url)
  connection.socket.write(get(path))
  const timer = setTimeout(() => connection.socket.destroy(), 20_000)
  await connection.closed
  clearTimeout(timer)
  return connection.received()
}

test('SIGTERM with a request in flight: the port still answers, /health/ready 503 and /health 200, others 503, each closing its connection; then exit 0 and the port is shut', async () => {
  const data = await tempDataDir()
  try {
    const app = await run([drainFixture, data.dir], { cwd: root, env: {} })
    const before = await open(app.url)
    before.socket.write(get('/health/ready'))
    await until('the readiness answer', () => before.received().includes('}'), 30_000)
    assert.match(before.received(), /^HTTP\/1\.1 200 /, 'ready before the stop')
    before.socket.destroy()

    const busy = await open(app.url)
    busy.socket.write(get('/slow?ms=6000'))
    await until('the slow request to start', () => app.output().includes('"msg":"slow ran","ms":6000'))
    app.since.at = performance.now()
    app.child.kill('SIGTERM')
    await until('the stop to begin', () => app.output().includes('Stopping'))

    const ready = await exchange(app.url, '/health/ready')
    const live = await exchange(app.url, '/health')
    const other = await exchange(app.url, '/slow?ms=1')
    const stillBusy = app.child.exitCode === null && !busy.received().includes('waited')
    await busy.closed
    const { code, ms } = await app.exited
    console.log(`draining: readiness ${ready.slice(9, 12)}, liveness ${live.slice(9, 12)}, other ${other.slice(9, 12)} while a 6 s request finished; exit ${code} ${ms.toFixed(0)} ms after SIGTERM`)
    assert.ok(stillBusy, 'the three answers came while the slow request was still in flight')
    assert.match(ready, /^HTTP\/1\.1 503 /)
    assert.match(ready, /Connection: close/i)
    assert.match(ready, /Retry-After: \d+/i)
    assert.match(ready, '"status":"stopping"')
    assert.match(live, /^HTTP\/1\.1 200 /)
    assert.match(live, /Connection: close/i)
    assert.match(other, /^HTTP\/1\.1 503 /)
    assert.match(other, 'The server is shutting down: retry')
    assert.not.match(app.output(), '"msg":"slow ran","ms":1}', 'the request that came during the stop never ran')
    assert.match(busy.received(), /^HTTP\/1\.1 200 /)
    assert.match(busy.received(), '{"waited":6000}')
    assert.is(code, 0, app.output())
    const refused = await open(app.url).then(
      (late) => (late.socket.destroy(), false),
      () => true,
    )
    assert.ok(refused, 'the port is shut once the process is gone')
  } finally {
    await data.remove()
  }
})

test('SIGTERM with SHUTDOWN_DRAIN_MS: requests are served as usual (Connection: close) while /health/ready answers 503, then the stop proceeds and exits 0', async () => {
  const data = await tempDataDir()
  try {
    const app = await run([drainFixture, data.dir], { cwd: root, env: { SHUTDOWN_DRAIN_MS: '3000' } })
    const idle = await open(app.url)
    idle.socket.write(get('/slow?ms=1'))
    await until('the keep-alive answer', () => idle.received().includes('{"waited":1}'))
    app.since.at = performance.now()
    app.child.kill('SIGTERM')
    await until('the stop to begin', () => app.output().includes('Stopping'))
    const ready = await exchange(app.url, '/health/ready')
    const served = await exchange(app.url, '/slow?ms=2')
    // the connection kept alive from before the stop is still served during the drain, once
    idle.socket.write(get('/slow?ms=3'))
    await idle.closed
    const { code, ms } = await app.exited
    console.log(`drain of 3 s: readiness ${ready.slice(9, 12)}, a new request ${served.slice(9, 12)}, exit ${code} ${ms.toFixed(0)} ms after SIGTERM`)
    assert.match(ready, /^HTTP\/1\.1 503 /)
    assert.match(ready, '"status":"stopping"')
    assert.match(served, /^HTTP\/1\.1 200 /)
    assert.match(served, /Connection: close/i)
    assert.match(served, '{"waited":2}')
    const again = idle.received().split(/(?=HTTP\/1\.1 )/)
    assert.is(again.length, 2, idle.received())
    assert.match(again[1]!, /^HTTP\/1\.1 200 /)
    assert.match(again[1]!, /Connection: close/i)
    assert.is(code, 0, app.output())
    assert.ok(ms >= 2900, `the drain lasted its 3 s (exit ${ms.toFixed(0)} ms after SIGTERM)`)
  } finally {
    await data.remove()
  }
})

test('SIGTERM: a half-sent request and an idle keep-alive connection do not hold the stop; exit 0 at once', async () => {
  const app = await run([fixture], { cwd: root, env: {} })
  const half = await open(app.url)
  half.socket.write('GET /sl')
  const idle = await open(app.url)
  idle.socket.write(get('/slow?ms=1'))
  await until('the keep-alive answer', () => idle.received().includes('{"waited":1}'))
  app.since.at = performance.now()
  app.child.kill('SIGTERM')
  const { code, ms } = await app.exited
  console.log(`half-sent request + idle keep-alive: exit ${code} ${ms.toFixed(0)} ms after SIGTERM (shutdown deadline 10 s)`)
  assert.is(code, 0, app.output())
  assert.ok(ms < 5000, `exited ${ms.toFixed(0)} ms after SIGTERM`)
  assert.match(app.output(), '"msg":"App closed"')
})

test('SIGTERM: an in-flight request finishes first, with Connection: close; a request pipelined behind it is not started', async () => {
  const app = await run([fixture], { cwd: root, env: {} })
  const busy = await open(app.url)
  busy.socket.write(get('/slow?ms=1500'))
  await new Promise((resolve) => setTimeout(resolve, 300))
  app.since.at = performance.now()
  app.child.kill('SIGTERM')
  await until('the stop to begin', () => app.output().includes('Stopping'))
  busy.socket.write(get('/slow?ms=2'))
  await busy.closed
  const { code, ms } = await app.exited
  const answers = busy.received().split(/(?=HTTP\/1\.1 )/)
  assert.is(answers.length, 1, busy.received())
  assert.match(answers[0]!, /^HTTP\/1\.1 200 /)
  assert.match(answers[0]!, '{"waited":1500}')
  assert.match(answers[0]!, /Connection: close/i)
  assert.not.match(app.output(), '"msg":"slow ran","ms":2}', 'the pipelined request never ran')
  assert.is(code, 0, app.output())
  assert.ok(ms >= 1000 && ms < 8000, `exited ${ms.toFixed(0)} ms after SIGTERM`)
})

test('SIGTERM: two requests pipelined before the stop are both answered in full, then the connection closes', async () => {
  const app = await run([fixture], { cwd: root, env: {} })
  const busy = await open(app.url)
  busy.socket.write(get('/slow?ms=1500') + get('/slow?ms=4'))
  await until('both to run', () => app.output().includes('"msg":"slow ran","ms":4}'))
  app.since.at = performance.now()
  app.child.kill('SIGTERM')
  await busy.closed
  const { code } = await app.exited
  const answers = busy.received().split(/(?=HTTP\/1\.1 )/)
  // the second has run: its answer is not dropped behind a Connection: close on the first
  assert.is(answers.length, 2, busy.received())
  assert.match(answers[0]!, /^HTTP\/1\.1 200 /)
  assert.match(answers[0]!, '{"waited":1500}')
  assert.match(answers[1]!, /^HTTP\/1\.1 200 /)
  assert.match(answers[1]!, '{"waited":4}')
  assert.is(code, 0, app.output())
})

test('SIGTERM: a request sent behind a streamed answer already under way is answered 503 with Retry-After, then the connection closes', async () => {
  const app = await run([fixture], { cwd: root, env: {} })
  const busy = await open(app.url)
  busy.socket.write(get('/stream?ms=1500'))
  await until('the streamed headers', () => busy.received().includes('first'))
  app.since.at = performance.now()
  app.child.kill('SIGTERM')
  await until('the stop to begin', () => app.output().includes('Stopping'))
  busy.socket.write(get('/slow?ms=3'))
  await busy.closed
  const { code } = await app.exited
  const answers = busy.received().split(/(?=HTTP\/1\.1 )/)
  assert.is(answers.length, 2, busy.received())
  assert.match(answers[0]!, /^HTTP\/1\.1 200 /)
  assert.match(answers[0]!, 'last')
  assert.match(answers[1]!, /^HTTP\/1\.1 503 /)
  assert.match(answers[1]!, /Connection: close/i)
  assert.match(answers[1]!, /Retry-After: 1/i)
  assert.match(answers[1]!, 'The server is shutting down: retry')
  assert.not.match(app.output(), '"msg":"slow ran","ms":3}')
  assert.is(code, 0, app.output())
})

test('SIGTERM: a request longer than the deadline is cut, the log says which, and the exit is 1', async () => {
  const app = await run([fixture], { cwd: root, env: { SHUTDOWN_TIMEOUT_MS: '500' } })
  const busy = await open(app.url)
  busy.socket.write(get('/slow?ms=30000'))
  await new Promise((resolve) => setTimeout(resolve, 300))
  app.since.at = performance.now()
  app.child.kill('SIGTERM')
  const { code, ms } = await app.exited
  assert.is(code, 1, app.output())
  assert.ok(ms < 5000, `exited ${ms.toFixed(0)} ms after SIGTERM`)
  assert.match(app.output(), 'Shutdown deadline of 500 ms passed: cut 1 in-flight request (GET /slow?ms=30000)')
  assert.match(app.output(), '"msg":"App closed"')
})

test('the example as `npm start` runs it: SIGTERM with a half-sent request exits 0 within seconds, and a 1 byte/s body is cut', async () => {
  const data = await tempDataDir()
  const env: Record<string, string | undefined> = { PORT: '0', NODE_ENV: 'development', DATA_DIR: data.dir, BODY_TIMEOUT_MS: '2000' }
  for (const key of ['DATABASE_URL', 'DB_HOST']) env[key] = undefined
  try {
    const app = await run(['src/main.ts'], { cwd: `${root}examples/fieldwork`, env })
    const trickle = await open(app.url)
    const began = performance.now()
    trickle.socket.write('POST /v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 300\r\n\r\n{"email":"')
    const writer = setInterval(() => trickle.socket.write('a'), 1000)
    await trickle.closed
    clearInterval(writer)
    const cutAfter = performance.now() - began
    assert.match(trickle.received(), /^HTTP\/1\.1 408 /)
    assert.ok(cutAfter < 2000 + 1500, `the 1 byte/s body was cut after ${cutAfter.toFixed(0)} ms`)

    const half = await open(app.url)
    half.socket.write('GET /health HT')
    const idle = await open(app.url)
    idle.socket.write(get('/health'))
    await until('the keep-alive answer', () => idle.received().includes('\r\n\r\n'))
    app.since.at = performance.now()
    app.child.kill('SIGTERM')
    const { code, ms } = await app.exited
    console.log(`the example: 1 byte/s body cut after ${cutAfter.toFixed(0)} ms (window 2 s); exit ${code} ${ms.toFixed(0)} ms after SIGTERM with a half-sent request and an idle keep-alive connection (embedded PostgreSQL stopped)`)
    assert.is(code, 0, app.output())
    assert.ok(ms < 15_000, `exited ${ms.toFixed(0)} ms after SIGTERM`)
    assert.match(app.output(), '"msg":"Stopped"')
  } finally {
    await data.remove()
  }
})

test.run()
