// The types of a unit's routes as the typed client reads them: `r.get(...)` in a unit (unit.ts)
// answers a contract of the route (method, path, schemas), and a unit that returns its routes'
// contracts carries them in its type (as Hono's `hc` reads an app's type), with no code generated.
import type { TSchema } from 'typebox'
import type { UseMap } from './depends.js'
import type { Plugin } from './plugin.js'
import type { Handler, HandlerInput, HttpMethod, ResponseSpec, RouteOptions } from './routing.js'
import type { MultipartSpec, UploadSpec } from '../uploads/types.js'

type OptionalSchema = TSchema | undefined

/** What a route reads and answers, as types: the client builds its request and response types from it. */
export interface RouteIo {
  readonly params: OptionalSchema
  readonly query: OptionalSchema
  readonly headers: OptionalSchema
  readonly body: OptionalSchema
  /** Whether the body is a file or multipart form rather than JSON. */
  readonly upload: boolean
  readonly response: ResponseSpec | undefined
  /** The status of a plain returned value. */
  readonly status: number
}

/**
 * A declared route as a client sees it: its method and its path inside the unit (without the
 * unit's prefix); `io` exists only in the type.
 */
export interface RouteContract<M extends HttpMethod = HttpMethod, Path extends string = string, Io extends RouteIo = RouteIo> {
  readonly method: M
  readonly path: Path
  /** Phantom: the route's schemas, for inference only. */
  readonly io?: Io
}

/** Declares a route for one method, typed from its options, and answers its contract. */
export interface RouteMethod<GU extends UseMap, M extends HttpMethod = HttpMethod> {
  <
    Path extends string,
    P extends OptionalSchema = undefined,
    Q extends OptionalSchema = undefined,
    H extends OptionalSchema = undefined,
    B extends OptionalSchema = undefined,
    U extends UseMap = {},
    R extends ResponseSpec | undefined = undefined,
    MP extends MultipartSpec | undefined = undefined,
    UP extends UploadSpec | undefined = undefined,
    S extends number = 200,
  >(
    path: Path,
    options: RouteOptions<P, Q, H, B, U, R, MP, UP> & { status?: S },
    handler: Handler<HandlerInput<Path, P, Q, H, B, U, GU, MP, UP>, R>,
  ): RouteContract<M, Path, { params: P; query: Q; headers: H; body: B; upload: [MP, UP] extends [undefined, undefined] ? false : true; response: R; status: S }>
  <Path extends string>(
    path: Path,
    handler: Handler<HandlerInput<Path, undefined, undefined, undefined, undefined, {}, GU>, undefined>,
  ): RouteContract<M, Path, { params: undefined; query: undefined; headers: undefined; body: undefined; upload: false; response: undefined; status: 200 }>
}

/** The router a unit's build function receives: each method declares a route and answers its contract. */
export interface UnitRouter<GU extends UseMap> {
  get: RouteMethod<GU, 'GET'>
  post: RouteMethod<GU, 'POST'>
  put: RouteMethod<GU, 'PUT'>
  patch: RouteMethod<GU, 'PATCH'>
  delete: RouteMethod<GU, 'DELETE'>
  options: RouteMethod<GU, 'OPTIONS'>
}

// Only the method and path: a constraint naming the schemas would become the inferred schemas of
// routes declared without them (the compiler infers a call's types from its expected result too).
type DeclaredRoute = { readonly method: HttpMethod; readonly path: string }

/** What a unit's build function may answer: its routes' contracts (typed client), one route's, or nothing. */
export type UnitRoutes = readonly DeclaredRoute[] | DeclaredRoute | void

/**
 * A unit: a plugin whose type keeps its prefix and, when its build function returns them, its
 * routes' contracts (`typeof unit` is what {@link client} reads).
 */
export type Unit<Prefix extends string = string, Routes extends UnitRoutes = UnitRoutes> = Plugin & {
  /** Phantom: the unit's prefix and routes, for inference only. */
  readonly contract?: { readonly prefix: Prefix; readonly routes: Routes }
}
