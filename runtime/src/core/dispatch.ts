// Finds the route of a request. find-my-way (Fastify's router) looks a path up in a radix tree,
// so the cost does not grow with the number of routes; @koa/router tests every route's regular
// expression in turn and composes a middleware chain per request, which cost a hand-written Koa
// app more than all of trefoil's own code (see bench/README.md).
import Router from 'find-my-way'
import type { HTTPMethod } from 'find-my-way'
import { HttpError, NotFound } from './errors.js'
import type { CoreContext, RequestContext } from './context.js'
import { answer } from './respond.js'
import { TrefoilError } from './trefoil-error.js'

/** A route as the dispatcher needs it: where it lives and what serves it. */
export interface DispatchRoute {
  readonly method: string
  readonly path: string
  readonly serve: (ctx: RequestContext) => Promise<void>
}

/** Serves a request with its route; throws 404, 405 (with `Allow`) or 501 when there is none. */
export type Dispatch = (ctx: RequestContext) => Promise<void>

// the methods routes can have; any other is a 501 (Not Implemented)
const IMPLEMENTED = new Set(['HEAD', 'OPTIONS', 'GET', 'PUT', 'PATCH', 'POST', 'DELETE'])
// a generous bound (find-my-way's default is 100): longer params do not match, so a 404
const MAX_PARAM_LENGTH = 2048

/**
 * Builds the lookup once, at start-up. Paths are case-sensitive (as in FastAPI and Fastify) and a
 * trailing slash is ignored; a GET route answers HEAD too. Duplicate routes fail here.
 */
export function createDispatch(routes: readonly DispatchRoute[]): Dispatch {
  const router = Router({ ignoreTrailingSlash: true, caseSensitive: true, maxParamLength: MAX_PARAM_LENGTH })
  // methods in the order they were first registered: the order of `Allow`
  const methods: string[] = []
  const add = (method: string, route: DispatchRoute): void => {
    if (!methods.includes(method)) methods.push(method)
    router.on(method as HTTPMethod, route.path, noop, route)
  }
  for (const route of routes) {
    try {
      if (route.method === 'GET' && !routes.some((other) => other.method === 'HEAD' && other.path === route.path)) add('HEAD', route)
      add(route.method, route)
    } catch (error) {
      throw new TrefoilError(/already declared/.test((error as Error).message) ? 'TREFOIL_DUPLICATE_ROUTE' : 'TREFOIL_ROUTE_PATH_INVALID', `Cannot register route "${route.method} ${route.path}": ${(error as Error).message}`, { cause: error })
    }
  }

  return function dispatch(ctx) {
    // the raw URL: find-my-way strips the query and decodes params itself, so Koa's URL parsing
    // is only paid for when a route reads the query
    const path = ctx.req.url ?? '/'
    const found = router.find(ctx.method as HTTPMethod, path)
    if (found) {
      ctx.params = found.params as Record<string, string>
      return (found.store as DispatchRoute).serve(ctx)
    }
    return missing(ctx, path)
  }

  function missing(ctx: RequestContext, path: string): Promise<void> {
    if (!IMPLEMENTED.has(ctx.method)) return Promise.reject(new HttpError(501, 'Not Implemented'))
    const allowed = methods.filter((method) => router.find(method as HTTPMethod, path) !== null)
    if (allowed.length === 0) return Promise.reject(new NotFound())
    const allow = allowed.join(', ')
    if (ctx.method !== 'OPTIONS') return Promise.reject(new HttpError(405, 'Method Not Allowed', { headers: { Allow: allow } }))
    // an OPTIONS request for a path without an OPTIONS route: which methods it has
    ctx.set('Allow', allow)
    answer(ctx as CoreContext, 204, undefined, null)
    return Promise.resolve()
  }
}

function noop(): void {}
