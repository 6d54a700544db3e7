import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Conflict, createApp, defineUnit, depends, HttpError, ServiceUnavailable, t, Unauthorized } from 'trefoil'
import { captureLogs } from '../helpers/logs.js'

const { logger, lines } = captureLogs('info')
const unit = defineUnit('errors', { prefix: '/v1' }, (r) => {
  r.get('/projects', () => [])
  r.post('/projects', () => 'created')
  r.get('/boom', () => {
    throw new Error('connect ECONNREFUSED 10.0.0.5:5432 at SELECT * FROM users')
  })
  r.get('/thrown-string', () => {
    throw 'just a string' // eslint-disable-line no-throw-literal -- the case under test
  })
  r.get('/thrown-object', async () => {
    throw { weird: true }
  })
  r.get('/conflict', () => {
    throw new Conflict('A project with this name already exists', { code: 'project_exists' })
  })
  r.get('/auth', () => {
    throw new Unauthorized('Not authenticated', { headers: { 'WWW-Authenticate': 'Bearer' } })
  })
  r.get('/unavailable', () => {
    throw new ServiceUnavailable('Database is down: ECONNREFUSED', { headers: { 'Retry-After': '5' } })
  })
  r.get('/teapot', () => {
    throw new HttpError(418, 'I am a teapot')
  })
  r.post('/htmx', { body: t.Object({ name: t.String({ minLength: 2 }) }) }, () => 'ok')
})
const app = createApp({ plugins: [unit], logger })

test('an unknown route is a 404 with a JSON body', async () => {
  const res = await app.inject({ url: '/v1/nowhere' })
  assert.is(res.status, 404)
  assert.equal(res.json(), { detail: 'Not Found' })
})

test('a wrong method is a 405 with Allow and a JSON body', async () => {
  const res = await app.inject({ method: 'DELETE', url: '/v1/projects' })
  assert.is(res.status, 405)
  assert.is(res.headers.allow, 'HEAD, GET, POST')
  assert.equal(res.json(), { detail: 'Method Not Allowed' })
})

test('an unexpected error is a 500 with a generic body; the stack is only in the log', async () => {
  const res = await app.inject({ url: '/v1/boom', headers: { 'x-request-id': 'req-boom-1' } })
  assert.is(res.status, 500)
  assert.equal(res.json(), { detail: 'Internal Server Error' })
  assert.not.match(res.body, /ECONNREFUSED|SELECT|at /)
  const logged = lines.find((line) => line.requestId === 'req-boom-1' && line.msg === 'Request failed') as { err: { stack: string }; route: string }
  assert.ok(logged, 'the failure is logged with the request id')
  assert.match(logged.err.stack, /ECONNREFUSED/)
  assert.is(logged.route, 'GET /v1/boom')
})

test('a thrown non-Error value is a 500 too, and logged', async () => {
  for (const url of ['/v1/thrown-string', '/v1/thrown-object']) {
    const res = await app.inject({ url })
    assert.is(res.status, 500)
    assert.equal(res.json(), { detail: 'Internal Server Error' })
  }
  assert.ok(lines.some((line) => JSON.stringify(line).includes('just a string')))
})

test('HttpError subclasses answer with their status, message, code and headers', async () => {
  const conflict = await app.inject({ url: '/v1/conflict' })
  assert.is(conflict.status, 409)
  assert.equal(conflict.json(), { detail: 'A project with this name already exists', code: 'project_exists' })
  const auth = await app.inject({ url: '/v1/auth' })
  assert.is(auth.status, 401)
  assert.is(auth.headers['www-authenticate'], 'Bearer')
  const teapot = await app.inject({ url: '/v1/teapot' })
  assert.equal([teapot.status, teapot.json()], [418, { detail: 'I am a teapot' }])
})

test('a 5xx HttpError keeps its status and headers but never shows its message', async () => {
  const res = await app.inject({ url: '/v1/unavailable' })
  assert.is(res.status, 503)
  assert.is(res.headers['retry-after'], '5')
  assert.equal(res.json(), { detail: 'Service Unavailable' })
})

test('errors of htmx requests are HTML fragments, escaped', async () => {
  const res = await app.inject({ method: 'POST', url: '/v1/htmx', headers: { 'hx-request': 'true' }, body: { name: '<' } })
  assert.is(res.status, 422)
  assert.is(res.headers['content-type'], 'text/html; charset=utf-8')
  assert.match(res.body, /^<div class="trefoil-error" role="alert" data-status="422">/)
  assert.match(res.body, /<li data-loc="body.name">name: String should have at least 2 characters<\/li>/)
  const missing = await app.inject({ url: '/v1/<script>', headers: { 'hx-request': 'true' } })
  assert.is(missing.body, '<div class="trefoil-error" role="alert" data-status="404"><p>Not Found</p></div>')
})

test('each request is logged once with its id, method, path, route, status and duration', async () => {
  lines.length = 0
  const res = await app.inject({ url: '/v1/projects', headers: { 'x-request-id': 'abc-123' } })
  assert.is(res.headers['x-request-id'], 'abc-123')
  const logged = lines.filter((line) => line.msg === 'Request')
  assert.is(logged.length, 1)
  const line = logged[0]!
  assert.equal([line.requestId, line.method, line.path, line.route, line.status], ['abc-123', 'GET', '/v1/projects', 'GET /v1/projects', 200])
  assert.type(line.ms, 'number')
  const generated = await app.inject({ url: '/v1/projects', headers: { 'x-request-id': 'bad id with spaces' } })
  assert.match(String(generated.headers['x-request-id']), /^[0-9a-f]{8}-[0-9a-z]+$/)
  lines.length = 0
  await app.inject({ url: '/v1/projects?limit=2&q=%22x%22' })
  assert.equal(lines.filter((line) => line.msg === 'Request').map((line) => line.path), ['/v1/projects'], 'the path without its query')
})

test('errors a plugin maps (app.mapError) are rendered as the HTTP error it returns', async () => {
  class UniqueViolation extends Error {
    code = '23505'
  }
  const mapper = depends(() => {
    throw new UniqueViolation('duplicate key value violates unique constraint "projects_name_key"')
  })
  const mapped = defineUnit('mapped', (r) => r.post('/dup', { use: { mapper } }, () => 'never'))
  const withMapping = createApp({
    plugins: [
      {
        kind: 'plugin',
        name: 'pg-errors',
        label: 'plugin',
        requires: [],
        setup(app) {
          app.mapError((error) => ((error as { code?: string }).code === '23505' ? new Conflict('Already exists') : undefined))
        },
      },
      mapped,
    ],
    logger: false,
  })
  const res = await withMapping.inject({ method: 'POST', url: '/dup' })
  assert.is(res.status, 409)
  assert.equal(res.json(), { detail: 'Already exists' })
})

test('the log level comes from the settings when they name LOG_LEVEL (so .env counts), else the environment', () => {
  assert.is(createApp({ settings: { LOG_LEVEL: 'warn' } }).log.level, 'warn')
  assert.is(createApp({ settings: {} }).log.level, 'silent', 'NODE_ENV=test keeps tests quiet')
  assert.is(createApp({ settings: { LOG_LEVEL: 'warn' }, logger: false }).log.level, 'silent', 'an explicit logger wins')
})

test.run()
