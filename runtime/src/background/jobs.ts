// Durable jobs (the guide's Celery, without an extra server): jobs defined with a schema-checked
// payload, enqueued from any process and processed by any process of any machine on the same
// PostgreSQL, on pg-boss. A job is fetched with `FOR UPDATE SKIP LOCKED`, so however many
// processes poll, each run of a job happens in one of them; failures retry with backoff.
import { hostname } from 'node:os'
import PgBoss from 'pg-boss'
import type { Static, TSchema } from 'typebox'
import type { App } from '../core/app-api.js'
import type { DatabaseHandle, Db } from '../db/index.js'
import { depends, type Dependency } from '../core/depends.js'
import { ValidationError } from '../core/errors.js'
import { definePlugin, type Plugin } from '../core/plugin.js'
import { inTransaction, runJob, startSerialised, type SqlExecutor } from './jobs-runner.js'
import { compilerOf, toIssues, type Validator } from '../core/validation.js'
import { TrefoilError } from '../core/trefoil-error.js'

/** How a job retries, and how long one run may take. */
export interface JobOptions {
  /** Retries after a failure (default 2). */
  retryLimit?: number
  /** Seconds before the first retry (default 5). */
  retryDelay?: number
  /** Double the delay after each retry, with jitter (default true). */
  retryBackoff?: boolean
  /** A run that takes longer fails (and retries), in seconds (default 900). */
  expireInSeconds?: number
  /** Runs of this job at once in each processing process (default 1). */
  concurrency?: number
}

/** What a job's handler receives besides its payload. */
export interface JobContext {
  /** The job's id (what `send` returned). */
  readonly id: string
  readonly name: string
  /** 0 for the first run, then 1, 2… on retries. */
  readonly retryCount: number
  /** Aborted when the app closes and the grace period is over: stop soon (the job will be retried). */
  readonly signal: AbortSignal
  /** The database the jobs live in (the app's pool): the handler's own queries go here. */
  readonly db: Db
  /** The processing app: reach other plugin values with `app.plugin(p)`. */
  readonly app: App
}

/** A job's handler: its payload, already checked. What it returns is kept as the job's output. */
export type JobHandler<P> = (payload: P, job: JobContext) => unknown

declare const PAYLOAD: unique symbol

/** A job made by {@link defineJob}: a name, a payload schema, a handler and retry options. */
export interface Job<P = unknown> {
  readonly kind: 'job'
  readonly name: string
  readonly schema: TSchema
  readonly handler: JobHandler<P>
  readonly options: Readonly<Required<JobOptions>>
  /** Phantom: the payload type, for inference only (a parameter, so any job fits `Job<never>`). */
  readonly [PAYLOAD]?: (payload: P) => void
}

const JOB_DEFAULTS: Required<JobOptions> = { retryLimit: 2, retryDelay: 5, retryBackoff: true, expireInSeconds: 900, concurrency: 1 }
const NAME = /^[\w.-]+$/

/**
 * Declares a job. Its payload schema is compiled when an app with the jobs plugin starts, by that
 * app's compiler (its `createApp({ formats })` apply); a bad payload is refused when enqueued.
 * @example
 * export const sendReport = defineJob('send-report', t.Object({ projectId: t.Integer(), to: t.String({ format: 'email' }) }),
 *   async ({ projectId, to }, { db }) => mailer.send(to, await buildReport(db, projectId)),
 *   { retryLimit: 5, retryDelay: 10, retryBackoff: true })
 */
export function defineJob<S extends TSchema>(name: string, schema: S, handler: JobHandler<Static<S>>, options: JobOptions = {}): Job<Static<S>> {
  if (!NAME.test(name)) throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', `Cannot define job "${name}": a name is letters, digits, "_", "-" and "."`)
  if (typeof handler !== 'function') throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', `Cannot define job "${name}": it needs a handler function`)
  const merged = { ...JOB_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) }
  if (!Number.isInteger(merged.concurrency) || merged.concurrency < 1) throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', `Cannot define job "${name}": concurrency must be an integer of at least 1`)
  return Object.freeze({ kind: 'job' as const, name, schema, handler, options: Object.freeze(merged) })
}

/** Options of one enqueue. */
export interface SendOptions {
  /** Run no earlier than this: a date, or seconds from now. */
  startAfter?: Date | number
  /** Higher runs first (default 0). */
  priority?: number
  /** At most one queued job with this key at a time: a second send resolves to null. */
  singletonKey?: string
  /**
   * Enqueue inside this transaction (the request's `transaction` dependency): the job exists only
   * if the transaction commits, so a request that fails leaves no job behind.
   */
  db?: Db
}

/** A job's state as pg-boss records it. */
export interface JobState {
  id: string
  name: string
  state: 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed'
  retryCount: number
  /** What the handler returned, or the error of its last failure. */
  output: unknown
  createdOn: Date
  startedOn: Date | null
  completedOn: Date | null
}

/** What the jobs plugin provides (`app.plugin(jobsPlugin)`, or the {@link jobs} dependency). */
export interface JobQueue {
  /**
   * Enqueues a run of `job`; resolves to its id (null when `singletonKey` refused it). A payload
   * that does not match the job's schema is a {@link ValidationError} (422 from a handler).
   */
  send<P>(job: Job<P>, payload: P, options?: SendOptions): Promise<string | null>
  /** A job's state, or null. */
  get(job: Job<never> | string, id: string): Promise<JobState | null>
  /** Names of the jobs this process processes. */
  readonly working: readonly string[]
}

/** Options of {@link defineJobs}. */
export interface JobsOptions {
  /** The database plugin: pg-boss keeps its tables (schema `pgboss`) there and shares the app's pool. */
  database: Plugin<DatabaseHandle>
  /** Every job the app enqueues or processes. */
  jobs: readonly Job<never>[]
  /**
   * Whether this process processes jobs (default true): `false` only enqueues (a web process,
   * with workers elsewhere), a list processes only those jobs.
   */
  work?: boolean | readonly string[]
  /** How often an idle worker asks for a job, in seconds (default 2, at least 0.5). */
  pollingIntervalSeconds?: number
  /** How long `app.close()` waits for running jobs, in ms (default 8000); past it they fail and retry elsewhere. */
  graceMs?: number
  /** The PostgreSQL schema of pg-boss's tables (default `pgboss`). */
  schema?: string
}

const queues = new WeakMap<object, JobQueue>()

/**
 * The jobs plugin (name `jobs`, after the database): starts pg-boss on the app's database pool
 * (creating its tables on first use, safe from many processes at once), creates a queue per job
 * with its retry options, and processes jobs unless `work: false`. `app.close()` stops fetching
 * and waits for running jobs up to `graceMs`.
 * @example
 * export const jobsPlugin = defineJobs({ database: databasePlugin, jobs: [sendReport], work: settings.PROCESS_JOBS })
 * // in a handler
 * r.post('/:projectId/reports', { use: { jobs, project } }, async ({ jobs, project, body }) =>
 *   json({ id: await jobs.send(sendReport, { projectId: project.id, to: body.to }) }, { status: 202 }))
 */
export function defineJobs(options: JobsOptions): Plugin<JobQueue> {
  const byName = new Map<string, Job<never>>()
  for (const job of options.jobs) {
    if (byName.has(job.name)) throw new TrefoilError('TREFOIL_JOB_DUPLICATE', `Cannot register job "${job.name}": a job with this name is already registered`)
    byName.set(job.name, job)
  }
  const work = options.work ?? true
  const working = work === true ? [...byName.keys()] : work === false ? [] : [...work]
  for (const name of working) if (!byName.has(name)) throw new TrefoilError('TREFOIL_JOB_NOT_REGISTERED', `Cannot work on job "${name}": it is not in defineJobs({ jobs })`)
  const graceMs = options.graceMs ?? 8000

  return definePlugin<JobQueue>({
    name: 'jobs',
    requires: [options.database.name],
    async setup(app) {
      // payloads are checked (like a JSON body: defaults applied, unknown fields dropped) by the
      // app's compiler, so its formats apply; compiled before anything touches the database
      const validators = new Map<string, Validator>()
      const compiler = compilerOf(app)
      for (const job of byName.values()) {
        try {
          validators.set(job.name, compiler.compileBody(job.schema))
        } catch (error) {
          throw new TrefoilError('TREFOIL_SCHEMA_INVALID', `Cannot register job "${job.name}": its payload schema does not compile: ${(error as Error).message}`, { cause: error })
        }
      }
      // pg-promise's pool is a node-postgres Pool; its type there only lists what pg-promise uses
      const { db } = app.plugin(options.database)
      const pool = db.$pool as unknown as { query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> }
      // pg-boss on the app's own pool (native parameters, as pg-boss's own pool would send them):
      // no second pool per process, and it closes with the database plugin
      let execute: SqlExecutor = (text, values) => pool.query(text, values)
      const boss = new PgBoss({
        db: { executeSql: (text: string, values?: unknown[]) => execute(text, values) },
        schema: options.schema ?? 'pgboss',
        supervise: working.length > 0,
        schedule: false,
        ...(options.pollingIntervalSeconds === undefined ? {} : { pollingIntervalSeconds: options.pollingIntervalSeconds }),
      })
      boss.on('error', (error: unknown) => app.log.error({ err: error }, 'Job queue error'))
      const stopping = new AbortController()
      try {
        // one process at a time installs pg-boss and creates the queues (see startSerialised)
        await startSerialised(db, (during) => (execute = during ?? ((text, values) => pool.query(text, values))), async () => {
          await boss.start()
          for (const job of byName.values()) {
            const queueOptions = { name: job.name, retryLimit: job.options.retryLimit, retryDelay: job.options.retryDelay, retryBackoff: job.options.retryBackoff, expireInSeconds: job.options.expireInSeconds }
            const existing = await boss.getQueue(job.name)
            // create is a no-op for an existing queue; update applies changed retry options
            if (!existing) await boss.createQueue(job.name, queueOptions)
            else if (existing.retryLimit !== queueOptions.retryLimit || existing.retryDelay !== queueOptions.retryDelay || existing.retryBackoff !== queueOptions.retryBackoff || existing.expireInSeconds !== queueOptions.expireInSeconds) {
              await boss.updateQueue(job.name, queueOptions)
            }
          }
        })
        for (const name of working) {
          const job = byName.get(name)! as unknown as Job<unknown>
          for (let i = 0; i < job.options.concurrency; i++) {
            let workerId: string | undefined
            workerId = await boss.work(name, { batchSize: 1, includeMetadata: true, ...(options.pollingIntervalSeconds === undefined ? {} : { pollingIntervalSeconds: options.pollingIntervalSeconds }) }, async ([run]) => {
              try {
                return await runJob(app, db, job, validators.get(name)!, run!, stopping.signal)
              } finally {
                // pg-boss waits a polling interval after every fetch, even one that found a job:
                // while there is work, ask again at once (an empty fetch still waits)
                if (workerId) boss.notifyWorker(workerId)
              }
            })
          }
        }
      } catch (error) {
        await boss.stop({ graceful: false, close: false }).catch(() => undefined)
        throw error
      }
      const owner = `${hostname()}:${process.pid}`
      app.log.info({ jobs: [...byName.keys()], working, owner }, working.length > 0 ? 'Jobs: processing' : 'Jobs: enqueue only')

      const queue: JobQueue = {
        working,
        async send(job, payload, sendOptions = {}) {
          if (!byName.has(job.name)) throw new TrefoilError('TREFOIL_JOB_NOT_REGISTERED', `Cannot send job "${job.name}": it is not in defineJobs({ jobs })`)
          // the caller's value stays untouched: defaults and dropped fields apply to the copy sent
          const data = structuredClone(payload) as unknown
          const validate = validators.get(job.name)!
          if (!validate(data)) throw new ValidationError(toIssues(validate.errors, 'body'))
          const { startAfter, priority, singletonKey, db: within } = sendOptions
          return boss.send(job.name, data as object, {
            ...(within ? { db: inTransaction(within) } : {}),
            ...(startAfter === undefined ? {} : { startAfter: typeof startAfter === 'number' ? Math.ceil(startAfter) : startAfter }),
            ...(priority === undefined ? {} : { priority }),
            ...(singletonKey === undefined ? {} : { singletonKey }),
          })
        },
        async get(job, id) {
          const found = await boss.getJobById(typeof job === 'string' ? job : job.name, id)
          if (!found) return null
          const { name, state, retryCount, output, createdOn, startedOn, completedOn } = found
          return { id: found.id, name, state, retryCount, output, createdOn, startedOn: startedOn ?? null, completedOn: completedOn ?? null }
        },
      }
      queues.set(app, queue)
      return {
        value: queue,
        async close() {
          queues.delete(app)
          const timer = setTimeout(() => stopping.abort(new Error('The app closed before the job finished')), graceMs)
          try {
            // stops fetching, waits for running jobs, then fails what is left (retried elsewhere)
            await boss.stop({ graceful: true, wait: true, close: false, timeout: Math.max(graceMs, 1000) })
          } finally {
            clearTimeout(timer)
          }
        },
      }
    },
  })
}

/**
 * The app's job queue, as a dependency.
 * @example r.post('/', { body: ReportIn, use: { jobs } }, async ({ jobs, body }) => ({ id: await jobs.send(sendReport, body) }))
 */
export const jobs: Dependency<JobQueue> = depends({ name: 'jobs' }, ({ app }) => {
  const queue = queues.get(app)
  if (!queue) throw new TrefoilError('TREFOIL_PLUGIN_NOT_SET_UP', 'Cannot enqueue a job: this app has no jobs plugin (list defineJobs() in createApp({ plugins }))')
  return queue
})
