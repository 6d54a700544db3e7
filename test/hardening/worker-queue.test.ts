// A busy worker pool answers for itself: a task's timeout counts from when it starts, a full
// queue is a 503 with Retry-After at once, and a timeout is the route's chosen 4xx or a 503,
// never a 500. Real worker threads, over a real socket.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, defineTask, defineUnit, defineWorkers, HttpError, runInWorker, type App } from 'trefoil'
import { timed } from './client.js'

const spin = defineTask<typeof import('../workers/fixtures/spin.js')>(new URL('../workers/fixtures/spin.js', import.meta.url))
// long enough for a replacement thread to boot on a busy machine before the queued task starts
const TIMEOUT_MS = 3000

let app: App<unknown>
let base: string

test.before(async () => {
  const workersPlugin = defineWorkers({ size: 1, maxQueue: 2, timeoutMs: TIMEOUT_MS })
  const unit = defineUnit('work', { prefix: '/work' }, (r) => {
    // a pathological input: spins past the timeout; the route says why it refused
    r.post('/heavy', {}, async ({ app }) => {
      await runInWorker(app, spin, { ms: -1 }, { onTimeout: () => new HttpError(422, 'This input is too costly to check', { code: 'too_costly' }) })
      return { done: true }
    })
    // an ordinary input: a short job
    r.post('/quick', {}, async ({ app }) => ({ value: await runInWorker(app, spin, { ms: 50 }) }))
    // no onTimeout: the runtime's answer
    r.post('/stuck', {}, async ({ app }) => ({ value: await runInWorker(app, spin, { ms: -1 }) }))
  })
  app = createApp({ plugins: [workersPlugin, unit], logger: false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  base = app.url!
})
test.after(async () => {
  await app?.close()
})

test('a quick task queued behind a task that times out gets its whole budget and succeeds', async () => {
  const heavy = timed(`${base}/work/heavy`, { method: 'POST' })
  await new Promise((resolve) => setTimeout(resolve, 500))
  // before: its timeout ran while it waited, and it failed with the heavy one (a 500)
  const quick = timed(`${base}/work/quick`, { method: 'POST' })
  const [h, q] = await Promise.all([heavy, quick])
  assert.is(h.status, 422)
  assert.match(h.body, /too costly/)
  assert.is(q.status, 200, q.body)
  assert.ok(q.ms > TIMEOUT_MS - 500 - 100, 'it waited for the heavy task')
})

test('a timeout the route did not translate is a 503 with Retry-After, not a 500', async () => {
  const answer = await timed(`${base}/work/stuck`, { method: 'POST' })
  assert.is(answer.status, 503)
  assert.ok(Number(answer.headers['retry-after']) > 0)
})

test('past the bounded queue, a request is a 503 with Retry-After at once', async () => {
  const running = timed(`${base}/work/heavy`, { method: 'POST' })
  await new Promise((resolve) => setTimeout(resolve, 200))
  const queued = [timed(`${base}/work/quick`, { method: 'POST' }), timed(`${base}/work/quick`, { method: 'POST' })]
  await new Promise((resolve) => setTimeout(resolve, 100))
  const refused = await timed(`${base}/work/quick`, { method: 'POST' })
  assert.is(refused.status, 503)
  assert.ok(Number(refused.headers['retry-after']) > 0)
  assert.ok(refused.ms < 500, `answered at once (${refused.ms.toFixed(0)} ms)`)
  assert.is((await running).status, 422)
  for (const answer of await Promise.all(queued)) assert.is(answer.status, 200)
})

test.run()
