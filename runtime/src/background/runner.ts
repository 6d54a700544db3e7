// Runs an app's background tasks in its own process: bounded concurrency, every failure logged
// (never thrown), tracked tasks' status written to PostgreSQL, and a close that waits for what is
// running up to a grace period, then tells the tasks to stop and records them as interrupted.
import { randomUUID } from 'node:crypto'
import type { Logger } from '../logging.js'
import type { BackgroundStore } from './store.js'
import { TrefoilError } from '../core/trefoil-error.js'

/** What a tracked task receives besides `progress`. */
export interface TrackedTaskInfo {
  /** The task's id (the one its status is polled by). */
  readonly id: string
  /** Aborted when the app closes and the grace period is over: stop soon. */
  readonly signal: AbortSignal
}

/** Reports progress: a percentage from 0 to 100 (rounded, clamped); writes are throttled. */
export type ReportProgress = (percent: number) => void

/** A tracked task's body. Its return value (JSON) becomes the status's `result`. */
export type TrackedTask = (progress: ReportProgress, task: TrackedTaskInfo) => unknown

/** Where a task came from, for its log lines. */
export interface TaskOrigin {
  route?: string | undefined
  requestId?: string | undefined
}

/** Tuning of a runner. */
export interface RunnerOptions {
  concurrency: number
  progressIntervalMs: number
  heartbeatMs: number
}

interface QueuedTask {
  label: string
  origin: TaskOrigin
  tracked: string | undefined
  body: (signal: AbortSignal) => unknown
  progress: ProgressWriter | undefined
}

export const INTERRUPTED_MESSAGE = 'Interrupted: the app closed before the task finished'

/** One app's background tasks. */
export class BackgroundRunner {
  private readonly queue: QueuedTask[] = []
  private readonly active = new Set<Promise<void>>()
  /** Tracked ids of this process that have not finished (heart-beaten, failed at a hard close). */
  private readonly unfinished = new Set<string>()
  private readonly abort = new AbortController()
  private running = 0
  private closed = false
  private heartbeat: NodeJS.Timeout | undefined
  private idle: (() => void) | undefined

  constructor(
    private readonly log: Logger,
    private readonly store: BackgroundStore | undefined,
    private readonly options: RunnerOptions,
  ) {
    if (store) {
      this.heartbeat = setInterval(() => {
        store.heartbeat([...this.unfinished]).catch((error: unknown) => log.warn({ err: error }, 'Background task heartbeat failed'))
      }, options.heartbeatMs)
      this.heartbeat.unref()
    }
  }

  /** Tasks running or waiting now. */
  get size(): number {
    return this.running + this.queue.length
  }

  /** Queues an untracked task. */
  run(label: string, origin: TaskOrigin, body: () => unknown): void {
    if (this.refuse(label, origin)) return
    this.queue.push({ label, origin, tracked: undefined, body, progress: undefined })
    this.pump()
  }

  /** Records a pending task and returns its id; `start` (called later, or now) queues it. */
  async register(name: string): Promise<string> {
    if (this.closed) throw new TrefoilError('TREFOIL_APP_CLOSED', `Cannot track background task "${name}": the app is closed`)
    if (!this.store) throw new TrefoilError('TREFOIL_DATABASE_NOT_CONFIGURED', `Cannot track background task "${name}": defineBackground() was given no database, and a status must live in PostgreSQL`)
    const id = randomUUID()
    await this.store.insert(id, name)
    this.unfinished.add(id)
    return id
  }

  /** Queues a registered task. */
  start(id: string, name: string, origin: TaskOrigin, body: TrackedTask): void {
    if (this.refuse(name, origin)) {
      void this.finish(id, 'failed', INTERRUPTED_MESSAGE)
      return
    }
    const progress = new ProgressWriter(id, this.store!, this.log, this.options.progressIntervalMs)
    const signal = this.abort.signal
    this.queue.push({ label: name, origin, tracked: id, progress, body: () => body(progress.report, { id, signal }) })
    this.pump()
  }

  /** A registered task that will never run (its request failed). */
  cancel(id: string, message: string): void {
    void this.finish(id, 'failed', message)
  }

  /**
   * Stops taking tasks, waits for running and queued ones up to `graceMs`, then aborts the rest
   * and records tracked ones as interrupted. Resolves when nothing of this runner is left.
   */
  async close(graceMs: number): Promise<{ interrupted: number }> {
    this.closed = true
    clearInterval(this.heartbeat)
    if (this.size > 0) {
      let timer: NodeJS.Timeout | undefined
      const settled = new Promise<void>((resolve) => (this.idle = resolve))
      const late = await Promise.race([settled.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs)))])
      clearTimeout(timer)
      if (late) {
        this.abort.abort(new Error(INTERRUPTED_MESSAGE))
        const dropped = this.queue.splice(0)
        const ids = [...this.unfinished]
        this.log.warn({ running: this.running, queued: dropped.length, graceMs }, 'Background tasks still running after the grace period: interrupted')
        await Promise.all(ids.map((id) => this.finish(id, 'failed', INTERRUPTED_MESSAGE)))
        return { interrupted: ids.length + dropped.filter((t) => !t.tracked).length }
      }
    }
    return { interrupted: 0 }
  }

  private refuse(label: string, origin: TaskOrigin): boolean {
    if (!this.closed) return false
    this.log.error({ task: label, ...origin }, 'Background task dropped: the app is closed')
    return true
  }

  private pump(): void {
    while (this.running < this.options.concurrency && this.queue.length > 0) {
      const task = this.queue.shift()!
      this.running++
      const done: Promise<void> = this.execute(task).finally(() => {
        this.running--
        this.active.delete(done)
        this.pump()
        if (this.size === 0) this.idle?.()
      })
      this.active.add(done)
    }
  }

  private async execute(task: QueuedTask): Promise<void> {
    const { tracked: id } = task
    if (id) await this.write(id, () => this.store!.started(id))
    try {
      const result = await task.body(this.abort.signal)
      if (id) {
        await task.progress!.flush()
        await this.finish(id, 'done', jsonOrNull(result))
      }
    } catch (error) {
      this.log.error({ err: error, task: task.label, ...(id ? { id } : {}), ...task.origin }, 'Background task failed')
      if (id) {
        await task.progress!.flush()
        await this.finish(id, 'failed', messageOf(error))
      }
    }
  }

  private async finish(id: string, status: 'done' | 'failed', detail: string | null): Promise<void> {
    // already recorded (a hard close got there first): the first outcome written stands
    if (!this.unfinished.delete(id)) return
    await this.write(id, () => (status === 'done' ? this.store!.done(id, detail) : this.store!.failed(id, detail ?? 'Failed')))
  }

  private async write(id: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn()
    } catch (error) {
      this.log.error({ err: error, id }, 'Cannot record a background task status')
    }
  }
}

/** Progress of one task: the latest value is written at most once per interval, then flushed. */
class ProgressWriter {
  private latest: number | undefined
  private written: number | undefined
  private lastWrite = 0
  private timer: NodeJS.Timeout | undefined
  private chain: Promise<void> = Promise.resolve()

  constructor(
    private readonly id: string,
    private readonly store: BackgroundStore,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  readonly report: ReportProgress = (percent) => {
    if (typeof percent !== 'number' || Number.isNaN(percent)) return
    this.latest = Math.min(100, Math.max(0, Math.round(percent)))
    if (this.timer) return
    const wait = this.lastWrite + this.intervalMs - Date.now()
    if (wait <= 0) this.write()
    else this.timer = setTimeout(() => this.write(), wait)
  }

  /** Writes what is left; the final status goes after it. */
  async flush(): Promise<void> {
    if (this.timer) this.write()
    await this.chain
  }

  private write(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    const value = this.latest
    if (value === undefined || value === this.written) return
    this.written = value
    this.lastWrite = Date.now()
    this.chain = this.chain
      .then(() => this.store.progress(this.id, value))
      .catch((error: unknown) => this.log.warn({ err: error, id: this.id }, 'Cannot record background task progress'))
  }
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message || (error instanceof Error ? error.name : 'Failed')
}

function jsonOrNull(value: unknown): string | null {
  if (value === undefined) return null
  try {
    return JSON.stringify(value) ?? null
  } catch {
    return null
  }
}
