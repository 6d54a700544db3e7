// Dependencies with FastAPI's `Depends` semantics: declared where they are used, chained through
// `use`, solved once per request (identity-cached), able to read the request's params / query /
// headers through their own schemas, with cleanups unwound in reverse after the handler.
import type { IncomingHttpHeaders } from 'node:http'
import type { Static, TSchema } from 'typebox'
import type { RequestContext } from './context.js'
import type { AppView } from './app-view.js'
import { TrefoilError } from './trefoil-error.js'

type Awaitable<T> = T | Promise<T>

declare const VALUE: unique symbol

/** A cleanup registered by a dependency; it receives the request's error, if there was one. */
export type Cleanup = (error: unknown) => Awaitable<void>

/**
 * A dependency: a function of the request that may `use` other dependencies. Create one with
 * {@link depends}; ask for it in a route's or another dependency's `use`.
 */
export interface Dependency<T = unknown> {
  readonly kind: 'dependency'
  /** Used in error messages (cycles, failures) and the OpenAPI document. */
  readonly name: string
  readonly params: TSchema | undefined
  readonly query: TSchema | undefined
  readonly headers: TSchema | undefined
  /** The dependencies this one uses; read at start-up, so getters may point forward. */
  readonly use: Readonly<Record<string, Dependency<unknown>>>
  /** Whether the value is shared by everything that asks for it during one request. */
  readonly cache: boolean
  /** Statuses this dependency may answer with (404 from an existence check, 401, 403), for docs. */
  readonly errors: readonly number[]
  readonly run: (input: DependencyInput) => unknown
  /** Phantom: the type of the value, for inference only. */
  readonly [VALUE]?: T
}

/** A map of names to dependencies, as given to `use`. */
export type UseMap = Record<string, Dependency<any>> // eslint-disable-line @typescript-eslint/no-explicit-any -- variance: any Dependency<T> fits

/** The values a `use` map resolves to, keyed the same way. */
export type UseValues<U> = { [K in keyof U]: U[K] extends Dependency<infer V> ? V : never }

/** `Static<S>` when a schema is given, else the fallback type. */
export type StaticOr<S, Fallback> = S extends TSchema ? Static<S> : Fallback

/** Query values before validation: repeated keys become arrays. */
export type RawQuery = Record<string, string | string[] | undefined>

/** What every dependency function receives besides its `use` values. */
export interface DependencyBase<P = Record<string, string>, Q = RawQuery, H = IncomingHttpHeaders> {
  params: P
  query: Q
  headers: H
  /** The request (Koa context). */
  ctx: RequestContext
  /** The app serving the request: reach plugin values with `app.plugin(p)`. */
  app: AppView
  /** Registers work to run after the handler, in reverse order, also when the request failed. */
  cleanup(fn: Cleanup): void
}

// Schemas a dependency checks values against itself (defineAuth's token claims), beside the
// request parts it reads: compiled at start-up by the app's compiler, so the app's formats apply
// and a schema that does not compile stops the start. Runtime-internal, not in the public list.
const checkedSchemas = new WeakMap<Dependency, readonly TSchema[]>()

/** Records that `dependency` checks values against `schemas` with its app's compiler (see checkFor in serialize.ts). */
export function checksSchemas(dependency: Dependency, schemas: readonly TSchema[]): void {
  checkedSchemas.set(dependency, schemas)
}

/** The schemas {@link checksSchemas} recorded for `dependency` (none for most). */
export function schemasCheckedBy(dependency: Dependency): readonly TSchema[] {
  return checkedSchemas.get(dependency) ?? []
}

/** Names a dependency's input already uses; a `use` key may not take them. */
export const RESERVED_INPUT_NAMES: ReadonlySet<string> = new Set(['params', 'query', 'headers', 'body', 'ctx', 'app', 'cleanup'])

/** Options of {@link depends}. */
export interface DependsOptions<P, Q, H, U> {
  /** A name for messages and docs; defaults to the function's name. */
  name?: string
  /** Route params this dependency reads, e.g. `t.Object({ projectId: t.Integer() })`. */
  params?: P
  query?: Q
  headers?: H
  /** Other dependencies whose values this one needs. */
  use?: U
  /** Set to false to run again each time it is asked for within one request. */
  cache?: boolean
  /** Statuses this dependency may answer with, listed in the OpenAPI document of every route using it. */
  errors?: readonly number[]
}

type Input<P, Q, H, U> = DependencyBase<StaticOr<P, Record<string, string>>, StaticOr<Q, RawQuery>, StaticOr<H, IncomingHttpHeaders>> & UseValues<U>

/** What the runner hands a dependency function (typed at `depends()`; untyped inside the runner). */
export type DependencyInput = DependencyBase<unknown, unknown, unknown> & Record<string, unknown>

/**
 * Declares a dependency.
 * @example
 * export const project = depends(
 *   { params: t.Object({ projectId: t.Integer({ minimum: 1 }) }), use: { db: database }, errors: [404] },
 *   async ({ params, db }) => (await models.projects.get(db, params.projectId)) ?? notFound(),
 * )
 */
export function depends<T, P extends TSchema | undefined = undefined, Q extends TSchema | undefined = undefined, H extends TSchema | undefined = undefined, U extends UseMap = {}>(
  options: DependsOptions<P, Q, H, U>,
  fn: (input: Input<P, Q, H, U>) => T,
): Dependency<Awaited<T>>
export function depends<T>(fn: (input: DependencyBase) => T): Dependency<Awaited<T>>
export function depends(
  optionsOrFn: DependsOptions<TSchema | undefined, TSchema | undefined, TSchema | undefined, UseMap> | ((input: DependencyBase) => unknown),
  maybeFn?: (input: never) => unknown,
): Dependency<unknown> {
  const options = typeof optionsOrFn === 'function' ? {} : optionsOrFn
  const fn = (typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn) as ((input: DependencyInput) => unknown) | undefined
  if (typeof fn !== 'function') throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', 'depends() needs a function')
  const name = options.name ?? (fn.name || 'anonymous dependency')
  const use = options.use ?? {}
  for (const key of Object.keys(use)) {
    if (RESERVED_INPUT_NAMES.has(key)) throw new TrefoilError('TREFOIL_DEPENDENCY_NAME_TAKEN', `Cannot declare dependency "${name}": "${key}" is a reserved input name`)
  }
  return Object.freeze({
    kind: 'dependency' as const,
    name,
    params: options.params,
    query: options.query,
    headers: options.headers,
    use,
    cache: options.cache ?? true,
    errors: options.errors ?? [],
    run: fn,
  })
}

/** Whether a value is a dependency made by {@link depends}. */
export function isDependency(value: unknown): value is Dependency {
  return typeof value === 'object' && value !== null && (value as Dependency).kind === 'dependency'
}
