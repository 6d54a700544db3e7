// Units: a named group of routes (the guide's `src/<unit>/routes.ts`) with a prefix, shared
// dependencies and tags. A unit is a plugin; its routes are typed from their schemas.
import type { IncomingHttpHeaders } from 'node:http'
import type { Static, TSchema } from 'typebox'
import type { RawQuery, StaticOr, UseMap, UseValues } from './depends.js'
import type { RequestContext } from './context.js'
import type { ModelReply } from './responses.js'
import type { AppView } from './app-view.js'
import type { MultipartSpec, UploadInput, UploadSpec } from '../uploads/types.js'

type Awaitable<T> = T | Promise<T>

/** The HTTP methods a route can answer (HEAD is answered by GET routes). */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS'

/** A TypeBox schema (as opposed to a map of statuses to schemas). */
export type Schema = TSchema & { readonly '~kind': string }

/** A route's response model: one schema for its default status, or one per status. */
export type ResponseSpec = Schema | { readonly [status: number]: Schema }

/**
 * Whether a response spec is one schema (the model of every success status) rather than a map of
 * statuses to schemas. Internal: the runner and the OpenAPI document read specs the same way.
 */
export function isSingleSchema(spec: ResponseSpec): spec is Schema {
  return typeof (spec as { '~kind'?: unknown })['~kind'] === 'string' || 'type' in spec
}

/** What a handler may return as a plain value for a response spec. */
export type ResponseValue<R> = R extends Schema ? Static<R> : R extends { readonly [status: number]: infer S } ? (S extends Schema ? Static<S> : never) : unknown

type CleanName<S extends string> = S extends `${infer N}{${string}` ? N : S extends `${infer N}.${string}` ? N : S
/** The params a path declares (`/:projectId/tasks/:taskId` → `{ projectId: string; taskId: string }`). */
export type PathParams<Path extends string> = string extends Path
  ? Record<string, string>
  : Path extends `${string}:${infer Param}/${infer Rest}`
    ? { [K in CleanName<Param>]: string } & PathParams<`/${Rest}`>
    : Path extends `${string}:${infer Param}`
      ? { [K in CleanName<Param>]: string }
      : {}

/** Options of one route. */
export interface RouteOptions<P = undefined, Q = undefined, H = undefined, B = undefined, U = {}, R = undefined, M = MultipartSpec | undefined, UP = UploadSpec | undefined> {
  /** Path params, coerced from strings (`t.Object({ projectId: t.Integer() })`). */
  params?: P
  /** Query string, coerced from strings; unknown keys dropped. */
  query?: Q
  /** Headers (lowercase names), coerced from strings. */
  headers?: H
  /** JSON (or urlencoded form) body; not coerced for JSON; unknown fields dropped. */
  body?: B
  /**
   * A multipart/form-data body: text fields (a schema) and files streamed to disk; the handler
   * gets `fields` and `files`. Not with `body` or `upload`.
   */
  multipart?: M
  /** A raw body streamed to disk as one file (a client PUTting a file); the handler gets `upload`. */
  upload?: UP
  /** Dependencies whose values the handler receives under these names. */
  use?: U
  /** Response model(s): shape and, in development, check the output. */
  response?: R
  /** Status of a plain returned value (default 200). */
  status?: number
  /** An EJS view that renders the handler's value for htmx and browsers (`Accept: text/html`). */
  view?: string
  /** Largest body accepted, in bytes (default: the app's `bodyLimit`, 1 MiB). */
  bodyLimit?: number
  /** One line for the docs. */
  summary?: string
  description?: string
  tags?: string[]
  operationId?: string
  deprecated?: boolean
  /** Set to false to leave the route out of the OpenAPI document (pages, static files). */
  includeInSchema?: boolean
  /** Statuses the handler itself may answer with, for the docs (dependencies declare their own). */
  errors?: readonly number[]
  /** Headers the route sets on its success responses, for the docs: `{ 'X-Total-Count': 'How many match' }`. */
  responseHeaders?: Readonly<Record<string, string>>
  /**
   * Other media types the success body comes in, for the docs, each as bytes of that type (a
   * JSON type, `…+json`, as any JSON value). On a
   * route with a `response` model they are documented beside its JSON (content negotiation:
   * `['application/geo+json']`); on a route without one, the body is only these (a stream, a
   * file: `['text/csv']`). To give one of them a schema, use `responses`.
   */
  mediaTypes?: readonly string[]
  /**
   * More of what the route answers, for the docs, per status, merged into what trefoil derives
   * (FastAPI's `responses=`): another media type of the model's status
   * (`{ 200: { content: { 'application/geo+json': TaskCollection } } }`), the headers of a
   * status, or a status trefoil cannot see (a file's 206 and 304: see `fileResponses`).
   */
  responses?: ResponseDocs
}

/** What the docs say of one status of a route, beyond what trefoil derives from its options. */
export interface ResponseDoc {
  /** Replaces the derived description (default: the status's name). */
  readonly description?: string
  /**
   * The body per media type: a schema, or `'binary'` for a body known only by its type (a file,
   * a stream): its bytes, or for a JSON type (`…+json`) any JSON value.
   * Added to the derived content; on a success status without a `response` model it replaces the
   * derived untyped JSON. An error status (4xx, 5xx) left without content has the usual JSON
   * error body; `{}` says it has no body.
   */
  readonly content?: Readonly<Record<string, TSchema | 'binary'>>
  /** Headers sent with this status: name → what it carries. */
  readonly headers?: Readonly<Record<string, string>>
}

/** A route's `responses`: per status, what the docs add to the derived response. */
export type ResponseDocs = { readonly [status: number]: ResponseDoc }

/** What a handler receives: validated, typed inputs, its dependencies' values, the request. */
export type HandlerInput<Path extends string, P, Q, H, B, U, GU, M = undefined, UP = undefined> = {
  params: StaticOr<P, PathParams<Path>>
  query: StaticOr<Q, RawQuery>
  headers: StaticOr<H, IncomingHttpHeaders>
  body: StaticOr<B, undefined>
  ctx: RequestContext
  app: AppView
} & UseValues<U> &
  UseValues<GU> &
  UploadInput<M, UP>

// The statuses HTTP defines; a reply with one of them is checked against the model of its status.
type HttpStatus =
  | 100 | 101 | 102 | 103
  | 200 | 201 | 202 | 203 | 204 | 205 | 206 | 207 | 208 | 226
  | 300 | 301 | 302 | 303 | 304 | 305 | 307 | 308
  | 400 | 401 | 402 | 403 | 404 | 405 | 406 | 407 | 408 | 409 | 410 | 411 | 412 | 413 | 414 | 415 | 416 | 417 | 418 | 421 | 422 | 423 | 424 | 425 | 426 | 428 | 429 | 431 | 451
  | 500 | 501 | 502 | 503 | 504 | 505 | 506 | 507 | 508 | 510 | 511
type SuccessStatus = 200 | 201 | 202 | 203 | 204 | 205 | 206 | 207 | 208 | 226

/**
 * The replies a route with response spec `R` may return: `created(x)` and `json(x, { status })`
 * must carry the model of their status when the route has one; other statuses take any value.
 */
export type ModelReplies<R> = R extends Schema
  ? ModelReply<SuccessStatus | 'default', Static<R>> | ModelReply<Exclude<HttpStatus, SuccessStatus> | 'any', unknown>
  : R extends { readonly [status: number]: Schema }
    ? { [S in keyof R & number]: ModelReply<S, R[S] extends Schema ? Static<R[S]> : never> }[keyof R & number] | ModelReply<'default', ResponseValue<R>> | ModelReply<Exclude<HttpStatus, keyof R> | 'any', unknown>
    : ModelReply<HttpStatus | 'default' | 'any', unknown>

/**
 * A route handler: its value is sent as JSON (or the route's view), or it returns a reply; the
 * value, and the value of `created()` / `json()`, are checked against the route's response model.
 */
export type Handler<In, R> = (input: In) => Awaitable<ResponseValue<R> | ModelReplies<R>>

type OptionalSchema = TSchema | undefined

/** A route as registered: what the runner compiles and the docs describe. */
export interface RouteDefinition {
  readonly method: HttpMethod
  /** Full path, prefix included, in the router's syntax (`/v1/projects/:projectId`). */
  readonly path: string
  /** The unit (or plugin) that declared it. */
  readonly unit: string
  readonly options: RouteOptions<OptionalSchema, OptionalSchema, OptionalSchema, OptionalSchema, UseMap, ResponseSpec | undefined, MultipartSpec | undefined, UploadSpec | undefined>
  /** Dependencies shared by every route of the unit, resolved before the route's own. */
  readonly groupUse: UseMap
  readonly handler: (input: never) => unknown
  /** The declaring unit's description, which the docs give the unit's tags. */
  readonly tagDescription?: string
  /**
   * Still served once the server has begun to stop, when every other request is answered 503:
   * for health checks, which a load balancer must find answering (readiness "no", liveness
   * "yes") rather than find the port shut. A static path only.
   */
  readonly servedWhileStopping?: boolean
}

/** Options of a unit. */
export interface UnitOptions<GU extends UseMap> {
  /** Path prefix of every route, e.g. `/v1/projects`. */
  prefix?: string
  /** Dependencies every route runs (auth, an existence check); their values reach each handler. */
  use?: GU
  /** OpenAPI tags of every route (default: the unit's name). */
  tags?: string[]
  /** What the unit is about: the description of its tags in the OpenAPI document. */
  description?: string
}
