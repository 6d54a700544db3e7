// The app: wires plugins together. `start()` runs their setups in order and compiles every
// route; `close()` runs teardowns in reverse. Requests are served by entry.ts.
import type { IncomingMessage, Server } from 'node:http'
import Koa, { type Middleware } from 'koa'
import type { App, AppOptions, Plugin } from './app-api.js'
import type { Awaitable, PluginRef, SetupResult } from './app-view.js'
import { depends, type Dependency } from './depends.js'
import { inject } from './inject.js'
import type { TrefoilState } from './context.js'
import { createDispatch } from './dispatch.js'
import { createRequestHandler, type ErrorMapper, type RequestHandler } from './entry.js'
import { HookSet } from './hooks.js'
import { respondBare } from './respond.js'
import { closeHttp, listenHttp } from './http-server.js'
import { compileRoute, type CompiledRoute, type RouteEnvironment } from './route-runner.js'
import { DependencyGraph } from './solver.js'
import { createLogger } from '../logging.js'
import type { RouteDefinition } from './routing.js'
import { bindCompiler, SchemaCompiler } from './validation.js'
import { loadViews, type Views } from './views.js'
import { codeOf, TrefoilError } from './trefoil-error.js'

export type { App, AppContract, AppOptions, ListenOptions } from './app-api.js'
export type { ErrorMapper }

const DEFAULT_BODY_LIMIT = 1024 * 1024

/**
 * Creates an app from settings and plugins. The app's type keeps the list of plugins, so a typed
 * client of it (`client(app)`) knows every route of the units listed.
 * @example export const app = createApp({ settings, plugins: [databasePlugin, projects] })
 */
export function createApp<S = undefined, const Plugins extends readonly Plugin<unknown>[] = readonly Plugin<unknown>[]>(options: AppOptions<S, Plugins> = {}): App<S, Plugins> {
  // a LOG_LEVEL in the settings (and so in .env) counts, not only one in the environment
  const settingsLevel = (options.settings as { LOG_LEVEL?: unknown } | undefined)?.LOG_LEVEL
  const log = createLogger(options.logger ?? (typeof settingsLevel === 'string' ? { level: settingsLevel } : undefined))
  const koa = new Koa<TrefoilState>({ proxy: options.proxy ?? false })
  koa.silent = true
  const errorMappers: ErrorMapper[] = []
  const middleware: Middleware<TrefoilState>[] = []
  const hooks = new HookSet()
  // the app's own validators: its formats stay its own, for its routes, dependencies (token
  // claims) and plugins (job payloads) alike
  const compiler = new SchemaCompiler(new Map(Object.entries(options.formats ?? {})))

  const plugins = options.plugins ?? []
  const definitions: RouteDefinition[] = []
  const values = new Map<PluginRef<unknown>, unknown>()
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
    if (!settingUp) throw new TrefoilError('TREFOIL_SETUP_ONLY', `Cannot ${what} now: only a plugin's setup may, while the app starts`)
  }

  const app: App<S, Plugins> = {
    settings: options.settings as S,
    log,
    koa,
    routes: definitions,
    get url() {
      return url
    },
    get closing() {
      return closing !== undefined
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
      if (clash) throw new TrefoilError('TREFOIL_DUPLICATE_ROUTE', `Cannot register route "${definition.method} ${definition.path}" of "${definition.unit}": "${clash.unit}" already declares it`)
      definitions.push(definition)
    },
    plugin<T>(plugin: PluginRef<T>): T {
      if (!values.has(plugin)) throw new TrefoilError('TREFOIL_PLUGIN_NOT_SET_UP', `Plugin "${plugin.name}" is not set up in this app: list it in createApp({ plugins })`)
      return values.get(plugin) as T
    },
    mapError(mapper) {
      errorMappers.push(mapper)
    },
    addFormat(name, format) {
      whileSettingUp('add a format')
      compiler.addFormat(name, format)
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
      const listening = await listenHttp(app, handler(), { ...listenOptions, port, host }, options.settings, log, servedWhileStopping(definitions))
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
    respondBare(res, 503, '{"detail":"The app is starting"}', ['Retry-After', '1'])
  }

  function replanAll(): void {
    if (compiled.length === 0) return
    const graph = new DependencyGraph(overrides, compiler)
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
          throw new TrefoilError(codeOf(error, 'TREFOIL_PLUGIN_SETUP_FAILED'), `Plugin "${plugin.name}" failed to start: ${(error as Error)?.message ?? String(error)}`, { cause: error })
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
      logAnswerPath()
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
    // an error view that is not there would only show at the first error, as the plain page
    const errorView = options.errorPages?.view
    if (errorView !== undefined && !views?.has(errorView)) {
      throw new TrefoilError('TREFOIL_VIEW_MISSING', `Cannot use error view "${errorView}" (errorPages.view): ${views ? 'there is no such view in the views folder' : 'the app has no views folder'}`)
    }
    const env: RouteEnvironment = {
      app: app as App<unknown>,
      views,
      bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
      checkResponses: options.checkResponses ?? process.env.NODE_ENV !== 'production',
      logCleanupFailure: (route, error) => log.error({ err: error, route }, 'Dependency cleanup failed'),
      compiler,
    }
    const graph = new DependencyGraph(overrides, compiler)
    compiled = definitions.map((definition) => compileRoute(definition, env, graph))
    const dispatch = createDispatch(compiled.map((route) => ({ method: route.definition.method, path: route.definition.path, serve: route.serve })))
    serveRequest = createRequestHandler({ koa, log, hooks, middleware, dispatch, errorMappers, errors: { log, views, pages: options.errorPages ?? {} } })
  }

  // Said once, at start-up: which path answers take. With Koa middleware, each answer is handed to
  // Koa's response fields for the middleware to read and back (see entry.ts); the middleware is
  // named, so that whoever reads the log knows which plugin put it there.
  function logAnswerPath(): void {
    const names = middleware.map((fn) => fn.name || 'anonymous')
    const hookCounts = { aroundRequest: hooks.aroundRequest.length, onRequest: hooks.onRequest.length, onSend: hooks.onSend.length, onResponse: hooks.onResponse.length }
    log.info({ routes: compiled.length, hooks: hookCounts, middleware: names, path: names.length === 0 ? 'core' : 'koa-middleware' }, 'Started')
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

  bindCompiler(app, compiler)
  return app
}

/** Whether a request is for a route served while the server stops (the health checks). */
function servedWhileStopping(definitions: readonly RouteDefinition[]): (req: IncomingMessage) => boolean {
  const paths = new Set(definitions.filter((d) => d.servedWhileStopping && d.method === 'GET').map((d) => trimSlash(d.path)))
  return (req) => {
    if (paths.size === 0 || (req.method !== 'GET' && req.method !== 'HEAD')) return false
    const url = req.url ?? ''
    const query = url.indexOf('?')
    return paths.has(trimSlash(query === -1 ? url : url.slice(0, query)))
  }
}

// the router ignores a trailing slash: so does this
const trimSlash = (path: string): string => (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path)

function checkPluginList(plugins: readonly Plugin<unknown>[]): void {
  const seen = new Map<string, Plugin<unknown>>()
  for (const plugin of plugins) {
    const label = plugin.label
    if (seen.has(plugin.name)) throw new TrefoilError('TREFOIL_PLUGIN_DUPLICATE', `Cannot register ${label} "${plugin.name}": a ${seen.get(plugin.name)!.label} with this name is already registered`)
    for (const required of plugin.requires) {
      if (!seen.has(required)) throw new TrefoilError('TREFOIL_PLUGIN_ORDER', `Cannot register ${label} "${plugin.name}": it requires "${required}", which must be listed before it`)
    }
    seen.set(plugin.name, plugin)
  }
}
