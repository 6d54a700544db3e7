// Tracked background tasks on PostgreSQL: the status moves pending → running (progress) → done
// or failed, and a second app instance on the same database answers every poll; a dead
// process's tasks are failed; close interrupts what outlives the grace period.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { background, BACKGROUND_TABLE, buildOpenApi, createApp, defineBackground, defineDatabase, defineUnit, depends, json, t, Unauthorized, type App, type BackgroundTasksHandle, type DatabaseHandle, type Plugin } from 'trefoil'
import { captureLogs } from '../helpers/logs.js'
import { eventually, kinds, loud, prepare, type Prepared } from './fixtures/harness.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const tracker = fileURLToPath(new URL('../background/fixtures/tracker.ts', import.meta.url))

// gates the test opens to move a task from one step to the next
const gates = new Map<string, { promise: Promise<void>; open: () => void }>()
function gate(name: string): { promise: Promise<void>; open: () => void } {
  let found = gates.get(name)
  if (!found) {
    let open!: () => void
    const promise = new Promise<void>((resolve) => (open = resolve))
    found = { promise, open }
    gates.set(name, found)
  }
  return found
}

const work = defineUnit('work', { prefix: '/v1/work' }, (r) => {
  r.post('/', { body: t.Object({ key: t.String(), fail: t.Boolean({ default: false }) }), use: { background } }, async ({ body, background }) => {
    const id = await background.track(`split-${body.key}`, async (progress) => {
      await gate(`${body.key}:a`).promise
      progress(40)
      await gate(`${body.key}:b`).promise
      if (body.fail) throw new Error('Could not split the area')
      return { cells: 12 }
    })
    return json({ id }, { status: 202 })
  })
  r.post('/then-fails', { use: { background } }, async ({ background }) => {
    const id = await background.track('never', () => gate('never:ran').open())
    throw new Error(`Handler failed after tracking ${id}`)
  })
  r.post('/progress', { use: { background } }, async ({ background }) => {
    const id = await background.track('steady', async (progress) => {
      for (let i = 0; i <= 100; i++) {
        progress(i)
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    })
    return { id }
  })
})

interface Context {
  place: Prepared
  a: App<unknown>
  b: App<unknown>
  dbA: DatabaseHandle
  bgA: BackgroundTasksHandle
  lines: Record<string, unknown>[]
}

/**
 * An app with the database and background plugins. Later instances reach A's database by its URL:
 * two apps of one process must not both manage one embedded data folder (the owner file is
 * per process).
 */
function instance(place: Prepared, units: Plugin[], options: Parameters<typeof defineBackground>[0] = {}, logger: false | ReturnType<typeof captureLogs>['logger'] = false, url?: string) {
  const { plugin: database } = defineDatabase({ dataDir: place.dataDir, health: false })
  const plugin = defineBackground({ database, ...options })
  const settings = url ? { DATABASE_URL: sameDatabase(url) } : place.settings
  return { app: createApp({ settings, plugins: [database, plugin, ...units], logger }), database, plugin }
}

let instances = 0
/** `url` spelled differently each time: pg-promise warns about two pools on one exact URL. */
function sameDatabase(url: string): string {
  const parsed = new URL(url)
  parsed.searchParams.set('connect_timeout', String(10 + ++instances))
  return parsed.toString()
}

for (const kind of kinds()) {
  const it = suite<Context>(`background tasks [${kind}]`)

  it.before(
    loud(async (context) => {
      gates.clear() // the previous kind's suite opened them
      context.place = await prepare(kind)
      const { logger, lines } = captureLogs('info')
      context.lines = lines
      // one task at a time, so a second one stays pending behind the first
      const a = instance(context.place, [work], { concurrency: 1, progressIntervalMs: 200 }, logger)
      await a.app.start()
      context.a = a.app
      context.dbA = a.app.plugin(a.database)
      context.bgA = a.app.plugin(a.plugin)
      // the second instance shares only the database (on embedded, it joins A's server)
      const b = instance(context.place, [], {}, false, context.dbA.connectionString)
      await b.app.start()
      context.b = b.app
    }),
  )

  it.after(async ({ a, b, place }) => {
    await b?.close()
    await a?.close()
    await place?.cleanup()
  })

  const status = async (app: App<unknown>, id: string) => {
    const res = await app.inject({ url: `/v1/background-tasks/${id}` })
    assert.is(res.status, 200, res.body)
    return res.json() as { status: string; progress: number | null; message: string | null; result: unknown; name: string; startedAt: string | null; finishedAt: string | null }
  }

  it('a tracked task goes pending → running → progress 40 → done, read from a second app instance', async ({ a, b }) => {
    const blocker = (await a.inject({ method: 'POST', url: '/v1/work', body: { key: 'blocker' } })).json().id as string
    const res = await a.inject({ method: 'POST', url: '/v1/work', body: { key: 'k1' } })
    assert.is(res.status, 202)
    const id = res.json().id as string
    await eventually(async () => (await status(b, blocker)).status === 'running', 5000, 'the blocker to run')
    const pending = await status(b, id)
    assert.equal([pending.name, pending.status, pending.progress, pending.startedAt], ['split-k1', 'pending', null, null])

    gate('blocker:a').open()
    gate('blocker:b').open()
    await eventually(async () => (await status(b, id)).status === 'running', 5000, 'running')
    assert.is((await status(b, id)).progress, null, 'no progress reported yet')
    assert.ok((await status(b, id)).startedAt)

    gate('k1:a').open()
    await eventually(async () => (await status(b, id)).progress === 40, 5000, 'progress 40')
    assert.is((await status(b, id)).status, 'running')

    gate('k1:b').open()
    await eventually(async () => (await status(b, id)).status === 'done', 5000, 'done')
    const done = await status(b, id)
    assert.equal([done.progress, done.result, done.message], [100, { cells: 12 }, null])
    assert.ok(done.finishedAt)
    assert.is((await status(b, blocker)).status, 'done')
  })

  it('a failing tracked task is failed with its message, and logged with its route', async ({ a, b, lines }) => {
    gate('k2:a').open()
    gate('k2:b').open()
    const id = (await a.inject({ method: 'POST', url: '/v1/work', body: { key: 'k2', fail: true } })).json().id as string
    await eventually(async () => (await status(b, id)).status === 'failed', 5000, 'failed')
    const failed = await status(b, id)
    assert.equal([failed.message, failed.progress, failed.result], ['Could not split the area', 40, null])
    assert.ok(lines.some((l) => l.msg === 'Background task failed' && l.route === 'POST /v1/work' && l.id === id && l.task === 'split-k2'))
  })

  it('a request that fails after tracking: the task never runs and is failed', async ({ a, b, dbA }) => {
    const res = await a.inject({ method: 'POST', url: '/v1/work/then-fails' })
    assert.is(res.status, 500)
    await eventually(async () => Boolean(await dbA.db.oneOrNone(`SELECT 1 FROM ${BACKGROUND_TABLE} WHERE name = 'never' AND status = 'failed'`)), 5000, 'failed')
    const row = await dbA.db.one<{ id: string }>(`SELECT id FROM ${BACKGROUND_TABLE} WHERE name = 'never'`)
    assert.is((await status(b, row.id)).message, 'Not run: the request failed')
    assert.is(gates.has('never:ran'), false, 'the task did not run')
  })

  it('unknown ids are 404; ids that are not UUIDs are 422', async ({ b }) => {
    const missing = await b.inject({ url: '/v1/background-tasks/00000000-0000-4000-8000-000000000000' })
    assert.is(missing.status, 404)
    assert.equal(missing.json(), { detail: 'Background task 00000000-0000-4000-8000-000000000000 not found' })
    assert.is((await b.inject({ url: '/v1/background-tasks/42' })).status, 422)
  })

  it('progress writes are throttled (one per progressIntervalMs), the last value always lands', async ({ a, b, dbA }) => {
    // count real UPDATEs of the progress column from inside PostgreSQL
    await dbA.db.none(`
      CREATE TABLE progress_writes (n int);
      CREATE FUNCTION count_progress() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO progress_writes VALUES (NEW.progress); RETURN NEW; END $$;
      CREATE TRIGGER count_progress AFTER UPDATE OF progress ON ${BACKGROUND_TABLE} FOR EACH ROW WHEN (NEW.name = 'steady' AND NEW.status = 'running') EXECUTE FUNCTION count_progress();`)
    const id = (await a.inject({ method: 'POST', url: '/v1/work/progress' })).json().id as string
    await eventually(async () => (await status(b, id)).status === 'done', 10_000, 'done')
    const writes = await dbA.db.map('SELECT n FROM progress_writes', [], (r: { n: number }) => r.n)
    const done = await status(b, id)
    const ranMs = Date.parse(done.finishedAt!) - Date.parse(done.startedAt!)
    // 101 reports over ~1.1 s (longer on a busy machine) at most one write per 200 ms, plus the last
    assert.ok(writes.length >= 3 && writes.length <= Math.ceil(ranMs / 200) + 1, `${writes.length} writes in ${ranMs} ms: ${writes.join(', ')}`)
    assert.is(writes.at(-1), 100)
    assert.is((await status(b, id)).progress, 100)
  })

  it('a task of a process that died (heartbeat stopped) reads as failed, and start-up sweeps such rows', async ({ b, dbA, place }) => {
    const url = dbA.connectionString
    const ghost = '11111111-1111-4111-8111-111111111111'
    const sleeper = '22222222-2222-4222-8222-222222222222'
    await dbA.db.none(
      `INSERT INTO ${BACKGROUND_TABLE} (id, name, status, owner, heartbeat_at) VALUES ($1, 'ghost', 'running', 'gone-host:1', now() - interval '1 hour'), ($2, 'sleeper', 'pending', 'gone-host:1', now() - interval '1 hour')`,
      [ghost, sleeper],
    )
    const read = await status(b, ghost)
    assert.equal([read.status, read.message], ['failed', 'Lost: the process running it stopped before it finished'])
    // a process starting up fails the rest without anyone asking
    const c = instance(place, [], {}, false, url)
    await c.app.start()
    await c.app.close()
    const row = await dbA.db.one<{ status: string }>(`SELECT status FROM ${BACKGROUND_TABLE} WHERE id = $1`, [sleeper])
    assert.is(row.status, 'failed')
  })

  it('track() outside a request runs at once; close() past its grace period records the task as interrupted', async ({ b, dbA, place }) => {
    const d = instance(place, [], { graceMs: 200 }, false, dbA.connectionString)
    await d.app.start()
    const handle = d.app.plugin(d.plugin)
    const quick = await handle.track('quick', () => 'fine')
    let aborted = false
    const stuck = await handle.track('stuck', async (_progress, task) => {
      await new Promise<void>((resolve) => task.signal.addEventListener('abort', () => resolve()))
      aborted = true
    })
    await eventually(async () => (await status(b, quick)).status === 'done', 5000, 'quick done')
    assert.is((await status(b, quick)).result, 'fine')
    await eventually(async () => (await status(b, stuck)).status === 'running', 5000, 'stuck running')
    await d.app.close()
    assert.ok(aborted, 'the task saw its signal abort')
    const after = await status(b, stuck)
    assert.equal([after.status, after.message], ['failed', 'Interrupted: the app closed before the task finished'])
  })

  it('a process killed while its task runs: alive it keeps the task running past staleAfterMs, dead the task reads failed', async ({ dbA, place }) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', tracker], { cwd: root, env: { ...process.env, DATABASE_URL: dbA.connectionString }, stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      let out = ''
      child.stdout!.on('data', (chunk: Buffer) => (out += chunk))
      await eventually(async () => out.includes('"id"'), 20_000, 'the tracker to start')
      const { id } = JSON.parse(out) as { id: string }
      const reader = instance(place, [], { staleAfterMs: 1000 }, false, dbA.connectionString)
      await reader.app.start()
      try {
        await eventually(async () => (await status(reader.app, id)).progress === 10, 5000, 'progress 10')
        // alive: the heartbeat keeps it from looking stale
        await new Promise((resolve) => setTimeout(resolve, 1500))
        assert.is((await status(reader.app, id)).status, 'running')
        child.kill('SIGKILL')
        const killed = Date.now()
        await eventually(async () => (await status(reader.app, id)).status === 'failed', 5000, 'failed')
        const after = await status(reader.app, id)
        assert.is(after.message, 'Lost: the process running it stopped before it finished')
        assert.ok(Date.now() - killed < 4000, `noticed ${Date.now() - killed} ms after the kill (staleAfterMs 1000)`)
      } finally {
        await reader.app.close()
      }
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('the status route runs the dependencies given to it (auth) and is documented', async ({ dbA, place }) => {
    const apiKey = depends({ headers: t.Object({ 'x-api-key': t.Optional(t.String()) }), errors: [401] }, ({ headers }) => {
      if (headers['x-api-key'] !== 'secret') throw new Unauthorized('Unknown API key')
    })
    const e = instance(place, [], { route: { path: '/v2/jobs-status', use: { apiKey } } }, false, dbA.connectionString)
    await e.app.start()
    try {
      const id = await e.app.plugin(e.plugin).track('guarded', () => 1)
      assert.is((await e.app.inject({ url: `/v2/jobs-status/${id}` })).status, 401)
      const res = await e.app.inject({ url: `/v2/jobs-status/${id}`, headers: { 'x-api-key': 'secret' } })
      assert.is(res.status, 200)
      assert.is(res.json().name, 'guarded')
      const doc = buildOpenApi(e.app.routes, { title: 't', version: '1' }) as unknown as { paths: Record<string, { get: { responses: Record<string, unknown> } }>; components: { schemas: Record<string, unknown> } }
      const operation = doc.paths['/v2/jobs-status/{id}']!.get
      assert.ok(operation.responses['200'] && operation.responses['404'] && operation.responses['401'])
      assert.ok(doc.components.schemas.BackgroundTaskStatus)
    } finally {
      await e.app.close()
    }
  })

  it.run()
}
