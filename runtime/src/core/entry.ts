// The app's Node request handler: one request from arrival to its answer. It gives the request
// its id, runs the `aroundRequest` and `onRequest` hooks, finds and runs the route (through the
// app's Koa middleware when a plugin added some), renders what failed, and hands the answer to
// `respond`, which writes every byte. Koa provides the context objects and middleware
// composition; its own request handling and `respond` are not used.
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type Koa from 'koa'
import compose from 'koa-compose'
import type { Middleware } from 'koa'
import type { Logger } from 'pino'
import { HttpError, NotFound } from './errors.js'
import { ANSWER, pathOf, type CoreContext, type RequestContext, type TrefoilState } from './context.js'
import type { Dispatch } from './dispatch.js'
import { renderError, type ErrorRendering } from './error-response.js'
import type { AroundRequestHook, HookSet } from './hooks.js'
import { dropAnswer, exposeAnswer, respond, respondBare } from './respond.js'
import { isReply, type Reply } from './responses.js'
import { requestLine } from '../logging.js'
import { send } from './send.js'

/** A Node request handler, as `http.createServer` takes it. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void

/** Turns a thrown value into an HTTP error, or returns undefined to leave it alone. */
export type ErrorMapper = (error: unknown) => HttpError | undefined

/** What the entry serves with; read once, when the handler is built (after start-up). */
export interface EntryOptions {
  readonly koa: Koa<TrefoilState>
  readonly log: Logger
  readonly hooks: HookSet
  /** Koa middleware that plugins or the app added, run in order around the routes. */
  readonly middleware: readonly Middleware<TrefoilState>[]
  readonly dispatch: Dispatch
  readonly errorMappers: readonly ErrorMapper[]
  readonly errors: ErrorRendering
}

// request ids: a prefix per process and a counter per handler, so ids stay unique across the
// processes of `trefoil serve` and across apps in one process
const SAFE_REQUEST_ID = /^[\w.:-]{1,128}$/

/** Builds the handler once (on `listen()`, `callback()` or the first `inject`). */
export function createRequestHandler(options: EntryOptions): RequestHandler {
  const { koa, log, hooks, dispatch, errorMappers, errors } = options
  const prefix = randomBytes(4).toString('hex')
  let counter = 0
  const logRequests = log.isLevelEnabled('info')
  const logRequest = requestLine(log)
  const onRequest = hooks.onRequest
  const onSend = hooks.onSend
  const onResponse = hooks.onResponse
  // with Koa middleware, the routes run as its innermost layer, and their answer is handed to
  // Koa's response fields on the way out, where the middleware can read or rewrite it
  const routes = options.middleware.length === 0 ? dispatch : withMiddleware(options.middleware, dispatch)
  const serve = around(hooks.aroundRequest, onRequest.length > 0 ? runHooks : routes)
  const noTarget = { name: 'onRequest', status: 200, responseFor: () => undefined, view: undefined, views: undefined, checkResponses: false, compiler: undefined }

  return function handleRequest(req, res) {
    const ctx = koa.createContext(req, res) as CoreContext
    // Koa middleware reads 404 until something answers, as under Koa's own handler
    res.statusCode = 404
    const given = req.headers['x-request-id']
    const requestId = typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : `${prefix}-${(++counter).toString(36)}`
    ctx.state.requestId = requestId
    const started = logRequests || onResponse.length > 0 ? performance.now() : 0
    const finish = (): void => {
      try {
        respond(ctx, { requestId, onSend, log })
      } catch (error) {
        log.error({ err: error, requestId }, 'Response failed')
        if (!res.headersSent) {
          respondBare(res, 500, '{"detail":"Internal Server Error"}', ['X-Request-Id', requestId])
        } else res.destroy()
      }
      if (logRequests || onResponse.length > 0) after(ctx, requestId, started)
    }
    const fail = (error: unknown): void => {
      dropAnswer(ctx)
      try {
        renderError(ctx, mapped(error, errorMappers), errors)
      } catch (renderFailure) {
        log.error({ err: renderFailure, requestId }, 'Rendering an error failed')
      }
      finish()
    }
    let served: Promise<void> | undefined
    try {
      served = serve(ctx)
    } catch (error) {
      return fail(error)
    }
    served.then(() => {
      if (ctx[ANSWER] === undefined && ctx.respond !== false && ctx.body == null) {
        // nothing answered, or Koa middleware set an error status without a body
        const status = ctx.status
        if (status === 404) return fail(new NotFound())
        if (status >= 400) return fail(new HttpError(status, 'Error'))
      }
      finish()
    }, fail)
  }

  // hooks that answer synchronously (most: a header check, a preflight) cost no promise
  function runHooks(ctx: CoreContext, from = 0): Promise<void> {
    for (let i = from; i < onRequest.length; i++) {
      const early = onRequest[i]!(ctx)
      if (early !== undefined && typeof (early as Promise<unknown>).then === 'function') {
        return (early as Promise<Reply | undefined | void>).then((value) => (isReply(value) ? answerEarly(ctx, value) : runHooks(ctx, i + 1)))
      }
      if (isReply(early)) return answerEarly(ctx, early)
    }
    return routes(ctx)
  }

  async function answerEarly(ctx: CoreContext, early: Reply): Promise<void> {
    const sent = send(ctx, noTarget, early)
    if (sent !== false) await sent
  }

  function after(ctx: CoreContext, requestId: string, started: number): void {
    const ms = Math.round((performance.now() - started) * 100) / 100
    const status = ctx.res.statusCode
    if (logRequests) logRequest(requestId, ctx.method, pathOf(ctx), ctx.state.route, status, ms)
    for (const hook of onResponse) {
      try {
        hook(ctx, { status, ms })
      } catch (error) {
        log.error({ err: error, requestId }, 'An onResponse hook failed')
      }
    }
  }
}

// each aroundRequest hook runs the rest of the request, the first registered outermost
function around(hooks: readonly AroundRequestHook[], inner: Dispatch): Dispatch {
  let serve = inner
  for (let i = hooks.length - 1; i >= 0; i--) {
    const hook = hooks[i]!
    const rest = serve
    serve = (ctx) => hook(ctx, () => rest(ctx))
  }
  return serve
}

function withMiddleware(middleware: readonly Middleware<TrefoilState>[], dispatch: Dispatch): Dispatch {
  const innermost: Middleware<TrefoilState> = async function routes(ctx) {
    await dispatch(ctx as RequestContext)
    exposeAnswer(ctx as CoreContext)
  }
  const chain = compose([...middleware, innermost])
  return (ctx) => chain(ctx)
}

function mapped(error: unknown, mappers: readonly ErrorMapper[]): unknown {
  if (error instanceof HttpError) return error
  for (const mapper of mappers) {
    const result = mapper(error)
    if (result) return result
  }
  return error
}
