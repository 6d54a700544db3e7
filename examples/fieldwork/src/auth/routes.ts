// Accounts and sign-in: bearer tokens for API clients, cookie sessions for the pages.
import { created, defineUnit, html, noContent, type Reply, type RequestContext } from 'trefoil'
import { database } from '../db/database.js'
import type { User } from '../db/models.js'
import { isHtmx } from '../pages.js'
import { auth, authenticate, issueToken, signedIn, signUp } from './logic.js'
import { LoginIn, SignUpIn, TokenOut, UserOut } from './schemas.js'

/** Starts a cookie session and sends the browser to the projects (htmx follows `HX-Redirect`). */
async function startSession(ctx: RequestContext, user: User): Promise<Reply> {
  auth.login(ctx, (await issueToken(user)).access_token)
  return noContent({ headers: { 'HX-Redirect': '/v1/projects' } })
}

/** The auth unit: accounts, tokens, cookie sessions and the sign-in page. */
export default defineUnit('auth', { tags: ['auth'] }, (r) => {
  r.get('/login', { summary: 'The sign-in page', includeInSchema: false }, () => html({ view: 'auth/login', data: { title: 'Sign in' } }))

  r.post('/v1/users', { body: SignUpIn, use: { db: database }, response: { 201: UserOut }, errors: [409], summary: 'Create an account (htmx: and sign in)' }, async ({ body, db, ctx }) => {
    const user = await signUp(db, body)
    if (isHtmx(ctx)) return startSession(ctx, user)
    return created(user)
  })

  r.get('/v1/users/me', { use: { user: signedIn }, response: UserOut, view: 'auth/me', summary: 'The signed-in account' }, ({ user }) => user)

  r.post('/v1/auth/tokens', { body: LoginIn, use: { db: database }, response: TokenOut, errors: [401], summary: 'Log in: a bearer token for the API' }, async ({ body, db }) =>
    issueToken(await authenticate(db, body)),
  )

  r.post('/v1/auth/sessions', { body: LoginIn, use: { db: database }, status: 204, errors: [401], summary: 'Log in: a cookie session for the pages' }, async ({ body, db, ctx }) =>
    startSession(ctx, await authenticate(db, body)),
  )

  r.delete('/v1/auth/sessions', { status: 204, summary: 'Log out of the cookie session' }, ({ ctx }) => {
    auth.logout(ctx)
    return noContent({ headers: { 'HX-Redirect': '/login' } })
  })
})
