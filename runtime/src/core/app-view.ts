// What a plugin's value and a request's code see of their app: its settings, its logger and the
// values plugins provided. Dependencies and handlers get this narrow view (not the whole App), so
// request-time code cannot add routes or hooks, and the request core does not depend on app.ts.
import type { Logger } from '../logging.js'

/** A value, or a promise of it. */
export type Awaitable<T> = T | Promise<T>

/** What `setup` may return: nothing, a teardown, or a value for `app.plugin(p)` and its teardown. */
export type SetupResult<T> = void | undefined | (() => Awaitable<void>) | { value: T; close?: () => Awaitable<void> }

/** A plugin as a key to the value its setup provided (every {@link Plugin} is one). */
export interface PluginRef<T> {
  readonly name: string
  // `never` accepts every setup's parameter type; only the value type matters to a key.
  readonly setup: (app: never) => Awaitable<SetupResult<T>>
}

/** The app as dependencies and handlers receive it. */
export interface AppView<S = unknown> {
  readonly settings: S
  readonly log: Logger
  /** The value a plugin's setup provided; throws if the plugin is not part of this app. */
  plugin<T>(plugin: PluginRef<T>): T
}
