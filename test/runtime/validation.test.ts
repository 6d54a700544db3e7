import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, defineUnit, t } from 'trefoil'

const ProjectIn = t.Object({
  name: t.String({ minLength: 1, maxLength: 128, transform: ['trim'] }),
  slug: t.Optional(t.String({ pattern: '^[a-z0-9-]+$', transform: ['trim', 'toLowerCase'] })),
  email: t.Optional(t.String({ format: 'email' })),
  priority: t.Integer({ minimum: 0, maximum: 10, default: 5 }),
})

let received: unknown
const unit = defineUnit('projects', { prefix: '/v1/projects' }, (r) => {
  r.post('/', { body: ProjectIn, status: 201 }, ({ body }) => {
    received = body
    return body
  })
  r.get(
    '/:projectId/tasks',
    {
      params: t.Object({ projectId: t.Integer({ minimum: 1 }) }),
      query: t.Object({ limit: t.Integer({ minimum: 1, maximum: 100, default: 20 }), status: t.Optional(t.Array(t.Union([t.Literal('ready'), t.Literal('locked')]))), done: t.Optional(t.Boolean()) }),
      headers: t.Object({ 'x-client': t.Optional(t.String({ maxLength: 10 })) }),
    },
    ({ params, query, headers }) => ({ params, query, client: headers['x-client'] ?? null }),
  )
  r.put('/:projectId', { params: t.Object({ projectId: t.Integer() }), body: ProjectIn, bodyLimit: 200 }, ({ body }) => body)
})
const app = createApp({ plugins: [unit] })

test('params, query and headers are coerced from strings and defaults applied', async () => {
  const res = await app.inject({ url: '/v1/projects/12/tasks?status=ready&done=true&other=1', headers: { 'x-client': 'cli' } })
  assert.is(res.status, 200)
  assert.equal(res.json(), { params: { projectId: 12 }, query: { limit: 20, status: ['ready'], done: true }, client: 'cli' })
})

test('unknown body fields are dropped and never reach the handler; transforms trim and lowercase', async () => {
  const res = await app.inject({ method: 'POST', url: '/v1/projects', body: { name: '  Flood  ', slug: ' RIVER-2024 ', priority: 3, isAdmin: true, ownerId: 1 } })
  assert.is(res.status, 201)
  assert.equal(received, { name: 'Flood', slug: 'river-2024', priority: 3 })
  assert.equal(res.json(), { name: 'Flood', slug: 'river-2024', priority: 3 })
})

test('the body is not coerced: a string where an integer belongs is a 422', async () => {
  const res = await app.inject({ method: 'POST', url: '/v1/projects', body: { name: 'x', priority: '3' } })
  assert.is(res.status, 422)
  assert.equal(res.json(), { detail: [{ loc: ['body', 'priority'], msg: 'Input should be a valid integer', type: 'int_type' }] })
})

test('numbers that overflow to Infinity (1e309) are a 422 in the path and in the body, never a value', async () => {
  const path = await app.inject({ url: '/v1/projects/1e309/tasks' })
  assert.is(path.status, 422)
  assert.equal(path.json().detail[0].loc, ['path', 'projectId'])
  const body = await app.inject({ method: 'POST', url: '/v1/projects', headers: { 'content-type': 'application/json' }, body: '{"name": "x", "priority": 1e309}' })
  assert.is(body.status, 422)
  assert.equal(body.json().detail[0].loc, ['body', 'priority'])
})

test('422 lists every error of params, query and headers at once, then every error of the body (read only once the rest passed)', async () => {
  const url = await app.inject({ method: 'PUT', url: '/v1/projects/abc', body: { name: ' ', priority: 11, email: 'nope' } })
  assert.is(url.status, 422)
  assert.equal(url.json().detail, [{ loc: ['path', 'projectId'], msg: 'Input should be a valid integer', type: 'int_type' }])
  const res = await app.inject({ method: 'PUT', url: '/v1/projects/1', body: { name: ' ', priority: 11, email: 'nope' } })
  assert.is(res.status, 422)
  assert.equal(res.json().detail, [
    { loc: ['body', 'name'], msg: 'String should have at least 1 character', type: 'string_too_short' },
    { loc: ['body', 'email'], msg: 'Input should be a valid email', type: 'email_format' },
    { loc: ['body', 'priority'], msg: 'Input should be less than or equal to 10', type: 'less_than_equal' },
  ])
  const query = await app.inject({ url: '/v1/projects/0/tasks?limit=500&status=gone', headers: { 'x-client': 'a-very-long-client' } })
  assert.equal(
    query.json().detail.map((issue: { loc: unknown[] }) => issue.loc),
    [['path', 'projectId'], ['query', 'limit'], ['query', 'status', 0], ['header', 'x-client']],
  )
  assert.equal(query.json().detail[2], { loc: ['query', 'status', 0], msg: 'Input should be "ready" or "locked"', type: 'literal_error' })
})

test('a missing body is one "Field required" error at loc ["body"]', async () => {
  const res = await app.inject({ method: 'POST', url: '/v1/projects' })
  assert.is(res.status, 422)
  assert.equal(res.json(), { detail: [{ loc: ['body'], msg: 'Field required', type: 'missing' }] })
})

test('required fields missing from the body are named one by one', async () => {
  const res = await app.inject({ method: 'POST', url: '/v1/projects', body: {} })
  assert.equal(res.json(), { detail: [{ loc: ['body', 'name'], msg: 'Field required', type: 'missing' }] })
})

test('malformed JSON is a 400 with a JSON body', async () => {
  const res = await app.inject({ method: 'POST', url: '/v1/projects', body: '{"name": "x",', headers: { 'content-type': 'application/json' } })
  assert.is(res.status, 400)
  assert.match(res.json().detail, /^Malformed JSON body: /)
})

test('an unsupported content type is a 415 naming what is accepted', async () => {
  const res = await app.inject({ method: 'POST', url: '/v1/projects', body: '<project/>', headers: { 'content-type': 'application/xml' } })
  assert.is(res.status, 415)
  assert.match(res.json().detail, /application\/json/)
})

test('a body over the route limit is a 413 naming the limit', async () => {
  const res = await app.inject({ method: 'PUT', url: '/v1/projects/1', body: { name: 'x'.repeat(500), priority: 1 } })
  assert.is(res.status, 413)
  assert.equal(res.json(), { detail: 'Request body is larger than the limit of 200 bytes' })
})

test('a JSON body is read as UTF-8 whatever its chunks: a leading byte-order mark is dropped, a character split across chunks is whole', async () => {
  const bom = await app.inject({ method: 'POST', url: '/v1/projects', body: '\ufeff{"name":"Roads","priority":2}', headers: { 'content-type': 'application/json' } })
  assert.is(bom.status, 201, bom.body)
  assert.equal(bom.json(), { name: 'Roads', priority: 2 })
  const listening = createApp({ plugins: [unit], logger: false })
  const server = await listening.listen({ port: 0, host: '127.0.0.1' })
  try {
    const { port } = server.address() as { port: number }
    const bytes = Buffer.from('{"name":"Łódź – 🗺️","priority":3}')
    // sent chunked, cut inside the two-byte Ł and the four-byte map emoji
    const cuts = [9, 10, 20, 22, bytes.length]
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        let from = 0
        for (const to of cuts) {
          controller.enqueue(bytes.subarray(from, to))
          from = to
          await new Promise((resolve) => setTimeout(resolve, 5))
        }
        controller.close()
      },
    })
    const res = await fetch(`http://127.0.0.1:${port}/v1/projects`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, duplex: 'half' } as RequestInit)
    assert.is(res.status, 201)
    assert.equal(await res.json(), { name: 'Łódź – 🗺️', priority: 3 })
  } finally {
    await listening.close()
  }
})

test('an urlencoded form body (htmx, plain HTML forms) is coerced and validated like JSON', async () => {
  const res = await app.inject({ method: 'POST', url: '/v1/projects', body: 'name=Roads&priority=7&extra=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  assert.is(res.status, 201)
  assert.equal(res.json(), { name: 'Roads', priority: 7 })
  const bad = await app.inject({ method: 'POST', url: '/v1/projects', body: 'name=&priority=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  assert.is(bad.status, 422)
  assert.equal(bad.json().detail.map((issue: { type: string }) => issue.type), ['string_too_short', 'int_type'])
})

test('a header schema with an uppercase name fails at start-up', async () => {
  const bad = defineUnit('bad', (r) => r.get('/h', { headers: t.Object({ 'X-Token': t.String() }) }, () => 1))
  const message = await createApp({ plugins: [bad] }).start().then(
    () => undefined,
    (error: Error) => error.message,
  )
  assert.match(message ?? '', /names "X-Token": header names must be lowercase/)
})

test.run()
