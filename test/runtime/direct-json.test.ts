// JSON answers the core writes itself (no Koa middleware in front of the routes), read as raw
// bytes off a real socket: the body is UTF-8 whatever it holds, and Content-Length counts bytes.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, defineUnit, html, json, t } from 'trefoil'
import { rawRequest, type RawAnswer } from '../helpers/http.js'

const Place = t.Object({ id: t.Integer(), name: t.String() })
const unit = defineUnit('places', (r) => {
  r.get('/places', { response: t.Array(Place) }, () => [
    { id: 1, name: 'Zürich' },
    { id: 2, name: 'Kraków 🗺' },
    { id: 3, name: 'plain' },
  ])
  r.get('/places/ascii', { response: t.Array(Place) }, () => [{ id: 3, name: 'plain "quoted"\n' }])
  r.get('/latin1-range', () => ({ name: 'café ÿ' })) // characters a latin1 write would send as one byte each
  r.get('/counted', ({ ctx }) => {
    ctx.set('X-Total-Count', '42')
    return json([1, 2], { status: 206, headers: { 'Cache-Control': 'no-store' } })
  })
  r.get('/page', () => html('<p>hi</p>'))
  r.get('/places/:id', { params: t.Object({ id: t.Integer() }) }, ({ params }) => ({ id: params.id }))
})
const app = createApp({ plugins: [unit], logger: false })

const get = (path: string, method = 'GET'): Promise<RawAnswer> => rawRequest(`${app.url}${path}`, method)

test.before(async () => {
  await app.listen({ port: 0 })
})
test.after(() => app.close())

test('non-ASCII text goes out as UTF-8 with its byte length as Content-Length', async () => {
  for (const path of ['/places', '/latin1-range']) {
    const res = await get(path)
    assert.is(res.status, 200)
    assert.is(res.headers['content-type'], 'application/json; charset=utf-8')
    assert.is(Number(res.headers['content-length']), res.bytes.length)
    const expected = path === '/places' ? '[{"id":1,"name":"Zürich"},{"id":2,"name":"Kraków 🗺"},{"id":3,"name":"plain"}]' : '{"name":"café ÿ"}'
    assert.ok(res.bytes.equals(Buffer.from(expected, 'utf8')), res.bytes.toString('hex'))
  }
})

test('ASCII-only JSON arrives byte for byte, escapes kept, with a request id', async () => {
  const res = await get('/places/ascii')
  assert.is(res.bytes.toString('utf8'), '[{"id":3,"name":"plain \\"quoted\\"\\n"}]')
  assert.is(Number(res.headers['content-length']), res.bytes.length)
  assert.match(String(res.headers['x-request-id']), /^[0-9a-f]{8}-[0-9a-z]+$/)
})

test('headers the route set go out with the core\'s own; every answer has a request id', async () => {
  const counted = await get('/counted')
  assert.is(counted.status, 206)
  assert.is(counted.headers['x-total-count'], '42')
  assert.is(counted.headers['cache-control'], 'no-store')
  assert.is(counted.bytes.toString(), '[1,2]')
  for (const [path, status] of [['/counted', 206], ['/page', 200], ['/places/abc', 422], ['/nowhere', 404]] as const) {
    const res = await get(path)
    assert.is(res.status, status, path)
    assert.match(String(res.headers['x-request-id']), /^[0-9a-f]{8}-[0-9a-z]+$/, path)
  }
})

test('HEAD gets the headers of the GET and no body', async () => {
  const res = await get('/places', 'HEAD')
  assert.is(res.status, 200)
  assert.is(res.bytes.length, 0)
  assert.is(res.headers['content-type'], 'application/json; charset=utf-8')
})

test.run()
