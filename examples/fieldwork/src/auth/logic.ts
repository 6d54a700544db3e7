// Accounts and sign-in: scrypt password hashes (async, off the event loop in libuv's pool) and
// JWTs signed with SECRET_KEY (the auth dependencies every unit uses are in deps.ts).
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { Conflict, Unauthorized, ValidationError, type Attempts, type Db } from 'trefoil'
import { settings } from '../config.js'
import { users, type User } from '../db/models.js'
import { auth } from '../deps.js'
import type { LoginIn, PasswordChangeIn, SignUpIn, TokenOut } from './schemas.js'

// scrypt's cost: N = 2^15 takes ~50 ms here and 32 MiB, past OWASP's minimum (N = 2^17 with r = 8
// is their first choice; 2^15 keeps a test suite of many sign-ups fast while staying above 2^14)
const SCRYPT: ScryptOptions = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }
const KEY_LENGTH = 32

function scryptAsync(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key))))
}

/** A salted scrypt hash, stored as `scrypt$N$r$p$salt$hash` so that the cost can rise later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await scryptAsync(password, salt, SCRYPT)
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

/** Whether `password` matches a hash made by {@link hashPassword} (in constant time). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$')
  if (scheme !== 'scrypt' || !salt || !hash) return false
  const expected = Buffer.from(hash, 'base64url')
  const key = await scryptAsync(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem })
  return key.length === expected.length && timingSafeEqual(key, expected)
}

// compared against when the email is unknown, so that both answers take the same time
const dummyHash = hashPassword(randomBytes(16).toString('hex'))

/** Creates an account (409 when the email is taken). */
export async function signUp(db: Db, input: SignUpIn): Promise<User> {
  const passwordHash = await hashPassword(input.password)
  try {
    return await users.insert(db, { email: input.email, name: input.name, passwordHash })
  } catch (error) {
    // said here rather than left to the database plugin's mapping, so that the sign-up page can
    // show it to a plain form (the mapping happens only once the error leaves the route)
    if ((error as { constraint?: unknown }).constraint === 'users_email_key') throw new Conflict('An account with this email already exists', { code: 'unique_violation' })
    throw error
  }
}

/** The account of these credentials; 401 for an unknown email or a wrong password alike. */
export async function authenticate(db: Db, input: LoginIn): Promise<User & { tokenVersion: number }> {
  const found = await users.withPassword(db, input.email)
  const matches = await verifyPassword(input.password, found?.passwordHash ?? (await dummyHash))
  if (!found || !matches) throw new Unauthorized('Incorrect email or password', { code: 'invalid_credentials', headers: { 'WWW-Authenticate': 'Bearer' } })
  const { passwordHash: _hidden, ...user } = found
  return user
}

/**
 * Changes a signed-in user's password when `currentPassword` is theirs (else a 422 on that field)
 * and ends every session and token of the account in the same statement; resolves to the account
 * with its new token version, for the token that replaces the caller's. Each check of the current
 * password counts as an attempt on the account (`attempts`, the sign-in limiter): a stolen
 * session gets no budget of its own for guessing the password.
 */
export async function changePassword(db: Db, user: User, input: PasswordChangeIn, attempts: Attempts): Promise<User & { tokenVersion: number }> {
  if (input.newPassword === input.currentPassword) throw new ValidationError([{ loc: ['body', 'newPassword'], msg: 'The new password is the same as the current one', type: 'value_error' }])
  await attempts.account(user.email)
  const found = await users.withPassword(db, user.email)
  if (!found || !(await verifyPassword(input.currentPassword, found.passwordHash))) {
    throw new ValidationError([{ loc: ['body', 'currentPassword'], msg: 'This is not your current password', type: 'invalid_password' }])
  }
  await attempts.succeeded(user.email)
  const passwordHash = await hashPassword(input.newPassword)
  // only over the hash just checked: of two changes at once, the second finds it gone
  const tokenVersion = await users.changePassword(db, user.id, { expectedHash: found.passwordHash, passwordHash })
  if (tokenVersion === null) throw new Conflict('The password was changed by another request meanwhile: sign in again with the new one', { code: 'password_changed' })
  return { ...user, tokenVersion }
}

/**
 * A signed token for a user: for the API's `Authorization: Bearer`, or a session cookie. It carries
 * the account's token version (`ver`; 0 for a new account), so that {@link revokeSessions} ends it.
 */
export async function issueToken(user: User & { tokenVersion?: number }): Promise<TokenOut> {
  const access_token = await auth.sign({ name: user.name, ver: user.tokenVersion ?? 0 }, { subject: String(user.id), expiresIn: settings.TOKEN_TTL_SECONDS + 's' })
  return { access_token, token_type: 'bearer', expires_in: settings.TOKEN_TTL_SECONDS }
}

/** Ends every session and token of an account at once, in every process (logout; a password change does it with its new hash, see {@link changePassword}). */
export async function revokeSessions(db: Db, userId: number): Promise<void> {
  await users.revokeTokens(db, userId)
}
