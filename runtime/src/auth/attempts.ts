// Sign-in and sign-up attempt limits kept in PostgreSQL, so that every process behind a load
// balancer counts against the same numbers. Each key (an account or a client address) has a
// fixed window: the first attempt opens it, later attempts add to it, and once it has passed the
// next attempt opens a fresh one. A fixed window costs one upsert per key and attempt; a sliding
// log would need a row per attempt. Its known edge (up to twice the limit around a window's
// boundary) is acceptable for slowing down password guessing.
import type { Db } from '../db/index.js'
import { depends, type Dependency } from '../core/depends.js'
import { HttpError } from '../core/errors.js'
import { TrefoilError } from '../core/trefoil-error.js'

/** The SQL that creates the counters' table; run it from a migration of the app. */
export const ATTEMPTS_TABLE_SQL = `CREATE TABLE IF NOT EXISTS auth_attempts (
  key text PRIMARY KEY,
  window_start timestamptz NOT NULL,
  count integer NOT NULL
)`

/** Options of {@link attemptLimiter}. */
export interface AttemptLimiterOptions {
  /** The database dependency whose connection holds the counters (table `auth_attempts`). */
  db: Dependency<Db>
  /** Attempts allowed per account (email, name) within a window. */
  perAccount: number
  /** Attempts allowed per client address within a window (the address Koa trusts: see `proxy`). */
  perAddress: number
  /** The window's length in seconds. */
  window: number
  /** What a request names the limiter in keys, so that sign-in and sign-up can count apart (default `auth`). */
  scope?: string
}

/** A request's attempt counters, given by the {@link attemptLimiter} dependency. */
export interface Attempts {
  /** Counts an attempt on `account`; 429 with `Retry-After` when over its limit. */
  account(account: string): Promise<void>
  /** Clears `account`'s counter after a success (the address counter is left as it is). */
  succeeded(account: string): Promise<void>
}

/** The 429 answer: a clear message and when to try again. */
export class TooManyAttempts extends HttpError {
  constructor(retryAfterSeconds: number) {
    super(429, `Too many attempts: try again in ${retryAfterSeconds} s`, { code: 'too_many_attempts', headers: { 'Retry-After': String(retryAfterSeconds) } })
  }
}

// one statement: concurrent attempts from several processes serialise on the row, so none is lost
const HIT = `INSERT INTO auth_attempts AS a (key, window_start, count) VALUES ($1, now(), 1)
ON CONFLICT (key) DO UPDATE SET
  count = CASE WHEN a.window_start <= now() - make_interval(secs => $2) THEN 1 ELSE a.count + 1 END,
  window_start = CASE WHEN a.window_start <= now() - make_interval(secs => $2) THEN now() ELSE a.window_start END
RETURNING count, ceil(extract(epoch FROM a.window_start + make_interval(secs => $2) - now()))::integer AS retry_after`

async function hit(db: Db, key: string, limit: number, window: number): Promise<void> {
  const row = await db.one<{ count: number; retry_after: number }>(HIT, [key, window])
  if (row.count > limit) throw new TooManyAttempts(Math.max(1, row.retry_after))
}

/**
 * A dependency limiting attempts per client address (counted when the route starts, before its
 * body is read) and per account (counted by `attempts.account(email)` before checking a password).
 * Both hold across processes sharing the database.
 *
 * @example
 * const signInLimit = attemptLimiter({ db: database, perAccount: 10, perAddress: 30, window: 900 })
 * r.post('/v1/auth/tokens', { body: LoginIn, use: { db: database, attempts: signInLimit } }, async ({ body, db, attempts }) => {
 *   await attempts.account(body.email)
 *   const user = await authenticate(db, body)
 *   await attempts.succeeded(body.email)
 *   return issueToken(user)
 * })
 */
export function attemptLimiter(options: AttemptLimiterOptions): Dependency<Attempts> {
  const { perAccount, perAddress, window } = options
  if (!(perAccount >= 1 && perAddress >= 1 && window >= 1)) throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', 'attemptLimiter() needs perAccount, perAddress and window of at least 1')
  const scope = options.scope ?? 'auth'
  return depends({ name: 'attemptLimiter', use: { db: options.db }, errors: [429] }, async function attemptLimiter({ db, ctx }): Promise<Attempts> {
    await hit(db, `${scope}:address:${ctx.ip}`, perAddress, window)
    const accountKey = (account: string): string => `${scope}:account:${account.trim().toLowerCase()}`
    return {
      account: (account) => hit(db, accountKey(account), perAccount, window),
      succeeded: async (account) => {
        await db.none('DELETE FROM auth_attempts WHERE key = $1', [accountKey(account)])
      },
    }
  })
}
