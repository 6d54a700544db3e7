// Accounts and sign-in: scrypt password hashes, tokens signed with the service's key and tied to a
// session row (so that signing out ends them), and the dependencies other units ask for:
// `currentUser` (401 without a valid token or session cookie) and `requireRole(min)` (403 below it).
import { randomBytes } from 'node:crypto'
import { Conflict, defineAuth, depends, Forbidden, NotFound, t, Unauthorized, type Db, type Dependency } from 'trefoil'
import { settings } from '../config.js'
import { database } from '../db/database.js'
import { sessions, users } from '../db/models.js'
import { hashPassword, verifyPassword } from './passwords.js'
import { ROLES, type Role, type SignInIn, type SignUpIn, type TokenOut, type UserOut } from './schemas.js'
import { secretKey } from './secret.js'

/**
 * Tokens in `Authorization: Bearer` for API clients, or the same token in an HttpOnly cookie for
 * browsers (unsafe methods then also need the CSRF token, in `X-CSRF-Token`).
 */
export const auth = defineAuth({
  secret: secretKey,
  // a signed token whose claims are not a user id and a session id is a 401 before any query
  claims: t.Object({ sub: t.String({ pattern: '^[1-9][0-9]{0,9}$' }), sid: t.String({ pattern: '^[1-9][0-9]{0,17}$' }) }),
  use: { db: database },
  roles: ROLES,
  // the session is read with the account: a token whose session was closed is refused at once
  loadUser: (claims, { db }) => sessions.user(db, String(claims.sid), Number(claims.sub)),
  session: true,
})

/** The signed-in account: 401 without a valid token or session cookie. */
export const currentUser: Dependency<UserOut> = auth.currentUser

const roleChecks = new Map<Role, Dependency<UserOut>>()

/**
 * The signed-in account when it holds `min` or a higher role (403 otherwise). One dependency per
 * role, so a request checks it once however many ask for it.
 * @example defineUnit('reports', { prefix: '/v1/reports', use: { signedIn: requireRole('editor') } }, ...)
 */
export function requireRole(min: Role): Dependency<UserOut> {
  let check = roleChecks.get(min)
  if (!check) {
    check = depends({ name: `requireRole(${min})`, use: { user: currentUser }, errors: [403] }, function requireRole({ user }): UserOut {
      if (ROLES.indexOf(user.role) >= ROLES.indexOf(min)) return user
      throw new Forbidden(`This needs the role "${min}" or a higher one: you are ${user.role}`, { code: 'role_required' })
    })
    roleChecks.set(min, check)
  }
  return check
}

// compared against when the email is unknown, so that both answers take the same time
const dummyHash = hashPassword(randomBytes(16).toString('hex'))

/** Makes an account with the lowest role (409 when the email has one already). */
export async function signUp(db: Db, input: SignUpIn): Promise<UserOut> {
  const passwordHash = await hashPassword(input.password)
  try {
    return await users.insert(db, { email: input.email, name: input.name, passwordHash })
  } catch (error) {
    if ((error as { constraint?: unknown }).constraint === 'users_email_key') throw new Conflict('An account with this email exists already', { code: 'unique_violation' })
    throw error
  }
}

/** The account of these credentials; the same 401 for an unknown email and a wrong password. */
export async function authenticate(db: Db, input: SignInIn): Promise<UserOut> {
  const found = await users.withPassword(db, input.email)
  const matches = await verifyPassword(input.password, found?.passwordHash ?? (await dummyHash))
  if (!found || !matches) throw new Unauthorized('Incorrect email or password', { code: 'invalid_credentials', headers: { 'WWW-Authenticate': 'Bearer' } })
  const { passwordHash: _hidden, ...user } = found
  return user
}

/** Opens a session for `user` and signs its token, valid for TOKEN_TTL_SECONDS or until it is closed. */
export async function startSession(db: Db, user: UserOut): Promise<TokenOut> {
  const sessionId = await sessions.open(db, user.id, settings.TOKEN_TTL_SECONDS)
  const token = await auth.sign({ sid: sessionId }, { subject: String(user.id), expiresIn: `${settings.TOKEN_TTL_SECONDS}s` })
  return { access_token: token, token_type: 'bearer', expires_in: settings.TOKEN_TTL_SECONDS }
}

/** Closes a session: its token, as a bearer token or a cookie, is refused from then on. */
export async function endSession(db: Db, sessionId: string): Promise<void> {
  await sessions.close(db, sessionId)
}

/** Gives an account another role (404 for an unknown account). */
export async function setRole(db: Db, userId: number, role: Role): Promise<UserOut> {
  const user = await users.setRole(db, userId, role)
  if (!user) throw new NotFound(`User ${userId} not found`)
  return user
}
