// Slow clients meet the server's timeouts, on real sockets: a body trickled at 1 byte/s or
// stalled is answered 408 within the body-progress window, a body that moves slowly but steadily
// is never cut by a total deadline, time the app spends not reading is not held against the
// client, half a request line is cut by the header timeout, and an idle keep-alive connection
// is closed after its timeout. The defaults are the documented ones.
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, depends, defineUnit, t, type App } from 'trefoil'
import { BOUNDARY, eventually, filesUnder, PNG } from '../uploads/fixtures/client.js'

const temp = mkdtempSync(join(tmpdir(), 'trefoil-slow-clients-'))
const WINDOW_MS = 1000
const RATE = 100 // bytes a second: 100 bytes per window

const slowDependency = depends({ name: 'slowCheck' }, async () => {
  // an auth or existence check that takes a while, before the body is read
  await new Promise((resolve) => setTimeout(resolve, 2500))
  return true
})

const probe = defineUnit('probe', (r) => {
  r.post('/echo', { body: t.Object({ text: t.String() }) }, ({ body }) => ({ length: body.text.length }))
  r.post('/late-reader', { body: t.Object({ text: t.String() }), use: { slowDependency } }, ({ body }) => ({ length: body.text.length }))
  r.get('/ping', () => ({ ok: true }))
  r.post('/photos', { multipart: { files: { photo: { types: ['image/png'] } }, tempDir: temp } }, ({ files }) => ({ size: files.photo?.size }))
  // stands in for anything that keeps this process busy (a long GC, a saturated machine)
  r.get('/block', () => {
    const until = performance.now() + 2500
    while (performance.now() < until);
    return { blocked: true }
  })
})

let app: App
let server: Server
let port = 0

test.before(async () => {
  app = createApp({ plugins: [probe], logger: false, bodyLimit: 4 * 1024 * 1024 })
  server = await app.listen({ port: 0, host: '127.0.0.1', bodyTimeoutMs: WINDOW_MS, minBodyRate: RATE, headersTimeoutMs: 1000, keepAliveTimeoutMs: 500 })
  port = Number(new URL(app.url!).port)
})
test.after(async () => {
  await app.close()
  rmSync(temp, { recursive: true, force: true })
})

/** A raw connection: what it received, and when it closed (ms after it opened). */
interface Raw {
  socket: Socket
  received: () => string
  closed: Promise<number>
}

function open(): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const socket = connect(port, '127.0.0.1')
    let text = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (text += chunk))
    socket.on('error', () => undefined)
    // bounded: a connection still open after 10 s counts as never closed
    const closed = new Promise<number>((done) => {
      const timer = setTimeout(() => done(Infinity), 10_000)
      socket.once('close', () => {
        clearTimeout(timer)
        done(performance.now() - started)
      })
    })
    socket.once('connect', () => resolve({ socket, received: () => text, closed }))
    socket.once('error', reject)
  })
}

const head = (path: string, length: number): string => `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`

test('a body sent at 1 byte/s is answered 408 within the window (Node alone waits 300 s)', async () => {
  const raw = await open()
  raw.socket.write(head('/echo', 200) + '{"text":"')
  const trickle = setInterval(() => raw.socket.write('x'), 1000)
  const ms = await raw.closed
  clearInterval(trickle)
  assert.match(raw.received(), /^HTTP\/1\.1 408 /)
  assert.match(raw.received(), /Connection: close/i)
  assert.match(raw.received(), /"detail":"The request body arrived too slowly: at least 100 bytes are expected every 1 s"/)
  assert.ok(ms < WINDOW_MS + 1500, `cut after ${ms.toFixed(0)} ms`)
})

test('a stalled body is answered 408 within the window', async () => {
  const raw = await open()
  raw.socket.write(head('/echo', 5000) + '{"text":"' + 'y'.repeat(500))
  const ms = await raw.closed
  assert.match(raw.received(), /^HTTP\/1\.1 408 /)
  assert.ok(ms < WINDOW_MS + 1500, `cut after ${ms.toFixed(0)} ms`)
})

test('an upload that stalls mid-file is answered 408, and its partial file is removed', async () => {
  const head = Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="photo"; filename="p.png"\r\nContent-Type: image/png\r\n\r\n`)
  const raw = await open()
  raw.socket.write(`POST /photos HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: 2000000\r\n\r\n`)
  raw.socket.write(Buffer.concat([head, PNG, Buffer.alloc(700_000, 1)])) // past the first 512 KiB write
  assert.ok(await eventually(async () => (await filesUnder(temp)).length > 0), "the file is being received")
  const ms = await raw.closed
  assert.match(raw.received(), /^HTTP\/1\.1 408 /)
  assert.ok(ms < WINDOW_MS + 1500, `cut after ${ms.toFixed(0)} ms`)
  assert.ok(await eventually(async () => (await filesUnder(temp)).length === 0, 10_000), `the partial file is gone: ${(await filesUnder(temp)).join(', ')}`)
})

test('a body that moves slowly but steadily is never cut: 3.5 windows at 4 times the minimum rate', async () => {
  const text = 'z'.repeat(1400)
  const body = JSON.stringify({ text })
  const raw = await open()
  raw.socket.write(head('/echo', Buffer.byteLength(body)))
  let sent = 0
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const piece = body.slice(sent, sent + 40) // 400 bytes a second
      sent += piece.length
      raw.socket.write(piece)
      if (sent >= body.length) {
        clearInterval(timer)
        resolve()
      }
    }, 100)
  })
  await new Promise((resolve) => setTimeout(resolve, 200))
  assert.match(raw.received(), /^HTTP\/1\.1 200 /)
  assert.match(raw.received(), /\{"length":1400\}/)
  raw.socket.destroy()
})

test('time the app spends before reading the body is not held against the client', async () => {
  // 2 MiB at once: the server's buffers fill while a 2.5 s dependency runs, and the client waits
  const body = JSON.stringify({ text: 'w'.repeat(2 * 1024 * 1024) })
  const raw = await open()
  raw.socket.write(head('/late-reader', Buffer.byteLength(body)) + body)
  const deadline = performance.now() + 10_000
  while (!raw.received().includes('\r\n\r\n') && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  assert.match(raw.received(), /^HTTP\/1\.1 200 /)
  raw.socket.destroy()
})

test('a server too busy to read is not held against the client: the window restarts', async () => {
  const text = 'q'.repeat(1000)
  const body = JSON.stringify({ text })
  const raw = await open()
  raw.socket.write(head('/echo', Buffer.byteLength(body)) + body.slice(0, 100))
  let sent = 100
  const timer = setInterval(() => {
    const piece = body.slice(sent, sent + 40)
    sent += piece.length
    raw.socket.write(piece)
    if (sent >= body.length) clearInterval(timer)
  }, 100)
  await new Promise((resolve) => setTimeout(resolve, 300))
  const other = await open()
  other.socket.write('GET /block HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
  await other.closed
  while (sent < body.length) await new Promise((resolve) => setTimeout(resolve, 50))
  const deadline = performance.now() + 5000
  while (!raw.received().includes('\r\n\r\n') && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  assert.match(raw.received(), /^HTTP\/1\.1 200 /)
  assert.match(raw.received(), '{"length":1000}')
  raw.socket.destroy()
})

test('half a request line is cut by the header timeout', async () => {
  const raw = await open()
  raw.socket.write('GET /pi')
  const ms = await raw.closed
  assert.match(raw.received(), /^HTTP\/1\.1 408 /)
  assert.ok(ms < 1000 + 1500, `cut after ${ms.toFixed(0)} ms`)
})

test('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
  const raw = await open()
  raw.socket.write('GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
  const ms = await raw.closed
  assert.match(raw.received(), /^HTTP\/1\.1 200 /)
  assert.ok(ms < 500 + 1000 + 1500, `closed after ${ms.toFixed(0)} ms`)
})

test('the defaults are the documented ones: headers 20 s, keep-alive 5 s, no total request deadline', async () => {
  const other = createApp({ plugins: [], logger: false })
  const listening = await other.listen({ port: 0, host: '127.0.0.1' })
  try {
    assert.is(listening.headersTimeout, 20_000)
    assert.is(listening.keepAliveTimeout, 5_000)
    assert.is(listening.requestTimeout, 0)
  } finally {
    await other.close()
  }
})

test('with the default limits a body sent at 1 byte/s is answered 408 within its 15 s window (and a little), not Node’s 300 s', async () => {
  const echo = defineUnit('echo-only', (r) => {
    r.post('/echo', { body: t.Object({ text: t.String() }) }, ({ body }) => ({ length: body.text.length }))
  })
  const other = createApp({ plugins: [echo], logger: false })
  await other.listen({ port: 0, host: '127.0.0.1' })
  try {
    const socket = connect(Number(new URL(other.url!).port), '127.0.0.1')
    socket.on('error', () => undefined)
    let text = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (text += chunk))
    const started = performance.now()
    socket.write(head('/echo', 200) + '{"text":"')
    const trickle = setInterval(() => socket.write('x'), 1000)
    // bounded: past 30 s the body counts as never cut
    const ms = await new Promise<number>((resolve) => {
      const timer = setTimeout(() => resolve(Infinity), 30_000)
      socket.once('close', () => {
        clearTimeout(timer)
        resolve(performance.now() - started)
      })
    })
    clearInterval(trickle)
    socket.destroy()
    assert.match(text, /^HTTP\/1\.1 408 /)
    assert.match(text, 'at least 3600 bytes are expected every 15 s')
    assert.ok(ms < 15_000 + 5_000, `cut after ${ms.toFixed(0)} ms`)
  } finally {
    await other.close()
  }
})

test('limits come from the settings when listen() leaves them out, and bad ones are refused', async () => {
  const other = createApp({ plugins: [], logger: false, settings: { HEADERS_TIMEOUT_MS: 7000, KEEP_ALIVE_TIMEOUT_MS: 65_000 } })
  const listening = await other.listen({ port: 0, host: '127.0.0.1' })
  try {
    assert.is(listening.headersTimeout, 7000)
    assert.is(listening.keepAliveTimeout, 65_000)
  } finally {
    await other.close()
  }
  const capped = createApp({ plugins: [], logger: false })
  const withTotal = await capped.listen({ port: 0, host: '127.0.0.1', requestTimeoutMs: 5000 })
  try {
    assert.is(withTotal.requestTimeout, 5000)
    assert.is(withTotal.headersTimeout, 5000, 'the header timeout never outlasts the whole request')
  } finally {
    await capped.close()
  }
  const bad = createApp({ plugins: [], logger: false })
  try {
    await bad.listen({ port: 0, host: '127.0.0.1', bodyTimeoutMs: -1 })
    assert.unreachable('a negative limit is refused')
  } catch (error) {
    assert.match((error as Error).message, 'Cannot listen with bodyTimeoutMs -1')
  } finally {
    await bad.close()
  }
})

test.run()
