// Renders any thrown value as a response: FastAPI-compatible JSON, or an HTML fragment for htmx.
// Client errors (4xx) show their message; anything else is a generic 500 with the stack in the log.
import { STATUS_CODES } from 'node:http'
import type { Logger } from 'pino'
import { HttpError } from './errors.js'
import type { RequestContext } from './context.js'

// Headers that describe the request, the route or the site's policy rather than the failed
// body, kept on errors.
const KEPT_HEADERS = new Set(['allow', 'connection', 'vary', 'x-request-id', 'www-authenticate', 'retry-after', 'x-content-type-options', 'referrer-policy', 'strict-transport-security'])

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

/** Writes the error response for `error` into `ctx` and logs what the client must not see. */
export function renderError(ctx: RequestContext, error: unknown, log: Logger): void {
  const client = asClientError(error)
  const status = client?.status ?? 500
  if (!client || status >= 500) {
    log.error({ err: error instanceof Error ? error : { thrown: describeThrown(error) }, requestId: ctx.state.requestId, route: ctx.state.route ?? `${ctx.method} ${ctx.path}` }, 'Request failed')
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
  ctx.status = status
  if (ctx.get('HX-Request') === 'true') {
    ctx.set('Content-Type', 'text/html; charset=utf-8')
    ctx.body = errorFragment(status, detail)
    return
  }
  ctx.set('Content-Type', 'application/json; charset=utf-8')
  ctx.body = JSON.stringify(client?.code ? { detail, code: client.code } : { detail })
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
