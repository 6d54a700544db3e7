// The app's Node request handler. While only the core sits in front of the routes (no plugin
// added Koa middleware), requests skip Koa's per-request machinery that the core does not need:
// koa-compose's promise chain, and the `on-finished` listeners on the response and its socket.
// A JSON answer is then written by the core and never reaches Koa; every other answer (HTML,
// files, streams, redirects, errors) still goes out through Koa's own `respond`.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type Koa from 'koa'
import { CHOSEN_STATUS, type CoreContext, type TrefoilState } from './context.js'

/** A Node request handler, as `http.createServer` takes it. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void

/** The core as the entry needs it: whether it serves alone, and the function that serves. */
export interface CoreEntry {
  /** True once the routes are mounted with no Koa middleware between them and the core. */
  readonly alone: () => boolean
  /** Serves a request (never rejects for errors of the route: it renders them). */
  readonly serve: (ctx: CoreContext) => Promise<void>
}

// `handleRequest` is Koa's own step from a context to `respond`, with its error handling and
// its listeners for streamed bodies; it is Koa's (not documented) method, unchanged since Koa 2.
interface KoaInternals {
  handleRequest(ctx: unknown, run: (ctx: CoreContext) => Promise<void>): Promise<void>
}

/** Builds the handler once (on `listen()`, `callback()` or the first `inject`). */
export function createRequestHandler(koa: Koa<TrefoilState>, core: CoreEntry): RequestHandler {
  let viaKoa: RequestHandler | undefined
  const internals = koa as unknown as KoaInternals
  // Koa's step sets 404 before running the middleware: the status the core chose is restored
  const restoreStatus = (ctx: CoreContext): Promise<void> => {
    ctx.res.statusCode = ctx[CHOSEN_STATUS] ?? 404
    return RESOLVED
  }
  const respondWithKoa = (ctx: CoreContext): void => {
    if (ctx.respond === false) return
    ctx[CHOSEN_STATUS] = ctx.res.statusCode
    void internals.handleRequest(ctx, restoreStatus)
  }
  return function handleRequest(req, res) {
    if (!core.alone()) {
      viaKoa ??= koa.callback()
      return viaKoa(req, res)
    }
    const ctx = koa.createContext(req, res) as CoreContext
    res.statusCode = 404
    core.serve(ctx).then(
      () => respondWithKoa(ctx),
      // only a failure to render an error gets here: Koa's last-resort 500
      (error: unknown) => ctx.onerror(error as Error),
    )
  }
}

const RESOLVED = Promise.resolve()
