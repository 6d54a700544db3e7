// How one process runs the jobs pg-boss hands it (payload checked again, outcome logged), and
// pg-boss's database interface over a pg-promise transaction.
import pgPromise, { type IDatabase } from 'pg-promise'
import type { App } from '../core/app-api.js'
import type { Db } from '../db/index.js'
import { toIssues, type Validator } from '../core/validation.js'

/** Runs one statement for pg-boss: native parameters when there are values, else a simple query (many statements). */
export type SqlExecutor = (text: string, values?: unknown[]) => Promise<{ rows: unknown[] }>

// the bytes of "tref", "jobs": every process agrees on the lock that serialises pg-boss's start
const START_LOCK = [0x74726566, 0x6a6f6273] as const

/**
 * Runs `start` (pg-boss's start and the queues' creation) while holding a session lock, one
 * process at a time. pg-boss's own install takes an advisory lock too, but on PostgreSQL 15 a
 * process that waited for it can still run `CREATE SCHEMA IF NOT EXISTS` on a stale view of the
 * catalog and fail (duplicate key on pg_namespace); and two processes creating queues at once
 * (partitions attached to one table) can deadlock. Everything pg-boss runs meanwhile goes through
 * the locked connection (`route` switches it there and back), so a pool of one cannot deadlock.
 */
export async function startSerialised(db: Db, route: (during: SqlExecutor | undefined) => void, start: () => Promise<void>): Promise<void> {
  await (db as IDatabase<{}>).task('trefoil-jobs-start', async (task) => {
    await task.one('SELECT pg_advisory_lock($1, $2)', START_LOCK)
    route((text, values) => (values && values.length > 0 ? task.result(new pgPromise.ParameterizedQuery({ text, values })) : task.result(text)))
    try {
      await start()
    } finally {
      route(undefined)
      await task.one('SELECT pg_advisory_unlock($1, $2)', START_LOCK).catch(() => undefined)
    }
  })
}

/**
 * pg-boss's database interface over a pg-promise transaction. A parameterized query keeps the
 * values apart from the text, as pg-boss expects: formatted into the text, PostgreSQL would fold
 * constants in both arms of pg-boss's CASE and fail on the arm not taken.
 */
export function inTransaction(db: Db): { executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> } {
  return { executeSql: (text, values) => db.result(new pgPromise.ParameterizedQuery({ text, values })) }
}

/** A job as pg-boss hands it over (with its metadata). */
export interface BossJob {
  id: string
  name: string
  data: unknown
  retryCount?: number
}

/** What running a job needs of its declaration (a `Job` of jobs.ts). */
export interface RunnableJob {
  readonly name: string
  readonly options: { readonly retryLimit: number }
  readonly handler: (payload: never, job: { id: string; name: string; retryCount: number; signal: AbortSignal; db: Db; app: App }) => unknown
}

/**
 * Runs one job: checks its payload with `validate` (the job's schema, compiled by the app's
 * compiler), calls its handler, logs the outcome; a failure rethrows (pg-boss retries).
 */
export async function runJob(app: App, db: Db, job: RunnableJob, validate: Validator, run: BossJob, signal: AbortSignal): Promise<unknown> {
  const payload = run.data
  // a job enqueued by an older release may not match today's schema: fail loudly, not subtly
  if (!validate(payload)) {
    const issues = toIssues(validate.errors, 'body')
    const error = new Error(`Invalid payload for job "${job.name}": ${issues.map((i) => `${i.loc.slice(1).join('.') || 'payload'}: ${i.msg}`).join('; ')}`)
    app.log.error({ err: error, job: job.name, id: run.id }, 'Job failed')
    throw error
  }
  const started = performance.now()
  try {
    const result = await job.handler(payload as never, { id: run.id, name: job.name, retryCount: run.retryCount ?? 0, signal, db, app })
    app.log.info({ job: job.name, id: run.id, ms: Math.round(performance.now() - started) }, 'Job done')
    return result
  } catch (error) {
    const retryCount = run.retryCount ?? 0
    app.log.error({ err: error, job: job.name, id: run.id, retryCount, willRetry: retryCount < job.options.retryLimit }, 'Job failed')
    throw error
  }
}
