// The database goes away under a running app: 503s with Retry-After while it is down, normal
// answers once it is back (without restarting the app), no crash, no leaked connections.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { pino } from 'pino'
import { createApp, defineDatabase, defineUnit, type App, type DatabaseHandle } from 'trefoil'
import { startEmbeddedPostgres, type EmbeddedServer } from '../../runtime/src/db/embedded-postgres.js'
import { appConnections, eventually, kinds, loud, prepare, Proxy, type Prepared } from './fixtures/harness.js'

interface Outage {
  /** Makes the database unreachable. */
  down(): Promise<void>
  /** Brings it back on the same address. */
  up(): Promise<void>
  /** A URL to look at the database from outside the app (while it is up). */
  adminUrl(): string
  cleanup(): Promise<void>
}

for (const kind of kinds()) {
  const it = suite<{ place: Prepared; app: App<unknown>; handle: DatabaseHandle; outage: Outage }>(`database outage [${kind}]`)

  it.before(loud(async (context) => {
    const place = (context.place = await prepare(kind))
    const { plugin, db: database, transaction } = defineDatabase({ dataDir: place.dataDir })
    const unit = defineUnit('probe', { prefix: '/v1' }, (r) => {
      r.get('/now', { use: { db: database } }, async ({ db }) => ({ ok: (await db.one<{ ok: number }>('SELECT 1 AS ok')).ok }))
      r.post('/writes', { use: { tx: transaction } }, async ({ tx }) => ({ ok: (await tx.one<{ ok: number }>('SELECT 1 AS ok')).ok }))
    })
    let proxy: Proxy | undefined
    let settings = place.settings
    if (kind === 'DATABASE_URL') {
      // the shared server cannot be stopped: cut the app off from it instead
      const target = new URL(place.settings.DATABASE_URL!)
      proxy = new Proxy({ host: target.hostname, port: Number(target.port || 5432) })
      await proxy.up()
      const viaProxy = new URL(target)
      viaProxy.hostname = '127.0.0.1'
      viaProxy.port = String(proxy.port)
      settings = { DATABASE_URL: viaProxy.toString() }
    }
    context.app = createApp({ settings: { ...settings, DB_POOL_SIZE: '5' }, plugins: [plugin, unit], logger: false })
    await context.app.start()
    context.handle = context.app.plugin(plugin)
    if (proxy) {
      const p = proxy
      context.outage = { down: () => p.down(), up: () => p.up(), adminUrl: () => place.adminUrl(), cleanup: () => p.down() }
    } else {
      // the embedded server itself stops, and a new one starts on the same folder and port
      const { pid, port, dataDir } = context.handle.server!
      let restarted: EmbeddedServer | undefined
      context.outage = {
        async down() {
          process.kill(restarted?.pid ?? pid, 'SIGINT')
          await eventually(async () => !isAlive(restarted?.pid ?? pid), 15_000, 'PostgreSQL to stop')
        },
        async up() {
          restarted = await startEmbeddedPostgres(dataDir, pino({ level: 'silent' }), { port })
        },
        adminUrl: () => restarted!.url,
        cleanup: async () => restarted?.stop(),
      }
    }
  }))

  it.after(async ({ app, place, outage }) => {
    await app?.close()
    await outage?.cleanup()
    await place?.cleanup()
  })

  it('answers normally while the database is up', async ({ app }) => {
    assert.equal((await app.inject({ url: '/v1/now' })).json(), { ok: 1 })
    assert.is((await app.inject({ url: '/health/ready' })).status, 200)
  })

  it('answers 503 with Retry-After while the database is down, and keeps running', async ({ app, outage }) => {
    await outage.down()
    // many requests at once, on pooled connections that just died and on new ones that are refused
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => app.inject(i % 2 ? { url: '/v1/now' } : { method: 'POST', url: '/v1/writes' })))
    for (const res of answers) {
      assert.is(res.status, 503, res.body)
      assert.is(res.headers['retry-after'], '5')
      assert.equal(res.json(), { detail: 'Service Unavailable', code: 'database_unavailable' })
    }
    const ready = await app.inject({ url: '/health/ready' })
    assert.is(ready.status, 503)
    assert.equal(ready.json(), { status: 'unavailable', database: 'unreachable' })
    assert.is(ready.headers['retry-after'], '5')
    assert.equal((await app.inject({ url: '/health' })).json(), { status: 'ok' }, 'liveness does not depend on the database')
  })

  it('recovers by itself when the database is back, without leaking connections', async ({ app, handle, outage }) => {
    await outage.up()
    await eventually(async () => (await app.inject({ url: '/v1/now' })).status === 200, 15_000, 'the app to answer again')
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => app.inject(i % 2 ? { url: '/v1/now' } : { method: 'POST', url: '/v1/writes' })))
    assert.equal([...new Set(answers.map((res) => res.status))], [200])
    assert.is((await app.inject({ url: '/health/ready' })).status, 200)
    assert.ok(handle.db.$pool.totalCount <= 5, `the pool holds ${handle.db.$pool.totalCount} clients`)
    assert.ok((await appConnections(outage.adminUrl())) <= 5)
  })

  it('survives a second outage, and close() leaves no connection behind', async ({ app, outage }) => {
    await outage.down()
    assert.is((await app.inject({ url: '/v1/now' })).status, 503)
    await outage.up()
    await eventually(async () => (await app.inject({ url: '/v1/now' })).status === 200, 15_000, 'the app to answer again')
    await app.close()
    await eventually(async () => (await appConnections(outage.adminUrl())) === 0, 5_000, 'the connections to close')
  })

  it.run()
}

for (const kind of kinds()) {
  const it = suite<{ place: Prepared; app: App<unknown>; proxy: Proxy; server: EmbeddedServer | undefined; handle: DatabaseHandle; pool: () => { totalCount: number } }>(`database that hangs [${kind}]`)

  it.before(loud(async (context) => {
    const place = (context.place = await prepare(kind))
    let url = place.settings.DATABASE_URL
    if (!url) {
      context.server = await startEmbeddedPostgres(place.dataDir, pino({ level: 'silent' }))
      url = context.server.url
    }
    const target = new URL(url)
    context.proxy = new Proxy({ host: target.hostname, port: Number(target.port) })
    await context.proxy.up()
    target.port = String(context.proxy.port)
    const { plugin, db: database } = defineDatabase({ dataDir: place.dataDir, connectTimeout: 300, openTimeout: 1500 })
    const unit = defineUnit('probe', { prefix: '/v1' }, (r) => {
      r.get('/now', { use: { db: database } }, async ({ db }) => ({ ok: (await db.one<{ ok: number }>('SELECT 1 AS ok')).ok }))
    })
    context.app = createApp({ settings: { DATABASE_URL: target.toString() }, plugins: [plugin, unit], logger: false })
    await context.app.start()
    const handle = (context.handle = context.app.plugin(plugin))
    context.pool = () => handle.db.$pool
  }))

  it.after(async ({ app, proxy, server, place }) => {
    await app?.close()
    await proxy?.down()
    await server?.stop()
    await place?.cleanup()
  })

  it('a connection that cannot open is a 503 with Retry-After, after openTimeout', async ({ app, proxy, pool }) => {
    proxy.hang(true)
    // the pool's idle connections were cut and are dropped: the next query opens a new one
    await eventually(async () => pool().totalCount === 0, 5_000, 'the idle connections to go')
    const started = performance.now()
    const res = await app.inject({ url: '/v1/now' })
    const ms = performance.now() - started
    assert.is(res.status, 503)
    assert.is(res.headers['retry-after'], '5')
    assert.ok(ms >= 1400 && ms < 3000, `answered in ${ms.toFixed(0)} ms`)
    assert.is((await app.inject({ url: '/health/ready' })).status, 503)
    proxy.hang(false)
    await eventually(async () => (await app.inject({ url: '/v1/now' })).status === 200, 10_000, 'the app to answer again')
  })

  it('a connection slow to open (longer than the wait for a free one) still serves its request', async ({ app, proxy, pool }) => {
    // cut the pool's idle connections, so that the next query opens a new one
    proxy.hang(true)
    proxy.hang(false)
    await eventually(async () => pool().totalCount === 0, 5_000, 'the idle connections to go')
    proxy.openDelayMs = 800
    try {
      const started = performance.now()
      const res = await app.inject({ url: '/v1/now' })
      const ms = performance.now() - started
      assert.is(res.status, 200, res.body)
      assert.ok(ms >= 700, `a new connection was opened (${ms.toFixed(0)} ms)`)
    } finally {
      proxy.openDelayMs = 0
    }
  })

  it('every connection taken: a request gives up after connectTimeout, not openTimeout', async ({ app, handle }) => {
    const held = await Promise.all(Array.from({ length: handle.poolSize }, () => handle.db.connect()))
    try {
      const started = performance.now()
      const res = await app.inject({ url: '/v1/now' })
      const ms = performance.now() - started
      assert.is(res.status, 503)
      assert.is(res.headers['retry-after'], '5')
      assert.ok(ms >= 250 && ms < 1200, `answered in ${ms.toFixed(0)} ms`)
    } finally {
      for (const connection of held) connection.done()
    }
    assert.is((await app.inject({ url: '/v1/now' })).status, 200, 'the connection freed after the waiter gave up serves the next')
  })

  it.run()
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
