// The request context handlers and dependencies see: Koa's, with the router's params.
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
