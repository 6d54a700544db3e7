
// users and auth_sessions (the auth unit, src/auth/): accounts, and one row per sign-in.
const USER_COLUMNS = 'id, email, name, role'

/** The `users` table; a password hash leaves it only through `withPassword`. */
export const users = {
  insert: (db: Db, user: { email: string; name: string; passwordHash: string }) =>
    db.one<UserOut>(`INSERT INTO users (email, name, password_hash) VALUES ($<email>, $<name>, $<passwordHash>) RETURNING ${USER_COLUMNS}`, user),
  get: (db: Db, id: number) => db.oneOrNone<UserOut>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]),
  byEmail: (db: Db, email: string) => db.oneOrNone<UserOut>(`SELECT ${USER_COLUMNS} FROM users WHERE email = $1`, [email]),
  withPassword: (db: Db, email: string) => db.oneOrNone<UserOut & { passwordHash: string }>(`SELECT ${USER_COLUMNS}, password_hash AS "passwordHash" FROM users WHERE email = $1`, [email]),
  setRole: (db: Db, id: number, role: Role) => db.oneOrNone<UserOut>(`UPDATE users SET role = $2 WHERE id = $1 RETURNING ${USER_COLUMNS}`, [id, role]),
}

/** The `auth_sessions` table: a session's id travels in its token (as text: the column is a bigint). */
export const sessions = {
  /** Opens a session lasting `seconds`; the user's expired sessions go at the same time. */
  open: async (db: Db, userId: number, seconds: number): Promise<string> => {
    await db.none('DELETE FROM auth_sessions WHERE user_id = $1 AND expires_at <= now()', [userId])
    const row = await db.one<{ id: string }>('INSERT INTO auth_sessions (user_id, expires_at) VALUES ($1, now() + make_interval(secs => $2)) RETURNING id::text AS id', [userId, seconds])
    return row.id
  },
  /** The account of a session that is open and not expired. */
  user: (db: Db, sessionId: string, userId: number) =>
    db.oneOrNone<UserOut>('SELECT u.id, u.email, u.name, u.role FROM auth_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1 AND s.user_id = $2 AND s.expires_at > now()', [sessionId, userId]),
  close: (db: Db, sessionId: string) => db.none('DELETE FROM auth_sessions WHERE id = $1', [sessionId]),
}
