// The app: wires plugins together. `start()` runs their setups in order and compiles every
// route; `close()` runs teardowns in reverse. Requests are served by entry.ts.
import type { Server } from 'node:http'
import Koa, { type Middleware } from 'koa'
import { depends, type Dependency, type DependencyBase } from './depends.js'
import { inject, type InjectRequest, type InjectResponse } from './inject.js'
import type { TrefoilState } from './context.js'
import { createDispatch } from './dispatch.js'
import { createRequestHandler, type ErrorMapper, type RequestHandler } from './entry.js'
import type { ErrorPagesOptions } from './error-response.js'
import { HookSet, type HookName } from './hooks.js'
import { closeHttp, listenHttp, type ServerLimits } from './http-server.js'
import { compileRoute, type CompiledRoute, type RouteEnvironment } from './route-runner.js'
import { DependencyGraph } from './solver.js'
import { createLogger, type Logger, type LoggerSetting } from '../logging.js'
import type { Plugin, SetupResult } from './plugin.js'
import type { RouteDefinition } from './routing.js'
import { loadViews, type Views, type ViewsOptions } from './views.js'

type Awaitable<T> = T | Promise<T>

/** Options of {@link createApp}. */
export interface AppOptions<S> {
  /** The app's settings (from `defineSettings`); plugins read them as `app.settings`. */
  settings?: S
  /** Everything the app is made of, set up in this order. */
  plugins?: readonly Plugin<any>[] // eslint-disable-line @typescript-eslint/no-explicit-any -- plugins of any value type
  /** EJS views: a folder, or `{ dir, layout }`. */
  views?: string | ViewsOptions
  /** A pino logger or options; `false` for none. Default: JSON at the settings' or the environment's `LOG_LEVEL`, silent in tests. */
  logger?: LoggerSetting
  /** Largest request body in bytes (default 1 MiB); a route's `bodyLimit` wins. */
  bodyLimit?: number
  /** Check output against response models (default: unless `NODE_ENV` is `production`). */
  checkResponses?: boolean
  /** Trust `X-Forwarded-*` headers (behind a proxy). */
  proxy?: boolean
  /** How browsers navigating to a page see errors: an error page in the layout, sign-in on 401. */
  errorPages?: ErrorPagesOptions
}

/** Where `listen()` binds; defaults come from the settings' `PORT` / `HOST`, else 8000 / 127.0.0.1. */
export interface ListenOptions extends ServerLimits {
  port?: number
  host?: string
}

/** An app made by {@link createApp}. */
export interface App<S = unknown> {
  readonly settings: S
  readonly log: Logger
  /** The underlying Koa app (for Koa middleware written for it). */
  readonly koa: Koa<TrefoilState>
  /** Every registered route, in registration order. */
  readonly routes: readonly RouteDefinition[]
  /** The address `listen()` bound, e.g. `http://127.0.0.1:8000`. */
  readonly url: string | undefined
  /**
   * Adds Koa middleware around the routes (during a plugin's setup). Hooks ({@link App.addHook})
   * do the same jobs at less cost per request.
   */
  use(middleware: Middleware<TrefoilState>): void
  /**
   * Adds a hook (during a plugin's setup): `onRequest` before routing (may answer early),
   * `onSend` to add headers to every answer, `onResponse` once it is handed to Node.
   * @example app.addHook('onSend', (ctx, answer, headers) => headers.push('X-Served-By', 'a'))
   */
  addHook<K extends keyof HookName>(name: K, hook: HookName[K]): void
  /** Registers a route (units do this; plugins may too, during setup). */
  addRoute(definition: RouteDefinition): void
  /** The value a plugin's setup provided; throws if the plugin is not part of this app. */
  plugin<T>(plugin: Plugin<T>): T
  /**
   * Translates errors of a library into HTTP errors before they are rendered (a database plugin
   * turns a unique violation into 409). Return undefined to leave an error alone.
   */
  mapError(mapper: ErrorMapper): void
  /**
   * Runs `fn` once every plugin is set up and every route compiled, before `start()` resolves
   * (e.g. to build the OpenAPI document from all routes). A failure fails the start.
   */
  onReady(fn: () => Awaitable<void>): void
  /** Runs `fn` when the app closes, before plugin teardowns. */
  onClose(fn: () => Awaitable<void>): void
  /** Sets up every plugin and compiles the routes; safe to call more than once. */
  start(): Promise<void>
  /** Starts the app and an HTTP server. */
  listen(options?: ListenOptions): Promise<Server>
  /** Stops the server, then tears plugins down in reverse order. */
  close(): Promise<void>
  /** The Node request handler (starts nothing: call `start()` first). */
  callback(): (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void
  /** Runs one request in process, without a port (starts the app if needed). */
  inject(request: InjectRequest): Promise<InjectResponse>
  /** Replaces a dependency everywhere (tests); a function receives the original's inputs. */
  overrideDependency<T>(dependency: Dependency<T>, replacement: Dependency<T> | ((input: DependencyBase) => T | Promise<T>)): void
  /** Removes every override. */
  clearOverrides(): void
}

export type { ErrorMapper }

const DEFAULT_BODY_LIMIT = 1024 * 1024

/**
 * Creates an app from settings and plugins.
 * @example export const app = createApp({ settings, plugins: [databasePlugin, projects] })
 */
export function createApp<S = undefined>(options: AppOptions<S> = {}): App<S> {
  // a LOG_LEVEL in the settings (and so in .env) counts, not only one in the environment
  const settingsLevel = (options.settings as { LOG_LEVEL?: unknown } | undefined)?.LOG_LEVEL
  const log = createLogger(options.logger ?? (typeof settingsLevel === 'string' ? { level: settingsLevel } : undefined))
  const koa = new Koa<TrefoilState>({ proxy: options.proxy ?? false })
  koa.silent = true
  const errorMappers: ErrorMapper[] = []
  const middleware: Middleware<TrefoilState>[] = []
  const hooks = new HookSet()

  const plugins = options.plugins ?? []
  const definitions: RouteDefinition[] = []
  const values = new Map<Plugin<unknown>, unknown>()
  const teardowns: { name: string; fn: () => Awaitable<void> }[] = []
  const readyHooks: (() => Awaitable<void>)[] = []
  const overrides = new Map<Dependency, Dependency>()
  let compiled: CompiledRoute[] = []
  let views: Views | undefined
  let serveRequest: RequestHandler | undefined
  let settingUp = false
  let starting: Promise<void> | undefined
  let closing: Promise<void> | undefined
  let server: Server | undefined
  let url: string | undefined

  const whileSettingUp = (what: string): void => {
    if (!settingUp) throw new Error(`Cannot ${what} now: only a plugin's setup may, while the app starts`)
  }

  const app: App<S> = {
    settings: options.settings as S,
    log,
    koa,
    routes: definitions,
    get url() {
      return url
    },
    use(fn) {
      whileSettingUp('add middleware')
      middleware.push(fn)
    },
    addHook(name, hook) {
      whileSettingUp(`add an ${String(name)} hook`)
      hooks.add(name, hook)
    },
    addRoute(definition) {
      whileSettingUp(`register route "${definition.method} ${definition.path}"`)
      const clash = definitions.find((d) => d.method === definition.method && d.path === definition.path)
      if (clash) throw new Error(`Cannot register route "${definition.method} ${definition.path}" of "${definition.unit}": "${clash.unit}" already declares it`)
      definitions.push(definition)
    },
    plugin<T>(plugin: Plugin<T>): T {
      if (!values.has(plugin as Plugin<unknown>)) throw new Error(`Plugin "${plugin.name}" is not set up in this app: list it in createApp({ plugins })`)
      return values.get(plugin as Plugin<unknown>) as T
    },
    mapError(mapper) {
      errorMappers.push(mapper)
    },
    onReady(fn) {
      whileSettingUp('add an onReady hook')
      readyHooks.push(fn)
    },
    onClose(fn) {
      teardowns.push({ name: 'onClose', fn })
    },
    start() {
      starting ??= startApp().catch(async (error: unknown) => {
        starting = undefined
        throw error
      })
      return starting
    },
    async listen(listenOptions = {}) {
      await app.start()
      const fromSettings = (options.settings ?? {}) as { PORT?: number; HOST?: string }
      const port = listenOptions.port ?? fromSettings.PORT ?? 8000
      const host = listenOptions.host ?? fromSettings.HOST ?? '127.0.0.1'
      const listening = await listenHttp(app, handler(), { ...listenOptions, port, host }, options.settings, log)
      server = listening
      const address = listening.address()
      const shown = typeof address === 'object' && address ? `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}` : String(address)
      url = `http://${shown}`
      log.info({ url }, 'Listening')
      return listening
    },
    close() {
      closing ??= closeApp()
      return closing
    },
    callback() {
      return handler()
    },
    async inject(request) {
      await app.start()
      return inject(handler(), request)
    },
    overrideDependency(dependency, replacement) {
      const previous = overrides.get(dependency)
      const next = typeof replacement === 'function' ? depends({ name: `${dependency.name} (override)`, params: dependency.params, query: dependency.query, headers: dependency.headers, use: dependency.use }, replacement as (input: unknown) => unknown) : replacement
      overrides.set(dependency, next as Dependency)
      try {
        replanAll()
      } catch (error) {
        if (previous) overrides.set(dependency, previous)
        else overrides.delete(dependency)
        replanAll()
        throw error
      }
    },
    clearOverrides() {
      overrides.clear()
      replanAll()
    },
  }

  // the same function for every caller; it serves once `start()` has compiled the routes
  const handler = (): RequestHandler => requestHandler
  const requestHandler: RequestHandler = (req, res) => {
    if (serveRequest) return serveRequest(req, res)
    res.writeHead(503, ['Content-Type', 'application/json; charset=utf-8', 'Retry-After', '1'])
    res.end('{"detail":"The app is starting"}')
  }

  function replanAll(): void {
    if (compiled.length === 0) return
    const graph = new DependencyGraph(overrides)
    for (const route of compiled) route.replan(graph)
  }

  async function startApp(): Promise<void> {
    checkPluginList(plugins)
    if (options.views) views = loadViews(typeof options.views === 'string' ? { dir: options.views } : options.views)
    settingUp = true
    try {
      for (const plugin of plugins) {
        let result: SetupResult<unknown>
        try {
          result = await plugin.setup(app as App<unknown>)
        } catch (error) {
          throw new Error(`Plugin "${plugin.name}" failed to start: ${(error as Error)?.message ?? String(error)}`, { cause: error })
        }
        if (typeof result === 'function') teardowns.push({ name: plugin.name, fn: result })
        else if (result && typeof result === 'object') {
          values.set(plugin, result.value)
          if (result.close) teardowns.push({ name: plugin.name, fn: result.close })
        }
        if (!values.has(plugin)) values.set(plugin, undefined)
      }
      mountRoutes()
      for (const hook of readyHooks.splice(0)) await hook()
    } catch (error) {
      settingUp = false
      await runTeardowns().catch((teardownError: unknown) => log.error({ err: teardownError }, 'Teardown after a failed start failed'))
      values.clear()
      definitions.length = 0
      throw error
    }
    settingUp = false
  }

  function mountRoutes(): void {
    const env: RouteEnvironment = {
      app: app as App<unknown>,
      views,
      bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
      checkResponses: options.checkResponses ?? process.env.NODE_ENV !== 'production',
      logCleanupFailure: (route, error) => log.error({ err: error, route }, 'Dependency cleanup failed'),
    }
    const graph = new DependencyGraph(overrides)
    compiled = definitions.map((definition) => compileRoute(definition, env, graph))
    const dispatch = createDispatch(compiled.map((route) => ({ method: route.definition.method, path: route.definition.path, serve: route.serve })))
    serveRequest = createRequestHandler({ koa, log, hooks, middleware, dispatch, errorMappers, errors: { log, views, pages: options.errorPages ?? {} } })
  }

  async function runTeardowns(): Promise<void> {
    let failure: unknown
    while (teardowns.length > 0) {
      const { name, fn } = teardowns.pop()!
      try {
        await fn()
      } catch (error) {
        log.error({ err: error, plugin: name }, 'Teardown failed')
        failure ??= error
      }
    }
    if (failure !== undefined) throw failure
  }

  async function closeApp(): Promise<void> {
    if (server) {
      await closeHttp(server)
      server = undefined
      url = undefined
    }
    if (starting) await starting.catch(() => undefined)
    await runTeardowns()
  }

  return app
}

function checkPluginList(plugins: readonly Plugin<unknown>[]): void {
  const seen = new Map<string, Plugin<unknown>>()
  for (const plugin of plugins) {
    const label = plugin.label
    if (seen.has(plugin.name)) throw new Error(`Cannot register ${label} "${plugin.name}": a ${seen.get(plugin.name)!.label} with this name is already registered`)
    for (const required of plugin.requires) {
      if (!seen.has(required)) throw new Error(`Cannot register ${label} "${plugin.name}": it requires "${required}", which must be listed before it`)
    }
    seen.set(plugin.name, plugin)
  }
}
