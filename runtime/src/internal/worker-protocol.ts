// What the main thread and the pool's workers say to each other. Kept apart from the runner,
// whose import has side effects meant for worker threads only.

/** What the main thread posts for one task. */
export interface TaskRequest {
  /** The task module's URL. */
  task: string
  input: unknown
  /** The main thread's id of this run, to match `process.exit` reports. */
  id: number
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

/** Data the pool gives every worker at creation. */
export interface RunnerData {
  trefoilRunner: string
  databaseUrl: string | undefined
  databasePoolSize: number
  /** Attribute uncaught errors to their task through AsyncLocalStorage (see WorkersOptions.trackTaskContext). */
  trackTaskContext: boolean
}

/** The special task the pool runs once on every worker when it closes (see `closeWorkerDb`). */
export const CLOSE_TASK = 'trefoil:close'

/**
 * Set by `serve()` in every process it forks: how many processes serve the app, so that each
 * one's default pool takes its share of the cores (see `defaultWorkerThreads`).
 */
export const PROCESSES_ENV = 'TREFOIL_PROCESSES'
