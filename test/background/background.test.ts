// Background tasks without a database: they run after the response is sent, failures are
// logged with the route and never crash, a failed request runs none, and close waits for them.
import { request } from 'node:http'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { background, createApp, defineBackground, defineUnit, t, type App } from 'trefoil'
import { captureLogs } from '../helpers/logs.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Seen {
  sentBeforeRun: boolean[]
  ran: string[]
}

function makeApp(seen: Seen, options: Parameters<typeof defineBackground>[0] = {}) {
  const { logger, lines } = captureLogs('info')
  const unit = defineUnit('work', { prefix: '/v1/work' }, (r) => {
    r.post('/', { body: t.Object({ label: t.String() }), use: { background } }, ({ body, background, ctx }) => {
      background((label: string, n: number) => {
        // the response has been written out completely before the task starts (light-my-request's
        // fake response never sets writableFinished, so app.inject is checked on writableEnded)
        seen.sentBeforeRun.push(label === 'inject' ? ctx.res.writableEnded : ctx.res.writableFinished)
        seen.ran.push(`${label}:${n}`)
      }, body.label, 1)
      return { queued: body.label }
    })
    r.post('/slow', { body: t.Object({ ms: t.Integer() }), use: { background } }, ({ body, background }) => {
      background(async () => {
        await sleep(body.ms)
        seen.ran.push(`slow:${body.ms}`)
      })
      return { ok: true }
    })
    r.post('/throws', { use: { background } }, ({ background }) => {
      background(function explode() {
        throw new Error('Task exploded')
      })
      background(async function reject() {
        await sleep(5)
        throw new Error('Task rejected')
      })
      return { ok: true }
    })
    r.post('/then-fails', { use: { background } }, ({ background }) => {
      background(() => seen.ran.push('should not run'))
      throw new Error('Handler failed after scheduling')
    })
  })
  const app = createApp({ plugins: [defineBackground(options), unit], logger })
  return { app, lines }
}

function post(url: string, body: unknown): Promise<{ status: number; at: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, at: Date.now() }))
    })
    req.on('error', reject)
    req.end(JSON.stringify(body))
  })
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error('Timed out')
    await sleep(10)
  }
}

test('background(fn, ...args) runs after the response is sent, over HTTP and app.inject', async () => {
  const seen: Seen = { sentBeforeRun: [], ran: [] }
  const { app } = makeApp(seen)
  try {
    await app.listen({ port: 0 })
    assert.is((await post(`${app.url}/v1/work`, { label: 'http' })).status, 200)
    const res = await app.inject({ method: 'POST', url: '/v1/work', body: { label: 'inject' } })
    assert.equal(res.json(), { queued: 'inject' })
    await until(() => seen.ran.length === 2)
    assert.equal(seen.ran.sort(), ['http:1', 'inject:1'])
    assert.equal(seen.sentBeforeRun, [true, true])
  } finally {
    await app.close()
  }
})

test('the client gets its answer without waiting for a slow task', async () => {
  const seen: Seen = { sentBeforeRun: [], ran: [] }
  const { app } = makeApp(seen)
  try {
    await app.listen({ port: 0 })
    const started = Date.now()
    const res = await post(`${app.url}/v1/work/slow`, { ms: 600 })
    assert.is(res.status, 200)
    // the task had not finished when the answer arrived: nobody waited for it
    assert.equal(seen.ran, [])
    assert.ok(res.at - started < 600, `answered in ${res.at - started} ms`)
    await until(() => seen.ran.length === 1)
  } finally {
    await app.close()
  }
})

test('a failing task (thrown or rejected) is logged with the route and request id; the app keeps serving', async () => {
  const seen: Seen = { sentBeforeRun: [], ran: [] }
  const { app, lines } = makeApp(seen)
  try {
    const res = await app.inject({ method: 'POST', url: '/v1/work/throws', headers: { 'x-request-id': 'req-42' } })
    assert.is(res.status, 200)
    await until(() => lines.filter((l) => l.msg === 'Background task failed').length === 2)
    const failed = lines.filter((l) => l.msg === 'Background task failed')
    assert.equal(failed.map((l) => l.task).sort(), ['explode', 'reject'])
    assert.ok(failed.every((l) => l.route === 'POST /v1/work/throws' && l.requestId === 'req-42'))
    assert.equal(failed.map((l) => (l.err as { message: string }).message).sort(), ['Task exploded', 'Task rejected'])
    assert.is((await app.inject({ method: 'POST', url: '/v1/work', body: { label: 'after' } })).status, 200)
  } finally {
    await app.close()
  }
})

test('a request that fails runs none of its background tasks, and says so in the log', async () => {
  const seen: Seen = { sentBeforeRun: [], ran: [] }
  const { app, lines } = makeApp(seen)
  try {
    assert.is((await app.inject({ method: 'POST', url: '/v1/work/then-fails' })).status, 500)
    await sleep(50)
    assert.equal(seen.ran, [])
    assert.ok(lines.some((l) => l.msg === 'Background tasks not run: the request failed' && l.dropped === 1))
  } finally {
    await app.close()
  }
})

test('app.close() waits for running and queued tasks within the grace period', async () => {
  const seen: Seen = { sentBeforeRun: [], ran: [] }
  const { app } = makeApp(seen, { concurrency: 1, graceMs: 5000 })
  await app.inject({ method: 'POST', url: '/v1/work/slow', body: { ms: 300 } })
  await app.inject({ method: 'POST', url: '/v1/work/slow', body: { ms: 200 } })
  const started = Date.now()
  await app.close()
  assert.equal(seen.ran, ['slow:300', 'slow:200'])
  assert.ok(Date.now() - started >= 450, 'waited for both, one after the other')
})

test('past the grace period close() returns, logs what it interrupted, and later tasks are dropped', async () => {
  const seen: Seen = { sentBeforeRun: [], ran: [] }
  const { app, lines } = makeApp(seen, { graceMs: 200 })
  await app.inject({ method: 'POST', url: '/v1/work/slow', body: { ms: 3000 } })
  const started = Date.now()
  await app.close()
  const took = Date.now() - started
  assert.ok(took >= 190 && took < 1000, `close took ${took} ms`)
  assert.ok(lines.some((l) => l.msg === 'Background tasks still running after the grace period: interrupted' && l.running === 1))
})

test('without the plugin, asking for background tasks fails the request with a message naming the fix', async () => {
  const unit = defineUnit('bare', (r) => r.get('/x', { use: { background } }, () => ({ ok: true })))
  const { logger, lines } = captureLogs('error')
  const app: App = createApp({ plugins: [unit], logger })
  try {
    assert.is((await app.inject({ url: '/x' })).status, 500)
    assert.match(JSON.stringify(lines), /list defineBackground\(\) in createApp/)
  } finally {
    await app.close()
  }
})

test('track() without a database is refused with a message', async () => {
  const plugin = defineBackground()
  const app = createApp({ plugins: [plugin], logger: false })
  try {
    await app.start()
    const error = await app.plugin(plugin).track('x', () => undefined).then(() => undefined, (e: unknown) => e)
    assert.match(String(error), /given no database/)
  } finally {
    await app.close()
  }
})

test.run()
