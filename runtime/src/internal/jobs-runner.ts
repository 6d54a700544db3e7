// How one process runs the jobs pg-boss hands it (payload checked again, outcome logged), and
// pg-boss's database interface over a pg-promise transaction.
import pgPromise from 'pg-promise'
import type { App } from '../app.js'
import type { Db } from '../db.js'
import type { Job } from '../jobs.js'
import { toIssues } from '../validation.js'

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

/** Runs one job: checks its payload, calls its handler, logs the outcome; a failure rethrows (pg-boss retries). */
export async function runJob(app: App, db: Db, job: Job<unknown>, run: BossJob, signal: AbortSignal): Promise<unknown> {
  const payload = run.data
  // a job enqueued by an older release may not match today's schema: fail loudly, not subtly
  if (!job.validate(payload)) {
    const issues = toIssues(job.validate.errors, 'body')
    const error = new Error(`Invalid payload for job "${job.name}": ${issues.map((i) => `${i.loc.slice(1).join('.') || 'payload'}: ${i.msg}`).join('; ')}`)
    app.log.error({ err: error, job: job.name, id: run.id }, 'Job failed')
    throw error
  }
  const started = performance.now()
  try {
    const result = await job.handler(payload, { id: run.id, name: job.name, retryCount: run.retryCount ?? 0, signal, db, app })
    app.log.info({ job: job.name, id: run.id, ms: Math.round(performance.now() - started) }, 'Job done')
    return result
  } catch (error) {
    const retryCount = run.retryCount ?? 0
    app.log.error({ err: error, job: job.name, id: run.id, retryCount, willRetry: retryCount < job.options.retryLimit }, 'Job failed')
    throw error
  }
}
