// Every answer goes out through the core's one respond: browsers navigating get error pages,
// hooks add headers to every kind of answer, and Koa middleware sees and rewrites the same
// answers without a second path.
import { AsyncLocalStorage } from 'node:async_hooks'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, definePlugin, defineUnit, depends, file, html, json, noContent, NotFound, redirect, stream, t, Unauthorized } from 'trefoil'
import { rawRequest } from '../helpers/http.js'
import { captureLogs } from '../helpers/logs.js'

const views = fileURLToPath(new URL('./fixtures/error-views', import.meta.url))
const browser = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' }
const signedIn = depends({ headers: t.Object({ authorization: t.Optional(t.String()) }), errors: [401] }, ({ headers }) => {
  if (!headers.authorization) throw new Unauthorized('Not signed in', { headers: { 'WWW-Authenticate': 'Bearer' } })
  return 'someone'
})
const unit = defineUnit('things', (r) => {
  r.get('/things/:id', { params: t.Object({ id: t.Integer({ minimum: 1 }) }) }, ({ params }) => {
    if (params.id > 10) throw new NotFound(`Thing ${params.id} not found`)
    return { id: params.id }
  })
  r.post('/things', { body: t.Object({ name: t.String({ minLength: 3 }) }) }, ({ body }) => body)
  r.get('/private', { use: { user: signedIn } }, ({ user }) => ({ user }))
  r.get('/boom', () => {
    throw new Error('SELECT secret FROM vault')
  })
  r.get('/page', () => html({ view: 'page' }))
  r.get('/json', () => json({ ok: true }))
  r.get('/file', () => file(fileURLToPath(import.meta.url), { type: 'text/plain' }))
  r.get('/stream', () => stream(Readable.from(['a', 'b']), { type: 'text/plain' }))
  r.get('/away', () => redirect('/page', 303))
  r.delete('/things/:id', () => noContent())
})

test('a browser navigating to a missing page gets an HTML page in the layout, not JSON', async () => {
  const app = createApp({ plugins: [unit], views: { dir: views, layout: 'layout' }, logger: false })
  for (const url of ['/nowhere', '/things/99']) {
    const res = await app.inject({ url, headers: browser })
    assert.is(res.status, 404, url)
    assert.match(String(res.headers['content-type']), 'text/html')
    assert.match(res.body, '<header>Site header')
    assert.match(res.body, '<h1>404 Not Found</h1>')
    assert.match(res.body, '<a href="/">Back</a>')
  }
  const api = await app.inject({ url: '/nowhere' })
  assert.equal(api.json(), { detail: 'Not Found' }, 'API clients keep JSON')
  const htmx = await app.inject({ url: '/nowhere', headers: { ...browser, 'hx-request': 'true' } })
  assert.match(htmx.body, '<div class="trefoil-error"', 'htmx keeps its fragment')
  assert.not.match(htmx.body, 'Site header')
})

test('a form posted without htmx gets its 422 as a page listing each field', async () => {
  const app = createApp({ plugins: [unit], views: { dir: views, layout: 'layout' }, logger: false })
  const res = await app.inject({ method: 'POST', url: '/things', headers: { ...browser, 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=ab' })
  assert.is(res.status, 422)
  assert.match(res.body, '<h1>422 Unprocessable Entity</h1>')
  assert.match(res.body, '<li>name: String should have at least 3 characters</li>')
})

test('a 500 page says nothing of the failure; apps without an error view get the runtime\'s page', async () => {
  const app = createApp({ plugins: [unit], logger: false })
  const res = await app.inject({ url: '/boom', headers: browser })
  assert.is(res.status, 500)
  assert.match(res.body, '<h1>500 Internal Server Error</h1>')
  assert.not.match(res.body, /SELECT|vault/)
  assert.match(res.body, '<a href="/">')
})

test('a 401 on a page sends the browser to sign in and back, when the app names its sign-in page', async () => {
  const app = createApp({ plugins: [unit], views: { dir: views, layout: 'layout' }, errorPages: { signIn: '/login' }, logger: false })
  const res = await app.inject({ url: '/private?tab=2', headers: browser })
  assert.is(res.status, 303)
  assert.is(res.headers.location, '/login?next=%2Fprivate%3Ftab%3D2')
  const htmx = await app.inject({ url: '/private', headers: { 'hx-request': 'true', 'hx-current-url': 'http://localhost/things/3?x=1' } })
  assert.is(htmx.status, 401)
  assert.is(htmx.headers['hx-redirect'], '/login?next=%2Fthings%2F3%3Fx%3D1', 'htmx loads the sign-in page')
  const odd = await app.inject({ url: '/private', headers: { 'hx-request': 'true', 'hx-current-url': '::not a url' } })
  assert.is(odd.headers['hx-redirect'], '/login?next=%2F')
  const api = await app.inject({ url: '/private' })
  assert.is(api.status, 401)
  assert.is(api.headers['www-authenticate'], 'Bearer')
})

const stamp = definePlugin({
  name: 'stamp',
  setup(app) {
    app.addHook('onRequest', (ctx) => (ctx.path === '/early' ? json({ early: true }, { status: 202 }) : undefined))
    app.addHook('onSend', (_ctx, answer, headers) => headers.push('X-Stamp', `${answer.status}`))
  },
})

test('hooks: onSend adds headers to every kind of answer, onRequest can answer early', async () => {
  const seen: number[] = []
  const log = definePlugin({ name: 'log', setup: (app) => app.addHook('onResponse', (_ctx, info) => void seen.push(info.status)) })
  const app = createApp({ plugins: [stamp, log, unit], views: { dir: views, layout: 'layout' }, logger: false })
  const cases: [string, string, number][] = [
    ['GET', '/json', 200],
    ['GET', '/page', 200],
    ['GET', '/file', 200],
    ['GET', '/stream', 200],
    ['GET', '/away', 303],
    ['DELETE', '/things/1', 204],
    ['GET', '/nowhere', 404],
    ['GET', '/boom', 500],
    ['PUT', '/json', 405],
    ['GET', '/early', 202],
  ]
  for (const [method, url, status] of cases) {
    const res = await app.inject({ method, url })
    assert.is(res.status, status, `${method} ${url}`)
    assert.is(res.headers['x-stamp'], String(status), `${method} ${url}`)
    assert.type(res.headers['x-request-id'], 'string', `${method} ${url}: one request id`)
  }
  assert.equal(seen, cases.map(([, , status]) => status))
})

test('aroundRequest hooks run the rest of the request in their scope, the first outermost, and a rejection is answered as the error', async () => {
  const store = new AsyncLocalStorage<string[]>()
  const order: string[] = []
  const scoped = defineUnit('scoped', (r) => {
    r.get('/scope', async () => {
      await new Promise((resolve) => setTimeout(resolve, 5)) // the store survives an await
      return { scope: store.getStore() }
    })
  })
  const scopes = definePlugin({
    name: 'scopes',
    setup(app) {
      app.addHook('aroundRequest', (ctx, run) => {
        order.push('outer')
        if (ctx.path === '/refused') return Promise.reject(new Unauthorized('No entry'))
        return store.run(['outer'], run)
      })
      app.addHook('aroundRequest', async (_ctx, run) => {
        order.push('inner')
        await store.run([...(store.getStore() ?? []), 'inner'], run)
      })
      app.addHook('onRequest', () => void order.push('onRequest'))
    },
  })
  const logs = captureLogs()
  const app = createApp({ plugins: [scopes, scoped, unit], logger: logs.logger })
  const res = await app.inject({ url: '/scope' })
  assert.equal(res.json(), { scope: ['outer', 'inner'] })
  assert.equal(order, ['outer', 'inner', 'onRequest'])
  const refused = await app.inject({ url: '/refused' })
  assert.is(refused.status, 401)
  assert.equal(refused.json(), { detail: 'No entry' })
  const missing = await app.inject({ url: '/nowhere' })
  assert.is(missing.status, 404, 'routing runs inside the hooks, and its errors are answered as before')
  assert.is(logs.lines.find((line) => line.msg === 'Started')?.path, 'core', 'the hooks keep the core path')
  await app.close()
})

test('an answer given outside a route goes out the same way: a request before start-up is a 503 in JSON with its length and Retry-After', async () => {
  const app = createApp({ plugins: [unit], logger: false })
  const server = createServer(app.callback())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const { port } = server.address() as AddressInfo
    const res = await rawRequest(`http://127.0.0.1:${port}/json`)
    assert.is(res.status, 503)
    assert.is(res.headers['content-type'], 'application/json; charset=utf-8')
    assert.is(res.headers['retry-after'], '1')
    assert.is(Number(res.headers['content-length']), res.bytes.length, 'a length, not a chunked body')
    assert.equal(JSON.parse(res.body), { detail: 'The app is starting' })
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
})

test('an app says at start-up which path its answers take: the core alone, or through the Koa middleware it names', async () => {
  const plain = captureLogs()
  const alone = createApp({ plugins: [unit], logger: plain.logger })
  await alone.start()
  const said = plain.lines.find((line) => line.msg === 'Started')
  assert.equal([said?.path, said?.middleware, said?.routes], ['core', [], 10])
  await alone.close()

  const wrapped = captureLogs()
  const timing = definePlugin({
    name: 'timing',
    setup(app) {
      app.use(async function timeRequests(_ctx, next) {
        await next()
      })
    },
  })
  const withMiddleware = createApp({ plugins: [timing, unit], logger: wrapped.logger })
  await withMiddleware.start()
  const told = wrapped.lines.find((line) => line.msg === 'Started')
  assert.equal([told?.path, told?.middleware], ['koa-middleware', ['timeRequests']])
  await withMiddleware.close()
})

test('Koa middleware reads and rewrites the answer, on the same path, with one request id', async () => {
  const wrap = definePlugin({
    name: 'wrap',
    setup(app) {
      app.use(async (ctx, next) => {
        await next()
        if (ctx.path === '/json') ctx.body = { wrapped: JSON.parse(String(ctx.body)) }
        ctx.set('X-Seen-Status', String(ctx.status))
      })
    },
  })
  const app = createApp({ plugins: [wrap, unit], views: { dir: views, layout: 'layout' }, logger: false })
  await app.listen({ port: 0 })
  try {
    const res = await rawRequest(`${app.url}/json`)
    assert.equal(JSON.parse(res.body), { wrapped: { ok: true } })
    assert.is(Number(res.headers['content-length']), res.bytes.length)
    assert.is(res.headers['x-seen-status'], '200')
    assert.type(res.headers['x-request-id'], 'string')
    const away = await rawRequest(`${app.url}/away`)
    assert.is(away.status, 303, 'a redirect stays a redirect through middleware')
    assert.is(away.headers.location, '/page')
    const gone = await rawRequest(`${app.url}/things/1`, 'DELETE')
    assert.is(gone.status, 204)
    const head = await rawRequest(`${app.url}/file`, 'HEAD')
    assert.is(head.status, 200)
    assert.is(head.bytes.length, 0)
    assert.ok(Number(head.headers['content-length']) > 0)
    const missing = await rawRequest(`${app.url}/nowhere`)
    assert.is(missing.status, 404)
    assert.is(missing.headers['x-seen-status'], undefined, 'errors are rendered outside the middleware')
  } finally {
    await app.close()
  }
})

test.run()
