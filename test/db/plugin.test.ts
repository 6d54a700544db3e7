import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { BadRequest, connectDatabase, createApp, created, defineUnit, maskUrlPassword, sqlFile, t, type App, type DatabaseHandle } from 'trefoil'
import { captureLogs } from '../helpers/logs.js'
import { appDatabase } from './fixtures/app/db/database.js'
import { TASK_STATUSES } from './fixtures/app/db/enums.js'
import * as models from './fixtures/app/db/models.js'
import { appConnections, kinds, loud, prepare, type Prepared } from './fixtures/harness.js'

for (const kind of kinds()) {
  const it = suite<{ place: Prepared; app: App<unknown>; handle: DatabaseHandle; lines: Record<string, unknown>[] }>(`database plugin [${kind}]`)

  it.before(loud(async (context) => {
    context.place = await prepare(kind)
    const { plugin, db: database, transaction } = appDatabase(context.place.dataDir)
    const unit = defineUnit('projects', { prefix: '/v1/projects' }, (r) => {
      r.get('/count', { use: { db: database } }, ({ db }) => models.projects.count(db))
      r.post('/', { body: t.Object({ name: t.String(), priority: t.Integer({ default: 5 }) }), use: { db: database } }, async ({ body, db }) => created(await models.projects.insert(db, body)))
      r.delete('/:id', { params: t.Object({ id: t.Integer() }), use: { db: database } }, async ({ params, db }) => ({ deleted: await models.projects.remove(db, params.id) }))
      // a write, then an error: the transaction must not keep the write
      r.post('/then-fail', { body: t.Object({ name: t.String(), fail: t.String() }), use: { tx: transaction } }, async ({ body, tx }) => {
        await models.projects.insert(tx, { name: body.name, priority: 1 })
        if (body.fail === '400') throw new BadRequest('Changed my mind')
        if (body.fail === '500') throw new Error('Bug after a write')
        if (body.fail === 'sql') await tx.none('SELECT 1/0')
        return created({ ok: true })
      })
      r.post('/with-code', { body: t.Object({ name: t.String(), code: t.String() }), use: { tx: transaction } }, async ({ body, tx }) => {
        await models.projects.insert(tx, { name: body.name, priority: 1 })
        await tx.none('INSERT INTO codes (code) VALUES ($1)', [body.code])
        return created({ ok: true })
      })
      r.post('/:id/tasks', { params: t.Object({ id: t.Integer() }), body: t.Object({ title: t.String() }), use: { db: database } }, async ({ params, body, db }) => created(await models.tasks.insert(db, { projectId: params.id, title: body.title })))
      r.get('/:id/tasks', { params: t.Object({ id: t.Integer() }), use: { db: database } }, ({ params, db }) => models.tasks.byProject(db, params.id))
      r.patch('/:id', { params: t.Object({ id: t.Integer() }), body: t.Object({ priority: t.Integer() }), use: { db: database } }, async ({ params, body, db }) => {
        await db.none('UPDATE projects SET priority = $1 WHERE id = $2', [body.priority, params.id])
        return { ok: true }
      })
      // two dependencies asking for the transaction get the same one
      r.get('/same-tx', { use: { a: transaction, b: transaction } }, ({ a, b }) => ({ same: a === b }))
    })
    const { logger, lines } = captureLogs('info')
    context.lines = lines
    context.app = createApp({ settings: { ...context.place.settings, ...(kind === 'DATABASE_URL' ? { DB_POOL_SIZE: '4' } : {}) }, plugins: [plugin, unit], logger })
    await context.app.start()
    context.handle = context.app.plugin(plugin)
  }))

  it.after(async ({ app, place }) => {
    await app?.close()
    await place?.cleanup()
  })

  it('logs one line naming the database, password masked', ({ lines, handle }) => {
    const said = lines.filter((line) => String(line.msg).startsWith('Database: '))
    assert.is(said.length, 1)
    assert.is(said[0]!.embedded, kind === 'embedded')
    const password = new URL((handle.db.$cn as { connectionString: string }).connectionString).password
    if (password) {
      assert.ok(String(said[0]!.msg).includes('********'), String(said[0]!.msg))
      assert.ok(!JSON.stringify(lines).includes(password), 'the password never reaches the log')
      assert.ok(!handle.url.includes(password))
    }
    assert.is(handle.embedded, kind === 'embedded')
    assert.is(handle.poolSize, kind === 'embedded' ? 10 : 4)
    assert.is(handle.db.$pool.options.max, handle.poolSize)
  })

  it('applies the migrations at start-up and records them', async ({ handle }) => {
    assert.equal(handle.migrations?.applied, ['001_init.sql', '002_codes.sql'])
    const rows = await handle.db.map('SELECT name FROM trefoil_migrations ORDER BY name', [], (r: { name: string }) => r.name)
    assert.equal(rows, ['001_init.sql', '002_codes.sql'])
  })

  it('the db dependency runs typed model functions (query files, parameters)', async ({ app }) => {
    const res = await app.inject({ method: 'POST', url: '/v1/projects', body: { name: "O'Brien; DROP TABLE projects --", priority: 3 } })
    assert.is(res.status, 201)
    assert.equal(res.json(), { id: res.json().id, name: "O'Brien; DROP TABLE projects --", priority: 3 })
    const task = await app.inject({ method: 'POST', url: `/v1/projects/${res.json().id}/tasks`, body: { title: 'Map the river' } })
    assert.is(task.status, 201)
    const list = await app.inject({ url: `/v1/projects/${res.json().id}/tasks` })
    assert.equal(list.json(), [{ id: task.json().id, projectId: res.json().id, title: 'Map the river', status: 'todo' }])
  })

  it('enums.ts mirrors the PostgreSQL enum types', async ({ handle }) => {
    const labels = await handle.db.map("SELECT enumlabel FROM pg_enum WHERE enumtypid = 'task_status'::regtype ORDER BY enumsortorder", [], (r: { enumlabel: string }) => r.enumlabel)
    assert.equal(labels, [...TASK_STATUSES])
  })

  it('transaction commits after a successful handler', async ({ app, handle }) => {
    const res = await app.inject({ method: 'POST', url: '/v1/projects/then-fail', body: { name: 'kept', fail: 'no' } })
    assert.is(res.status, 201)
    assert.ok(await handle.db.oneOrNone("SELECT 1 FROM projects WHERE name = 'kept'"))
  })

  for (const [fail, status] of [['400', 400], ['500', 500], ['sql', 500]] as const) {
    it(`transaction rolls back a write when the handler then fails (${fail} → ${status})`, async ({ app, handle }) => {
      const name = `rolled back ${fail}`
      const res = await app.inject({ method: 'POST', url: '/v1/projects/then-fail', body: { name, fail } })
      assert.is(res.status, status)
      assert.is(await handle.db.oneOrNone('SELECT 1 FROM projects WHERE name = $1', [name]), null)
    })
  }

  it('a COMMIT that fails turns a success into an error, and keeps nothing', async ({ app, handle }) => {
    assert.is((await app.inject({ method: 'POST', url: '/v1/projects/with-code', body: { name: 'first with code', code: 'A1' } })).status, 201)
    const res = await app.inject({ method: 'POST', url: '/v1/projects/with-code', body: { name: 'second with code', code: 'A1' } })
    // the deferred unique constraint fires at COMMIT, after the handler returned 201
    assert.is(res.status, 409)
    assert.is(res.json().detail, 'Already exists: a row with this code')
    assert.is(await handle.db.oneOrNone("SELECT 1 FROM projects WHERE name = 'second with code'"), null)
  })

  it('one request gets one transaction, however many dependencies ask', async ({ app }) => {
    assert.equal((await app.inject({ url: '/v1/projects/same-tx' })).json(), { same: true })
  })

  it('a unique violation is a 409 with the constraint meaning, not the SQL', async ({ app }) => {
    await app.inject({ method: 'POST', url: '/v1/projects', body: { name: 'Survey' } })
    const res = await app.inject({ method: 'POST', url: '/v1/projects', body: { name: 'Survey' } })
    assert.is(res.status, 409)
    assert.equal(res.json(), { detail: 'A project with this name already exists', code: 'unique_violation' })
  })

  it('a reference to a missing row is a 422 naming the field', async ({ app }) => {
    const res = await app.inject({ method: 'POST', url: '/v1/projects/999999/tasks', body: { title: 'Orphan' } })
    assert.is(res.status, 422)
    assert.equal(res.json().detail, [{ loc: ['body', 'project_id'], msg: 'Refers to a row of "projects" that does not exist', type: 'foreign_key_violation' }])
    assert.ok(!res.body.includes('999999') && !res.body.includes('INSERT'))
  })

  it('deleting a row still referenced is a 409', async ({ app }) => {
    const project = (await app.inject({ method: 'POST', url: '/v1/projects', body: { name: 'Referenced' } })).json()
    await app.inject({ method: 'POST', url: `/v1/projects/${project.id}/tasks`, body: { title: 'Keeps it alive' } })
    const res = await app.inject({ method: 'DELETE', url: `/v1/projects/${project.id}` })
    assert.is(res.status, 409)
    assert.equal(res.json(), { detail: 'Still in use: rows of "tasks" refer to it', code: 'still_referenced' })
  })

  it('a failed check constraint is a 422', async ({ app }) => {
    const project = (await app.inject({ method: 'POST', url: '/v1/projects', body: { name: 'Checked' } })).json()
    const res = await app.inject({ method: 'PATCH', url: `/v1/projects/${project.id}`, body: { priority: 99 } })
    assert.is(res.status, 422)
    assert.equal(res.json().detail[0].type, 'check_violation')
  })

  it('input the database cannot store (NUL in text, an integer out of range) is a 422, not a 500', async (context) => {
    const { app } = context
    const nul = await app.inject({ method: 'POST', url: '/v1/projects', body: { name: 'Null\u0000byte' } })
    assert.is(nul.status, 422, nul.body)
    assert.equal(nul.json().detail[0].type, 'string_unicode')
    const project = (await app.inject({ method: 'POST', url: '/v1/projects', body: { name: 'Ranged' } })).json()
    const big = await app.inject({ method: 'PATCH', url: `/v1/projects/${project.id}`, body: { priority: 3_000_000_000 } })
    assert.is(big.status, 422, big.body)
    assert.equal(big.json().detail[0].type, 'out_of_range')
  })

  it('GET /health and GET /health/ready answer while the database is up', async ({ app }) => {
    assert.equal((await app.inject({ url: '/health' })).json(), { status: 'ok' })
    const ready = await app.inject({ url: '/health/ready' })
    assert.is(ready.status, 200)
    assert.equal(ready.json(), { status: 'ok', database: 'ok' })
  })

  it('sqlFile fails at load for a missing file, naming it', () => {
    assert.throws(() => sqlFile(new URL('./fixtures/app/db/queries/missing.sql', import.meta.url)), /^Cannot load the query file ".*missing\.sql": ENOENT/)
  })

  it('connectDatabase opens a separate pool from the connection string (for worker threads)', async ({ handle }) => {
    assert.ok(handle.url === maskUrlPassword(handle.connectionString))
    const { db } = connectDatabase(handle.connectionString, { poolSize: 1 })
    try {
      const [mine, theirs] = await Promise.all([db.one<{ pid: number }>('SELECT pg_backend_pid() AS pid'), handle.db.one<{ pid: number }>('SELECT pg_backend_pid() AS pid')])
      assert.is.not(mine.pid, theirs.pid)
      assert.is(await models.projects.count(db), await models.projects.count(handle.db))
    } finally {
      await db.$pool.end()
    }
  })

  it('app.close() closes the pool and stops the embedded server', async (context) => {
    const { app, handle, place } = context
    const adminUrl = kind === 'embedded' ? undefined : place.adminUrl()
    await app.inject({ url: '/v1/projects/count' })
    await app.close()
    assert.is(handle.db.$pool.ending, true)
    // a request that still arrives (a keep-alive connection, in-process) is told to come back
    const late = await app.inject({ url: '/v1/projects/count' })
    assert.is(late.status, 503)
    if (adminUrl) assert.is(await appConnections(adminUrl), 0)
    if (handle.server) {
      const pid = handle.server.pid
      assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the postmaster has exited')
    }
  })

  it.run()
}
