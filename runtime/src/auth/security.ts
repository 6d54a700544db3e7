// Security defaults that are plugins, so an app lists what it turns on: headers for HTML pages
// (`security()`), CORS (`cors()`, off unless listed), and a constant-time comparison for secrets.
import { createHash, timingSafeEqual } from 'node:crypto'
import koaCors from '@koa/cors'
import type { Middleware } from 'koa'
import type { TrefoilState } from '../core/context.js'
import { definePlugin, type Plugin } from '../core/plugin.js'

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
 * @example createApp({ plugins: [security(), projects] })
 */
export function security(options: SecurityOptions = {}): Plugin {
  const csp = options.contentSecurityPolicy === undefined ? DEFAULT_CSP : options.contentSecurityPolicy
  const frame = options.frameOptions === undefined ? 'DENY' : options.frameOptions
  const referrer = options.referrerPolicy === undefined ? 'same-origin' : options.referrerPolicy
  const hsts = options.hstsMaxAge === undefined ? 31_536_000 : options.hstsMaxAge
  const middleware: Middleware<TrefoilState> = async function securityHeaders(ctx, next) {
    // set before the route runs, so error responses (htmx fragments) carry them too: the core
    // keeps these headers when it renders an error
    ctx.set('X-Content-Type-Options', 'nosniff')
    if (referrer) ctx.set('Referrer-Policy', referrer)
    if (hsts !== false && ctx.secure) ctx.set('Strict-Transport-Security', `max-age=${hsts}; includeSubDomains`)
    await next()
    if (ctx.response.is('html') === false) return
    if (csp) ctx.set('Content-Security-Policy', csp)
    if (frame) ctx.set('X-Frame-Options', frame)
  }
  return definePlugin({
    name: 'security',
    setup(app) {
      app.use(middleware)
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
 * Built on `@koa/cors`; requests from other origins get no `Access-Control-Allow-Origin`.
 * @example createApp({ plugins: [cors({ origins: ['https://map.example.org'], credentials: true }), projects] })
 */
export function cors(options: CorsOptions): Plugin {
  const any = options.origins === '*'
  if (any && options.credentials) throw new TypeError("Cannot allow credentials for any origin: list the origins instead of '*'")
  for (const origin of any ? [] : options.origins) {
    if (origin !== new URL(origin).origin) throw new TypeError(`Cannot allow origin "${origin}": write it as scheme://host[:port], without a path or trailing slash`)
  }
  const allowed = new Set(any ? [] : options.origins)
  const middleware = koaCors({
    origin: (ctx) => {
      const origin = ctx.get('Origin')
      if (any) return '*'
      return allowed.has(origin) ? origin : ''
    },
    credentials: options.credentials ?? false,
    ...(options.methods ? { allowMethods: [...options.methods] } : {}),
    ...(options.allowHeaders ? { allowHeaders: [...options.allowHeaders] } : {}),
    ...(options.exposeHeaders ? { exposeHeaders: [...options.exposeHeaders] } : {}),
    ...(options.maxAge !== undefined ? { maxAge: options.maxAge } : {}),
  }) as unknown as Middleware<TrefoilState>
  return definePlugin({
    name: 'cors',
    setup(app) {
      app.use(middleware)
    },
  })
}
