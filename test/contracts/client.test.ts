// The typed client: the same calls in process (`app.inject`) and over HTTP (fetch), with path
// params filled and encoded, the query and JSON body sent, each status answered as the route did.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { client, created, createApp, defineUnit, json, noContent, t, Unauthorized } from 'trefoil'

const ItemIn = t.Object({ name: t.String({ minLength: 1 }), tags: t.Array(t.String()) })
const ItemOut = t.Object({ id: t.Integer(), name: t.String(), tags: t.Array(t.String()) })

const items = defineUnit('items', { prefix: '/v1/items' }, (r) => [
  r.get('/', { query: t.Object({ tag: t.Optional(t.Array(t.String())), limit: t.Integer({ maximum: 50 }) }), response: t.Array(ItemOut) }, ({ query, ctx }) => {
    ctx.set('X-Total-Count', '1')
    return [{ id: query.limit, name: 'listed', tags: query.tag ?? [] }]
  }),
  r.post('/', { body: ItemIn, status: 201, response: { 201: ItemOut } }, ({ body }) => created({ id: 1, ...body }, { location: '/v1/items/1' })),
  r.get('/:itemId', { params: t.Object({ itemId: t.String() }), response: ItemOut }, ({ params, headers }) => {
    if (headers.authorization !== 'Bearer ok') throw new Unauthorized('Sign in first')
    return { id: 2, name: params.itemId, tags: [] }
  }),
  r.put('/:itemId/raw', { upload: { maxBytes: 100 } }, async ({ upload }) => json({ size: upload.size }, { status: 200 })),
  r.delete('/:itemId', { status: 204 }, () => noContent()),
])

const app = createApp({ plugins: [items] })
let baseUrl = ''

test.before(async () => {
  await app.listen({ port: 0 })
  baseUrl = app.url!
})
test.after(() => app.close())

for (const transport of ['in process', 'over HTTP'] as const) {
  const api = () => client<typeof items>(transport === 'in process' ? app : baseUrl, { headers: { authorization: 'Bearer ok' } })

  test(`${transport}: path params are filled and encoded, headers of the client sent`, async () => {
    const res = await api().get('/v1/items/:itemId', { params: { itemId: 'a b/c' } })
    assert.is(res.status, 200)
    assert.equal(res.expect(200), { id: 2, name: 'a b/c', tags: [] })
    assert.is(res.ok, true)
  })

  test(`${transport}: the query is sent, a list as repeated keys; headers are read`, async () => {
    const res = await api().get('/v1/items', { query: { limit: 7, tag: ['x', 'y'] } })
    assert.equal(res.expect(200), [{ id: 7, name: 'listed', tags: ['x', 'y'] }])
    assert.is(res.headers['x-total-count'], '1')
  })

  test(`${transport}: a JSON body, and the created status with its model and Location`, async () => {
    const res = await api().post('/v1/items', { body: { name: 'Pump', tags: ['water'] } })
    assert.is(res.status, 201)
    assert.equal(res.json(), { id: 1, name: 'Pump', tags: ['water'] })
    assert.is(res.headers.location, '/v1/items/1')
  })

  test(`${transport}: errors come back as their status and body; expect() names what it got`, async () => {
    const bad = await api().post('/v1/items', { body: { name: '', tags: [] } })
    assert.is(bad.status, 422)
    assert.is(bad.ok, false)
    if (bad.status !== 422) return
    assert.equal(bad.json().detail.map((issue) => issue.loc.join('.')), ['body.name'])
    const anonymous = await api().with({ headers: { authorization: 'none' } }).get('/v1/items/:itemId', { params: { itemId: 'x' } })
    assert.is(anonymous.status, 401)
    assert.throws(() => anonymous.expect(200), /GET \/v1\/items\/:itemId answered 401, not 200: .*Sign in first/)
  })

  test(`${transport}: a raw body for an upload route, and 204 with no body`, async () => {
    const raw = await api().put('/v1/items/:itemId/raw', { params: { itemId: 1 }, body: 'twelve bytes', headers: { 'content-type': 'text/plain' } })
    assert.equal(raw.expect(200), { size: 12 })
    const gone = await api().delete('/v1/items/:itemId', { params: { itemId: 1 } })
    assert.is(gone.status, 204)
    assert.is(gone.json(), undefined)
  })
}

test("client(app): the routes are read from the app's own type, with no type argument", async () => {
  const api = client(app, { headers: { authorization: 'Bearer ok' } })
  assert.equal((await api.get('/v1/items/:itemId', { params: { itemId: 'from the app' } })).expect(200), { id: 2, name: 'from the app', tags: [] })
  assert.is((await api.post('/v1/items', { body: { name: 'Pump', tags: [] } })).status, 201)
  const overHttp = client<typeof app>(baseUrl)
  assert.equal((await overHttp.get('/v1/items', { query: { limit: 3 } })).expect(200), [{ id: 3, name: 'listed', tags: [] }])
})

test('a missing path param is refused before anything is sent', async () => {
  const api = client<typeof items>(app) as unknown as { get(path: string, request: object): Promise<unknown> }
  const refused = await api.get('/v1/items/:itemId', { params: {} }).then(
    () => 'sent',
    (error: Error) => error.message,
  )
  assert.match(refused, 'path parameter "itemId" is missing')
})

test.run()
