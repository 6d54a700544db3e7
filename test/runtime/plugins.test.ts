import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, definePlugin, defineUnit } from 'trefoil'

test('start() sets plugins up in order and close() tears them down in reverse', async () => {
  const events: string[] = []
  const plugin = (name: string) =>
    definePlugin({
      name,
      setup() {
        events.push(`setup ${name}`)
        return () => void events.push(`teardown ${name}`)
      },
    })
  const app = createApp({ plugins: [plugin('a'), plugin('b'), plugin('c')] })
  await app.start()
  await app.start() // idempotent
  assert.equal(events, ['setup a', 'setup b', 'setup c'])
  await app.close()
  assert.equal(events, ['setup a', 'setup b', 'setup c', 'teardown c', 'teardown b', 'teardown a'])
})

test('a setup that fails half way tears down what was set up, in reverse, and names the plugin', async () => {
  const events: string[] = []
  const ok = (name: string) => definePlugin({ name, setup: () => () => void events.push(`teardown ${name}`) })
  const broken = definePlugin({
    name: 'broken',
    setup() {
      throw new Error('no socket')
    },
  })
  const app = createApp({ plugins: [ok('first'), ok('second'), broken, ok('never')] })
  try {
    await app.start()
    assert.unreachable('start() should fail')
  } catch (error) {
    assert.instance(error, Error)
    assert.is((error as Error).message, 'Plugin "broken" failed to start: no socket')
  }
  assert.equal(events, ['teardown second', 'teardown first'])
})

test('two plugins or units with one name fail at start-up with a message naming it', async () => {
  const unit = defineUnit('projects', (r) => r.get('/a', () => 'a'))
  const again = defineUnit('projects', (r) => r.get('/b', () => 'b'))
  const failure = await createApp({ plugins: [unit, again] }).start().then(
    () => undefined,
    (error: Error) => error.message,
  )
  assert.is(failure, 'Cannot register unit "projects": a unit with this name is already registered')
  const db = definePlugin({ name: 'database', setup() {} })
  const message = await createApp({ plugins: [db, db] }).start().then(
    () => undefined,
    (error: Error) => error.message,
  )
  assert.is(message, 'Cannot register plugin "database": a plugin with this name is already registered')
})

test('a plugin that requires another must come after it', async () => {
  const jobs = definePlugin({ name: 'jobs', requires: ['database'], setup() {} })
  const db = definePlugin({ name: 'database', setup() {} })
  const message = await createApp({ plugins: [jobs, db] }).start().then(
    () => undefined,
    (error: Error) => error.message,
  )
  assert.is(message, 'Cannot register plugin "jobs": it requires "database", which must be listed before it')
  await createApp({ plugins: [db, jobs] }).start()
})

test('app.plugin() returns the value a setup provided, and its close runs at app.close()', async () => {
  let closed = false
  const counter = definePlugin({ name: 'counter', setup: () => ({ value: { count: 41 }, close: () => void (closed = true) }) })
  const unit = defineUnit('count', (r) => r.get('/count', ({ app }) => ({ count: app.plugin(counter).count + 1 })))
  const app = createApp({ plugins: [counter, unit] })
  const res = await app.inject({ url: '/count' })
  assert.equal(res.json(), { count: 42 })
  await app.close()
  assert.ok(closed)
  const other = createApp({ plugins: [] })
  await other.start()
  assert.throws(() => other.plugin(counter), /Plugin "counter" is not set up in this app/)
})

test('two routes with one method and path fail at start-up naming both units', async () => {
  const a = defineUnit('a', (r) => r.get('/same', () => 1))
  const b = defineUnit('b', (r) => r.get('/same', () => 2))
  const message = await createApp({ plugins: [a, b] }).start().then(
    () => undefined,
    (error: Error) => error.message,
  )
  assert.is(message, 'Plugin "b" failed to start: Cannot register route "GET /same" of "b": "a" already declares it')
})

test('listen() serves real HTTP on a free port and close() stops it', async () => {
  const unit = defineUnit('hello', { prefix: '/v1' }, (r) => r.get('/hello', () => ({ hello: 'world' })))
  const app = createApp({ plugins: [unit] })
  const server = await app.listen({ port: 0 })
  assert.ok(app.url?.startsWith('http://127.0.0.1:'))
  const res = await fetch(`${app.url}/v1/hello`)
  assert.is(res.status, 200)
  assert.is(res.headers.get('content-type'), 'application/json; charset=utf-8')
  assert.equal(await res.json(), { hello: 'world' })
  await app.close()
  assert.is(server.listening, false)
})

test('routes cannot be added once the app has started', async () => {
  const app = createApp({ plugins: [] })
  await app.start()
  assert.throws(() => app.addRoute({ method: 'GET', path: '/late', unit: 'x', options: {}, groupUse: {}, handler: () => 1 }), /only a plugin's setup may/)
})

test('onReady hooks run after every plugin is set up; a failing one fails the start and tears down', async () => {
  const events: string[] = []
  const watcher = definePlugin({
    name: 'watcher',
    setup(app) {
      app.onReady(() => void events.push(`ready with ${app.routes.length} routes`))
      return () => void events.push('watcher down')
    },
  })
  const later = defineUnit('later', (r) => r.get('/later', () => 1))
  const app = createApp({ plugins: [watcher, later] })
  await app.start()
  assert.equal(events, ['ready with 1 routes'])
  await app.close()
  events.length = 0
  const strict = definePlugin({
    name: 'strict',
    setup(app) {
      app.onReady(() => {
        throw new Error('Routes are not documented')
      })
      return () => void events.push('strict down')
    },
  })
  const failed = await createApp({ plugins: [strict, later] }).start().then(
    () => undefined,
    (error: Error) => error.message,
  )
  assert.is(failed, 'Routes are not documented')
  assert.equal(events, ['strict down'])
})

test.run()
