// The code each pool worker runs around a task: loads the task module once, calls its default
// export, and turns every way a task can fail (a throw, an error after it replied, an unhandled
// rejection, `process.exit`) into a report the main thread can attribute to the right task.
import { AsyncLocalStorage } from 'node:async_hooks'
import { isMainThread, parentPort, threadId, workerData } from 'node:worker_threads'
import type pgPromise from 'pg-promise'

import { CLOSE_TASK, registeredTask, TASK_FAILED, type RunnerData, type SerializedError, type TaskReply, type TaskRequest, type WorkerReport } from './protocol.js'
import { TrefoilError } from '../core/trefoil-error.js'

if (isMainThread) throw new Error('worker-runner is loaded by the worker pool in its threads, never imported')

interface Running {
  id: number
  task: string
  replied: boolean
  /** Whether it runs inside the async context, so that the callbacks it creates carry it. */
  tracked: boolean
  fail: (error: unknown) => void
}

type TaskFn = (input: unknown, ctx: unknown) => unknown

interface Loaded {
  url: string
  fn: TaskFn
  /** Known to answer with a promise (an async function, or it returned one before): runs tracked. */
  async: boolean
}

const data = workerData as RunnerData
const current = new AsyncLocalStorage<Running>()
/** Task modules by the pool's index for them. */
const modules: (Loaded | undefined)[] = []
const AsyncFunction = (async () => {}).constructor
let db: pgPromise.IDatabase<{}> | undefined
let pgp: pgPromise.IMain | undefined

// Context tracking costs on every promise this thread makes once AsyncLocalStorage is used (Node
// 20 installs promise hooks): +10–20% CPU on a no-op task, piscina's own promises included. Only
// an async task can be interrupted by an uncaught error, so a worker turns tracking on with its
// first async task; a worker that only ever runs synchronous tasks never pays for it.
let tracking = false
/** The task running now, until it replies (one task at a time per worker). */
let runningNow: Running | undefined
/** The last task started, and the last one started outside the async context. */
let lastRunning: Running | undefined
let lastUntracked: Running | undefined

const report = (message: WorkerReport): void => parentPort?.postMessage(message)

// `process.exit()` in a worker ends only this thread: let it, but first tell the main thread
// which task did it and from where, so its promise rejects with that instead of a bare exit code.
const realExit = process.exit.bind(process)
process.exit = function exitFromTask(code?: number | string | null): never {
  const running = (tracking ? current.getStore() : undefined) ?? runningNow ?? lastRunning
  const exitCode = typeof code === 'number' ? code : Number(code ?? process.exitCode ?? 0) || 0
  const stack = new Error(`Task called process.exit(${exitCode})`).stack?.replace(/\n\s+at (?:process\.)?exitFromTask[^\n]*/, '')
  report({ trefoil: 'exit', id: running?.id, task: running?.task, code: exitCode, stack })
  return realExit(exitCode)
} as typeof process.exit

/**
 * The task an uncaught error comes from. Inside the async context, the task whose callback threw.
 * Outside it: the running task if it runs untracked too (its callbacks carry no context), else a
 * task that ran before tracking began and left a callback behind; named as the last such task,
 * which is a guess when several ran. Without tracking at all (the `trackTaskContext: false`
 * option), the task running now, else the last one.
 */
function originOf(): Running | undefined {
  if (!data.trackTaskContext) return runningNow ?? lastRunning
  const store = tracking ? current.getStore() : undefined
  if (store) return store
  if (runningNow && !runningNow.tracked) return runningNow
  return lastUntracked
}

// An uncaught error belongs to the task it comes from (see originOf). While that task still
// runs, it fails the task; once the task has replied, it is reported and the worker lives on
// (the default would kill the worker, and with it whichever innocent task runs there next).
// A synchronous task is never interrupted: uncaught errors are dispatched only while the event
// loop turns, that is while an async task waits, or between tasks.
function onUncaught(error: unknown): void {
  const origin = originOf()
  if (origin && !origin.replied) origin.fail(error)
  else report({ trefoil: 'late-error', id: origin?.id, task: origin?.task, error: serializeError(error) })
}
process.on('uncaughtException', onUncaught)
process.on('unhandledRejection', onUncaught)

/**
 * Runs one task; never throws, so that piscina's own error path stays for real crashes. A
 * synchronous task is answered synchronously: no promise of ours on the hot path.
 */
export default function runTask(request: TaskRequest): TaskReply | Promise<TaskReply> {
  // a timed run's clock starts now, not while a replacement thread was still booting
  if (request[4] === 1) report({ trefoil: 'started', id: request[2] })
  const loaded = modules[request[0]]
  if (loaded === undefined) return firstRun(request)
  if (loaded.async && !tracking && data.trackTaskContext) tracking = true
  const running: Running = { id: request[2], task: loaded.url, replied: false, tracked: tracking, fail: noop }
  runningNow = running
  lastRunning = running
  if (tracking) return current.run(running, invoke, loaded, request[1], running)
  lastUntracked = running
  return invoke(loaded, request[1], running)
}

/** A task index this worker has not loaded yet: the close task, or a module to load. */
function firstRun(request: TaskRequest): TaskReply | Promise<TaskReply> {
  const [index, input, , url = registeredTask(data.taskRegistry, index)] = request
  if (index === CLOSE_TASK) return closeWorkerDb(input as CloseInput)
  if (url === undefined) return failedReply(new Error(`Task index ${index} is not in the pool's task registry`))
  return load(index, url).then(() => runTask(request), failedReply)
}

function invoke(loaded: Loaded, input: unknown, running: Running): TaskReply | Promise<TaskReply> {
  let value: unknown
  try {
    value = loaded.fn(input, context)
  } catch (error) {
    return replied(running, failedReply(error))
  }
  if (!isThenable(value)) return replied(running, value)
  // its next runs start tracked
  loaded.async = true
  // an async task may still fail from a callback it started (see onUncaught): whichever comes
  // first, its own settlement or such an error, answers
  const pending = value
  return new Promise<TaskReply>((resolve) => {
    const settle = (reply: TaskReply): void => {
      if (!running.replied) resolve(replied(running, reply))
    }
    running.fail = (error) => settle(failedReply(error))
    pending.then(settle, running.fail)
  })
}

function replied(running: Running, reply: TaskReply): TaskReply {
  running.replied = true
  if (runningNow === running) runningNow = undefined
  return reply
}

function failedReply(error: unknown): TaskReply {
  return { [TASK_FAILED]: serializeError(error) }
}

function noop(): void {}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function'
}

async function load(index: number, url: string): Promise<void> {
  const mod = (await import(url)) as { default?: unknown }
  if (typeof mod.default !== 'function') throw new TrefoilError('TREFOIL_TASK_INVALID', `Task module ${url} has no default export function`)
  modules[index] = { url, fn: mod.default as TaskFn, async: mod.default instanceof AsyncFunction }
}

// One context object for every task of this worker: `db` opens lazily, once per worker.
const context = {
  threadId,
  get db(): pgPromise.IDatabase<{}> {
    if (db) return db
    if (!data.databaseUrl) throw new TrefoilError('TREFOIL_DATABASE_NOT_CONFIGURED', 'Cannot open a database in a worker: no DATABASE_URL in the settings')
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
