// What the main thread and the pool's workers say to each other. Kept apart from the runner,
// whose import has side effects meant for worker threads only.

/**
 * What the main thread posts for one task: a flat array, the cheapest shape to clone. The task
 * module is named by the pool's index for it, which workers look up in the pool's shared task
 * registry (see {@link registerTask}), so that a run does not pay for cloning a long URL.
 */
export type TaskRequest = [
  /** The pool's index of the task module ({@link CLOSE_TASK} for the close task). */
  task: number,
  input: unknown,
  /** The main thread's id of this run, to match `process.exit` reports. */
  id: number,
  /** The task module's URL, when the registry was full. */
  url?: string,
  /** 1: the run has a timeout, which starts when the worker reports the task started. */
  timed?: 1,
]

/** Bytes of a pool's task registry: some 600 task modules; past that, requests carry the URL. */
export const TASK_REGISTRY_BYTES = 64 * 1024

/**
 * Appends a task module's URL to the registry every worker of the pool shares: an Int32 count of
 * bytes written, then one URL per line, line n for index n. Append-only, and the count is
 * published after the bytes, so a worker never reads a torn line. False when it is full (the
 * caller then sends the URL with each request); from then on every append fails, keeping lines
 * and indexes aligned.
 */
export function registerTask(registry: SharedArrayBuffer, url: string): boolean {
  const header = new Int32Array(registry, 0, 1)
  const used = Atomics.load(header, 0)
  if (used < 0) return false
  const line = new TextEncoder().encode(`${url}\n`)
  if (4 + used + line.length > registry.byteLength) {
    Atomics.store(header, 0, -1 - used)
    return false
  }
  new Uint8Array(registry, 4 + used, line.length).set(line)
  Atomics.store(header, 0, used + line.length)
  return true
}

/** The URL registered for a task index, read in a worker (see {@link registerTask}). */
export function registeredTask(registry: SharedArrayBuffer, index: number): string | undefined {
  const header = new Int32Array(registry, 0, 1)
  const count = Atomics.load(header, 0)
  const used = count < 0 ? -1 - count : count
  // TextDecoder does not read shared memory: copy the bytes out first
  const text = new TextDecoder().decode(new Uint8Array(registry, 4, used).slice())
  return text.split('\n')[index - 1] || undefined
}

/** A task's error, as plain data (structured clone drops `code` and other own properties). */
export interface SerializedError {
  name: string
  message: string
  stack: string | undefined
  code?: unknown
  props?: Record<string, unknown>
}

/** The key marking a failed task's reply (a reply without it is the task's value). */
export const TASK_FAILED = '__trefoilTaskFailed'

/** What the worker answers: the task's value as is (no envelope to allocate and clone on the hot path), or its error under {@link TASK_FAILED}. */
export type TaskReply = unknown

/** A failed task's reply. */
export type TaskFailedReply = { [TASK_FAILED]: SerializedError }


/** Whether a reply is a failure. */
export function isFailedReply(reply: unknown): reply is TaskFailedReply {
  return typeof reply === 'object' && reply !== null && TASK_FAILED in reply
}

/** Messages a worker posts to the main thread outside of replies (via `parentPort`). */
export type WorkerReport =
  | { trefoil: 'exit'; id: number | undefined; task: string | undefined; code: number; stack: string | undefined }
  | { trefoil: 'late-error'; id: number | undefined; task: string | undefined; error: SerializedError }
  | { trefoil: 'db-opened'; threadId: number }
  | { trefoil: 'started'; id: number }

/** Data the pool gives every worker at creation. */
export interface RunnerData {
  trefoilRunner: string
  databaseUrl: string | undefined
  databasePoolSize: number
  /** The pool's task registry (see registerTask). */
  taskRegistry: SharedArrayBuffer
  /** Attribute uncaught errors to their task through AsyncLocalStorage (see WorkersOptions.trackTaskContext). */
  trackTaskContext: boolean
}

/** The index of the special task the pool runs once on every worker when it closes (see `closeWorkerDb`). */
export const CLOSE_TASK = 0

/**
 * Set by `serve()` in every process it forks: how many processes serve the app, so that each
 * one's default pool takes its share of the cores (see `defaultWorkerThreads`).
 */
export const PROCESSES_ENV = 'TREFOIL_PROCESSES'
