import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cors, createApp, created, definePlugin, defineUnit, depends, html, t } from 'trefoil'

const views = fileURLToPath(new URL('./fixtures/views', import.meta.url))
const ProjectOut = t.Object({ id: t.Integer(), name: t.String() })
const unit = defineUnit('projects', { prefix: '/v1/projects' }, (r) => {
  r.get('/', { response: t.Array(ProjectOut), view: 'projects/list' }, () => [{ id: 1, name: 'Roads <north>', owner: 'x' }])
  // the view gets the model's fields only: the page's title travels on ctx.state, as the layout's data
  r.get('/:id', { response: ProjectOut, view: 'projects/show' }, ({ params, ctx }) => {
    ctx.state.title = 'Rivers'
    return { id: Number(params.id), name: 'Rivers' }
  })
  r.post('/', { body: t.Object({ name: t.String() }), response: { 201: ProjectOut }, view: 'projects/show' }, ({ body }) => created({ id: 12, name: body.name, secret: 'x' }, { location: '/v1/projects/12' }))
  r.get('/:id/card', ({ params }) => html({ view: 'projects/show', data: { id: params.id, name: 'Card' } }))
})
const app = createApp({ plugins: [unit], views: { dir: views, layout: 'layout' } })

test('one route answers JSON to API clients and its view to browsers', async () => {
  const api = await app.inject({ url: '/v1/projects/4' })
  assert.equal(api.json(), { id: 4, name: 'Rivers' })
  const page = await app.inject({ url: '/v1/projects/4', headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } })
  assert.is(page.headers['content-type'], 'text/html; charset=utf-8')
  assert.match(page.body, /^<!doctype html>/)
  assert.match(page.body, /<title>Rivers<\/title>/)
  assert.match(page.body, /<nav>Projects<\/nav>/)
  assert.match(page.body, /<main><article id="project-4"><h1>Rivers<\/h1><\/article>/)
  assert.match(String(page.headers.vary), /Accept/)
})

test('created() answers 201 + Location with the route view for htmx, and shaped JSON for API clients', async () => {
  const api = await app.inject({ method: 'POST', url: '/v1/projects', body: { name: 'Wells' } })
  assert.is(api.status, 201)
  assert.is(api.headers.location, '/v1/projects/12')
  assert.equal(api.json(), { id: 12, name: 'Wells' })
  const htmx = await app.inject({ method: 'POST', url: '/v1/projects', body: { name: 'Wells' }, headers: { 'hx-request': 'true' } })
  assert.is(htmx.status, 201)
  assert.is(htmx.headers.location, '/v1/projects/12')
  assert.is(htmx.headers['content-type'], 'text/html; charset=utf-8')
  assert.match(htmx.body, /<article id="project-12"><h1>Wells<\/h1><\/article>/)
})

test('htmx requests get the fragment alone, escaped', async () => {
  const res = await app.inject({ url: '/v1/projects', headers: { 'hx-request': 'true' } })
  assert.is(res.body, '<ul><li>Roads &lt;north&gt;</li></ul>\n')
})

test('curl-style */* and JSON clients get JSON', async () => {
  for (const accept of ['*/*', 'application/json', 'application/json, text/html;q=0.5']) {
    const res = await app.inject({ url: '/v1/projects', headers: { accept } })
    assert.equal(res.json(), [{ id: 1, name: 'Roads <north>' }], accept)
  }
})

test('html({ view }) renders a view with its data in the layout', async () => {
  const res = await app.inject({ url: '/v1/projects/9/card' })
  assert.match(res.body, /<main><article id="project-9"><h1>Card<\/h1><\/article>/)
})

test('views see what dependencies put on ctx.state (the signed-in user), under the handler data', async () => {
  const signedIn = depends(({ ctx }) => {
    ctx.state.title = 'From state'
    ctx.state.name = 'overridden by the handler'
    return true
  })
  const stateful = defineUnit('stateful', (r) => r.get('/whoami', { use: { signedIn }, view: 'projects/show' }, () => ({ id: 1, name: 'Handler name' })))
  const res = await createApp({ plugins: [stateful], views: { dir: views, layout: 'layout' } }).inject({ url: '/whoami', headers: { accept: 'text/html' } })
  assert.match(res.body, /<title>From state<\/title>/)
  assert.match(res.body, /<h1>Handler name<\/h1>/)
})

test('a route naming a view that does not exist fails at start-up', async () => {
  const bad = defineUnit('bad', (r) => r.get('/x', { view: 'nope/missing' }, () => 1))
  const message = await createApp({ plugins: [bad], views }).start().then(
    () => undefined,
    (error: Error) => error.message,
  )
  assert.match(message ?? '', /its view "nope\/missing" does not exist/)
})

test('a page (and the JSON of its route) answers with one Vary naming Accept and HX-Request, joined with what CORS and Koa middleware add (none replaces another)', async () => {
  const cookieVary = definePlugin({
    name: 'cookie-vary',
    setup(app) {
      app.use(async (ctx, next) => {
        ctx.vary('Cookie')
        await next()
      })
    },
  })
  for (const plugins of [[cors({ origins: ['https://map.example.org'] }), unit], [cors({ origins: ['https://map.example.org'] }), cookieVary, unit]]) {
    const withCors = createApp({ plugins, views: { dir: views, layout: 'layout' }, logger: false })
    const page = await withCors.inject({ url: '/v1/projects/4', headers: { accept: 'text/html', origin: 'https://map.example.org' } })
    assert.is(page.status, 200)
    const vary = String(page.headers.vary).split(',').map((name) => name.trim())
    const expected = plugins.includes(cookieVary) ? ['Accept', 'Cookie', 'HX-Request', 'Origin'] : ['Accept', 'HX-Request', 'Origin']
    assert.equal([...vary].sort(), expected, `one header, every name once: ${String(page.headers.vary)}`)
    const api = await withCors.inject({ url: '/v1/projects/4', headers: { origin: 'https://map.example.org' } })
    assert.equal(String(api.headers.vary).split(', ').sort(), ['Accept', ...(plugins.includes(cookieVary) ? ['Cookie'] : []), 'HX-Request', 'Origin'], 'the JSON of a route with a view varies as its page does')
  }
})

test.run()
