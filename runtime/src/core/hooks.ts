// Hooks: how plugins take part in every request without Koa middleware, so every answer keeps
// the core's one path (see entry.ts and respond.ts). The names are Fastify's.
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
  onRequest: OnRequestHook
  onSend: OnSendHook
  onResponse: OnResponseHook
}

/** One app's hooks, in registration order. */
export class HookSet {
  readonly onRequest: OnRequestHook[] = []
  readonly onSend: OnSendHook[] = []
  readonly onResponse: OnResponseHook[] = []

  add<K extends keyof HookName>(name: K, hook: HookName[K]): void {
    const list = this[name] as HookName[K][] | undefined
    if (!Array.isArray(list)) throw new TrefoilError('TREFOIL_HOOK_UNKNOWN', `Cannot add hook "${String(name)}": the hooks are onRequest, onSend and onResponse`)
    list.push(hook)
  }
}
