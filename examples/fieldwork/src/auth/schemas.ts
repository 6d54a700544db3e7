// Shapes of the auth unit: signing up, logging in, and the account clients see.
import { named, t, type Static } from 'trefoil'

const Email = t.String({ format: 'email', maxLength: 254, transform: ['trim', 'toLowerCase'] })
// what a new password must be, at sign-up and when it changes
const NewPassword = t.String({ minLength: 8, maxLength: 256 })

/** What a client sends to create an account. */
export const SignUpIn = named(
  'SignUpIn',
  t.Object({
    email: Email,
    name: t.String({ minLength: 1, maxLength: 128, transform: ['trim'] }),
    password: NewPassword,
  }),
)
export type SignUpIn = Static<typeof SignUpIn>

/** What a client sends to log in (for a token, or a cookie session). */
export const LoginIn = named('LoginIn', t.Object({ email: Email, password: t.String({ minLength: 1, maxLength: 256 }) }))
export type LoginIn = Static<typeof LoginIn>

/** What the signed-in user sends to change their password: the current one, and the new one (checked as at sign-up). */
export const PasswordChangeIn = named(
  'PasswordChangeIn',
  t.Object({ currentPassword: t.String({ minLength: 1, maxLength: 256 }), newPassword: NewPassword }),
)
export type PasswordChangeIn = Static<typeof PasswordChangeIn>

/** An account as clients see it (never its password hash). */
export const UserOut = named(
  'UserOut',
  t.Object({ id: t.Integer(), email: t.String(), name: t.String(), isAdmin: t.Boolean(), createdAt: t.String({ format: 'date-time' }) }),
)
export type UserOut = Static<typeof UserOut>

/** A bearer token for the JSON API (OAuth 2 field names, as API clients expect them). */
export const TokenOut = named(
  'TokenOut',
  t.Object({ access_token: t.String(), token_type: t.Literal('bearer'), expires_in: t.Integer({ description: 'Seconds until it expires' }) }),
)
export type TokenOut = Static<typeof TokenOut>
