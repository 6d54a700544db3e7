// CSRF protection for cookie sessions: a token derived from the session token with an HMAC (a
// "signed double submit", OWASP's stateless pattern). A page reads it from a readable cookie or
// from `csrfToken(ctx)` and sends it back in the `X-CSRF-Token` header on unsafe requests.
// Why tied to the session rather than random: a token an attacker plants with a cookie of their
// own (a sibling subdomain) is useless without the victim's session, and nothing is stored.
import { createHmac } from 'node:crypto'
import { Forbidden } from '../core/errors.js'
import type { RequestContext } from '../core/context.js'
import { safeEqual } from '../security/index.js'
import { TrefoilError } from '../core/trefoil-error.js'

/** Methods that must not change state, so need no CSRF token (RFC 9110 §9.2.1). */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

/** Options of {@link createCsrf}. */
export interface CsrfOptions {
  /** The key of the HMAC; at least 32 bytes. */
  secret: string | Uint8Array
  /** The request header carrying the token (default `x-csrf-token`). */
  header?: string
}

/** Derives and checks CSRF tokens for session tokens. */
export interface Csrf {
  /** The CSRF token for a session token. */
  tokenFor(sessionToken: string): string
  /** Throws 403 unless the request carries the token of `sessionToken` (safe methods pass). */
  check(ctx: RequestContext, sessionToken: string): void
  /** The header name clients send the token in. */
  readonly header: string
}

/**
 * Creates the CSRF check used by `defineAuth` for cookie-authenticated requests.
 * @example
 * const csrf = createCsrf({ secret: settings.SECRET_KEY })
 * csrf.check(ctx, sessionToken) // 403 "CSRF token missing or invalid"
 */
export function createCsrf(options: CsrfOptions): Csrf {
  const key = typeof options.secret === 'string' ? Buffer.from(options.secret) : Buffer.from(options.secret)
  if (key.byteLength < 32) throw new TrefoilError('TREFOIL_SECRET_TOO_SHORT', `Cannot use a CSRF secret of ${key.byteLength} bytes: use at least 32`)
  const header = (options.header ?? 'x-csrf-token').toLowerCase()
  // a label keeps this HMAC apart from any other use of the same secret (the token signature)
  const tokenFor = (sessionToken: string): string => createHmac('sha256', key).update('trefoil csrf\0').update(sessionToken).digest('base64url')
  return {
    header,
    tokenFor,
    check(ctx, sessionToken) {
      if (SAFE_METHODS.has(ctx.method)) return
      const sent = ctx.get(header)
      if (sent === '' || !safeEqual(sent, tokenFor(sessionToken))) throw new Forbidden('CSRF token missing or invalid', { code: 'csrf_failed' })
    },
  }
}
