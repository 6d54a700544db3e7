// How requests find their route: params, HEAD, OPTIONS, trailing slashes, unknown methods, many
// routes, and routes that clash at start-up. Through a real socket, as clients see it.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, defineUnit, definePlugin, t } from 'trefoil'
import { rawRequest, type RawAnswer } from '../helpers/http.js'

const unit = defineUnit('routing', { prefix: '/v1/projects' }, (r) => {
  r.get('/', () => ['list'])
  r.post('/', () => 'created')
  r.get('/:projectId', { params: t.Object({ projectId: t.Integer() }) }, ({ params }) => ({ id: params.projectId }))
  r.get('/:projectId/files/:name', ({ params }) => ({ name: params.name }))
  r.get('/archived', () => 'a static segment next to a param')
})
// 200 more routes, so a lookup that walked every route would show in the answers below
const many = defineUnit('many', { prefix: '/v1/many' }, (r) => {
  for (let i = 0; i < 200; i++) r.get(`/route-${i}/:id`, ({ params }) => ({ route: i, id: params.id }))
})
const app = createApp({ plugins: [unit, many], logger: false })

async function call(method: string, path: string): Promise<RawAnswer> {
  if (!app.url) await app.listen({ port: 0 })
  return rawRequest(`${app.url}${path}`, method)
}

test.after(() => app.close())

test('params are read from the path, decoded, and a static segment wins over a param', async () => {
  assert.equal(JSON.parse((await call('GET', '/v1/projects/42')).body), { id: 42 })
  assert.equal(JSON.parse((await call('GET', '/v1/projects/42?expand=tasks&x=%2F')).body), { id: 42 })
  assert.is((await call('DELETE', '/v1/projects/42?x=1')).headers.allow, 'HEAD, GET')
  assert.equal(JSON.parse((await call('GET', '/v1/projects/7/files/field%20notes.txt')).body), { name: 'field notes.txt' })
  const archived = await call('GET', '/v1/projects/archived')
  assert.is(archived.status, 200)
  assert.is(JSON.parse(archived.body), 'a static segment next to a param')
})

test('a trailing slash finds the same route; paths are case-sensitive', async () => {
  assert.equal(JSON.parse((await call('GET', '/v1/projects/')).body), ['list'])
  assert.equal(JSON.parse((await call('GET', '/v1/projects')).body), ['list'])
  const upper = await call('GET', '/V1/PROJECTS')
  assert.is(upper.status, 404)
  assert.equal(JSON.parse(upper.body), { detail: 'Not Found' })
})

test('a GET route answers HEAD with its headers and no body', async () => {
  const res = await call('HEAD', '/v1/projects/42')
  assert.is(res.status, 200)
  assert.is(res.body, '')
  assert.is(res.headers['content-type'], 'application/json; charset=utf-8')
  assert.is(res.headers['content-length'], String(JSON.stringify({ id: 42 }).length))
})

test('OPTIONS on a path without an OPTIONS route lists its methods in Allow', async () => {
  const res = await call('OPTIONS', '/v1/projects')
  assert.is(res.status, 204)
  assert.is(res.headers.allow, 'HEAD, GET, POST')
  assert.is(res.body, '')
})

test('a method the router does not know is a 501 with a JSON body', async () => {
  const res = await call('PROPFIND', '/v1/projects')
  assert.is(res.status, 501)
  assert.equal(JSON.parse(res.body), { detail: 'Not Implemented' })
})

test('a wrong method on a param route is a 405 naming the methods it has', async () => {
  const res = await call('DELETE', '/v1/projects/42')
  assert.is(res.status, 405)
  assert.is(res.headers.allow, 'HEAD, GET')
})

test('with hundreds of routes each request still finds its own', async () => {
  for (const i of [0, 117, 199]) {
    const res = await call('GET', `/v1/many/route-${i}/x${i}`)
    assert.equal(JSON.parse(res.body), { route: i, id: `x${i}` })
  }
  assert.is((await call('GET', '/v1/many/route-200/x')).status, 404)
})

test('a param longer than the bound is a 404, not a slow match', async () => {
  const res = await call('GET', `/v1/projects/1/files/${'a'.repeat(3000)}`)
  assert.is(res.status, 404)
})

test('two routes with one method and path fail at start-up, naming the route', async () => {
  const first = defineUnit('first', { prefix: '/v1' }, (r) => r.get('/things/:id', () => 'one'))
  const second = defineUnit('second', { prefix: '/v1' }, (r) => r.get('/things/:thingId', () => 'two'))
  const clash = createApp({ plugins: [first, second], logger: false })
  try {
    await clash.start()
    assert.unreachable('the clash must fail the start')
  } catch (error) {
    assert.match((error as Error).message, /GET \/v1\/things\/:thingId/)
  } finally {
    await clash.close()
  }
})

test('plugin middleware still runs before the routes: it sees answers, and errors as thrown HttpErrors', async () => {
  const seen: number[] = []
  const bodies: unknown[] = []
  const watcher = definePlugin({
    name: 'watcher',
    setup(app) {
      app.use(async (ctx, next) => {
        try {
          await next()
          seen.push(ctx.status)
          bodies.push(ctx.body)
        } catch (error) {
          seen.push((error as { status: number }).status)
          throw error
        }
      })
    },
  })
  const watched = createApp({ plugins: [watcher, unit], logger: false })
  assert.is((await watched.inject({ url: '/v1/projects/5' })).status, 200)
  assert.is((await watched.inject({ url: '/v1/projects/none' })).status, 422)
  assert.is((await watched.inject({ url: '/v1/nothing' })).status, 404)
  assert.equal(seen, [200, 422, 404])
  assert.equal(bodies, ['{"id":5}'], 'Koa middleware sees the JSON body it may rewrite')
  await watched.close()
})

test.run()
