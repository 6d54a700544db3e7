// Signing in from the tests: a new account holding a role (given on the database, as
// src/auth/set-role.ts does), with its bearer token. Not a test file itself: tests import it.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { setRole } from '../src/auth/logic.js'
import { ROLES, type Role, type TokenOut, type UserOut } from '../src/auth/schemas.js'
import { databasePlugin } from '../src/db/database.js'
import { app } from '../src/main.js'

/** A signed-in account of a test: its headers carry its bearer token. */
export interface SignedIn {
  user: UserOut
  email: string
  password: string
  headers: { authorization: string }
}

/** Makes an account (a new email each time: the tests' database keeps accounts between runs) holding `role`, and signs it in. */
export async function signedIn(role: Role = ROLES[0]): Promise<SignedIn> {
  const email = `${randomUUID()}@example.org`
  const password = randomUUID()
  const made = await app.inject({ method: 'POST', url: '/v1/auth/users', body: { email, name: `A ${role}`, password } })
  assert.equal(made.status, 201, made.body)
  let user = made.json<UserOut>()
  if (user.role !== role) user = await setRole(app.plugin(databasePlugin).db, user.id, role)
  const token = await app.inject({ method: 'POST', url: '/v1/auth/tokens', body: { email, password } })
  assert.equal(token.status, 200, token.body)
  return { user, email, password, headers: { authorization: `Bearer ${token.json<TokenOut>().access_token}` } }
}
