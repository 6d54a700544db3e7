import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cors, createApp, DEFAULT_CSP, defineAuth, defineUnit, depends, HttpError, html, openapi, security, t } from 'trefoil'

const unit = defineUnit('things', (r) => {
  r.get('/page', () => html('<p>Hello</p>'))
  r.get('/data', () => ({ ok: true }))
  // a page that shows map tiles from another origin: its own policy, and one header of its own
  r.get('/map', ({ ctx }) => {
    ctx.set('Content-Security-Policy', "default-src 'self'; img-src https://tile.example.org")
    ctx.set('Referrer-Policy', 'no-referrer')
    return html('<p>Map</p>')
  })
  r.post('/data', { body: t.Object({ text: t.String() }) }, ({ body }) => ({ length: body.text.length }))
  r.post('/small', { body: t.Object({ text: t.String() }), bodyLimit: 64 }, () => ({ ok: true }))
  r.get('/missing', () => {
    throw new HttpError(404, 'Thing not found')
  })
})

test('security(): HTML responses get CSP, X-Frame-Options, Referrer-Policy and nosniff', async () => {
  const app = createApp({ plugins: [security(), unit] })
  const res = await app.inject({ url: '/page' })
  assert.is(res.status, 200)
  assert.is(res.headers['content-security-policy'], DEFAULT_CSP)
  assert.match(DEFAULT_CSP, "frame-ancestors 'none'")
  assert.match(DEFAULT_CSP, "script-src 'self'")
  assert.not.match(DEFAULT_CSP, /script-src[^;]*unsafe/)
  assert.is(res.headers['x-frame-options'], 'DENY')
  assert.is(res.headers['referrer-policy'], 'same-origin')
  assert.is(res.headers['x-content-type-options'], 'nosniff')
  assert.is(res.headers['strict-transport-security'], undefined, 'no HSTS over plain HTTP')
})

test('security(): JSON responses get nosniff and Referrer-Policy, not the page-only headers', async () => {
  const app = createApp({ plugins: [security(), unit] })
  const res = await app.inject({ url: '/data' })
  assert.is(res.headers['x-content-type-options'], 'nosniff')
  assert.is(res.headers['referrer-policy'], 'same-origin')
  for (const header of ['content-security-policy', 'x-frame-options']) assert.is(res.headers[header], undefined, header)
})

test('security(): error responses keep nosniff and Referrer-Policy (htmx fragments and JSON alike)', async () => {
  const app = createApp({ plugins: [security(), unit] })
  for (const headers of [{ 'hx-request': 'true' }, {}] as Record<string, string>[]) {
    const res = await app.inject({ url: '/missing', headers })
    assert.is(res.status, 404)
    assert.is(res.headers['x-content-type-options'], 'nosniff')
    assert.is(res.headers['referrer-policy'], 'same-origin')
  }
})

test('security(): a header the route sets itself wins over the default, on that route only', async () => {
  const app = createApp({ plugins: [security(), unit] })
  const map = await app.inject({ url: '/map' })
  assert.is(map.headers['content-security-policy'], "default-src 'self'; img-src https://tile.example.org")
  assert.is(map.headers['referrer-policy'], 'no-referrer')
  assert.is(map.headers['x-frame-options'], 'DENY', 'the defaults it did not set still apply')
  assert.is(map.headers['x-content-type-options'], 'nosniff')
  const page = await app.inject({ url: '/page' })
  assert.is(page.headers['content-security-policy'], DEFAULT_CSP)
  assert.is(page.headers['referrer-policy'], 'same-origin')
})

test('security(): HSTS over HTTPS, options override or turn headers off', async () => {
  const app = createApp({ plugins: [security({ frameOptions: 'SAMEORIGIN', contentSecurityPolicy: false, hstsMaxAge: 600 }), unit], proxy: true })
  const res = await app.inject({ url: '/page', headers: { 'x-forwarded-proto': 'https' } })
  assert.is(res.headers['strict-transport-security'], 'max-age=600; includeSubDomains')
  assert.is(res.headers['x-frame-options'], 'SAMEORIGIN')
  assert.is(res.headers['content-security-policy'], undefined)
})

test('security(): the docs page is served under the CSP (its scripts are files of this server)', async () => {
  const app = createApp({ plugins: [security(), openapi({ title: 'T', version: '1' }), unit] })
  const res = await app.inject({ url: '/docs' })
  assert.is(res.headers['content-security-policy'], DEFAULT_CSP)
  assert.not.match(res.body, /<script>[^<]/, 'no inline script')
  assert.not.match(res.body, / on[a-z]+=/, 'no inline handlers')
})

test('CORS is off unless the plugin is listed', async () => {
  const app = createApp({ plugins: [unit] })
  const res = await app.inject({ url: '/data', headers: { origin: 'https://map.example.org' } })
  assert.is(res.headers['access-control-allow-origin'], undefined)
  const preflight = await app.inject({ method: 'OPTIONS', url: '/data', headers: { origin: 'https://map.example.org', 'access-control-request-method': 'POST' } })
  assert.is(preflight.headers['access-control-allow-origin'], undefined)
})

test('cors(): listed origins only, with preflight answers and headers kept on errors', async () => {
  const app = createApp({ plugins: [cors({ origins: ['https://map.example.org'], credentials: true, exposeHeaders: ['X-Request-Id'], maxAge: 600 }), unit] })
  const ok = await app.inject({ url: '/data', headers: { origin: 'https://map.example.org' } })
  assert.is(ok.headers['access-control-allow-origin'], 'https://map.example.org')
  assert.is(ok.headers['access-control-allow-credentials'], 'true')
  assert.is(ok.headers['access-control-expose-headers'], 'X-Request-Id')
  assert.match(String(ok.headers.vary), 'Origin')
  const other = await app.inject({ url: '/data', headers: { origin: 'https://evil.example.org' } })
  assert.is(other.status, 200)
  assert.is(other.headers['access-control-allow-origin'], undefined)
  const preflight = await app.inject({ method: 'OPTIONS', url: '/data', headers: { origin: 'https://map.example.org', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } })
  assert.is(preflight.status, 204)
  assert.is(preflight.headers['access-control-allow-origin'], 'https://map.example.org')
  assert.match(String(preflight.headers['access-control-allow-methods']), 'POST')
  assert.is(preflight.headers['access-control-allow-headers'], 'content-type')
  assert.is(preflight.headers['access-control-max-age'], '600')
  const missing = await app.inject({ url: '/missing', headers: { origin: 'https://map.example.org' } })
  assert.is(missing.status, 404)
  assert.equal(missing.json(), { detail: 'Thing not found' })
  assert.is(missing.headers['access-control-allow-origin'], 'https://map.example.org', 'a browser can read the error')
})

test('cors(): refuses credentials for any origin, and origins with paths', () => {
  assert.throws(() => cors({ origins: '*', credentials: true }), /Cannot allow credentials for any origin/)
  assert.throws(() => cors({ origins: ['https://map.example.org/'] }), /Cannot allow origin "https:\/\/map.example.org\/"/)
  const any = createApp({ plugins: [cors({ origins: '*' }), unit] })
  return any.inject({ url: '/data', headers: { origin: 'https://anyone.example.org' } }).then((res) => assert.is(res.headers['access-control-allow-origin'], '*'))
})

test('JSON bodies over the limit answer 413 (app default and per route)', async () => {
  const app = createApp({ plugins: [unit], bodyLimit: 1024 })
  const big = await app.inject({ method: 'POST', url: '/data', body: { text: 'x'.repeat(2000) } })
  assert.is(big.status, 413)
  assert.equal(big.json(), { detail: 'Request body is larger than the limit of 1024 bytes' })
  const fits = await app.inject({ method: 'POST', url: '/data', body: { text: 'x'.repeat(500) } })
  assert.is(fits.status, 200)
  const route = await app.inject({ method: 'POST', url: '/small', body: { text: 'x'.repeat(100) } })
  assert.is(route.status, 413)
  const defaults = createApp({ plugins: [unit] })
  const mib = await defaults.inject({ method: 'POST', url: '/data', body: { text: 'x'.repeat(1024 * 1024) } })
  assert.is(mib.status, 413, 'the default limit is 1 MiB')
  // chunked bodies have no Content-Length to check up front: the limit applies while reading
  const chunked = await app.inject({ method: 'POST', url: '/data', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, body: JSON.stringify({ text: 'x'.repeat(4000) }) })
  assert.is(chunked.status, 413)
})

// Things that must never reach a client: SQL, stack frames, file paths, connection strings.
const SQL = 'SELECT password_hash FROM users WHERE email = $1'
const LEAKS = [/select/i, /password/i, /users/i, /\bat [\w.<>]+ \(/, /\.ts:\d+/, /node_modules/, /postgres(ql)?:\/\//i, /stack/i]

function assertNoLeak(body: string): void {
  for (const leak of LEAKS) assert.not.match(body, leak, `response leaks ${leak}: ${body}`)
}

test('500s never carry stack traces, SQL or connection details, whatever was thrown and wherever', async () => {
  const pgError = Object.assign(new Error(`relation "users" does not exist`), { code: '42P01', query: SQL, detail: 'Key (email)=(a@b.c)', where: 'postgresql://app:secret@db/fieldwork' })
  const failing = depends({ name: 'failing' }, () => {
    throw pgError
  })
  const leaky = defineUnit('leaky', (r) => {
    r.get('/sql', () => {
      throw new Error(`${SQL} failed: connection postgresql://app:secret@db:5432/fieldwork refused`)
    })
    r.get('/pg', () => Promise.reject(pgError))
    r.get('/dep', { use: { failing } }, () => 'never')
    r.get('/http500', () => {
      throw new HttpError(500, `Query failed: ${SQL}`)
    })
    r.get('/string', () => {
      throw SQL
    })
    r.get('/shape', { response: t.Object({ password: t.Integer() }) }, () => ({ password: 'hunter2' }) as unknown as { password: number })
  })
  const app = createApp({ plugins: [leaky], logger: false })
  for (const url of ['/sql', '/pg', '/dep', '/http500', '/string', '/shape']) {
    const res = await app.inject({ url })
    assert.is(res.status, 500, url)
    assert.equal(res.json(), { detail: 'Internal Server Error' }, url)
    assertNoLeak(res.body)
    const fragment = await app.inject({ url, headers: { 'hx-request': 'true' } })
    assert.is(fragment.status, 500)
    assert.match(String(fragment.headers['content-type']), 'text/html')
    assertNoLeak(fragment.body)
  }
})

test('auth failures say what is wrong with the token, never what the server knows', async () => {
  const auth = defineAuth({ secret: 'a-secret-for-this-test-that-is-long-enough', loadUser: () => Promise.reject(new Error(`${SQL} timed out`)) })
  const me = defineUnit('me', (r) => r.get('/me', { use: { user: auth.currentUser } }, ({ user }) => user))
  const app = createApp({ plugins: [me], logger: false })
  const token = await auth.sign({}, { subject: '7' })
  const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
  assert.is(res.status, 500)
  assertNoLeak(res.body)
  const bad = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}x` } })
  assert.is(bad.status, 401)
  assert.not.match(bad.body, 'a-secret-for-this-test')
})

test.run()
