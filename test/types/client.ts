// Type tests of the typed client: calls are checked against the routes' schemas, and each status's
// body is the model of that status (each `@ts-expect-error` fails the check if its line compiles).
import { client, created, createApp, defineUnit, noContent, openapi, t, withDefault, type App } from 'trefoil'

const ProjectIn = t.Object({ name: t.String(), priority: t.Integer() })
const ProjectOut = t.Object({ id: t.Integer(), name: t.String(), priority: t.Integer(), note: t.Optional(t.String()) })
const Conflict = t.Object({ detail: t.String(), field: t.String() })

const projects = defineUnit('projects', { prefix: '/v1/projects/' }, (r) => [
  r.get('/', { query: t.Object({ q: t.Optional(t.String()), limit: t.Integer() }), response: t.Array(ProjectOut) }, () => []),
  r.post('/', { body: ProjectIn, status: 201, response: { 201: ProjectOut, 409: Conflict } }, ({ body }) => created({ id: 1, ...body })),
  r.get('/:projectId', { params: t.Object({ projectId: t.Integer() }), response: ProjectOut }, ({ params }) => ({ id: params.projectId, name: 'Roads', priority: 1 })),
  r.delete('/:projectId', { status: 204 }, () => noContent()),
])
// fields with a default may be left out by callers; the handler still sees them filled in
const searches = defineUnit('searches', (r) => [
  r.get('/search', { query: t.Object({ q: t.String(), limit: withDefault(t.Integer(), 50) }) }, ({ query }) => query.limit satisfies number),
])
const health = defineUnit('health', (r) => r.get('/health', () => ({ ok: true })))
// a unit that returns nothing declares routes the client does not know
const legacy = defineUnit('legacy', (r) => {
  r.get('/legacy', () => 'old')
})

declare const app: App
const api = client<[typeof projects, typeof searches, typeof health, typeof legacy]>(app)

export async function calls(): Promise<void> {
  const list = await api.get('/v1/projects', { query: { limit: 10 } })
  if (list.status === 200) {
    const first: { id: number; name: string; note?: string } | undefined = list.json()[0]
    void first
  }
  // @ts-expect-error a query field of the wrong type
  await api.get('/v1/projects', { query: { limit: 'ten' } })
  // @ts-expect-error a required query field left out
  await api.get('/v1/projects', { query: {} })

  const made = await api.post('/v1/projects', { body: { name: 'Roads', priority: 2 } })
  if (made.status === 201) made.json().id satisfies number
  if (made.status === 409) made.json().field satisfies string
  if (made.status === 422) made.json().detail[0]?.loc satisfies (string | number)[] | undefined
  if (made.status === 403) made.json().detail satisfies string
  // @ts-expect-error a body missing a field
  await api.post('/v1/projects', { body: { name: 'Roads' } })
  // @ts-expect-error a route whose body is required, called without one
  await api.post('/v1/projects')

  const one = await api.get('/v1/projects/:projectId', { params: { projectId: 7 } })
  const project = one.expect(200)
  project.name satisfies string
  // @ts-expect-error reading a field the response model lacks
  void project.owner
  // @ts-expect-error a path param of the wrong type (the params schema says integer)
  await api.get('/v1/projects/:projectId', { params: { projectId: 'seven' } })
  // @ts-expect-error path params left out
  await api.get('/v1/projects/:projectId')
  if (one.status === 200) one.json().priority satisfies number
  // a model route may still answer 204 (noContent()): a success is not always a body
  if (one.ok && one.status !== 204 && one.status !== 205) one.json().priority satisfies number

  const gone = await api.delete('/v1/projects/:projectId', { params: { projectId: '7' } })
  if (gone.status === 204) gone.json() satisfies undefined

  await api.get('/search', { query: { q: 'roads' } })
  // @ts-expect-error a field without a default is still required
  await api.get('/search', { query: { limit: 5 } })

  const ok = (await api.get('/health')).expect(200)
  ok satisfies unknown
  // @ts-expect-error a path no route of that method has
  await api.get('/v1/nowhere')
  // @ts-expect-error a route of another method
  await api.put('/v1/projects')
  // @ts-expect-error routes of a unit that returns nothing are not known
  await api.get('/legacy')
  // @ts-expect-error a status the route never answers with a body of its own
  made.expect(299)
  await api.with({ headers: { authorization: 'Bearer x' } }).get('/health')
}

// ---- typed from the app, as Hono's `hc` is: the units listed in `createApp({ plugins })` are the
// routes; other plugins and units whose build function returns nothing add none

const typedApp = createApp({ plugins: [openapi({ title: 'Types', version: '1.0.0' }), projects, searches, health, legacy] })
const fromApp = client(typedApp)
const fromAppType = client<typeof typedApp>('http://127.0.0.1:8000', { headers: { authorization: 'Bearer x' } })
// still an App wherever one is expected, and explicit settings types still compile
export const asApp: App = typedApp
export const withSettings: App<{ PORT: number }> = createApp<{ PORT: number }>({ settings: { PORT: 8000 }, plugins: [projects] })

export async function appCalls(): Promise<void> {
  const one = await fromApp.get('/v1/projects/:projectId', { params: { projectId: 7 } })
  one.expect(200).priority satisfies number
  const listed = await fromAppType.get('/v1/projects', { query: { limit: 5 } })
  if (listed.status === 200) listed.json()[0]?.name satisfies string | undefined
  await fromApp.get('/search', { query: { q: 'roads' } })
  // @ts-expect-error a path no unit of the app declares
  await fromApp.get('/v1/nowhere')
  // @ts-expect-error a body of the wrong shape (priority is an integer)
  await fromApp.post('/v1/projects', { body: { name: 'Roads', priority: 'high' } })
  // @ts-expect-error a path param of the wrong type (the params schema says integer)
  await fromApp.get('/v1/projects/:projectId', { params: { projectId: 'seven' } })
  // @ts-expect-error a wrong path over HTTP too
  await fromAppType.delete('/v1/projects')

  const made = await fromAppType.post('/v1/projects', { body: { name: 'Roads', priority: 2 } })
  // @ts-expect-error the 201's model has no `field`: that is the 409's body
  void made.expect(201).field
  made.expect(409).field satisfies string
  if (made.status === 201) {
    // @ts-expect-error a 201 is the project, not a validation error list
    void made.json().detail
  }
  // @ts-expect-error the openapi plugin is not a unit: its routes are not the client's
  await fromApp.get('/openapi.json')
  // @ts-expect-error a unit that returns nothing declares routes the client does not know
  await fromApp.get('/legacy')
}
