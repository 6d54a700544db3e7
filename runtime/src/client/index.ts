// The typed client: calls a service's routes with the types of its units, over HTTP (fetch) or
// in process (`app.inject`, no port), with no code generated. The path names the route; params,
// query, body and each status's body are typed from the route's schemas.
import type { HttpMethod } from '../core/routing.js'
import type { AppContract } from '../core/app-api.js'
import type { InjectRequest, InjectResponse } from '../core/inject.js'
import type { Endpoint, EndpointsOf, MethodCall } from './types.js'
import { TrefoilError } from '../core/trefoil-error.js'

export type { BodiesOf, ClientResponse, Endpoint, EndpointsOf, ErrorBody, RequestOf, ResponseOf, ValidationErrorBody } from './types.js'
export type { Wire } from '../core/wire.js'

/** Something that answers requests in process: an app (`createApp`). */
export interface Injectable {
  inject(request: InjectRequest): Promise<InjectResponse>
}

/** Options of {@link client}. */
export interface ClientOptions {
  /** Headers of every call (a bearer token); a call's own headers win. */
  headers?: Record<string, string>
  /** The fetch to call a URL with (default: the global one). */
  fetch?: typeof fetch
}

/** A client of the routes `E`: one function per method, and {@link Client.with} for other headers. */
export interface Client<E extends Endpoint> {
  get: MethodCall<E, 'GET'>
  post: MethodCall<E, 'POST'>
  put: MethodCall<E, 'PUT'>
  patch: MethodCall<E, 'PATCH'>
  delete: MethodCall<E, 'DELETE'>
  options: MethodCall<E, 'OPTIONS'>
  /** The same client with more headers (another user's token). */
  with(options: { headers?: Record<string, string> }): Client<E>
}

/** What a call sends, untyped (the types were checked at the call). */
interface RawRequest {
  params?: Record<string, unknown>
  query?: Record<string, unknown>
  body?: unknown
  headers?: Record<string, string>
}

/** A response before its body is typed. */
interface Received {
  status: number
  headers: Record<string, string | string[]>
  text: string
}

/**
 * A typed client of an app, called in process: its routes are read from the app's type (the
 * units listed in `createApp({ plugins })`), as Hono's `hc` reads an app's; no code is generated.
 * @example
 * const api = client(app, { headers: { authorization: `Bearer ${token}` } })
 * const project = (await api.get('/v1/projects/:projectId', { params: { projectId: 1 } })).expect(200)
 */
export function client<A extends Injectable & { readonly contract?: AppContract }>(app: A, options?: ClientOptions): Client<EndpointsOf<A>>
/**
 * A typed client of the routes of `Units` (an app's type, a unit's type, a union or a tuple of
 * units), calling `target`: a base URL, or an app to call in process.
 * @example
 * const api = client<typeof app>(process.env.API_URL!)
 * const units = client<typeof projects>(app)
 */
export function client<Units>(target: string | URL | Injectable, options?: ClientOptions): Client<EndpointsOf<Units>>
export function client<Units>(target: string | URL | Injectable, options: ClientOptions = {}): Client<EndpointsOf<Units>> {
  const transport = typeof target === 'string' || target instanceof URL ? overHttp(new URL(target), options.fetch ?? fetch) : inProcess(target)
  const make = (headers: Record<string, string>): Client<EndpointsOf<Units>> => {
    const call =
      (method: HttpMethod) =>
      async (path: string, request: RawRequest = {}): Promise<unknown> => {
        const url = fillPath(path, request.params ?? {}) + queryString(request.query)
        const sent = { 'accept': 'application/json', ...headers, ...request.headers }
        return respond(method, path, await transport({ method, url, headers: sent, body: request.body }))
      }
    return {
      get: call('GET'),
      post: call('POST'),
      put: call('PUT'),
      patch: call('PATCH'),
      delete: call('DELETE'),
      options: call('OPTIONS'),
      with: (more: { headers?: Record<string, string> }) => make({ ...headers, ...more.headers }),
    } as unknown as Client<EndpointsOf<Units>>
  }
  return make({ ...options.headers })
}

type Transport = (request: { method: HttpMethod; url: string; headers: Record<string, string>; body: unknown }) => Promise<Received>

function inProcess(app: Injectable): Transport {
  return async ({ method, url, headers, body }) => {
    const response = await app.inject({ method, url, headers, ...(body === undefined ? {} : { body: body instanceof Uint8Array && !Buffer.isBuffer(body) ? Buffer.from(body) : body }) })
    const received: Record<string, string | string[]> = {}
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) received[name.toLowerCase()] = Array.isArray(value) ? value : String(value)
    }
    return { status: response.status, headers: received, text: response.body }
  }
}

function overHttp(base: URL, fetcher: typeof fetch): Transport {
  return async ({ method, url, headers, body }) => {
    const raw = body === undefined || typeof body === 'string' || body instanceof Uint8Array
    const sent = raw ? headers : { 'content-type': 'application/json', ...headers }
    const response = await fetcher(new URL(url.replace(/^\//, ''), base.href.endsWith('/') ? base : `${base.href}/`), {
      method,
      headers: sent,
      // redirects are answers of the route, as they are in process
      redirect: 'manual',
      ...(body === undefined ? {} : { body: raw ? (body as string | Uint8Array) : JSON.stringify(body) }),
    })
    const received: Record<string, string | string[]> = {}
    response.headers.forEach((value, name) => {
      received[name] = value
    })
    const cookies = response.headers.getSetCookie()
    if (cookies.length > 0) received['set-cookie'] = cookies
    return { status: response.status, headers: received, text: await response.text() }
  }
}

/** A response as built at run time; its type comes from the route, at the call. */
interface RawResponse extends Received {
  readonly ok: boolean
  json(): unknown
  expect(status: number): unknown
}

function respond(method: string, path: string, received: Received): RawResponse {
  let parsed: { value: unknown } | undefined
  const json = (): unknown => {
    parsed ??= { value: received.text === '' ? undefined : JSON.parse(received.text) }
    return parsed.value
  }
  return {
    status: received.status,
    ok: received.status >= 200 && received.status < 300,
    headers: received.headers,
    text: received.text,
    json,
    expect(status: number) {
      if (received.status !== status) throw new Error(`${method} ${path} answered ${received.status}, not ${status}: ${received.text.slice(0, 1000)}`)
      return json()
    },
  }
}

/** The path with each `:name` replaced by its value, encoded. */
function fillPath(path: string, params: Record<string, unknown>): string {
  return path.replace(/:([A-Za-z_$][\w$]*)/g, (_, name: string) => {
    const value = params[name]
    if (value === undefined || value === null) throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', `Cannot call ${path}: path parameter "${name}" is missing`)
    return encodeURIComponent(String(value))
  })
}

/** `?a=1&b=x&b=y` from a query object; undefined values are left out. */
function queryString(query: Record<string, unknown> | undefined): string {
  if (!query) return ''
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue
    for (const item of Array.isArray(value) ? value : [value]) search.append(key, String(item))
  }
  const text = search.toString()
  return text === '' ? '' : `?${text}`
}
