// Hooks: how plugins take part in every request without Koa middleware, so every answer keeps
// the core's one path (see entry.ts and respond.ts). `onRequest`, `onSend` and `onResponse` are
// Fastify's names; `aroundRequest` does what Fastify's callback-style hooks allow by calling
// `done` inside a scope.
import type { Reply } from './responses.js'
import type { RequestContext } from './context.js'
import { TrefoilError } from './trefoil-error.js'

/**
 * Runs before routing. Returning a reply answers the request with it and skips the route (a CORS
 * preflight); throwing answers with the error.
 */
export type OnRequestHook = (ctx: RequestContext) => Reply | undefined | void | Promise<Reply | undefined | void>

/** The answer as `onSend` hooks see it. */
export interface SentAnswer {
  readonly status: number
  /** The Content-Type, if the answer has a body. */
  readonly type: string | undefined
}

/**
 * Runs right before the answer's headers are written, errors included: adds headers by pushing
 * name, value pairs onto `headers` (synchronous, so headers can be precomputed at start-up).
 */
export type OnSendHook = (ctx: RequestContext, answer: SentAnswer, headers: string[]) => void

/**
 * Runs the rest of the request inside it: the `onRequest` hooks, routing and the route, as `run`.
 * For code that needs the request's work in a scope of its own (an `AsyncLocalStorage` store, a
 * timer around it); the answer is still written by the core once every such hook has resolved.
 * Hooks registered first are outermost. A rejection answers with the error.
 * @example app.addHook('aroundRequest', (ctx, run) => store.run(new Map(), run))
 */
export type AroundRequestHook = (ctx: RequestContext, run: () => Promise<void>) => Promise<void>

/** What `onResponse` hooks learn once the answer is handed to Node. */
export interface ResponseInfo {
  readonly status: number
  /** Milliseconds from the request's arrival to its answer. */
  readonly ms: number
}

/** Runs once the answer is handed to Node (logs, metrics); errors it throws are logged. */
export type OnResponseHook = (ctx: RequestContext, info: ResponseInfo) => void

/** The hooks an app runs, by name. */
export interface HookName {
  aroundRequest: AroundRequestHook
  onRequest: OnRequestHook
  onSend: OnSendHook
  onResponse: OnResponseHook
}

/** One app's hooks, in registration order. */
export class HookSet {
  readonly aroundRequest: AroundRequestHook[] = []
  readonly onRequest: OnRequestHook[] = []
  readonly onSend: OnSendHook[] = []
  readonly onResponse: OnResponseHook[] = []

  add<K extends keyof HookName>(name: K, hook: HookName[K]): void {
    const list = this[name] as HookName[K][] | undefined
    if (!Array.isArray(list)) throw new TrefoilError('TREFOIL_HOOK_UNKNOWN', `Cannot add hook "${String(name)}": the hooks are aroundRequest, onRequest, onSend and onResponse`)
    list.push(hook)
  }
}
