// Worker threads get their own database connection from the database plugin, embedded server
// included (the settings never name its URL): the guide's "each thread its own connection".
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, defineDatabase, defineTask, defineUnit, defineWorkers, runInWorker, type App } from 'trefoil'
import { kinds, loud, prepare, type Prepared } from './fixtures/harness.js'

const dbTask = defineTask<typeof import('../workers/fixtures/db.js')>(new URL('../workers/fixtures/db.js', import.meta.url))

for (const kind of kinds()) {
  const it = suite<{ place: Prepared; app: App<unknown> }>(`workers with the database plugin [${kind}]`)

  it.before(
    loud(async (context) => {
      context.place = await prepare(kind)
      const { plugin: databasePlugin, db } = defineDatabase({ dataDir: context.place.dataDir, health: false })
      const workersPlugin = defineWorkers({ size: 2, database: databasePlugin })
      const unit = defineUnit('probe', (r) => {
        r.get('/main-pid', { use: { db } }, ({ db }) => db.one<{ pid: number }>('SELECT pg_backend_pid() AS pid'))
        r.get('/worker-pid', ({ app }) => runInWorker(app, dbTask, undefined))
      })
      context.app = createApp({ settings: context.place.settings, plugins: [databasePlugin, workersPlugin, unit], logger: false })
      await context.app.start()
    }),
  )

  it.after(async ({ place, app }) => {
    await app?.close()
    await place?.cleanup()
  })

  it('a task queries through its worker’s own connection, not the app’s pool', async ({ app }) => {
    const fromWorker = (await app.inject({ url: '/worker-pid' })).json()
    assert.is(fromWorker.n, 1)
    const fromMain = (await app.inject({ url: '/main-pid' })).json()
    assert.type(fromWorker.pid, 'number')
    assert.is.not(fromWorker.pid, fromMain.pid)
  })

  it('the workers plugin must come after the database plugin it names', async () => {
    const { plugin: databasePlugin } = defineDatabase({ name: 'other-db' })
    const message = await createApp({ plugins: [defineWorkers({ database: databasePlugin }), databasePlugin], logger: false })
      .start()
      .then(
        () => undefined,
        (error: Error) => error.message,
      )
    assert.match(message ?? '', /requires "other-db", which must be listed before it/)
  })

  it.run()
}
