// The code each pool worker runs around a task: loads the task module once, calls its default
// export, and turns every way a task can fail (a throw, an error after it replied, an unhandled
// rejection, `process.exit`) into a report the main thread can attribute to the right task.
import { AsyncLocalStorage } from 'node:async_hooks'
import { isMainThread, parentPort, threadId, workerData } from 'node:worker_threads'
import type pgPromise from 'pg-promise'

import { CLOSE_TASK, TASK_FAILED, type RunnerData, type SerializedError, type TaskReply, type TaskRequest, type WorkerReport } from './worker-protocol.js'

if (isMainThread) throw new Error('worker-runner is loaded by the worker pool in its threads, never imported')

interface Running {
  id: number
  task: string
  replied: boolean
  fail: (error: unknown) => void
}

const data = workerData as RunnerData
const current = new AsyncLocalStorage<Running>()
type TaskFn = (input: unknown, ctx: unknown) => unknown
const modules = new Map<string, TaskFn>()
let db: pgPromise.IDatabase<{}> | undefined
let pgp: pgPromise.IMain | undefined

const report = (message: WorkerReport): void => parentPort?.postMessage(message)

// `process.exit()` in a worker ends only this thread: let it, but first tell the main thread
// which task did it and from where, so its promise rejects with that instead of a bare exit code.
const realExit = process.exit.bind(process)
process.exit = function exitFromTask(code?: number | string | null): never {
  const running = current.getStore()
  const exitCode = typeof code === 'number' ? code : Number(code ?? process.exitCode ?? 0) || 0
  const stack = new Error(`Task called process.exit(${exitCode})`).stack?.replace(/\n\s+at (?:process\.)?exitFromTask[^\n]*/, '')
  report({ trefoil: 'exit', id: running?.id, task: running?.task, code: exitCode, stack })
  return realExit(exitCode)
} as typeof process.exit

// An uncaught error belongs to the task whose async context threw it. While that task still
// runs, it fails the task; once the task has replied, it is reported and the worker lives on
// (the default would kill the worker, and with it whichever innocent task runs there next).
// Without context tracking, an uncaught error is blamed on the task running now, if any: what
// Node itself would do, minus killing the worker.
function onUncaught(error: unknown): void {
  const running = data.trackTaskContext ? current.getStore() : (runningNow ?? lastRunning)
  if (running && !running.replied) running.fail(error)
  else report({ trefoil: 'late-error', id: running?.id, task: running?.task, error: serializeError(error) })
}
process.on('uncaughtException', onUncaught)
process.on('unhandledRejection', onUncaught)

/**
 * Runs one task; never throws, so that piscina's own error path stays for real crashes. A
 * synchronous task is answered synchronously: no promise of ours on the hot path.
 */
export default function runTask(request: TaskRequest): TaskReply | Promise<TaskReply> {
  if (request.task === CLOSE_TASK) return closeWorkerDb(request.input as CloseInput)
  const fn = modules.get(request.task)
  if (!fn) return load(request.task).then(() => runTask(request), failedReply)
  const running: Running = { id: request.id, task: request.task, replied: false, fail: noop }
  if (data.trackTaskContext) return current.run(running, invoke, fn, request.input, running)
  // one task at a time per worker: the running task is a variable, not an async context
  runningNow = running
  lastRunning = running
  const reply = invoke(fn, request.input, running)
  if (running.replied) runningNow = undefined
  return reply
}

/** Without context tracking: the task running now (until it replies), and the last one run (for a late error's report). */
let runningNow: Running | undefined
let lastRunning: Running | undefined

function invoke(fn: TaskFn, input: unknown, running: Running): TaskReply | Promise<TaskReply> {
  let value: unknown
  try {
    value = fn(input, context)
  } catch (error) {
    running.replied = true
    return failedReply(error)
  }
  if (!isThenable(value)) {
    running.replied = true
    return value
  }
  // an async task may still fail from a callback it started (see onUncaught): whichever comes
  // first, its own settlement or such an error, answers
  const pending = value
  return new Promise<TaskReply>((resolve) => {
    const settle = (reply: TaskReply): void => {
      if (running.replied) return
      running.replied = true
      if (runningNow === running) runningNow = undefined
      resolve(reply)
    }
    running.fail = (error) => settle(failedReply(error))
    pending.then(settle, running.fail)
  })
}

function failedReply(error: unknown): TaskReply {
  return { [TASK_FAILED]: serializeError(error) }
}

function noop(): void {}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function'
}

async function load(url: string): Promise<TaskFn> {
  const mod = (await import(url)) as { default?: unknown }
  if (typeof mod.default !== 'function') throw new TypeError(`Task module ${url} has no default export function`)
  const fn = mod.default as TaskFn
  modules.set(url, fn)
  return fn
}

// One context object for every task of this worker: `db` opens lazily, once per worker.
const context = {
  threadId,
  get db(): pgPromise.IDatabase<{}> {
    if (db) return db
    if (!data.databaseUrl) throw new Error('Cannot open a database in a worker: no DATABASE_URL in the settings')
    if (!pgp) throw new Error('Cannot open a database in a worker: pg-promise is not loaded')
    db = pgp({ connectionString: data.databaseUrl, max: data.databasePoolSize })
    report({ trefoil: 'db-opened', threadId })
    return db
  },
}

// pg-promise is imported up front only when there is a database to open, so that tasks that
// never touch it pay nothing, and `ctx.db` can stay a plain (synchronous) getter.
if (data.databaseUrl) {
  const pgPromiseModule = (await import('pg-promise')) as unknown as { default: (options?: object) => pgPromise.IMain }
  pgp = pgPromiseModule.default({ noWarnings: true })
}

interface CloseInput {
  /** An Int32Array over shared memory: [arrived] */
  barrier: SharedArrayBuffer
  workers: number
  timeoutMs: number
}

// Run once per worker at pool close: ends this worker's database pool, then holds the thread
// until every worker has arrived, so that the pool hands each worker exactly one close task.
async function closeWorkerDb(input: CloseInput): Promise<TaskReply> {
  if (pgp) pgp.end()
  db = undefined
  const arrived = new Int32Array(input.barrier)
  Atomics.add(arrived, 0, 1)
  const deadline = Date.now() + input.timeoutMs
  while (Atomics.load(arrived, 0) < input.workers && Date.now() < deadline) Atomics.wait(arrived, 0, Atomics.load(arrived, 0), 10)
  return threadId
}

/** An error as plain data, keeping its name, message, stack, `code` and simple own properties. */
export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: `Task threw a non-error value: ${String(error)}`, stack: undefined }
  const props: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(error)) {
    if (key !== 'code' && (value === null || ['string', 'number', 'boolean'].includes(typeof value))) props[key] = value
  }
  const serialized: SerializedError = { name: error.name, message: error.message, stack: error.stack }
  if ('code' in error) serialized.code = (error as { code: unknown }).code
  if (Object.keys(props).length > 0) serialized.props = props
  return serialized
}
