import { test } from 'uvu'
import { Validator } from '@seriousme/openapi-schema-validator'
import * as assert from 'uvu/assert'
import { createApp, createCsrf, created, defineAuth, defineUnit, html, noContent, openapi, safeEqual, t } from 'trefoil'

const SECRET = 'another-test-secret-long-enough-for-hs256!'
const auth = defineAuth({
  secret: SECRET,
  audience: 'fieldwork',
  roleIn: (user, projectId) => (user.sub === 'alice' && projectId === 1 ? 'mapper' : undefined),
  session: true,
})

const pages = defineUnit('pages', (r) => {
  r.post('/login', { body: t.Object({ username: t.String({ minLength: 1 }) }) }, async ({ body, ctx }) => {
    // a real app checks a password first; the session is the same JWT the API accepts
    auth.login(ctx, await auth.sign({}, { subject: body.username }))
    return { csrf: auth.csrfToken(ctx) }
  })
  r.post('/logout', ({ ctx }) => {
    auth.logout(ctx)
    return noContent()
  })
  r.get('/page', { use: { user: auth.currentUser } }, ({ user, ctx }) => html(`<body hx-headers='{"X-CSRF-Token": "${auth.csrfToken(ctx)}"}'>Hello ${user.sub}</body>`))
  r.get('/v1/me', { use: { user: auth.currentUser } }, ({ user }) => ({ sub: user.sub }))
  r.post('/v1/projects/:projectId/tasks', { use: { grant: auth.requireRole('mapper') }, status: 201 }, ({ grant }) => created({ project: grant.projectId }))
})
const app = createApp({ plugins: [pages, openapi({ title: 'Pages', version: '1' })] })

function cookies(setCookie: unknown): Map<string, string> {
  const list = Array.isArray(setCookie) ? (setCookie as string[]) : setCookie ? [String(setCookie)] : []
  return new Map(list.map((line) => [line.split('=')[0]!, line]))
}
function value(line: string | undefined): string {
  return decodeURIComponent(line!.split(';')[0]!.split('=').slice(1).join('='))
}

async function login(username = 'alice') {
  const res = await app.inject({ method: 'POST', url: '/login', body: { username } })
  assert.is(res.status, 200)
  const set = cookies(res.headers['set-cookie'])
  const session = value(set.get('session'))
  const csrf = value(set.get('csrf_token'))
  return { res, set, session, csrf, cookie: `session=${session}; csrf_token=${csrf}` }
}

test('login sets the token in an HttpOnly, SameSite=Lax cookie and a readable CSRF cookie', async () => {
  const { res, set, session, csrf } = await login()
  const sessionLine = set.get('session')!.toLowerCase()
  assert.match(sessionLine, 'httponly')
  assert.match(sessionLine, 'samesite=lax')
  assert.match(sessionLine, 'path=/')
  assert.not.match(sessionLine, 'secure', 'no Secure flag over plain HTTP')
  assert.not.match(set.get('csrf_token')!.toLowerCase(), 'httponly')
  assert.is(session.split('.').length, 3, 'the session is the JWT itself')
  assert.equal(res.json(), { csrf })
})

test('behind an HTTPS proxy the cookies are Secure', async () => {
  const proxied = createApp({ plugins: [pages], proxy: true })
  const res = await proxied.inject({ method: 'POST', url: '/login', body: { username: 'alice' }, headers: { 'x-forwarded-proto': 'https' } })
  for (const line of cookies(res.headers['set-cookie']).values()) assert.match(line.toLowerCase(), '; secure')
})

test('a cookie session authenticates safe requests without a CSRF token', async () => {
  const { cookie, csrf } = await login()
  const me = await app.inject({ url: '/v1/me', headers: { cookie } })
  assert.is(me.status, 200)
  assert.equal(me.json(), { sub: 'alice' })
  const page = await app.inject({ url: '/page', headers: { cookie } })
  assert.match(page.body, `"X-CSRF-Token": "${csrf}"`)
})

test('CSRF: an unsafe cookie-authenticated request without the token is rejected with 403', async () => {
  const { cookie } = await login()
  const res = await app.inject({ method: 'POST', url: '/v1/projects/1/tasks', headers: { cookie } })
  assert.is(res.status, 403)
  assert.equal(res.json(), { detail: 'CSRF token missing or invalid', code: 'csrf_failed' })
})

test('CSRF: a wrong token, or the token of another session, is rejected', async () => {
  const alice = await login('alice')
  const mallory = await login('mallory')
  for (const token of ['x', alice.csrf.slice(0, -1) + (alice.csrf.endsWith('A') ? 'B' : 'A'), mallory.csrf]) {
    const res = await app.inject({ method: 'POST', url: '/v1/projects/1/tasks', headers: { cookie: alice.cookie, 'x-csrf-token': token } })
    assert.is(res.status, 403, token)
    assert.equal(res.json(), { detail: 'CSRF token missing or invalid', code: 'csrf_failed' })
  }
  // a planted csrf cookie does not help without the matching session
  const planted = await app.inject({ method: 'POST', url: '/v1/projects/1/tasks', headers: { cookie: `session=${alice.session}; csrf_token=${mallory.csrf}`, 'x-csrf-token': mallory.csrf } })
  assert.is(planted.status, 403)
})

test('CSRF: the token from the cookie, sent back in X-CSRF-Token, is accepted', async () => {
  const { cookie, csrf } = await login()
  const res = await app.inject({ method: 'POST', url: '/v1/projects/1/tasks', headers: { cookie, 'x-csrf-token': csrf } })
  assert.is(res.status, 201)
  assert.equal(res.json(), { project: 1 })
  // the role check still applies after the CSRF check
  const other = await app.inject({ method: 'POST', url: '/v1/projects/2/tasks', headers: { cookie, 'x-csrf-token': csrf } })
  assert.is(other.status, 403)
  assert.equal(other.json().detail, 'Missing role "mapper" in project 2: you have no role in this project')
})

test('a bearer header needs no CSRF token (browsers never attach it on their own)', async () => {
  const { session } = await login()
  const res = await app.inject({ method: 'POST', url: '/v1/projects/1/tasks', headers: { authorization: `Bearer ${session}` } })
  assert.is(res.status, 201)
})

test('an invalid session cookie answers 401, before any CSRF check', async () => {
  const res = await app.inject({ method: 'POST', url: '/v1/projects/1/tasks', headers: { cookie: 'session=garbage' } })
  assert.is(res.status, 401)
  assert.equal(res.json(), { detail: 'Invalid token' })
})

test('logout clears both cookies', async () => {
  const { cookie, csrf } = await login()
  const res = await app.inject({ method: 'POST', url: '/logout', headers: { cookie, 'x-csrf-token': csrf } })
  assert.is(res.status, 204)
  const set = cookies(res.headers['set-cookie'])
  for (const name of ['session', 'csrf_token']) {
    assert.is(value(set.get(name)), '')
    assert.match(set.get(name)!.toLowerCase(), 'expires=thu, 01 jan 1970')
  }
})

test('the OpenAPI document offers the bearer header or the session cookie, and lists 403 for CSRF', async () => {
  const doc = (await app.inject({ url: '/openapi.json' })).json()
  assert.equal(doc.components.securitySchemes, {
    bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    cookieAuth: { type: 'apiKey', in: 'cookie', name: 'session', description: 'Session cookie; unsafe methods also need the x-csrf-token header' },
  })
  const op = doc.paths['/v1/me'].get
  assert.equal(op.security, [{ bearerAuth: [] }, { cookieAuth: [] }])
  assert.equal(Object.keys(op.responses), ['200', '401', '403'])
  // a public operation says so: no credentials needed
  assert.equal(doc.paths['/login'].post.security, [])
  const result = await new Validator().validate(doc)
  assert.ok(result.valid, JSON.stringify(result.errors))
})

test('createCsrf and safeEqual', () => {
  assert.throws(() => createCsrf({ secret: 'short' }), /Cannot use a CSRF secret of 5 bytes: use at least 32/)
  const csrf = createCsrf({ secret: SECRET })
  assert.is(csrf.tokenFor('a'), csrf.tokenFor('a'))
  assert.is.not(csrf.tokenFor('a'), csrf.tokenFor('b'))
  assert.ok(safeEqual('secret', 'secret'))
  assert.not.ok(safeEqual('secret', 'secreT'))
  assert.not.ok(safeEqual('secret', 'secret-longer'))
  assert.not.ok(safeEqual('', 'x'))
  assert.ok(safeEqual(Buffer.from('abc'), 'abc'))
  assert.throws(() => defineAuth({ jwksUrl: 'https://idp.example.org/jwks', session: true }), /needs session.csrfSecret/)
})

test.run()
