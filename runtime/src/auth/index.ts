// Authentication and project roles as dependencies: `bearer` verifies the JWT (header or session
// cookie), `currentUser` loads the user once per request, `requireRole(min)` checks the user's
// role in the project named by the route. Login and logout helpers manage the session cookie.
import type { IncomingHttpHeaders } from 'node:http'
import { SignJWT, type JWTPayload } from 'jose'
import t, { type Static, type TSchema } from 'typebox'
import { checksSchemas, depends, type Dependency, type DependencyBase, type RawQuery, type UseMap, type UseValues } from '../core/depends.js'
import { Forbidden } from '../core/errors.js'
import { createCsrf, SAFE_METHODS } from './csrf.js'
import { createVerifier, findToken, tokenError, unauthorized } from './token.js'
import type { RequestContext } from '../core/context.js'
import { markSecurity, type SecurityAlternative } from '../openapi/index.js'
import { TrefoilError } from '../core/trefoil-error.js'
import { compilerOf } from '../core/validation.js'
import { checkFor } from '../core/serialize.js'

type Awaitable<T> = T | Promise<T>

export type { JWTPayload } from 'jose'

/** The roles of the guide's domain, lowest first: each includes the ones before it. */
export const DEFAULT_ROLES = ['mapper', 'validator', 'field_manager', 'project_manager'] as const

/** What `loadUser` and `roleIn` receive besides their own arguments: the request and the `use` values. */
export type AuthInput<U extends UseMap> = DependencyBase<Record<string, unknown>, RawQuery, IncomingHttpHeaders> & UseValues<U>

/** Session cookie options (cookie sessions serve the hypermedia pages with the same token). */
export interface SessionOptions {
  /** The HttpOnly cookie holding the token (default `session`). */
  name?: string
  /** The readable cookie holding the CSRF token for scripts (default `csrf_token`). */
  csrfCookie?: string
  /** The header unsafe requests send the CSRF token in (default `x-csrf-token`). */
  csrfHeader?: string
  /** Mark cookies `Secure`: default only on HTTPS requests (Koa refuses secure cookies over plain HTTP). */
  secure?: boolean
  /** The HMAC key for CSRF tokens; defaults to `secret` (required with `jwksUrl`). */
  csrfSecret?: string | Uint8Array
}

/** Options of {@link defineAuth}. */
export interface AuthOptions<User, Role extends string, U extends UseMap, P extends TSchema> {
  /** HS256 secret (at least 32 bytes), e.g. `settings.SECRET_KEY`. Exactly one of `secret` / `jwksUrl`. */
  secret?: string | Uint8Array
  /** A JWKS URL for tokens signed with public-key algorithms by an identity provider. */
  jwksUrl?: string | URL
  /** Accepted `iss` value(s); checked when given. */
  issuer?: string | string[]
  /** Accepted `aud` value(s); checked when given. */
  audience?: string | string[]
  /** Accepted `alg` values: default `HS256` with a secret, the RSA/ECDSA/EdDSA family with a JWKS. HMAC and public-key algorithms never mix. */
  algorithms?: readonly string[]
  /** Leeway for `exp` / `nbf`, in seconds (default 0). */
  clockTolerance?: number
  /**
   * The shape the token's claims must have (e.g. `t.Object({ sub: t.String({ pattern: '^[1-9][0-9]{0,15}$' }) })`),
   * checked after the signature: a signed token whose claims do not fit is a 401, never a
   * failure further on (a `sub` that is not a user id reaching the database).
   */
  claims?: TSchema
  /** Dependencies `loadUser` and `roleIn` need (the database). */
  use?: U
  /** The user for verified claims; nothing → 401. Default: the claims themselves. */
  loadUser?: (claims: JWTPayload, input: AuthInput<U>) => Awaitable<User | null | undefined>
  /** The roles, lowest first (default {@link DEFAULT_ROLES}). */
  roles?: readonly Role[]
  /** The user's role in a project, or nothing when they have none. Needed by `requireRole`. */
  roleIn?: (user: User, projectId: Static<P>, input: AuthInput<U>) => Awaitable<Role | null | undefined>
  /** Whether a user is an admin: admins pass every role check. */
  isAdmin?: (user: User) => boolean
  /** The route param naming the project (default `projectId`). */
  projectParam?: string
  /** Its schema (default a positive integer). */
  projectIdSchema?: P
  /** Cookie sessions for pages; off unless given. */
  session?: SessionOptions | boolean
}

/** What `requireRole` resolves to: the user, the project and the role that let them in. */
export interface ProjectGrant<User, Role extends string, ProjectId = unknown> {
  user: User
  projectId: ProjectId
  /** The user's role in the project, or `admin`. */
  role: Role | 'admin'
}

/** Options of `auth.login`. */
export interface LoginOptions {
  /** Cookie lifetime in seconds; default: until the token's `exp`. */
  maxAge?: number
}

/** Options of `auth.sign`. */
export interface SignOptions {
  /** Lifetime: seconds, or a jose time span like `'2h'` (default `'1h'`). */
  expiresIn?: number | string
  /** The `sub` claim (the user's id). */
  subject?: string
}

/** The dependencies and helpers made by {@link defineAuth}. */
export interface Auth<User, Role extends string, P extends TSchema> {
  /** The verified claims of the request's token; 401 (with `WWW-Authenticate`) otherwise. */
  readonly bearer: Dependency<JWTPayload>
  /** The user of the request's token, loaded once per request. */
  readonly currentUser: Dependency<User>
  /** A dependency that answers 403 unless the user has at least `min` in the route's project. */
  requireRole(min: Role): Dependency<ProjectGrant<User, Role, Static<P>>>
  /** The roles, lowest first. */
  readonly roles: readonly Role[]
  /** Signs a token with the secret (HS256 setups only), with `iss` / `aud` when configured. */
  sign(claims: JWTPayload, options?: SignOptions): Promise<string>
  /** Starts a cookie session: sets the HttpOnly session cookie and the readable CSRF cookie. */
  login(ctx: RequestContext, token: string, options?: LoginOptions): void
  /** Ends the cookie session. */
  logout(ctx: RequestContext): void
  /** The CSRF token of the request's session (for a page's `hx-headers`), if it has one. */
  csrfToken(ctx: RequestContext): string | undefined
}

/**
 * Declares authentication for an app. The app says how to load a user and a user's role in a
 * project; routes ask for `currentUser` or `requireRole('validator')` in their `use`.
 * @example
 * export const auth = defineAuth({
 *   secret: settings.SECRET_KEY,
 *   audience: 'fieldwork',
 *   use: { db: database },
 *   loadUser: (claims, { db }) => users.get(db, Number(claims.sub)),
 *   roleIn: (user, projectId, { db }) => roles.of(db, user.id, projectId),
 *   isAdmin: (user) => user.isAdmin,
 *   session: true,
 * })
 * r.get('/:projectId', { use: { grant: auth.requireRole('mapper') } }, ({ grant }) => grant.role)
 */
export function defineAuth<User = JWTPayload, const Role extends string = (typeof DEFAULT_ROLES)[number], U extends UseMap = {}, P extends TSchema = ReturnType<typeof t.Integer>>(
  options: AuthOptions<User, Role, U, P>,
): Auth<User, Role, P> {
  const verifier = createVerifier(options)
  const roles = (options.roles ?? DEFAULT_ROLES) as readonly Role[]
  if (roles.length === 0) throw new TrefoilError('TREFOIL_AUTH_OPTIONS_INVALID', 'defineAuth() needs at least one role')
  const use = (options.use ?? {}) as U
  for (const key of ['claims', 'user']) if (key in use) throw new TrefoilError('TREFOIL_DEPENDENCY_NAME_TAKEN', `Cannot use "${key}" as a dependency name in defineAuth(): it names the token's claims or the user`)

  const session = options.session ? (options.session === true ? {} : options.session) : undefined
  const cookieName = session ? (session.name ?? 'session') : undefined
  const csrfCookie = session?.csrfCookie ?? 'csrf_token'
  const csrfSecret = session?.csrfSecret ?? options.secret
  if (session && csrfSecret === undefined) throw new TrefoilError('TREFOIL_AUTH_OPTIONS_INVALID', 'defineAuth() with a jwksUrl and sessions needs session.csrfSecret')
  const csrf = session ? createCsrf({ secret: csrfSecret!, ...(session.csrfHeader ? { header: session.csrfHeader } : {}) }) : undefined

  // checked by the app's compiler (its formats apply to claims), not TypeBox's own compiler:
  // importing `typebox/compile` loads ~300 more modules (~150 ms of every start). Compiled at the
  // app's start-up (checksSchemas below); the lookup per request is a cache hit.
  const claimsSchema = options.claims
  const bearerErrors = [401, ...(csrf ? [403] : []), ...(verifier.remote ? [503] : [])]
  const bearer = depends({ name: 'bearer', errors: bearerErrors }, async function bearer({ ctx, app }): Promise<JWTPayload> {
    const found = findToken(ctx, cookieName)
    let claims: JWTPayload
    try {
      claims = await verifier.verify(found.token)
    } catch (error) {
      throw tokenError(error, verifier.remote)
    }
    if (claimsSchema && !checkFor(claimsSchema, compilerOf(app))(claims)) throw unauthorized('Invalid token: its claims are not those of a user', 'invalid_token')
    // a cookie is sent by the browser on its own, so a cross-site form could ride on it; a header is not
    if (found.via === 'cookie' && csrf && !SAFE_METHODS.has(ctx.method)) csrf.check(ctx, found.token)
    return claims
  })
  const alternatives: SecurityAlternative[] = [{ name: 'bearerAuth', scheme: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }]
  if (cookieName) alternatives.push({ name: 'cookieAuth', scheme: { type: 'apiKey', in: 'cookie', name: cookieName, description: `Session cookie; unsafe methods also need the ${csrf!.header} header` } })
  markSecurity(bearer, alternatives)
  if (claimsSchema) checksSchemas(bearer, [claimsSchema])

  const currentUser = depends({ name: 'currentUser', use: { ...use, claims: bearer }, errors: [401] }, async function currentUser(input): Promise<User> {
    const { claims } = input as unknown as { claims: JWTPayload }
    if (!options.loadUser) return claims as User
    const user = await options.loadUser(claims, input as unknown as AuthInput<U>)
    if (user === null || user === undefined) throw unauthorized('Invalid token: unknown user', 'invalid_token')
    return user
  })

  const param = options.projectParam ?? 'projectId'
  const idSchema = (options.projectIdSchema ?? t.Integer({ minimum: 1 })) as TSchema
  let projectRole: Dependency<{ user: User; projectId: Static<P>; role: Role | 'admin' | undefined }> | undefined
  const grantFor = () =>
    (projectRole ??= depends({ name: 'projectRole', params: t.Object({ [param]: idSchema }), use: { ...use, user: currentUser } }, async function projectRole(input) {
      const { user, params } = input as unknown as { user: User; params: Record<string, Static<P>> }
      const projectId = params[param] as Static<P>
      if (options.isAdmin?.(user)) return { user, projectId, role: 'admin' as Role | 'admin' | undefined }
      const role: Role | 'admin' | undefined = (await options.roleIn!(user, projectId, input as unknown as AuthInput<U>)) ?? undefined
      return { user, projectId, role }
    }))
  const checks = new Map<Role, Dependency<ProjectGrant<User, Role, Static<P>>>>()
  const rank = (role: Role | 'admin' | undefined): number => (role === 'admin' ? Infinity : role === undefined ? -1 : roles.indexOf(role))

  return {
    bearer,
    currentUser,
    roles,
    requireRole(min) {
      if (!roles.includes(min)) throw new TrefoilError('TREFOIL_ROLE_UNKNOWN', `Cannot require role "${min}": the roles are ${roles.join(', ')}`)
      if (!options.roleIn) throw new TrefoilError('TREFOIL_AUTH_NOT_CONFIGURED', `Cannot require role "${min}": defineAuth() needs roleIn to find a user's role in a project`)
      let check = checks.get(min)
      if (!check) {
        check = depends({ name: `requireRole(${min})`, use: { grant: grantFor() }, errors: [403] }, function requireRole({ grant }) {
          if (rank(grant.role) >= rank(min)) return grant as ProjectGrant<User, Role, Static<P>>
          const held = grant.role === undefined ? 'you have no role in this project' : `you are ${grant.role}`
          throw new Forbidden(`Missing role "${min}" in project ${String(grant.projectId)}: ${held}`, { code: 'role_required' })
        })
        checks.set(min, check)
      }
      return check
    },
    async sign(claims, signOptions = {}) {
      if (options.secret === undefined) throw new TrefoilError('TREFOIL_AUTH_NOT_CONFIGURED', 'Cannot sign tokens: defineAuth() has no secret (tokens come from the JWKS issuer)')
      const key = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret
      const jwt = new SignJWT(claims).setProtectedHeader({ alg: options.algorithms?.[0] ?? 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime(signOptions.expiresIn ?? '1h')
      if (signOptions.subject) jwt.setSubject(signOptions.subject)
      if (typeof options.issuer === 'string') jwt.setIssuer(options.issuer)
      if (options.audience !== undefined) jwt.setAudience(options.audience)
      return jwt.sign(key)
    },
    login(ctx, token, loginOptions = {}) {
      if (!cookieName || !csrf) throw new TrefoilError('TREFOIL_AUTH_NOT_CONFIGURED', 'Cannot log in with a cookie: defineAuth() has no session option')
      const secure = session?.secure ?? ctx.secure
      const maxAge = (loginOptions.maxAge ?? secondsUntilExpiry(token)) * 1000
      ctx.cookies.set(cookieName, token, { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge, overwrite: true })
      // readable by the page's scripts (htmx sends it back as a header); useless without the session
      ctx.cookies.set(csrfCookie, csrf.tokenFor(token), { httpOnly: false, sameSite: 'lax', secure, path: '/', maxAge, overwrite: true })
      ctx.state.sessionToken = token
    },
    logout(ctx) {
      if (!cookieName) return
      const secure = session?.secure ?? ctx.secure
      ctx.cookies.set(cookieName, '', { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: 0, overwrite: true })
      ctx.cookies.set(csrfCookie, '', { httpOnly: false, sameSite: 'lax', secure, path: '/', maxAge: 0, overwrite: true })
    },
    csrfToken(ctx) {
      if (!cookieName || !csrf) return undefined
      const token = typeof ctx.state.sessionToken === 'string' ? ctx.state.sessionToken : ctx.cookies.get(cookieName)
      return token ? csrf.tokenFor(token) : undefined
    },
  }
}

function secondsUntilExpiry(token: string): number {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown }
    if (typeof payload.exp === 'number') return Math.max(0, Math.floor(payload.exp - Date.now() / 1000))
  } catch {
    // not a JWT we can read: fall back to a session-length cookie below
  }
  return 3600
}

export { createCsrf, SAFE_METHODS, type Csrf, type CsrfOptions } from './csrf.js'
export { attemptLimiter, TooManyAttempts, ATTEMPTS_TABLE_SQL, type AttemptLimiterOptions, type Attempts } from './attempts.js'
