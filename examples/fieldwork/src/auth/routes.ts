// Accounts and sign-in: bearer tokens for API clients, cookie sessions for the pages. The sign-in
// forms work with htmx (HX-Redirect) and, without JavaScript, as plain form posts (303 redirect,
// or the page again with the error).
import { created, defineUnit, type Attempts, type Db, html, isHttpError, noContent, redirect, type Reply, type RequestContext, type ResponseDocs, t } from 'trefoil'
import { database } from '../db/database.js'
import type { User } from '../db/models.js'
import { isHtmx } from '../pages.js'
import { auth, signedIn } from '../deps.js'
import { authenticate, changePassword, issueToken, revokeSessions, signUp } from './logic.js'
import { signInAttempts, signUpAttempts } from './limits.js'
import { LoginIn, PasswordChangeIn, SignUpIn, TokenOut, UserOut } from './schemas.js'

const HOME = '/v1/projects'
const LoginQuery = t.Object({ next: t.Optional(t.String({ maxLength: 2048 })) })

/** Whether a browser posted a plain HTML form (no JavaScript): it wants a page back, not JSON. */
function plainForm(ctx: RequestContext): boolean {
  return !isHtmx(ctx) && ctx.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded'
}

/**
 * Where to go once signed in: the page the browser was sent away from (`?next=`, set by the
 * sign-in redirect), when it is a path of this site; else the projects. `//host` and `/\\host`
 * would leave the site, so they are refused.
 */
export function nextPage(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || /[\u0000-\u001f]/.test(value)) return HOME
  return value
}

/** How the pages' sign-up and sign-in answer once a session started, as the docs say it. */
const SIGNED_IN_FROM_PAGES: ResponseDocs = {
  204: { description: 'Signed in from the pages with htmx: a session cookie, and the page to go to next', content: {}, headers: { 'HX-Redirect': 'The page htmx opens next' } },
  303: { description: 'Signed in from a form posted without JavaScript: a session cookie, and the page to go to next', content: {}, headers: { Location: 'The page the browser opens next' } },
}

/** Starts a cookie session and sends the browser on (htmx follows `HX-Redirect`). */
async function startSession(ctx: RequestContext, user: User): Promise<Reply> {
  auth.login(ctx, (await issueToken(user)).access_token)
  const next = nextPage(ctx.query.next)
  if (plainForm(ctx)) return redirect(next, 303)
  return noContent({ headers: { 'HX-Redirect': next } })
}

/** A plain form's failure shown on the sign-in page itself; htmx and API clients get the error. */
async function orLoginPage(ctx: RequestContext, attempt: () => Promise<Reply>): Promise<Reply> {
  try {
    return await attempt()
  } catch (error) {
    if (!plainForm(ctx) || !isHttpError(error) || error.status >= 500) throw error
    return html({ view: 'auth/login', data: { title: 'Sign in', next: nextPage(ctx.query.next), problem: typeof error.detail === 'string' ? error.detail : 'Please correct the form' } }, { status: error.status, ...(error.headers ? { headers: error.headers } : {}) })
  }
}

/** Checks credentials within the account's attempt limit; a success clears the account's count. */
async function limitedAuthenticate(db: Db, body: LoginIn, attempts: Attempts): Promise<User & { tokenVersion: number }> {
  await attempts.account(body.email)
  const user = await authenticate(db, body)
  await attempts.succeeded(body.email)
  return user
}

/** The auth unit: accounts, tokens, cookie sessions and the sign-in page. */
export default defineUnit('auth', { tags: ['auth'], description: 'Accounts, bearer tokens and browser sessions' }, (r) => [
  r.get('/login', { query: LoginQuery, summary: 'The sign-in page', includeInSchema: false }, ({ query }) => html({ view: 'auth/login', data: { title: 'Sign in', next: nextPage(query.next) } })),

  r.post('/v1/users', { body: SignUpIn, use: { db: database, attempts: signUpAttempts }, response: { 201: UserOut }, responses: SIGNED_IN_FROM_PAGES, errors: [409], summary: 'Create an account (from the pages: and sign in)' }, async ({ body, db, ctx, attempts }) => {
    if (isHtmx(ctx) || plainForm(ctx)) return orLoginPage(ctx, async () => {
      await attempts.account(body.email)
      return startSession(ctx, await signUp(db, body))
    })
    await attempts.account(body.email)
    return created(await signUp(db, body))
  }),

  r.get('/v1/users/me', { use: { user: signedIn }, response: UserOut, view: 'auth/me', summary: 'The signed-in account' }, ({ user }) => user),

  // Wrong current passwords count against the account's sign-in limit. The change ends every
  // session and token of the account (the version they carry goes up) and the caller's is
  // replaced: a bearer client gets a new token in the answer, a browser a new session cookie and
  // the account page again (its old CSRF token went with the old session).
  r.post(
    '/v1/users/me/password',
    { body: PasswordChangeIn, use: { user: auth.currentUser, db: database, attempts: signInAttempts }, response: { 200: TokenOut, 204: t.Null() }, errors: [409], summary: 'Change your password: ends every other session and token of the account', description: 'The current password is checked (a wrong one is a 422 on `currentPassword` and counts against the sign-in limit of the account); the new one follows the sign-up rules. Every token and session cookie issued before stops working at once, the one used here included: a bearer client gets its replacement in the answer (200), a browser session a new session cookie and CSRF token (204, with `HX-Redirect` back to the account page).' },
    async ({ body, user, db, attempts, ctx }) => {
      const changed = await changePassword(db, user, body, attempts)
      const token = await issueToken(changed)
      // the header wins over the cookie when both come (as the auth dependency reads them)
      if (ctx.get('Authorization') !== '') return token
      auth.login(ctx, token.access_token)
      return noContent({ headers: { 'HX-Redirect': '/v1/users/me?changed=password' } })
    },
  ),

  r.post('/v1/auth/tokens', { body: LoginIn, use: { db: database, attempts: signInAttempts }, response: TokenOut, errors: [401], summary: 'Log in: a bearer token for the API' }, async ({ body, db, attempts }) =>
    issueToken(await limitedAuthenticate(db, body, attempts)),
  ),

  r.post('/v1/auth/sessions', { body: LoginIn, use: { db: database, attempts: signInAttempts }, status: 204, responses: SIGNED_IN_FROM_PAGES, errors: [401], summary: 'Log in: a cookie session for the pages' }, ({ body, db, ctx, attempts }) =>
    orLoginPage(ctx, async () => startSession(ctx, await limitedAuthenticate(db, body, attempts))),
  ),

  // needs the session (and so, from a cookie, the CSRF token): a third-party page cannot log anyone out
  r.delete('/v1/auth/sessions', { use: { user: auth.currentUser, db: database }, status: 204, summary: 'Log out: ends this account\'s sessions and tokens everywhere' }, async ({ ctx, user, db }) => {
    await revokeSessions(db, user.id)
    auth.logout(ctx)
    return noContent({ headers: { 'HX-Redirect': '/login' } })
  }),
])
