// The request context handlers and dependencies see: Koa's, with the router's params.
import type { Readable } from 'node:stream'
import type { ParameterizedContext } from 'koa'

/** What trefoil keeps on `ctx.state` for each request. */
export interface TrefoilState {
  /** The request id: the client's `x-request-id` when it is sane, else generated. */
  requestId: string
  /** The matched route as `METHOD /path/:param`, for logs. */
  route?: string
  [key: string]: unknown
}

/** A Koa context with route params, as handlers and dependencies receive it. */
export type RequestContext = ParameterizedContext<TrefoilState> & { params: Record<string, string> }

/**
 * The answer a request has chosen, before any byte of it is written: the route's result, an
 * error's rendering, or a hook's early answer. `respond` writes it (see respond.ts).
 */
export interface Answer {
  status: number
  /** The Content-Type; none for empty answers. */
  type: string | undefined
  /** Text and bytes are written whole; a stream is piped; null is an empty body. */
  body: string | Buffer | Readable | null
  /** The body's length in bytes when it is a stream of known length (a file). */
  length?: number | undefined
  /** Request headers the answer depends on, joined with every other `Vary` into one header. */
  vary?: readonly string[] | undefined
}

/** Where a request keeps its answer until `respond` writes it. */
export const ANSWER = Symbol('trefoil.answer')

/** The request context with the core's private slot. */
export type CoreContext = RequestContext & { [ANSWER]?: Answer | undefined }

/**
 * The request's path, as Koa's `ctx.path` reads it, without Koa's URL parsing for the usual
 * origin-form target (`/path?query`); an absolute-form target goes through Koa.
 */
export function pathOf(ctx: RequestContext): string {
  const url = ctx.req.url ?? '/'
  if (url.charCodeAt(0) !== 47 /* / */) return ctx.path
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}
