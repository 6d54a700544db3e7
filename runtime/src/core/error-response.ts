// Renders any thrown value as an answer: FastAPI-compatible JSON for API clients, an HTML
// fragment for htmx, and a whole page in the app's layout for a browser navigating (a browser
// never shows a JSON error). Client errors (4xx) show their message; anything else is a generic
// 500 with the stack in the log.
import { STATUS_CODES } from 'node:http'
import type { Logger } from 'pino'
import { HttpError } from './errors.js'
import type { CoreContext, RequestContext } from './context.js'
import { answer, HTML_TYPE, JSON_TYPE } from './respond.js'
import { viewLocals, type Views } from './views.js'

// Headers that describe the request, the route or the site's policy rather than the failed
// answer, kept on errors.
const KEPT_HEADERS = new Set(['allow', 'connection', 'vary', 'www-authenticate', 'retry-after'])

/** The code of a 401 about credentials just sent (a wrong password): shown, never sent to sign in. */
export const INVALID_CREDENTIALS = 'invalid_credentials'

/** How browser navigations see errors (see `AppOptions.errorPages`). */
export interface ErrorPagesOptions {
  /**
   * The view that renders an error page, inside the layout. It receives `status`, `title`,
   * `detail` (the message), `errors` (a 422's issues) and `requestId`, besides `ctx.state`.
   * Default: `error` when the views folder has it, else a plain page of the runtime's own. A view
   * named here that the views folder lacks fails the start (`TREFOIL_VIEW_MISSING`).
   */
  view?: string
  /**
   * Where a browser goes on 401: a 303 there with `?next=` the page it wanted (htmx requests get
   * `HX-Redirect`); default: an error page. A 401 whose code is `invalid_credentials` (a wrong
   * password just sent) is shown where it happened instead.
   */
  signIn?: string
}

interface ClientError {
  status: number
  detail: unknown
  code: string | undefined
  headers: Record<string, string> | undefined
}

/** Classifies a thrown value: a client-facing error, or undefined for an unexpected failure. */
export function asClientError(error: unknown): ClientError | undefined {
  if (error instanceof HttpError) {
    if (error.status >= 500) return { status: error.status, detail: STATUS_CODES[error.status] ?? 'Error', code: error.code, headers: error.headers }
    return { status: error.status, detail: error.detail, code: error.code, headers: error.headers }
  }
  // errors of Koa and its middleware (http-errors): a status and an `expose` flag
  const status = (error as { status?: unknown } | null)?.status
  if (typeof status === 'number' && status >= 400 && status < 500 && (error as { expose?: unknown }).expose === true) {
    return { status, detail: (error as Error).message || STATUS_CODES[status], code: undefined, headers: (error as { headers?: Record<string, string> }).headers }
  }
  return undefined
}

/** What rendering an error needs from the app. */
export interface ErrorRendering {
  readonly log: Logger
  readonly views: Views | undefined
  readonly pages: ErrorPagesOptions
}

/** Chooses the error answer for `error` and logs what the client must not see. */
export function renderError(ctx: RequestContext, error: unknown, rendering: ErrorRendering): void {
  const client = asClientError(error)
  const status = client?.status ?? 500
  if (!client || status >= 500) {
    rendering.log.error({ err: error instanceof Error ? error : { thrown: describeThrown(error) }, requestId: ctx.state.requestId, route: ctx.state.route ?? `${ctx.method} ${ctx.path}` }, 'Request failed')
  }
  if (ctx.headerSent || !ctx.writable) {
    // the body was already streaming: the only honest signal left is a cut connection
    ctx.req.socket?.destroy()
    return
  }
  for (const name of ctx.res.getHeaderNames()) {
    if (!KEPT_HEADERS.has(name) && !name.startsWith('access-control-')) ctx.res.removeHeader(name)
  }
  if (client?.headers) ctx.set(client.headers)
  const detail = client?.detail ?? 'Internal Server Error'
  const core = ctx as CoreContext
  // a 401 about credentials just sent (a wrong password) is an answer for that form, not a reason to go there
  const toSignIn = status === 401 && rendering.pages.signIn !== undefined && client?.code !== INVALID_CREDENTIALS
  if (ctx.get('HX-Request') === 'true') {
    // htmx follows HX-Redirect with a full page load: the sign-in page, then back
    if (toSignIn) ctx.set('HX-Redirect', `${rendering.pages.signIn}?next=${encodeURIComponent(pageOf(ctx.get('HX-Current-URL')))}`)
    return answer(core, status, HTML_TYPE, errorFragment(status, detail))
  }
  if (navigates(ctx)) {
    if (toSignIn) {
      ctx.set('Location', `${rendering.pages.signIn}?next=${encodeURIComponent(ctx.originalUrl)}`)
      return answer(core, 303, undefined, null)
    }
    return answer(core, status, HTML_TYPE, errorPage(ctx, status, detail, rendering))
  }
  answer(core, status, JSON_TYPE, JSON.stringify(client?.code ? { detail, code: client.code } : { detail }))
}

/** The path and query of the page htmx was on (its `HX-Current-URL`), or `/` for anything else. */
function pageOf(currentUrl: string): string {
  if (!URL.canParse(currentUrl)) return '/'
  const url = new URL(currentUrl)
  return `${url.pathname}${url.search}`
}

/**
 * Whether a browser is loading a page (a link, the address bar, a form without htmx), rather
 * than an API client or htmx asking: it accepts HTML before JSON and did not send `HX-Request`.
 */
export function navigates(ctx: RequestContext): boolean {
  const accept = ctx.get('Accept')
  if (!accept.includes('html') || ctx.get('HX-Request') === 'true') return false
  return ctx.accepts('json', 'html') === 'html'
}

function errorPage(ctx: RequestContext, status: number, detail: unknown, rendering: ErrorRendering): string {
  const title = STATUS_CODES[status] ?? 'Error'
  const errors = Array.isArray(detail) ? (detail as { loc?: unknown[]; msg?: unknown }[]) : undefined
  const message = errors ? 'Some fields need correcting' : String(detail)
  const data = viewLocals(ctx.state, { status, title, detail: message, errors, htmx: false, path: ctx.path })
  const views = rendering.views
  const view = rendering.pages.view ?? 'error'
  if (views?.has(view)) {
    try {
      const page = views.render(view, data)
      if (!views.layout) return page
      data.body = page
      return views.render(views.layout, data)
    } catch (failure) {
      // the error page itself failed (a layout reading state the failed request never set): the
      // plain page still tells the person what happened
      rendering.log.error({ err: failure, requestId: ctx.state.requestId }, 'Error page failed to render')
    }
  }
  return plainErrorPage(status, title, message, errors)
}

/** The runtime's own error page, for apps without an `error` view. */
function plainErrorPage(status: number, title: string, message: string, errors: { loc?: unknown[]; msg?: unknown }[] | undefined): string {
  const items = errors ? `<ul>${errors.map((issue) => `<li>${escapeHtml(String(issue.loc?.slice(1).join('.') ?? ''))}: ${escapeHtml(String(issue.msg ?? ''))}</li>`).join('')}</ul>` : ''
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${status} ${escapeHtml(title)}</title></head><body><main><h1>${status} ${escapeHtml(title)}</h1><p role="alert">${escapeHtml(message)}</p>${items}<p><a href="/">Back to the start page</a></p></main></body></html>`
}

function describeThrown(value: unknown): string {
  try {
    return typeof value === 'string' ? value : JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** The HTML fragment htmx swaps in for an error: the message, and each validation issue. */
export function errorFragment(status: number, detail: unknown): string {
  const items = Array.isArray(detail)
    ? `<ul>${detail.map((issue: { loc?: unknown[]; msg?: unknown }) => `<li data-loc="${escapeHtml((issue.loc ?? []).join('.'))}">${escapeHtml(String(issue.loc?.slice(1).join('.') ?? ''))}: ${escapeHtml(String(issue.msg ?? ''))}</li>`).join('')}</ul>`
    : ''
  const message = Array.isArray(detail) ? 'Please correct the highlighted fields' : String(detail)
  return `<div class="trefoil-error" role="alert" data-status="${status}"><p>${escapeHtml(message)}</p>${items}</div>`
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
