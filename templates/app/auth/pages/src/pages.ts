// The sign-in of the pages: the sign-in page (GET /sign-in), where createApp's
// `errorPages.signIn` sends a browser that asked for a page needing a signed-in user, the
// sign-up page (GET /sign-up) making an account, signing in and out with a cookie session, and
// what the layout shows of who is signed in.
import { definePlugin, defineUnit, depends, html, noContent, redirect, type Db, type Dependency, type Plugin, type Reply, type RequestContext, t } from 'trefoil'
import { database } from '../db/database.js'
import { isHtmx } from '../site.js'
import { signInAttempts, signUpAttempts } from './limits.js'
import { auth, authenticate, currentUser, endSession, signUp, startSession } from './logic.js'
import { SignInIn, SignUpIn, type UserOut } from './schemas.js'

/** The sign-in page's path (createApp's `errorPages.signIn`). */
export const SIGN_IN = '/sign-in'

/** The sign-up page's path. */
export const SIGN_UP = '/sign-up'

const NextQuery = t.Object({ next: t.Optional(t.String({ maxLength: 2048 })) })

/**
 * Where to go once signed in: `next` (set by the redirect to the sign-in page) when it is a path
 * of this site, else the home page. `//host` and `/\host` would leave the site: refused.
 */
export function nextPage(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || /[\u0000-\u001f]/.test(value)) return '/'
  return value
}

/** Whether the request is a plain form post (no JavaScript): it is sent on with a redirect. */
function plainForm(ctx: RequestContext): boolean {
  return !isHtmx(ctx) && ctx.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded'
}

/** Signs `user` in with a cookie session, then sends the browser to `next`: a redirect for a plain form, `HX-Redirect` for htmx. */
async function signInAndGo(ctx: RequestContext, db: Db, user: UserOut, next: string): Promise<Reply> {
  auth.login(ctx, (await startSession(db, user)).access_token)
  return plainForm(ctx) ? redirect(next, 303) : noContent({ headers: { 'HX-Redirect': next } })
}

/**
 * The signed-in account, also put where the layout finds it: `ctx.state.viewer` (its name in
 * the header) and `ctx.state.csrfToken` (which htmx sends back on unsafe requests). Units with
 * pages that need a sign-in ask for it before their role check, so a 403 page still says who
 * is signed in.
 */
export const viewer: Dependency<UserOut> = depends({ name: 'viewer', use: { user: currentUser } }, function viewer({ user, ctx }): UserOut {
  ctx.state.viewer = user
  ctx.state.csrfToken = auth.csrfToken(ctx)
  return user
})

/**
 * Tells the layout where to sign in (`ctx.state.signInPage`), and whether the request carries a
 * session cookie (`ctx.state.hasSession`, not checked here): a public page, which never reads
 * the account, then offers no sign-in to someone who is signed in.
 */
export const sessionHint: Plugin = definePlugin({
  name: 'session-hint',
  setup(app) {
    app.addHook('onRequest', function sessionHint(ctx) {
      ctx.state.signInPage = SIGN_IN
      if (ctx.cookies.get('session')) ctx.state.hasSession = true
    })
  },
})

/** The sign-in and sign-up pages, and signing in and out from the pages (cookie sessions). */
export const signInPages = defineUnit('sign-in', {}, (r) => {
  r.get(SIGN_IN, { query: NextQuery, summary: 'The sign-in page', includeInSchema: false }, ({ query }) => html({ view: 'sign-in', data: { heading: 'Sign in', next: nextPage(query.next) } }))

  // a wrong password is a 401 the form shows (not a redirect to this page: its code is invalid_credentials)
  r.post(SIGN_IN, { query: NextQuery, body: SignInIn, use: { db: database, attempts: signInAttempts }, status: 204, errors: [401], summary: 'Sign in from the pages: a cookie session, then back to `next`', includeInSchema: false }, async ({ query, body, db, attempts, ctx }) => {
    await attempts.account(body.email)
    const user = await authenticate(db, body)
    await attempts.succeeded(body.email)
    return signInAndGo(ctx, db, user, nextPage(query.next))
  })

  r.get(SIGN_UP, { query: NextQuery, summary: 'The sign-up page', includeInSchema: false }, ({ query }) => html({ view: 'sign-up', data: { heading: 'Make an account', next: nextPage(query.next) } }))

  // the API's sign-up (POST /v1/auth/users) with its attempt limits, then signed in at once: a
  // taken email is a 409 and a bad field a 422, both shown in the form
  r.post(SIGN_UP, { query: NextQuery, body: SignUpIn, use: { db: database, attempts: signUpAttempts }, status: 204, errors: [409], summary: 'Make an account from the pages: signed in with a cookie session, then on to `next`', includeInSchema: false }, async ({ query, body, db, attempts, ctx }) => {
    await attempts.account(body.email)
    return signInAndGo(ctx, db, await signUp(db, body), nextPage(query.next))
  })

  // needs the session and, from a cookie, its CSRF token: no other site can sign anyone out
  r.post('/sign-out', { use: { claims: auth.bearer, db: database }, status: 204, summary: 'Sign out from the pages', includeInSchema: false }, async ({ claims, db, ctx }) => {
    await endSession(db, String(claims.sid))
    auth.logout(ctx)
    return noContent({ headers: { 'HX-Redirect': SIGN_IN } })
  })
})
