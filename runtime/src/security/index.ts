// Security defaults that are plugins, so an app lists what it turns on: headers for HTML pages
// (`security()`), CORS (`cors()`, off unless listed), and a constant-time comparison for secrets.
// Both plugins are hooks with their headers computed at start-up, so an app that lists them keeps
// the core's answer path and pays a few array pushes per request.
import { createHash, timingSafeEqual } from 'node:crypto'
import { definePlugin, type Plugin } from '../core/plugin.js'
import { noContent } from '../core/responses.js'
import { TrefoilError } from '../core/trefoil-error.js'

/**
 * Compares two secrets (tokens, signatures, API keys) in time that does not depend on where they
 * differ, nor on their lengths: both are hashed first, so the comparison is of equal lengths.
 * @example if (!safeEqual(given, expected)) throw new Forbidden('Invalid key')
 */
export function safeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const ha = createHash('sha256').update(a).digest()
  const hb = createHash('sha256').update(b).digest()
  // the length check is for inputs that hash alike but differ: impossible in practice, kept honest
  return timingSafeEqual(ha, hb) && Buffer.byteLength(a as string) === Buffer.byteLength(b as string)
}

/**
 * The default Content-Security-Policy: everything from this server (htmx and the docs UI are
 * served locally), inline styles allowed (htmx's indicator style, Swagger UI), no inline or
 * eval'd scripts, no framing, no plugins.
 */
export const DEFAULT_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

/** Options of {@link security}. */
export interface SecurityOptions {
  /** The Content-Security-Policy of HTML responses (default {@link DEFAULT_CSP}); `false` for none. */
  contentSecurityPolicy?: string | false
  /** `X-Frame-Options` of HTML responses (default `DENY`; older browsers ignore CSP `frame-ancestors`). */
  frameOptions?: 'DENY' | 'SAMEORIGIN' | false
  /** `Referrer-Policy` of HTML responses (default `same-origin`: URLs never leak to other sites). */
  referrerPolicy?: string | false
  /** `Strict-Transport-Security` max-age in seconds, sent on HTTPS requests only; `false` for none (default one year). */
  hstsMaxAge?: number | false
}

/**
 * Security headers: `X-Content-Type-Options: nosniff` (a JSON body must never be sniffed into
 * HTML), `Referrer-Policy` and HSTS over HTTPS on every response, errors included; on HTML pages
 * also a CSP and `X-Frame-Options` (an htmx error fragment lives inside a page that has them).
 * A header a route sets itself wins on that route: `ctx.set('Content-Security-Policy', …)` for a
 * page that loads map tiles from another origin.
 * @example createApp({ plugins: [security(), projects] })
 */
export function security(options: SecurityOptions = {}): Plugin {
  const csp = options.contentSecurityPolicy === undefined ? DEFAULT_CSP : options.contentSecurityPolicy
  const frame = options.frameOptions === undefined ? 'DENY' : options.frameOptions
  const referrer = options.referrerPolicy === undefined ? 'same-origin' : options.referrerPolicy
  const hsts = options.hstsMaxAge === undefined ? 31_536_000 : options.hstsMaxAge
  const always = ['X-Content-Type-Options', 'nosniff', ...(referrer ? ['Referrer-Policy', referrer] : [])]
  const pageOnly = [...(csp ? ['Content-Security-Policy', csp] : []), ...(frame ? ['X-Frame-Options', frame] : [])]
  const hstsValue = hsts === false ? undefined : `max-age=${hsts}; includeSubDomains`
  return definePlugin({
    name: 'security',
    setup(app) {
      // every answer, errors included: an htmx error fragment lives inside a page that has them
      app.addHook('onSend', function securityHeaders(ctx, answer, headers) {
        for (let i = 0; i < always.length; i++) headers.push(always[i]!)
        if (hstsValue !== undefined && ctx.secure) headers.push('Strict-Transport-Security', hstsValue)
        if (pageOnly.length > 0 && answer.type !== undefined && answer.type.startsWith('text/html')) {
          for (let i = 0; i < pageOnly.length; i++) headers.push(pageOnly[i]!)
        }
      })
    },
  })
}

/** Options of {@link cors}. */
export interface CorsOptions {
  /** Origins allowed to call the API (`https://app.example.org`), or `'*'` for any (never with credentials). */
  origins: readonly string[] | '*'
  /** Let browsers send cookies and read responses with them (default false). */
  credentials?: boolean
  /** Methods allowed in preflight answers (default GET, HEAD, PUT, POST, DELETE, PATCH). */
  methods?: readonly string[]
  /** Request headers allowed (default: those the preflight asks for). */
  allowHeaders?: readonly string[]
  /** Response headers scripts may read (e.g. `X-Request-Id`). */
  exposeHeaders?: readonly string[]
  /** How long browsers may cache a preflight answer, in seconds. */
  maxAge?: number
}

/**
 * CORS for the listed origins only; an app without this plugin answers no CORS headers at all.
 * Requests from other origins get no `Access-Control-Allow-Origin`.
 * @example createApp({ plugins: [cors({ origins: ['https://map.example.org'], credentials: true }), projects] })
 */
export function cors(options: CorsOptions): Plugin {
  const any = options.origins === '*'
  if (any && options.credentials) throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', "Cannot allow credentials for any origin: list the origins instead of '*'")
  for (const origin of any ? [] : options.origins) {
    if (origin !== new URL(origin).origin) throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', `Cannot allow origin "${origin}": write it as scheme://host[:port], without a path or trailing slash`)
  }
  const allowed = new Set(any ? [] : options.origins)
  const credentials = options.credentials ?? false
  const exposed = options.exposeHeaders && options.exposeHeaders.length > 0 ? options.exposeHeaders.join(',') : undefined
  const methods = (options.methods ?? ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH']).join(',')
  const allowHeaders = options.allowHeaders ? options.allowHeaders.join(',') : undefined
  const maxAge = options.maxAge !== undefined ? String(options.maxAge) : undefined
  const originFor = (origin: string): string | undefined => (any ? '*' : allowed.has(origin) ? origin : undefined)
  return definePlugin({
    name: 'cors',
    setup(app) {
      // a preflight from an allowed origin is answered before routing; the allow-origin headers
      // themselves are added to it, as to every answer, on send
      app.addHook('onRequest', function corsPreflight(ctx) {
        // read from Node's request: Koa's getters go through delegates on every request
        if (ctx.req.method !== 'OPTIONS') return undefined
        const origin = ctx.get('Origin')
        const method = ctx.get('Access-Control-Request-Method')
        if (origin === '' || method === '' || originFor(origin) === undefined) return undefined
        const headers: Record<string, string> = { 'Access-Control-Allow-Methods': methods }
        const requested = allowHeaders ?? ctx.get('Access-Control-Request-Headers')
        if (requested) headers['Access-Control-Allow-Headers'] = requested
        if (maxAge !== undefined) headers['Access-Control-Max-Age'] = maxAge
        return noContent({ headers })
      })
      app.addHook('onSend', function corsHeaders(ctx, _answer, headers) {
        headers.push('Vary', 'Origin')
        const origin = ctx.req.headers.origin
        if (origin === undefined || origin === '') return
        const allow = originFor(origin)
        if (allow === undefined) return
        headers.push('Access-Control-Allow-Origin', allow)
        if (credentials) headers.push('Access-Control-Allow-Credentials', 'true')
        if (exposed !== undefined) headers.push('Access-Control-Expose-Headers', exposed)
      })
    },
  })
}
