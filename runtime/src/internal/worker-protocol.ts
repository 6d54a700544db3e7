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

/** What the worker answers: the value, or the error the task failed with. */
export type TaskReply = { ok: true; value: unknown } | { ok: false; error: SerializedError }

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
}

/** The special task the pool runs once on every worker when it closes (see `closeWorkerDb`). */
export const CLOSE_TASK = 'trefoil:close'
