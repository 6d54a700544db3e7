// Background tasks (the guide's FastAPI `BackgroundTasks`, with polling for completion): work a
// handler schedules to run after its response is sent, in the same process. Tracked tasks keep
// their status (pending → running → done / failed, progress) in PostgreSQL, so any process of
// any machine on the same database answers the poll.
import { hostname } from 'node:os'
import t from 'typebox'
import type { App } from '../core/app-api.js'
import type { DatabaseHandle } from '../db/index.js'
import { depends, type Dependency, type UseMap } from '../core/depends.js'
import { NotFound } from '../core/errors.js'
import { BackgroundRunner, type ReportProgress, type TrackedTask, type TrackedTaskInfo } from './runner.js'
import { BackgroundStore, type BackgroundStatus, type BackgroundTaskRow } from './store.js'
import { named } from '../openapi/index.js'
import { definePlugin, type Plugin } from '../core/plugin.js'
import { TrefoilError } from '../core/trefoil-error.js'

export type { ReportProgress, TrackedTask, TrackedTaskInfo, BackgroundStatus, BackgroundTaskRow }
export { BACKGROUND_TABLE } from './store.js'

/** Options of {@link defineBackground}. */
export interface BackgroundOptions {
  /**
   * The database plugin (`defineDatabase().plugin`) where tracked tasks keep their status. Without
   * it only untracked tasks work (`background(fn)`); `track` throws.
   */
  database?: Plugin<DatabaseHandle>
  /** How long `app.close()` waits for running and queued tasks, in ms (default 8000; keep it below `trefoil serve --grace`). */
  graceMs?: number
  /** Tasks running at once in this process (default 16); the rest wait, `pending`. */
  concurrency?: number
  /** Shortest time between two progress writes of one task, in ms (default 500). */
  progressIntervalMs?: number
  /** How often this process marks its unfinished tasks alive, in ms (default 5000). */
  heartbeatMs?: number
  /** An unfinished task whose process has not marked it alive for this long is failed as lost, in ms (default 30 000). */
  staleAfterMs?: number
  /** Finished tasks are deleted after this long, in ms (default 7 days). */
  keepForMs?: number
  /**
   * The status route: `GET <path>/:id` (default path `/v1/background-tasks`), with dependencies
   * it runs first (auth); `false` for none (mount {@link BackgroundTasksHandle.status} yourself).
   */
  route?: false | { path?: string; use?: UseMap; tags?: string[] }
}

/** What the plugin provides (`app.plugin(backgroundPlugin)`): tasks outside a request, and status reads. */
export interface BackgroundTasksHandle {
  /** Runs `fn` now, in the background (outside a request there is no response to wait for). */
  run(label: string, fn: () => unknown): void
  /** Records a tracked task and runs it now; resolves to its id once the `pending` row exists. */
  track(name: string, fn: TrackedTask): Promise<string>
  /** A task's status, or null for an unknown id. */
  status(id: string): Promise<BackgroundTaskRow | null>
  /** Tasks running or waiting in this process now. */
  readonly size: number
}

/**
 * What the {@link background} dependency gives a handler: call it with a function to run after
 * the response is sent (FastAPI's `background_tasks.add_task`).
 */
export interface BackgroundTasks {
  /** Runs `fn(...args)` after the response is sent; a failure is logged with the route, never thrown. */
  <A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): void
  /**
   * Records a task (`pending`) and runs it after the response is sent; resolves to the id its
   * status is polled by. If the request fails, the task does not run and is recorded as failed.
   */
  track(name: string, fn: TrackedTask): Promise<string>
}

const DEFAULTS = { graceMs: 8000, concurrency: 16, progressIntervalMs: 500, heartbeatMs: 5000, staleAfterMs: 30_000, keepForMs: 7 * 24 * 3600_000 }
const DEFAULT_PATH = '/v1/background-tasks'
const SWEEP_EVERY_MS = 60_000

/** A task's status as the status route answers it (`BackgroundTaskStatus` in the OpenAPI document). */
export const BackgroundTaskStatus = named('BackgroundTaskStatus', t.Object({
  id: t.String({ format: 'uuid' }),
  name: t.String(),
  status: t.Union([t.Literal('pending'), t.Literal('running'), t.Literal('done'), t.Literal('failed')]),
  progress: t.Union([t.Integer({ minimum: 0, maximum: 100 }), t.Null()]),
  message: t.Union([t.String(), t.Null()]),
  result: t.Unknown(),
  createdAt: t.String({ format: 'date-time' }),
  startedAt: t.Union([t.String({ format: 'date-time' }), t.Null()]),
  finishedAt: t.Union([t.String({ format: 'date-time' }), t.Null()]),
}))

const runners = new WeakMap<object, BackgroundRunner>()

/**
 * The background-task plugin (name `background`). With a database it creates its status table at
 * start-up (idempotent, safe from many processes at once), fails tasks whose process died, and
 * serves `GET /v1/background-tasks/:id`. `app.close()` waits for running tasks up to `graceMs`.
 * @example
 * export const backgroundPlugin = defineBackground({ database: databasePlugin })
 * export const app = createApp({ plugins: [databasePlugin, backgroundPlugin, projects] })
 */
export function defineBackground(options: BackgroundOptions = {}): Plugin<BackgroundTasksHandle> {
  const settings = { ...DEFAULTS, ...definedOnly(options) }
  for (const key of ['graceMs', 'concurrency', 'progressIntervalMs', 'heartbeatMs', 'staleAfterMs', 'keepForMs'] as const) {
    const value = settings[key]
    if (typeof value !== 'number' || !(value >= (key === 'concurrency' ? 1 : 0))) throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', `Invalid background option ${key}: expected a number of at least ${key === 'concurrency' ? 1 : 0}, got ${String(value)}`)
  }
  return definePlugin<BackgroundTasksHandle>({
    name: 'background',
    requires: options.database ? [options.database.name] : [],
    async setup(app) {
      const store = options.database ? new BackgroundStore(app.plugin(options.database).db, `${hostname()}:${process.pid}`) : undefined
      if (store) {
        await store.migrate()
        await sweep(app, store, settings.staleAfterMs, settings.keepForMs)
      }
      const runner = new BackgroundRunner(app.log, store, settings)
      runners.set(app, runner)
      const sweeper = store ? setInterval(() => void sweep(app, store, settings.staleAfterMs, settings.keepForMs), SWEEP_EVERY_MS) : undefined
      sweeper?.unref()
      const handle: BackgroundTasksHandle = {
        run: (label, fn) => runner.run(label, {}, fn),
        async track(name, fn) {
          const id = await runner.register(name)
          runner.start(id, name, {}, fn)
          return id
        },
        status: (id) => {
          if (!store) throw new TrefoilError('TREFOIL_DATABASE_NOT_CONFIGURED', 'Cannot read a background task status: defineBackground() was given no database')
          return UUID.test(id) ? store.read(id, settings.staleAfterMs) : Promise.resolve(null)
        },
        get size() {
          return runner.size
        },
      }
      if (store && options.route !== false) addStatusRoute(app, handle, options.route ?? {})
      return {
        value: handle,
        async close() {
          clearInterval(sweeper)
          const { interrupted } = await runner.close(settings.graceMs)
          runners.delete(app)
          if (interrupted === 0) app.log.debug('Background tasks finished')
        },
      }
    },
  })
}

/**
 * Background tasks of the request, as a dependency: `background(fn, ...args)` runs after the
 * response is sent; `await background.track(name, fn)` also records a status to poll.
 * @example
 * r.post('/:projectId/split', { use: { project, background } }, async ({ project, background }) => {
 *   background(sendEmail, project.ownerId)
 *   const id = await background.track('split-area', async (progress) => {
 *     for (let i = 0; i < 10; i++) { await splitPart(project, i); progress((i + 1) * 10) }
 *   })
 *   return json({ id, status: `/v1/background-tasks/${id}` }, { status: 202 })
 * })
 */
export const background: Dependency<BackgroundTasks> = depends({ name: 'background' }, ({ app, ctx, cleanup }): BackgroundTasks => {
  const runner = runners.get(app)
  if (!runner) throw new TrefoilError('TREFOIL_PLUGIN_NOT_SET_UP', 'Cannot use background tasks: this app has no background plugin (list defineBackground() in createApp({ plugins }))')
  const origin = { route: ctx.state.route, requestId: ctx.state.requestId }
  const waiting: (() => void)[] = []
  const tracked: string[] = []
  let requestFailed = false
  let sent = false
  // the route's cleanups hear how the handler ended; they run before the response goes out
  cleanup((error) => {
    if (error !== undefined) requestFailed = true
  })
  const release = (): void => {
    if (sent) return
    sent = true
    ctx.res.off('finish', release)
    ctx.res.off('close', release)
    const start = waiting.splice(0)
    if (requestFailed) {
      for (const id of tracked) runner.cancel(id, 'Not run: the request failed')
      if (start.length > tracked.length) app.log.warn({ ...origin, dropped: start.length - tracked.length }, 'Background tasks not run: the request failed')
      return
    }
    for (const fn of start) fn()
  }
  // after the body went out ('finish'), or the client left first ('close'): the handler asked for
  // the work, so a client that goes away does not cancel it
  ctx.res.once('finish', release)
  ctx.res.once('close', release)
  const schedule = (fn: () => void): void => {
    if (sent) fn()
    else waiting.push(fn)
  }
  const tasks = (<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): void => {
    if (typeof fn !== 'function') throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', 'background() needs a function')
    schedule(() => runner.run(fn.name || 'anonymous task', origin, () => fn(...args)))
  }) as BackgroundTasks
  tasks.track = async (name, fn) => {
    if (typeof fn !== 'function') throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', `background.track("${name}") needs a function`)
    const id = await runner.register(name)
    tracked.push(id)
    schedule(() => runner.start(id, name, origin, fn))
    return id
  }
  return tasks
})

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function addStatusRoute(app: App, handle: BackgroundTasksHandle, route: { path?: string; use?: UseMap; tags?: string[] }): void {
  const base = `/${(route.path ?? DEFAULT_PATH).replace(/^\/+|\/+$/g, '')}`
  app.addRoute({
    method: 'GET',
    path: `${base}/:id`,
    unit: 'background',
    groupUse: {},
    options: {
      params: t.Object({ id: t.String({ format: 'uuid' }) }),
      use: route.use ?? {},
      response: BackgroundTaskStatus,
      tags: route.tags ?? ['background tasks'],
      summary: 'A background task status: poll until done or failed',
      errors: [404],
    },
    handler: (async ({ params }: { params: { id: string } }) => {
      const status = await handle.status(params.id)
      if (!status) throw new NotFound(`Background task ${params.id} not found`)
      return status
    }) as (input: never) => unknown,
  })
}

async function sweep(app: App, store: BackgroundStore, staleMs: number, keepMs: number): Promise<void> {
  try {
    const { lost, deleted } = await store.sweep(staleMs, keepMs)
    if (lost > 0) app.log.warn({ lost }, 'Background tasks of a stopped process marked failed')
    if (deleted > 0) app.log.debug({ deleted }, 'Old background task statuses deleted')
  } catch (error) {
    app.log.warn({ err: error }, 'Background task sweep failed')
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

export { defineJobs, defineJob, jobs, type Job, type JobOptions, type JobContext, type JobHandler, type JobQueue, type JobsOptions, type JobState, type SendOptions } from './jobs.js'
