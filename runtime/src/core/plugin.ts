// Plugins: every capability of an app (a unit of routes, the database, the worker pool, docs) is
// one, listed explicitly in `createApp({ plugins })`. No import side effects, no global state.
import type { App } from './app.js'

type Awaitable<T> = T | Promise<T>

/** What `setup` may return: nothing, a teardown, or a value for `app.plugin(p)` and its teardown. */
export type SetupResult<T> = void | undefined | (() => Awaitable<void>) | { value: T; close?: () => Awaitable<void> }

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

/**
 * Declares a plugin.
 * @example
 * export const clock = definePlugin({
 *   name: 'clock',
 *   setup() {
 *     const timer = setInterval(tick, 1000)
 *     return () => clearInterval(timer)
 *   },
 * })
 */
export function definePlugin<T = undefined>(options: PluginOptions<T>): Plugin<T> {
  if (!options.name) throw new TypeError('definePlugin() needs a name')
  return Object.freeze({ kind: 'plugin' as const, name: options.name, label: options.label ?? 'plugin', requires: options.requires ?? [], setup: options.setup })
}
