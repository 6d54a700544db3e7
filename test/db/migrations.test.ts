import { fileURLToPath } from 'node:url'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { pino } from 'pino'
import { createApp, defineDatabase, type App, type DatabaseHandle, type Plugin } from 'trefoil'
import { startEmbeddedPostgres, type EmbeddedServer } from '../../runtime/src/db/embedded-postgres.js'
import { closeChild, startChild } from './fixtures/child.js'
import { kinds, loud, prepare, withDb, type Prepared } from './fixtures/harness.js'

const APP_MIGRATIONS = new URL('./fixtures/app/db/migrations', import.meta.url)
const BAD_MIGRATIONS = new URL('./fixtures/bad-migrations', import.meta.url)
const SLOW_MIGRATIONS = fileURLToPath(new URL('./fixtures/slow-migrations', import.meta.url))

function appWith(place: Prepared, migrations: string | URL): { app: App<unknown>; plugin: Plugin<DatabaseHandle> } {
  const { plugin } = defineDatabase({ dataDir: place.dataDir, migrations, health: false })
  return { app: createApp({ settings: place.settings, plugins: [plugin], logger: false }), plugin }
}

for (const kind of kinds()) {
  const it = suite<{ place: Prepared }>(`migrations [${kind}]`)

  it.before.each(
    loud(async (context) => {
      context.place = await prepare(kind)
    }),
  )
  it.after.each(async ({ place }) => {
    await place.cleanup()
  })

  it('a second start applies nothing', async ({ place }) => {
    const first = appWith(place, APP_MIGRATIONS)
    await first.app.start()
    assert.equal(first.app.plugin(first.plugin).migrations?.applied, ['001_init.sql', '002_codes.sql'])
    await first.app.close()
    const second = appWith(place, APP_MIGRATIONS)
    await second.app.start()
    try {
      assert.equal(second.app.plugin(second.plugin).migrations, { applied: [], skipped: ['001_init.sql', '002_codes.sql'], changed: [] })
      const count = await second.app.plugin(second.plugin).db.one<{ n: string }>('SELECT count(*) AS n FROM trefoil_migrations')
      assert.is(Number(count.n), 2)
    } finally {
      await second.app.close()
    }
  })

  it('a failing migration stops start-up with the file and the database message, schema as before it', async ({ place }) => {
    const { app } = appWith(place, BAD_MIGRATIONS)
    let message = ''
    let code: unknown
    await app.start().catch((error: Error & { code?: unknown }) => ((message = error.message), (code = error.code)))
    assert.match(message, 'Migration "002_broken.sql" failed: relation "table_that_does_not_exist" does not exist')
    assert.is(code, 'TREFOIL_MIGRATION_FAILED')
    // look from outside: the app did not start, so it holds nothing
    const { plugin } = defineDatabase({ dataDir: place.dataDir, health: false })
    const probe = createApp({ settings: place.settings, plugins: [plugin], logger: false })
    await probe.start()
    try {
      const db = probe.plugin(plugin).db
      const tables = await db.map("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename", [], (r: { tablename: string }) => r.tablename)
      assert.equal(tables, ['first_table', 'trefoil_migrations'], 'second_table was rolled back with its failed file')
      assert.equal(await db.map('SELECT name FROM trefoil_migrations', [], (r: { name: string }) => r.name), ['001_ok.sql'])
    } finally {
      await probe.close()
    }
  })

  it('a missing migrations folder stops start-up, naming it', async ({ place }) => {
    const { app } = appWith(place, '/nowhere/migrations')
    let message = ''
    await app.start().catch((error: Error) => (message = error.message))
    assert.match(message, 'Cannot read the migrations folder "/nowhere/migrations"')
  })

  it('two processes starting at once apply each file once (advisory lock)', async ({ place }) => {
    let server: EmbeddedServer | undefined
    let url = place.settings.DATABASE_URL
    if (!url) {
      // both children connect to one server the test runs
      server = await startEmbeddedPostgres(place.dataDir, pino({ level: 'silent' }))
      url = server.url
    }
    try {
      const [a, b] = await Promise.all([startChild(['unused', SLOW_MIGRATIONS], { DATABASE_URL: url }), startChild(['unused', SLOW_MIGRATIONS], { DATABASE_URL: url })])
      await Promise.all([closeChild(a.child), closeChild(b.child)])
      assert.ok(a.started.ok && b.started.ok, JSON.stringify([a.started, b.started]))
      const applied = [...a.started.migrations!.applied, ...b.started.migrations!.applied]
      const skipped = [...a.started.migrations!.skipped, ...b.started.migrations!.skipped]
      assert.equal(applied, ['001_slow.sql'])
      assert.equal(skipped, ['001_slow.sql'])
      assert.equal(await withDb(url, (db) => db.map('SELECT name FROM trefoil_migrations', [], (r: { name: string }) => r.name)), ['001_slow.sql'])
    } finally {
      await server?.stop()
    }
  })

  it.run()
}
