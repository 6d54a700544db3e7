// The worker pool: CPU-bound work off the event loop (the guide's `run_in_threadpool` and
// `ProcessPoolExecutor`), on piscina, with every way a task can fail turned into a rejection.
import { availableParallelism } from 'node:os'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { TransferListItem } from 'node:worker_threads'
import { Piscina } from 'piscina'
import type pgPromise from 'pg-promise'
import type { App } from '../core/app-api.js'
import type { AppView } from '../core/app-view.js'
import type { DatabaseHandle } from '../db/index.js'
import { depends, type Dependency } from '../core/depends.js'
import type { Logger } from '../logging.js'
import { ServiceUnavailable, type HttpError } from '../core/errors.js'
import { definePlugin, type Plugin } from '../core/plugin.js'
import { CLOSE_TASK, isFailedReply, PROCESSES_ENV, registerTask, TASK_FAILED, TASK_REGISTRY_BYTES, type RunnerData, type SerializedError, type TaskReply, type TaskRequest, type WorkerReport } from './protocol.js'
import { TrefoilError } from '../core/trefoil-error.js'

/** What a task receives besides its input, in its worker thread. */
export interface TaskContext {
  /** The worker thread's id. */
  readonly threadId: number
  /**
   * This worker's own pg-promise database, opened on first use from the pool's `DATABASE_URL`
   * (never the main thread's pool: the guide's rule, one connection per thread), closed with the
   * pool. Throws when the pool has no database URL.
   */
  readonly db: pgPromise.IDatabase<{}>
}

/** A task module's default export. */
export type TaskFunction<I = never, O = unknown> = (input: I, ctx: TaskContext) => O | Promise<O>

declare const TASK_TYPES: unique symbol

/** A reference to a task module, typed with its input and output (see {@link defineTask}). */
export interface Task<I = unknown, O = unknown> {
  readonly kind: 'task'
  /** The module's `file:` URL. */
  readonly url: string
  /** Phantom: input and output types, for inference only. */
  readonly [TASK_TYPES]?: { input: I; output: O }
}

/** Anything naming a task: a typed {@link Task}, a `file:` URL, or an absolute path. */
export type TaskSource<I = unknown, O = unknown> = Task<I, O> | URL | string

/** The shape of a task module, for {@link defineTask}'s type parameter. */
export interface TaskModule {
  default: (input: never, ctx: TaskContext) => unknown
}

/**
 * References a task module, typed from the module itself (a type-only import loads nothing).
 * Point at the `.js` name: tsx finds the `.ts` file in development, and the compiled file is
 * what exists in production.
 * @example
 * // src/projects/tasks.ts
 * export const splitArea = defineTask<typeof import('../split-area.js')>(new URL('./split-area.js', import.meta.url))
 * // in a handler
 * const cells = await runInWorker(app, splitArea, { area, cellMetres: 100 })
 */
export function defineTask<M extends TaskModule>(url: URL | string): Task<Parameters<M['default']>[0], Awaited<ReturnType<M['default']>>> {
  return Object.freeze({ kind: 'task' as const, url: toUrl(url) })
}

/** Options of one run. */
export interface RunOptions {
  /** Aborting rejects the task's promise and stops its worker (replaced at once). */
  signal?: AbortSignal
  /**
   * Rejects (and stops the worker) this long after the task was handed to a free worker; time
   * spent waiting in the queue does not count, so a quick task queued behind a slow one keeps its
   * whole budget (default: the pool's `timeoutMs`, none).
   */
  timeoutMs?: number
  /**
   * What a timeout rejects with instead of the {@link TaskError}: the route's own answer, e.g. a
   * 422 saying the input is too costly (default: the pool's `onTimeout`, else the TaskError, which
   * the workers plugin answers as 503 with `Retry-After`).
   */
  onTimeout?: (error: TaskError) => Error
  /** Buffers to move to the worker instead of copying. */
  transferList?: readonly TransferListItem[]
}

/**
 * How a task failed: `error` (it threw or rejected), `exit` (it called `process.exit`), `timeout`,
 * `aborted`, `crashed` (its worker died another way, or cannot start), `queue-full` (the pool's
 * `maxQueue` tasks were already waiting), `closed` (the pool was closed).
 */
export type TaskFailure = 'error' | 'exit' | 'timeout' | 'aborted' | 'crashed' | 'queue-full' | 'closed'

/**
 * A task's failure. For a thrown error it carries the task's name, message, stack, `code` and
 * simple own properties, as thrown in the worker.
 */
export class TaskError extends Error {
  /** How the task failed. */
  readonly reason: TaskFailure
  /** The task module's URL. */
  readonly task: string
  /** The error's own `code`, if the task's error had one. */
  readonly code: unknown
  /** The exit code, when the task called `process.exit`. */
  readonly exitCode: number | undefined

  constructor(reason: TaskFailure, task: string, message: string, options: { stack?: string | undefined; name?: string; code?: unknown; exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = options.name ?? 'TaskError'
    this.reason = reason
    this.task = task
    this.code = options.code
    this.exitCode = options.exitCode
    if (options.stack) this.stack = options.stack
  }
}

/** Pool utilisation, as counts since the pool started. */
export interface WorkerStats {
  /** Worker threads alive now. */
  size: number
  /** Tasks running on a worker now. */
  busy: number
  /** Tasks waiting for a free worker. */
  queued: number
  completed: number
  failed: number
  /** Errors tasks threw after they had replied (logged, their promise already settled). */
  lateErrors: number
  /** Share of the pool's capacity used since it started, 0 to 1 (piscina's figure). */
  utilization: number
}

/** A pool of worker threads created once; tasks run on it with {@link WorkerPool.run}. */
export interface WorkerPool {
  /** Runs a task module's default export on a worker; rejects with a {@link TaskError} on any failure. */
  run<I, O>(task: Task<I, O>, input: I, options?: RunOptions): Promise<O>
  run(task: URL | string, input?: unknown, options?: RunOptions): Promise<unknown>
  stats(): WorkerStats
  /** Lets running and queued tasks finish, closes the workers' databases, then stops the threads. */
  close(): Promise<void>
}

/** Options of {@link createWorkerPool} and {@link defineWorkers}. */
export interface WorkersOptions {
  /** Worker threads (default: the settings' `WORKER_THREADS`, else {@link defaultWorkerThreads}: cores − 1, shared out among `trefoil serve`'s processes). */
  size?: number
  /** Default timeout of every task, in ms (default: the settings' `WORKER_TIMEOUT_MS`, else none). */
  timeoutMs?: number
  /**
   * Most tasks waiting for a free worker; past it, `run` rejects at once with a `queue-full`
   * {@link TaskError}, which the workers plugin answers as 503 with `Retry-After` (default
   * {@link DEFAULT_MAX_QUEUE}; `Infinity` for unbounded).
   */
  maxQueue?: number
  /** What every timeout rejects with, unless a run gives its own (see {@link RunOptions.onTimeout}). */
  onTimeout?: (error: TaskError) => Error
  /** Where workers' `ctx.db` connects (default: the settings' `DATABASE_URL`); `false` for none. */
  databaseUrl?: string | false
  /** Connections of each worker's own database pool (default 2). */
  databasePoolSize?: number
  /** Register tsx in the workers (default: when trefoil itself or the app runs under tsx). */
  typescript?: boolean
  /**
   * How an idle worker waits for its next task (piscina's option). `sync` (default, fastest:
   * +25% throughput on tiny tasks here) blocks the idle thread, so timers a task left behind
   * only run while a later async task waits on that worker (a late error is reported then). `async` keeps
   * idle workers' event loops turning.
   */
  atomics?: 'sync' | 'async'
  /**
   * Attribute an uncaught error in a worker to the task whose callback threw it, through
   * AsyncLocalStorage (default true). Tracking costs CPU on every promise a worker makes (Node 20
   * promise hooks), so a worker turns it on with its first async task (an async function, or one
   * that returned a promise before): a worker that only runs synchronous tasks never pays, and a
   * synchronous task cannot be interrupted by another task's error anyway. An error from a
   * callback left behind before tracking began is reported naming the last task that ran
   * untracked. Without tracking, an uncaught error fails whichever task runs on that worker at
   * the time: with `atomics: 'sync'`, an error a task leaves behind after replying would fail the
   * next async task on that worker.
   */
  trackTaskContext?: boolean
  /** Where errors thrown after a task replied are logged (default: the app's log; else stderr). */
  log?: Logger
}

const CLOSE_BARRIER_TIMEOUT_MS = 5000

/** Tasks that may wait for a free worker by default: enough for a burst, bounded so a flood answers 503 instead of growing memory and latency. */
export const DEFAULT_MAX_QUEUE = 1000

/**
 * The pool size used when none is given: the cores this process may use, minus one for its own
 * event loop, at least 1. Under `trefoil serve --workers N` each of the N processes has a pool,
 * so each takes `floor(cores / N) − 1`; the default N (one process per core) gives one thread
 * each. `processes` defaults to what `serve()` told this process (`TREFOIL_PROCESSES`), else 1.
 * @example
 * defaultWorkerThreads(8, 1) // 7
 * defaultWorkerThreads(8, 2) // 3: two processes, each an event loop and 3 threads
 */
export function defaultWorkerThreads(cores: number = availableParallelism(), processes: number = servingProcesses()): number {
  return Math.max(1, Math.floor(cores / Math.max(1, processes)) - 1)
}

function servingProcesses(): number {
  const n = Number(process.env[PROCESSES_ENV])
  return Number.isInteger(n) && n > 0 ? n : 1
}
const EXITED = /^worker exited with code: (-?\d+)/

/**
 * Creates a pool of worker threads (the plugin made by {@link defineWorkers} does this for an app).
 * @example
 * const pool = createWorkerPool({ size: 2 })
 * const area = await pool.run(splitArea, { area, cellMetres: 100 }, { timeoutMs: 5000 })
 * await pool.close()
 */
export function createWorkerPool(options: WorkersOptions = {}): WorkerPool {
  const size = options.size ?? defaultWorkerThreads()
  if (!Number.isInteger(size) || size < 1) throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', `Cannot create a worker pool of size ${String(size)}: it must be an integer of at least 1`)
  const here = import.meta.url
  const fromSource = here.endsWith('.ts')
  const typescript = options.typescript ?? (fromSource || process.execArgv.some((arg) => /\btsx\b/.test(arg)))
  const runner = new URL(`./runner.${fromSource ? 'ts' : 'js'}`, here).href
  // the bootstrap is plain JS kept in src/ (shipped in the package), so dist/ finds it too
  const bootstrap = new URL(fromSource ? './bootstrap.mjs' : '../../src/workers/bootstrap.mjs', here).href
  const taskRegistry = new SharedArrayBuffer(TASK_REGISTRY_BYTES)
  const workerData: RunnerData = {
    trefoilRunner: runner,
    taskRegistry,
    databaseUrl: options.databaseUrl || undefined,
    databasePoolSize: options.databasePoolSize ?? 2,
    trackTaskContext: options.trackTaskContext ?? true,
  }
  const piscina = new Piscina<TaskRequest, TaskReply>({
    // a path, not a file: URL: piscina converts a URL back to a path on every run
    filename: fileURLToPath(typescript ? bootstrap : runner),
    workerData,
    minThreads: size,
    maxThreads: size,
    idleTimeout: Number.POSITIVE_INFINITY,
    // the pool keeps its own queue (see run): piscina only gets a task when a thread is free
    maxQueue: Number.POSITIVE_INFINITY,
    concurrentTasksPerWorker: 1,
    atomics: options.atomics ?? 'sync',
  })
  const log = options.log
  const exits = new Map<number, Extract<WorkerReport, { trefoil: 'exit' }>>()
  let settledAll: (() => void) | undefined
  let nextId = 0
  let inFlight = 0
  /** Tasks handed to piscina: at most `size`, so each starts on a free thread at once. */
  let running = 0
  /** Tasks waiting for a free thread, each a function that hands it over. */
  const waiting: Array<() => void> = []
  const maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE
  let completed = 0
  let failed = 0
  let lateErrors = 0
  let dbWorkers = 0
  let closing: Promise<void> | undefined
  let broken: Error | undefined
  /** Replies from workers (values or task errors): proof that workers can start. */
  let answered = 0

  /** Timed runs by id: each one's timer is armed when its worker reports that it started. */
  const deadlines = new Map<number, { ms: number; controller: AbortController; timer?: ReturnType<typeof setTimeout> }>()

  piscina.on('message', (message: WorkerReport) => {
    if (message.trefoil === 'started') {
      const deadline = deadlines.get(message.id)
      if (deadline && deadline.timer === undefined) deadline.timer = setTimeout(() => deadline.controller.abort(new DOMException('The task timed out', 'TimeoutError')), deadline.ms)
    } else if (message.trefoil === 'exit' && message.id !== undefined) exits.set(message.id, message)
    else if (message.trefoil === 'db-opened') dbWorkers++
    else if (message.trefoil === 'late-error') {
      lateErrors++
      const error = fromSerialized(message.error, message.task ?? 'unknown task')
      if (log) log.error({ err: error, task: message.task }, 'Task failed after it replied')
      else console.error('Task failed after it replied:', error)
    }
  })
  // piscina emits 'error' for a worker that died with no task on it; unheard, it would crash us.
  // Before any task ever finished, that is a worker that cannot start (the runner or tsx cannot
  // load): piscina then stops replacing workers and queued tasks would wait forever, so the pool
  // is marked broken and destroyed, which rejects them.
  piscina.on('error', (error: unknown) => {
    if (log) log.error({ err: error }, 'Worker thread failed')
    else console.error('Worker thread failed:', error)
    if (answered === 0 && !broken) {
      broken = error instanceof Error ? error : new Error(String(error))
      void piscina.destroy()
    }
  })

  /** The pool's index of each task module (see TaskRequest; 0 is the close task), negative when the registry was full. */
  const taskIndexes = new Map<string, number>()
  const indexOf = (url: string): number => {
    let index = taskIndexes.get(url)
    if (index === undefined) {
      index = taskIndexes.size + 1
      if (!registerTask(taskRegistry, url)) index = -index
      taskIndexes.set(url, index)
    }
    return index
  }

  // The hot path, kept to one promise chain: no async function, no options object for piscina
  // unless there is a signal or a transfer list.
  function run(task: TaskSource, input?: unknown, runOptions?: RunOptions): Promise<unknown> {
    let url: string
    try {
      url = typeof task === 'object' && 'kind' in task ? task.url : toUrl(task)
    } catch (error) {
      return Promise.reject(error)
    }
    if (closing) return Promise.reject(new TaskError('closed', url, `Cannot run task ${url}: the worker pool is closed`))
    if (broken) return Promise.reject(new TaskError('crashed', url, `Cannot run task ${url}: the pool's workers cannot start: ${broken.message}`, { cause: broken }))
    if (running < size) {
      inFlight++
      return start(url, input, runOptions)
    }
    if (waiting.length >= maxQueue) return Promise.reject(new TaskError('queue-full', url, `Cannot run task ${url}: ${maxQueue} tasks are already waiting for a worker`))
    const userSignal = runOptions?.signal
    if (userSignal?.aborted) return Promise.reject(new TaskError('aborted', url, `Task ${url} was aborted`, { cause: userSignal.reason }))
    inFlight++
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const at = waiting.indexOf(handOver)
        if (at >= 0) waiting.splice(at, 1)
        failed++
        settle()
        reject(new TaskError('aborted', url, `Task ${url} was aborted`, { cause: userSignal?.reason }))
      }
      const handOver = (): void => {
        userSignal?.removeEventListener('abort', onAbort)
        start(url, input, runOptions).then(resolve, reject)
      }
      userSignal?.addEventListener('abort', onAbort, { once: true })
      waiting.push(handOver)
    })
  }

  // A task's timeout counts from when its worker starts it (reported by the worker), not while it
  // was queued, and not while a thread that replaces a timed-out one boots.
  function start(url: string, input: unknown, runOptions: RunOptions | undefined): Promise<unknown> {
    running++
    const id = ++nextId
    const timeoutMs = runOptions?.timeoutMs ?? options.timeoutMs
    let timeout: AbortSignal | undefined
    if (timeoutMs !== undefined) {
      const controller = new AbortController()
      deadlines.set(id, { ms: timeoutMs, controller })
      timeout = controller.signal
    }
    const userSignal = runOptions?.signal
    const signal = timeout && userSignal ? AbortSignal.any([userSignal, timeout]) : (timeout ?? userSignal)
    const transferList = runOptions?.transferList as TransferListItem[] | undefined
    const index = indexOf(url)
    const request: TaskRequest = timeout ? (index > 0 ? [index, input, id, undefined, 1] : [-index, input, id, url, 1]) : index > 0 ? [index, input, id] : [-index, input, id, url]
    const pending = signal || transferList ? piscina.run(request, { signal: signal ?? null, transferList }) : piscina.run(request)
    return pending.then(
      (reply) => {
        done(id)
        answered++
        if (isFailedReply(reply)) {
          failed++
          throw fromSerialized(reply[TASK_FAILED], url)
        }
        completed++
        return reply
      },
      async (error: unknown) => {
        failed++
        try {
          const failure = await translate(error, id, url, timeout, timeoutMs, userSignal)
          const onTimeout = runOptions?.onTimeout ?? options.onTimeout
          throw failure.reason === 'timeout' && onTimeout ? onTimeout(failure) : failure
        } finally {
          done(id)
        }
      },
    )
  }

  function done(id: number): void {
    const deadline = deadlines.get(id)
    if (deadline) {
      clearTimeout(deadline.timer)
      deadlines.delete(id)
    }
    running--
    exits.delete(id)
    settle()
    waiting.shift()?.()
  }

  function settle(): void {
    inFlight--
    if (inFlight === 0) settledAll?.()
  }

  async function translate(error: unknown, id: number, url: string, timeout: AbortSignal | undefined, timeoutMs: number | undefined, signal: AbortSignal | undefined): Promise<TaskError> {
    const err = error as Error
    if (err?.name === 'AbortError') {
      if (timeout?.aborted) return new TaskError('timeout', url, `Task ${url} timed out after ${timeoutMs} ms`)
      return new TaskError('aborted', url, `Task ${url} was aborted`, { cause: signal?.reason })
    }
    const exited = EXITED.exec(err?.message ?? '')
    if (exited) {
      // the worker posts its exit report before it stops; give a late delivery one more turn
      if (!exits.has(id)) await new Promise((resolve) => setImmediate(resolve))
      const report = exits.get(id)
      if (report) return new TaskError('exit', url, `Task called process.exit(${report.code})`, { stack: report.stack, exitCode: report.code })
      return new TaskError('crashed', url, `Task ${url} stopped: its worker exited with code ${exited[1]}`, { exitCode: Number(exited[1]) })
    }
    if (broken) return new TaskError('crashed', url, `Task ${url} did not run: the pool's workers cannot start: ${broken.message}`, { cause: broken })
    return new TaskError('crashed', url, `Task ${url} failed: ${err?.message ?? String(error)}`, { stack: err?.stack, cause: error })
  }

  async function closePool(): Promise<void> {
    if (inFlight > 0) await new Promise<void>((resolve) => (settledAll = resolve))
    if (dbWorkers > 0) {
      // one close task per worker; each holds its thread until all arrived (see worker-runner)
      const workers = piscina.threads.length
      const barrier = new SharedArrayBuffer(4)
      await Promise.allSettled(Array.from({ length: workers }, () => piscina.run([CLOSE_TASK, { barrier, workers, timeoutMs: CLOSE_BARRIER_TIMEOUT_MS }, 0] satisfies TaskRequest)))
    }
    await piscina.destroy()
  }

  return {
    run: run as WorkerPool['run'],
    stats() {
      const queued = waiting.length + piscina.queueSize
      return { size: piscina.threads.length, busy: inFlight - queued, queued, completed, failed, lateErrors, utilization: piscina.utilization }
    },
    close() {
      closing ??= closePool()
      return closing
    },
  }
}

/** A task error rebuilt in the main thread from what the worker sent. */
function fromSerialized(serialized: SerializedError, url: string): TaskError {
  const error = new TaskError('error', url, serialized.message, { name: serialized.name, stack: serialized.stack, code: serialized.code })
  if (serialized.props) {
    for (const [key, value] of Object.entries(serialized.props)) if (!(key in error)) Object.defineProperty(error, key, { value, enumerable: true })
  }
  return error
}

function toUrl(source: URL | string): string {
  if (source instanceof URL) return source.href
  if (source.startsWith('file:')) return source
  if (source.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(source)) return pathToFileURL(source).href
  throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', `Cannot use task "${source}": give a file URL (new URL('./task.js', import.meta.url)) or an absolute path`)
}

const pools = new WeakMap<object, WorkerPool>()

/** A plugin whose value is the app's {@link WorkerPool}. */
export type WorkersPlugin = Plugin<WorkerPool>

/**
 * The worker pool as a plugin (name `workers`): created at start-up, closed when the app closes
 * (after running tasks finish). Size, timeout and database URL default to the app's settings
 * `WORKER_THREADS` (else {@link defaultWorkerThreads}), `WORKER_TIMEOUT_MS` and `DATABASE_URL`; pass `database` (the database plugin,
 * listed before this one) to give workers' `ctx.db` its connection, embedded server included.
 * @example
 * export const workersPlugin = defineWorkers({ timeoutMs: 30_000 })
 * export const app = createApp({ settings, plugins: [databasePlugin, workersPlugin, projects] })
 */
export function defineWorkers(options: WorkersOptions & { database?: Plugin<DatabaseHandle> } = {}): WorkersPlugin {
  const { database, ...poolOptions } = options
  return definePlugin<WorkerPool>({
    name: 'workers',
    requires: database ? [database.name] : [],
    setup(app) {
      const settings = (app.settings ?? {}) as { WORKER_THREADS?: number; WORKER_TIMEOUT_MS?: number; DATABASE_URL?: string }
      // the database plugin knows the real URL, also of the embedded server the settings never name
      const databaseUrl = options.databaseUrl ?? (database ? app.plugin(database).connectionString : settings.DATABASE_URL)
      const pool = createWorkerPool({
        ...poolOptions,
        size: options.size ?? settings.WORKER_THREADS,
        timeoutMs: options.timeoutMs ?? settings.WORKER_TIMEOUT_MS,
        databaseUrl,
        log: options.log ?? app.log,
      })
      pools.set(app, pool)
      app.mapError(busyWorkers)
      return {
        value: pool,
        close: async () => {
          pools.delete(app)
          await pool.close()
        },
      }
    },
  })
}

/** Seconds a client is asked to wait when the pool is saturated: a task or two's time. */
const BUSY_RETRY_AFTER_SECONDS = 5

/**
 * A saturated pool is the server's condition, not the client's fault and not a crash: a full
 * queue, a timeout no route translated and a closing pool answer 503 with `Retry-After`.
 */
function busyWorkers(error: unknown): HttpError | undefined {
  if (!(error instanceof TaskError)) return undefined
  const headers = { 'Retry-After': String(BUSY_RETRY_AFTER_SECONDS) }
  if (error.reason === 'queue-full') return new ServiceUnavailable('The server is busy: too many requests are waiting for a worker; try again shortly', { cause: error, headers, code: 'workers_busy' })
  if (error.reason === 'timeout') return new ServiceUnavailable('The server could not finish this work in time; try again shortly', { cause: error, headers, code: 'task_timeout' })
  if (error.reason === 'closed') return new ServiceUnavailable('The server is shutting down', { cause: error, headers, code: 'shutting_down' })
  return undefined
}

function poolOf(source: AppView<unknown> | WorkerPool): WorkerPool {
  if ('run' in source && 'stats' in source) return source
  const pool = pools.get(source)
  if (!pool) throw new TrefoilError('TREFOIL_PLUGIN_NOT_SET_UP', 'Cannot run a task: this app has no worker pool (list defineWorkers() in createApp({ plugins }))')
  return pool
}

/**
 * Runs a task on the app's (or a given) worker pool; see {@link WorkerPool.run}.
 * @example
 * r.post('/:projectId/split', { body: SplitIn, use: { project } }, ({ app, body }) =>
 *   runInWorker(app, splitArea, { area: body.area, cellMetres: 100 }, { timeoutMs: 10_000 }))
 */
export function runInWorker<I, O>(source: AppView<unknown> | WorkerPool, task: Task<I, O>, input: I, options?: RunOptions): Promise<O>
export function runInWorker(source: AppView<unknown> | WorkerPool, task: URL | string, input?: unknown, options?: RunOptions): Promise<unknown>
export function runInWorker(source: AppView<unknown> | WorkerPool, task: TaskSource, input?: unknown, options?: RunOptions): Promise<unknown> {
  return poolOf(source).run(task as URL, input, options)
}

/**
 * The app's worker pool as a dependency.
 * @example r.post('/', { use: { workers } }, ({ workers, body }) => workers.run(splitArea, body))
 */
export const workers: Dependency<WorkerPool> = depends({ name: 'workers' }, ({ app }) => poolOf(app))


export { mapConcurrent, settleConcurrent, BatchError, type BatchFailure, type MapConcurrentOptions } from './batch.js'
export { defineLoopMonitor, type LoopMonitor, type LoopMonitorOptions, type LoopStats } from './loop-monitor.js'
export { serve, type ServeOptions, type Serving } from './serve.js'
