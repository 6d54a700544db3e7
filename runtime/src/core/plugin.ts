// Plugins: every capability of an app (a unit of routes, the database, the worker pool, docs) is
// one, listed explicitly in `createApp({ plugins })`. No import side effects, no global state.
import type { Plugin, PluginOptions } from './app-api.js'
import { TrefoilError } from './trefoil-error.js'

export type { Plugin, PluginOptions } from './app-api.js'

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
  if (!options.name) throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', 'definePlugin() needs a name')
  return Object.freeze({ kind: 'plugin' as const, name: options.name, label: options.label ?? 'plugin', requires: options.requires ?? [], setup: options.setup })
}
