// Start-up checks: a path parameter read by a route's params schema or any of its dependencies
// (however deep) must be in the route's path; a route's view must exist. Otherwise the app does
// not start, and the message names the route, the dependency and the parameter.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, defineUnit, depends, t, type App } from 'trefoil'

async function startError(app: App): Promise<string> {
  try {
    await app.start()
  } catch (error) {
    return (error as Error).message
  }
  return assert.unreachable('the app started') as never
}

const project = depends({ name: 'project', params: t.Object({ projectId: t.Integer() }) }, ({ params }) => ({ id: params.projectId }))
const task = depends({ name: 'task', params: t.Object({ taskId: t.Integer() }), use: { project } }, ({ params, project }) => ({ id: params.taskId, projectId: project.id }))
const canEdit = depends({ name: 'canEdit', use: { task } }, ({ task }) => task.id > 0)

test('a dependency reading a parameter the path lacks fails the start, naming route, dependency and parameter', async () => {
  const app = createApp({ plugins: [defineUnit('tasks', { prefix: '/v1/tasks' }, (r) => r.get('/:taskId', { use: { task } }, ({ task }) => task))] })
  const message = await startError(app)
  assert.match(message, 'Cannot register route "GET /v1/tasks/:taskId" of "tasks"')
  assert.match(message, 'its dependency "project"')
  assert.match(message, 'reads path parameter "projectId"')
})

test('the check follows dependencies transitively and shows the chain', async () => {
  const app = createApp({ plugins: [defineUnit('tasks', (r) => r.post('/v1/tasks/:taskId/lock', { use: { canEdit } }, () => ({ ok: true })))] })
  const message = await startError(app)
  assert.match(message, 'its dependency "project" (through "canEdit" -> "task") reads path parameter "projectId"')
})

test("a route's own params schema naming a parameter its path lacks fails the start", async () => {
  const app = createApp({ plugins: [defineUnit('p', (r) => r.get('/v1/projects', { params: t.Object({ projectId: t.Integer() }) }, ({ params }) => params))] })
  const message = await startError(app)
  assert.match(message, 'Cannot register route "GET /v1/projects"')
  assert.match(message, 'its params schema reads path parameter "projectId"')
})

test('optional parameters and ones with defaults may be absent from the path; a full path starts and answers', async () => {
  const page = depends({ name: 'page', params: t.Object({ projectId: t.Optional(t.Integer()), lang: t.String({ default: 'en' }) }) }, ({ params }) => params)
  const app = createApp({
    plugins: [
      defineUnit('tasks', { prefix: '/v1/projects/:projectId/tasks' }, (r) => {
        r.get('/:taskId', { use: { canEdit } }, ({ canEdit }) => ({ canEdit }))
        r.get('/', { use: { page } }, ({ page }) => page)
      }),
      defineUnit('home', (r) => r.get('/', { use: { page } }, ({ page }) => page)),
    ],
  })
  await app.start()
  assert.equal((await app.inject({ url: '/v1/projects/3/tasks/4' })).json(), { canEdit: true })
  assert.equal((await app.inject({ url: '/' })).json(), { lang: 'en' })
})

test('an override that reads a parameter the path lacks is refused, and the old plan stays', async () => {
  const app = createApp({ plugins: [defineUnit('tasks', (r) => r.get('/v1/projects/:projectId/tasks/:taskId', { use: { task } }, ({ task }) => task))] })
  await app.start()
  const stranger = depends({ name: 'stranger', params: t.Object({ userId: t.Integer() }) }, () => ({ id: 0 }))
  assert.throws(() => app.overrideDependency(project, stranger), /dependency "stranger" \(through "task"\) reads path parameter "userId"/)
  assert.equal((await app.inject({ url: '/v1/projects/1/tasks/2' })).json(), { id: 2, projectId: 1 })
})

test('a route naming a view that does not exist fails the start, naming route and view', async () => {
  const app = createApp({ views: new URL('../runtime/fixtures/views', import.meta.url).pathname, plugins: [defineUnit('pages', (r) => r.get('/page', { view: 'no/such/view' }, () => ({})))] })
  const message = await startError(app)
  assert.match(message, 'Cannot register route "GET /page"')
  assert.match(message, 'its view "no/such/view" does not exist')
})

test('an error view (errorPages.view) that does not exist fails the start, naming it', async () => {
  const views = new URL('../runtime/fixtures/views', import.meta.url).pathname
  const message = await startError(createApp({ views, errorPages: { view: 'no-such-error' } }))
  assert.match(message, 'Cannot use error view "no-such-error" (errorPages.view)')
  assert.match(await startError(createApp({ errorPages: { view: 'error' } })), 'the app has no views folder')
})

test.run()
