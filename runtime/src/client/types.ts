// The typed client's types, read from units' types: each route's path params, query, body and
// the body of each status it may answer. Nothing here exists at run time.
import type { Static, TSchema } from 'typebox'
import type { HttpMethod, PathParams, Schema } from '../core/routing.js'
import type { RouteContract, RouteIo } from '../core/route-types.js'
import type { ValidationIssue } from '../core/validation.js'
import type { Input } from './input.js'
import type { Wire } from '../core/wire.js'

/** One route of an API: its method, its full path and what it reads and answers. */
export interface Endpoint<M extends HttpMethod = HttpMethod, Path extends string = string, Io extends RouteIo = RouteIo> {
  readonly method: M
  readonly path: Path
  readonly io: Io
}

type NormalPrefix<P extends string> = P extends '' | '/' ? '' : P extends `${infer Head}/` ? NormalPrefix<Head> : P extends `/${string}` ? P : `/${P}`
type StripLeading<P extends string> = P extends `/${infer Rest}` ? StripLeading<Rest> : P

/** A route's full path, joined as the unit joins it: `/v1/projects` + `/:projectId`. */
export type JoinPath<Prefix extends string, Path extends string> = StripLeading<Path> extends ''
  ? NormalPrefix<Prefix> extends ''
    ? '/'
    : NormalPrefix<Prefix>
  : `${NormalPrefix<Prefix>}/${StripLeading<Path>}`

type UnitEndpoints<U> = U extends { readonly contract?: { readonly prefix: infer Prefix extends string; readonly routes: infer Routes } }
  ? EndpointOf<Prefix, Routes extends readonly (infer C)[] ? C : Routes>
  : never

type EndpointOf<Prefix extends string, C> = C extends RouteContract<infer M, infer Path, infer Io> ? Endpoint<M, JoinPath<Prefix, Path>, Io> : never

// An app's type keeps its plugins (`AppContract`); a unit's keeps a prefix and routes instead, so
// the two never match each other's shape.
type AppPlugins<A> = A extends { readonly contract?: infer C } ? (Exclude<C, undefined> extends { readonly plugins: infer Plugins } ? Plugins : never) : never

/**
 * The routes of an app or of units: an app's type (`typeof app`, the units listed in its
 * `plugins`), a unit's type (`typeof projects`), a union of them or a tuple of them. Units whose
 * build function returns nothing, and plugins that are not units, add no routes.
 */
export type EndpointsOf<Units> = Units extends readonly unknown[]
  ? UnitEndpoints<Units[number]>
  : [AppPlugins<Units>] extends [never]
    ? UnitEndpoints<Units>
    : EndpointsOf<AppPlugins<Units>>

// ---- requests

type PathValue = string | number
type QueryValue = string | number | boolean | readonly (string | number | boolean)[] | undefined

/** Path params: the schema's types where the route has a params schema, else strings or numbers. */
type ParamsInput<Path extends string, P> = {
  [K in keyof PathParams<Path>]: P extends TSchema ? (K extends keyof Static<P> ? Static<P>[K] : PathValue) : PathValue
}

type ParamsPart<Path extends string, P> = keyof PathParams<Path> extends never ? { params?: undefined } : { params: ParamsInput<Path, P> }
type QueryPart<Q> = Q extends TSchema ? ({} extends Input<Q> ? { query?: Input<Q> } : { query: Input<Q> }) : { query?: Record<string, QueryValue> }
type BodyPart<Io extends RouteIo> = Io['body'] extends TSchema ? { body: Input<Io['body']> } : Io['upload'] extends true ? { body: string | Uint8Array } : { body?: undefined }

/** What a call sends: path params, query, body, and headers besides the client's own. */
export type RequestOf<E extends Endpoint> = ParamsPart<E['path'], E['io']['params']> &
  QueryPart<E['io']['query']> &
  BodyPart<E['io']> & {
    /** Headers of this call, added to (and overriding) the client's. */
    headers?: Record<string, string>
  }

/** A call's arguments: the request may be left out when it needs nothing. */
export type RequestArgs<E extends Endpoint> = {} extends RequestOf<E> ? [request?: RequestOf<E>] : [request: RequestOf<E>]

// ---- responses

type SuccessStatus = 200 | 201 | 202 | 203 | 204 | 205 | 206 | 207 | 208 | 226
type RedirectStatus = 300 | 301 | 302 | 303 | 304 | 305 | 307 | 308
type ErrorStatus =
  | 400 | 401 | 402 | 403 | 404 | 405 | 406 | 407 | 408 | 409 | 410 | 411 | 412 | 413 | 414 | 415 | 416 | 417 | 418 | 421 | 422 | 423 | 424 | 425 | 426 | 428 | 429 | 431 | 451
  | 500 | 501 | 502 | 503 | 504 | 505 | 506 | 507 | 508 | 510 | 511

/** The body of an error: FastAPI's `{"detail": ...}`, with a machine-readable `code` when the error has one. */
export interface ErrorBody {
  detail: string
  code?: string
}

/** The body of a 422: every issue of the request. */
export interface ValidationErrorBody {
  detail: ValidationIssue[]
}

type NoBody = 204 | 205 | 304

// what every status answers before the route's own models: errors as the runtime renders them
type DefaultBodies = { [S in ErrorStatus]: S extends 422 ? ValidationErrorBody : ErrorBody } & { [S in RedirectStatus]: S extends NoBody ? undefined : unknown }

type Merge<Base, Over> = Omit<Base, keyof Over> & Over

type SuccessBodies<R> = R extends Schema
  ? { [S in SuccessStatus]: S extends NoBody ? undefined : Wire<R> }
  : R extends { readonly [status: number]: Schema }
    ? Merge<{ [S in SuccessStatus]: S extends NoBody ? undefined : unknown }, { [S in keyof R & number]: Wire<R[S]> }>
    : { [S in SuccessStatus]: S extends NoBody ? undefined : unknown }

/** The body of each status a route may answer, keyed by status. */
export type BodiesOf<E extends Endpoint> = Merge<DefaultBodies, SuccessBodies<E['io']['response']>>

/** A response of one status: `json()` is the body that status carries. */
export interface ClientResponse<S extends number, T, Bodies> {
  readonly status: S
  /** Whether the status is a success (2xx): narrows the response to its successes. */
  readonly ok: S extends SuccessStatus ? true : false
  /** Header names lowercase; `set-cookie` is a list. */
  readonly headers: Readonly<Record<string, string | string[]>>
  /** The body as text. */
  readonly text: string
  /** The body parsed as JSON (undefined when there is none). */
  json(): T
  /** The parsed body when the status is `status`; otherwise throws, naming the status and body it got. */
  expect<X extends keyof Bodies & number>(status: X): Bodies[X]
}

/** Any response of a route: a union over its statuses, narrowed by `status` or `ok`. */
export type ResponseOf<E extends Endpoint> = BodiesOf<E> extends infer Bodies ? { [S in keyof Bodies & number]: ClientResponse<S, Bodies[S], Bodies> }[keyof Bodies & number] : never

type Select<E extends Endpoint, M extends HttpMethod, Path extends string> = E extends Endpoint<M, Path> ? E : never

/** Calls the routes of one method: the path is one of theirs, the request and response are its route's. */
export type MethodCall<E extends Endpoint, M extends HttpMethod> = <Path extends Extract<E, { method: M }>['path']>(path: Path, ...request: RequestArgs<Select<E, M, Path>>) => Promise<ResponseOf<Select<E, M, Path>>>
