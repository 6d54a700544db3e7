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

/**
 * Set on a request when the core middleware calls the router itself (no Koa middleware between
 * them): JSON answers then skip Koa's response setters and are written by the core.
 */
export const DIRECT = Symbol('trefoil.direct')
/** The JSON text a direct request answers with, written by the core once the route is done. */
export const PENDING_JSON = Symbol('trefoil.pendingJson')
/** The status of that JSON answer. */
export const JSON_STATUS = Symbol('trefoil.jsonStatus')

/** The status the core chose, kept while Koa's `respond` takes over (Koa resets it to 404 first). */
export const CHOSEN_STATUS = Symbol('trefoil.chosenStatus')

/** The request context with the core's private slots. */
export type CoreContext = RequestContext & { [DIRECT]?: boolean; [PENDING_JSON]?: string | undefined; [JSON_STATUS]?: number; [CHOSEN_STATUS]?: number }
