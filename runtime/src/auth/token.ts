// Reading and verifying bearer tokens with jose: where the token comes from (header or session
// cookie), which keys and algorithms may sign it, and how each failure reads to the client.
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import { HttpError, ServiceUnavailable, Unauthorized } from '../core/errors.js'
import type { RequestContext } from '../core/context.js'
import { TrefoilError } from '../core/trefoil-error.js'

/** How tokens are checked; built once by `defineAuth`. */
export interface TokenVerifier {
  verify(token: string): Promise<JWTPayload>
  /** Whether the keys come from a remote JWKS (its outages answer 503, not 401). */
  readonly remote: boolean
}

/** The verification options `defineAuth` accepts. */
export interface VerifierOptions {
  secret?: string | Uint8Array | undefined
  jwksUrl?: string | URL | undefined
  issuer?: string | string[] | undefined
  audience?: string | string[] | undefined
  algorithms?: readonly string[] | undefined
  clockTolerance?: number | undefined
}

const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512']
const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']
/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash. */
const MIN_SECRET_BYTES = 32

/**
 * Builds the verifier; throws at start-up for a configuration that would allow algorithm
 * confusion (an HMAC algorithm with public keys, or a public-key algorithm with a secret).
 */
export function createVerifier(options: VerifierOptions): TokenVerifier {
  if ((options.secret === undefined) === (options.jwksUrl === undefined)) throw new TrefoilError('TREFOIL_AUTH_OPTIONS_INVALID', 'defineAuth() needs exactly one of secret or jwksUrl')
  const verifyOptions = { issuer: options.issuer, audience: options.audience, clockTolerance: options.clockTolerance ?? 0, requiredClaims: ['exp'] }
  if (options.secret !== undefined) {
    const key = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret
    if (key.byteLength < MIN_SECRET_BYTES) throw new TrefoilError('TREFOIL_SECRET_TOO_SHORT', `Cannot use a token secret of ${key.byteLength} bytes: use at least ${MIN_SECRET_BYTES}`)
    const algorithms = checkAlgorithms(options.algorithms ?? ['HS256'], HMAC_ALGORITHMS, 'a secret')
    return {
      remote: false,
      async verify(token) {
        return (await jwtVerify(token, key, { ...verifyOptions, algorithms })).payload
      },
    }
  }
  const keys: JWTVerifyGetKey = createRemoteJWKSet(new URL(options.jwksUrl!), { timeoutDuration: 5000, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 })
  const algorithms = checkAlgorithms(options.algorithms ?? ASYMMETRIC_ALGORITHMS, ASYMMETRIC_ALGORITHMS, 'a JWKS')
  return {
    remote: true,
    async verify(token) {
      return (await jwtVerify(token, keys, { ...verifyOptions, algorithms })).payload
    },
  }
}

function checkAlgorithms(given: readonly string[], allowed: readonly string[], source: string): string[] {
  for (const alg of given) {
    if (!allowed.includes(alg)) throw new TrefoilError('TREFOIL_AUTH_OPTIONS_INVALID', `Cannot verify tokens signed with "${alg}" using ${source}: use one of ${allowed.join(', ')}`)
  }
  if (given.length === 0) throw new TrefoilError('TREFOIL_AUTH_OPTIONS_INVALID', 'defineAuth() needs at least one algorithm')
  return [...given]
}

/** Where a request's token came from: the `Authorization` header, or the session cookie. */
export interface FoundToken {
  token: string
  via: 'header' | 'cookie'
}

// RFC 6750 §2.1: b64token
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i

/** The request's token; 401 when there is none or the header is not `Bearer <token>`. */
export function findToken(ctx: RequestContext, cookieName: string | undefined): FoundToken {
  const header = ctx.get('Authorization')
  if (header !== '') {
    const match = BEARER.exec(header.trim())
    if (!match) throw unauthorized('Invalid authorization header: expected "Bearer <token>"', 'invalid_request')
    return { token: match[1]!, via: 'header' }
  }
  const cookie = cookieName ? ctx.cookies.get(cookieName) : undefined
  if (cookie) return { token: cookie, via: 'cookie' }
  throw unauthorized('Not authenticated')
}

/** A 401 carrying the RFC 6750 challenge; `error` only when credentials were sent and failed. */
export function unauthorized(message: string, error?: 'invalid_request' | 'invalid_token'): Unauthorized {
  const challenge = error ? `Bearer error="${error}", error_description="${message.replace(/["\\]/g, '')}"` : 'Bearer'
  return new Unauthorized(message, { headers: { 'WWW-Authenticate': challenge } })
}

/** Turns what jose threw into the answer the client gets: 401 with a reason, or 503 for a JWKS outage. */
export function tokenError(error: unknown, remote: boolean): HttpError {
  if (error instanceof HttpError) return error
  if (error instanceof errors.JWTExpired) return unauthorized('Token has expired', 'invalid_token')
  if (error instanceof errors.JWTClaimValidationFailed) {
    const reason = error.claim === 'nbf' ? 'Token is not valid yet' : error.claim === 'aud' ? 'Invalid token: wrong audience' : error.claim === 'iss' ? 'Invalid token: wrong issuer' : `Invalid token: ${error.claim} claim check failed`
    return unauthorized(reason, 'invalid_token')
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return unauthorized('Invalid token: algorithm not allowed', 'invalid_token')
  if (error instanceof errors.JWSSignatureVerificationFailed) return unauthorized('Invalid token: signature check failed', 'invalid_token')
  if (error instanceof errors.JWKSNoMatchingKey) return unauthorized('Invalid token: unknown signing key', 'invalid_token')
  if (remote && (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || !(error instanceof errors.JOSEError))) {
    // the key set is unreachable or broken: the token may be fine, so this is not the client's fault
    return new ServiceUnavailable('Cannot verify tokens now', { cause: error })
  }
  return unauthorized('Invalid token', 'invalid_token')
}
