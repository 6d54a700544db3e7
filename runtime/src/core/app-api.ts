// The app's public surface: what `createApp` takes and what it returns. Kept apart from app.ts
// (which builds it) so plugins can name the App without importing the code that runs them.
import type { Server } from 'node:http'
import type Koa from 'koa'
import type { Middleware } from 'koa'
import type { Awaitable, PluginRef, SetupResult } from './app-view.js'
import type { TrefoilState } from './context.js'
import type { Dependency, DependencyBase } from './depends.js'
import type { ErrorMapper } from './entry.js'
import type { ErrorPagesOptions } from './error-response.js'
import type { HookName } from './hooks.js'
import type { ServerLimits } from './http-server.js'
import type { InjectRequest, InjectResponse } from './inject.js'
import type { RouteDefinition } from './routing.js'
import type { FormatCheck } from './validation.js'
import type { ViewsOptions } from './views.js'
import type { Logger, LoggerSetting } from '../logging.js'

/** A plugin: a named setup run at `app.start()`, its teardown run at `app.close()`. */
export interface Plugin<T = unknown> {
  readonly kind: 'plugin'
  readonly name: string
  /** What it is called in start-up errors: a plain plugin, or a unit of routes. */
  readonly label: 'plugin' | 'unit'
  /** Plugins that must be listed (and so set up) before this one. */
  readonly requires: readonly string[]
  readonly setup: (app: App) => Awaitable<SetupResult<T>>
}

/** Options of {@link definePlugin}. */
export interface PluginOptions<T> {
  /** Unique within an app; appears in start-up errors. */
  name: string
  /** `unit` for units of routes (set by `defineUnit`). */
  label?: 'plugin' | 'unit'
  /** Names of plugins this one needs set up first. */
  requires?: readonly string[]
  /** Runs at start-up, in list order; returns a teardown or `{ value, close }`. */
  setup: (app: App) => Awaitable<SetupResult<T>>
}

/** Options of {@link createApp}. */
export interface AppOptions<S, Plugins extends readonly Plugin<unknown>[] = readonly Plugin<unknown>[]> {
  /** The app's settings (from `defineSettings`); plugins read them as `app.settings`. */
  settings?: S
  /**
   * Everything the app is made of, set up in this order. Their types stay in the app's type, so
   * the typed client knows the routes of the units listed here (`client(app)`).
   */
  plugins?: Plugins
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
  /**
   * String formats of this app's schemas (`t.String({ format: 'project-code' })`): its routes,
   * dependencies, token claims (`defineAuth({ claims })`) and job payloads. Formats belong to the
   * app (there are no process-wide ones): another app in the same process does not see them.
   * A plugin adds one with `app.addFormat()` during its setup.
   * @example createApp({ formats: { 'project-code': /^[A-Z]{3}-\d{4}$/ }, plugins })
   */
  formats?: Readonly<Record<string, FormatCheck>>
}

/** Where `listen()` binds; defaults come from the settings' `PORT` / `HOST`, else 8000 / 127.0.0.1. */
export interface ListenOptions extends ServerLimits {
  port?: number
  host?: string
}

/**
 * What an app's type keeps of its options for the typed client: the plugins it was made of, as
 * a tuple of their types. Nothing of it exists at run time.
 */
export interface AppContract<Plugins extends readonly unknown[] = readonly unknown[]> {
  readonly plugins: Plugins
}

/**
 * An app made by {@link createApp}. `Plugins` is the list it was made of, as types: `client(app)`
 * and `client<typeof app>(url)` read the routes of its units from it.
 */
export interface App<S = unknown, Plugins extends readonly unknown[] = readonly unknown[]> {
  readonly settings: S
  /** Phantom: the app's plugins, for the typed client's inference only (always undefined). */
  readonly contract?: AppContract<Plugins>
  readonly log: Logger
  /** The underlying Koa app (for Koa middleware written for it). */
  readonly koa: Koa<TrefoilState>
  /** Every registered route, in registration order. */
  readonly routes: readonly RouteDefinition[]
  /** The address `listen()` bound, e.g. `http://127.0.0.1:8000`. */
  readonly url: string | undefined
  /**
   * True once `close()` has begun (on SIGTERM, through `closeOnSignals`): the server is draining
   * or stopping, and a readiness check answers 503 so that load balancers send nothing more here.
   */
  readonly closing: boolean
  /**
   * Adds Koa middleware around the routes (during a plugin's setup). Hooks ({@link App.addHook})
   * do the same jobs at less cost per request.
   */
  use(middleware: Middleware<TrefoilState>): void
  /**
   * Adds a hook (during a plugin's setup): `aroundRequest` to run the rest of the request in a
   * scope, `onRequest` before routing (may answer early), `onSend` to add headers to every
   * answer, `onResponse` once it is handed to Node.
   * @example app.addHook('onSend', (ctx, answer, headers) => headers.push('X-Served-By', 'a'))
   */
  addHook<K extends keyof HookName>(name: K, hook: HookName[K]): void
  /** Registers a route (units do this; plugins may too, during setup). */
  addRoute(definition: RouteDefinition): void
  /** The value a plugin's setup provided; throws if the plugin is not part of this app. */
  plugin<T>(plugin: PluginRef<T>): T
  /**
   * Translates errors of a library into HTTP errors before they are rendered (a database plugin
   * turns a unique violation into 409). Return undefined to leave an error alone.
   */
  mapError(mapper: ErrorMapper): void
  /**
   * Adds a string format to this app's validators (during a plugin's setup); see
   * {@link AppOptions.formats}.
   */
  addFormat(name: string, format: FormatCheck): void
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

