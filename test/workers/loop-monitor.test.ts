// The event-loop monitor: a request that blocks the loop is named in a warning; one that waits
// on I/O is not; the figures are readable.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { pino } from 'pino'
import { createApp, defineLoopMonitor, defineSettings, defineUnit, t } from 'trefoil'

function blockFor(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // a synchronous loop: exactly the pitfall the monitor is for
  }
}

// Blocks and waits of 400 ms against a 250 ms threshold: far enough apart that a busy machine's
// scheduling hiccups (tens of ms) never decide the outcome.
function setup(monitorOptions: Parameters<typeof defineLoopMonitor>[0] = {}, settings?: object) {
  const lines: { level: number; msg: string; route?: string; blockedMs?: number }[] = []
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
  const monitor = defineLoopMonitor(monitorOptions)
  const unit = defineUnit('probe', { prefix: '/v1/probe' }, (r) => {
    r.get('/:id/block', ({ params }) => {
      blockFor(400)
      return { id: params.id }
    })
    r.get('/wait', async () => {
      await new Promise((resolve) => setTimeout(resolve, 400))
      return { waited: true }
    })
    r.get('/fast', () => ({ ok: true }))
  })
  const app = createApp({ settings, plugins: [monitor, unit], logger })
  const warnings = () => lines.filter((l) => l.msg === 'Event loop blocked during a request')
  return { app, monitor, warnings }
}

test('a request that blocks the loop past the threshold logs a warning naming its route and the delay', async () => {
  const { app, monitor, warnings } = setup({ thresholdMs: 250 })
  try {
    assert.is((await app.inject({ method: 'GET', url: '/v1/probe/7/block' })).status, 200)
    assert.is(warnings().length, 1)
    const warning = warnings()[0]!
    assert.is(warning.route, 'GET /v1/probe/:id/block')
    assert.ok(warning.blockedMs! >= 390 && warning.blockedMs! < 2000, `blockedMs ${warning.blockedMs}`)
    const stats = app.plugin(monitor).stats()
    assert.is(stats.blockedRequests, 1)
    assert.equal(stats.worst?.route, 'GET /v1/probe/:id/block')
  } finally {
    await app.close()
  }
})

test('a request that waits on I/O as long does not warn', async () => {
  const { app, warnings } = setup({ thresholdMs: 250 })
  try {
    assert.is((await app.inject({ method: 'GET', url: '/v1/probe/wait' })).status, 200)
    assert.is((await app.inject({ method: 'GET', url: '/v1/probe/fast' })).status, 200)
    assert.is(warnings().length, 0)
  } finally {
    await app.close()
  }
})

test('the monitor adds no Koa middleware: an app that lists it keeps the core answer path', async () => {
  const lines: { msg: string; path?: string; middleware?: string[]; hooks?: { aroundRequest: number } }[] = []
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
  const app = createApp({ plugins: [defineLoopMonitor({ thresholdMs: 250 })], logger })
  try {
    await app.start()
    const started = lines.find((line) => line.msg === 'Started')
    assert.equal([started?.path, started?.middleware, started?.hooks?.aroundRequest], ['core', [], 1])
  } finally {
    await app.close()
  }
})

test('the threshold comes from the settings (LOOP_BLOCK_THRESHOLD_MS)', async () => {
  const settings = defineSettings(t.Object({ LOOP_BLOCK_THRESHOLD_MS: t.Integer({ default: 1000 }) }), { env: {}, envFile: false })
  const { app, monitor, warnings } = setup({}, settings)
  try {
    await app.inject({ method: 'GET', url: '/v1/probe/1/block' })
    assert.is(app.plugin(monitor).thresholdMs, 1000)
    assert.is(warnings().length, 0)
  } finally {
    await app.close()
  }
})

test('stats() reads loop delay percentiles and utilisation; the optional route serves them', async () => {
  const { app, monitor } = setup({ thresholdMs: 250, path: '/metrics/loop' })
  try {
    await app.start()
    await new Promise((resolve) => setTimeout(resolve, 30)) // the sampler needs a first tick to measure from
    await app.inject({ method: 'GET', url: '/v1/probe/2/block' })
    await new Promise((resolve) => setTimeout(resolve, 50)) // let the sampler record the delay
    const stats = app.plugin(monitor).stats()
    assert.ok(stats.max >= 300, `max ${stats.max}`)
    assert.ok(stats.p50 >= 0 && stats.p50 <= stats.p99 && stats.p99 <= stats.max)
    assert.ok(stats.utilization > 0 && stats.utilization <= 1)
    const res = await app.inject({ method: 'GET', url: '/metrics/loop' })
    assert.is(res.status, 200)
    assert.is(res.json().blockedRequests, 1)
    app.plugin(monitor).reset()
    assert.is(app.plugin(monitor).stats().blockedRequests, 0)
  } finally {
    await app.close()
  }
})

test.run()
