// Durable jobs on pg-boss: enqueued from a handler (422 for a bad payload), processed exactly once
// by two competing worker processes on the same database, retried with backoff; a web process
// that only enqueues never processes. Runs on the embedded server and on DATABASE_URL.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { BadRequest, createApp, created, defineDatabase, defineJob, defineJobs, defineUnit, jobs, t, ValidationError, type App, type DatabaseHandle, type JobQueue } from 'trefoil'
import { countJob, flakyJob, slowJob, TABLES } from '../jobs/fixtures/jobs.js'
import { eventually, kinds, loud, prepare, withDatabase, type Prepared } from './fixtures/harness.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const workerScript = fileURLToPath(new URL('../jobs/fixtures/worker.ts', import.meta.url))

interface Worker {
  child: ChildProcess
  pid: number
  output: () => string
  close(): Promise<string>
}

/** Starts a worker process on `url`; resolves once its app started. */
function startWorker(url: string, args: string[] = []): Promise<Worker> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', workerScript, ...args], { cwd: root, env: { ...process.env, DATABASE_URL: url }, stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk))
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk))
  return new Promise((resolve, reject) => {
    const check = setInterval(() => {
      const line = out.split('\n').find((l) => l.startsWith('{"ok"'))
      if (!line) return
      clearInterval(check)
      const started = JSON.parse(line) as { ok: boolean; pid: number; error?: string }
      if (!started.ok) return reject(new Error(`Worker failed to start: ${started.error}`))
      resolve({
        child,
        pid: started.pid,
        output: () => out,
        close: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done(out)
            child.once('exit', () => done(out))
            child.stdin!.write('close\n')
          }),
      })
    }, 20)
    child.once('exit', (code) => {
      clearInterval(check)
      reject(new Error(`Worker exited (${code}) before starting: ${out}`))
    })
  })
}

interface Context {
  place: Prepared
  app: App<unknown>
  handle: DatabaseHandle
  queue: JobQueue
  workers: Worker[]
}

for (const kind of kinds()) {
  const it = suite<Context>(`jobs [${kind}]`)

  it.before(
    loud(async (context) => {
      context.workers = []
      context.place = await prepare(kind)
      const { plugin: database, transaction } = defineDatabase({ dataDir: context.place.dataDir, health: false })
      // the web process: it enqueues, never processes
      const jobsPlugin = defineJobs({ database, jobs: [countJob, flakyJob, slowJob], work: false })
      const reports = defineUnit('reports', { prefix: '/v1/reports' }, (r) => {
        r.post('/', { body: t.Object({ n: t.Integer() }), use: { jobs } }, async ({ body, jobs }) => created({ id: await jobs.send(countJob, { n: body.n, label: 'from-handler' }) }))
        // the payload is checked by the job's schema, whatever the route's own body schema says
        // enqueued in the request's transaction: kept only if the request succeeds
        r.post('/in-transaction', { body: t.Object({ n: t.Integer(), fail: t.Boolean() }), use: { jobs, tx: transaction } }, async ({ body, jobs, tx }) => {
          const id = await jobs.send(countJob, { n: body.n, label: 'in-tx' }, { db: tx, startAfter: 3600 })
          if (body.fail) throw new BadRequest('Changed my mind')
          return created({ id })
        })
        r.post('/unchecked', { body: t.Object({ n: t.Unknown() }), use: { jobs } }, async ({ body, jobs }) => created({ id: await jobs.send(countJob, { n: body.n as number }) }))
      })
      context.app = createApp({ settings: context.place.settings, plugins: [database, jobsPlugin, reports], logger: false })
      await context.app.start()
      context.handle = context.app.plugin(database)
      context.queue = context.app.plugin(jobsPlugin)
      await context.handle.db.none(TABLES)
    }),
  )

  it.after(async ({ app, workers, place }) => {
    for (const worker of workers ?? []) if (worker.child.exitCode === null) worker.child.kill('SIGKILL')
    await app?.close()
    await place?.cleanup()
  })

  it('a handler enqueues a job (201 with its id); a payload the job schema refuses is a 422, nothing enqueued', async ({ app, queue }) => {
    const res = await app.inject({ method: 'POST', url: '/v1/reports', body: { n: 7 } })
    assert.is(res.status, 201)
    const id = res.json().id as string
    const state = await queue.get(countJob, id)
    assert.equal([state?.name, state?.state], ['count', 'created'])
    const bad = await app.inject({ method: 'POST', url: '/v1/reports/unchecked', body: { n: 'seven' } })
    assert.is(bad.status, 422)
    assert.equal(bad.json().detail, [{ loc: ['body', 'n'], msg: 'Input should be a valid integer', type: 'int_type' }])
    const negative = await app.inject({ method: 'POST', url: '/v1/reports/unchecked', body: { n: -1 } })
    assert.is(negative.status, 422)
  })

  it("a job's payload is checked with the app's formats (createApp({ formats })), like a JSON body: defaults applied, unknown fields dropped", async ({ handle }) => {
    const received: unknown[] = []
    const coded = defineJob('coded', t.Object({ code: t.String({ format: 'survey-code' }), copies: t.Integer({ default: 1 }) }), (payload) => void received.push(payload))
    const { plugin: database } = defineDatabase({ health: false })
    const jobsPlugin = defineJobs({ database, jobs: [coded], pollingIntervalSeconds: 0.5 })
    const app = createApp({ settings: { DATABASE_URL: handle.connectionString }, formats: { 'survey-code': /^[A-Z]{3}-\d{4}$/ }, plugins: [database, jobsPlugin], logger: false })
    await app.start()
    try {
      const queue = app.plugin(jobsPlugin)
      const refused = await queue.send(coded, { code: 'hot-24', copies: 1 }).catch((error: unknown) => error)
      assert.instance(refused, ValidationError)
      assert.equal((refused as ValidationError).detail, [{ loc: ['body', 'code'], msg: 'Input should be a valid survey-code', type: 'survey_code_format' }])
      const id = (await queue.send(coded, { code: 'HOT-2024', extra: true } as never))!
      await eventually(async () => (await queue.get(coded, id))?.state === 'completed', 15_000, 'the coded job to run')
      assert.equal(received, [{ code: 'HOT-2024', copies: 1 }])
    } finally {
      await app.close()
    }
  })

  it('a job enqueued in the request transaction exists only if the request succeeds', async ({ app, handle }) => {
    const failed = await app.inject({ method: 'POST', url: '/v1/reports/in-transaction', body: { n: 1, fail: true } })
    assert.is(failed.status, 400)
    const ok = await app.inject({ method: 'POST', url: '/v1/reports/in-transaction', body: { n: 2, fail: false } })
    assert.is(ok.status, 201)
    const rows = await handle.db.manyOrNone<{ id: string; n: number; later: boolean }>(
      "SELECT id, (data->>'n')::int AS n, start_after > now() + interval '50 minutes' AS later FROM pgboss.job WHERE name = 'count' AND data->>'label' = 'in-tx'",
    )
    assert.equal(rows, [{ id: ok.json().id, n: 2, later: true }])
  })

  it('two worker processes compete for 60 jobs: each runs exactly once, both take part, the web process takes none', async ({ queue, handle, workers }) => {
    const url = handle.connectionString
    workers.push(...(await Promise.all([startWorker(url), startWorker(url)])))
    const sent = Date.now()
    const ids = await Promise.all(Array.from({ length: 60 }, (_, n) => queue.send(countJob, { n })))
    assert.is(new Set(ids).size, 60)
    // 61: the job the handler enqueued in the test before
    await eventually(async () => Number((await handle.db.one<{ c: string }>('SELECT count(*) AS c FROM job_runs')).c) >= 61, 30_000, 'every job to run')
    const tookMs = Date.now() - sent
    // give a duplicate every chance to show up
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const runs = await handle.db.manyOrNone<{ job_id: string; runs: string }>('SELECT job_id, count(*) AS runs FROM job_runs GROUP BY job_id')
    assert.is(runs.length, 61)
    assert.ok(runs.every((r) => Number(r.runs) === 1), 'no job ran twice')
    const byPid = await handle.db.manyOrNone<{ pid: number; n: string }>('SELECT pid, count(*) AS n FROM job_runs GROUP BY pid ORDER BY pid')
    assert.equal(byPid.map((r) => r.pid).sort(), workers.map((w) => w.pid).sort(), `runs per process: ${JSON.stringify(byPid)}`)
    assert.not.ok(byPid.some((r) => r.pid === process.pid))
    const states = await Promise.all(ids.map((id) => queue.get(countJob, id!)))
    assert.ok(states.every((s) => s?.state === 'completed'))
    console.log(`  61 jobs (20 ms each) in ${tookMs} ms; runs per worker process: ${byPid.map((r) => r.n).join(' / ')}`)
  })

  it('a failing job is retried with backoff (delay doubling from retryDelay) until it succeeds', async ({ queue, handle }) => {
    const id = (await queue.send(flakyJob, { key: 'k1' }))!
    await eventually(async () => (await queue.get(flakyJob, id))?.state === 'completed', 30_000, 'the flaky job to complete')
    const attempts = await handle.db.manyOrNone<{ retry_count: number; ms: number }>(
      "SELECT retry_count, (extract(epoch FROM at - lag(at) OVER (ORDER BY at)) * 1000)::int AS ms FROM flaky_runs WHERE key = 'k1' ORDER BY at",
    )
    assert.equal(attempts.map((a) => a.retry_count), [0, 1, 2])
    // retryDelay 1 s with backoff: the first retry waits 1–2 s, the second 2–4 s (pg-boss adds jitter)
    assert.ok(attempts[1]!.ms >= 900, `first retry after ${attempts[1]!.ms} ms`)
    assert.ok(attempts[2]!.ms >= 1900, `second retry after ${attempts[2]!.ms} ms`)
    const state = await queue.get(flakyJob, id)
    assert.equal([state?.retryCount, state?.output], [2, { attempts: 3 }])
  })

  it('three processes starting at once on a fresh database all start: pg-boss and the status table are created once', async ({ handle }) => {
    const name = `fresh_${process.pid}_${Date.now().toString(36)}`
    await handle.db.none('CREATE DATABASE $1:name', [name])
    const url = withDatabase(handle.connectionString, name)
    const started: Worker[] = []
    try {
      const results = await Promise.allSettled([startWorker(url), startWorker(url), startWorker(url)])
      for (const result of results) if (result.status === 'fulfilled') started.push(result.value)
      assert.equal(results.map((r) => (r.status === 'fulfilled' ? 'ok' : String(r.reason))), ['ok', 'ok', 'ok'])
    } finally {
      await Promise.all(started.map((w) => w.close()))
      await handle.db.none('DROP DATABASE IF EXISTS $1:name WITH (FORCE)', [name])
    }
  })

  it('closing a worker waits for its running job; the job runs once', async ({ queue, handle, workers }) => {
    const id = (await queue.send(slowJob, { ms: 1500 }))!
    await eventually(async () => (await queue.get(slowJob, id))?.state === 'active', 10_000, 'the slow job to start')
    const stopping = await Promise.all(workers.splice(0).map((w) => w.close()))
    assert.ok(stopping.every((out) => out.includes('"closed":true')), stopping.join('\n'))
    assert.is((await queue.get(slowJob, id))?.state, 'completed')
    const runs = await handle.db.manyOrNone('SELECT 1 FROM job_runs WHERE job_id = $1', [id])
    assert.is(runs.length, 1)
  })

  it.run()
}
