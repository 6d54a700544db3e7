// The OpenAPI documents judged by a linter nobody here wrote: Redocly's `recommended` rules give
// 0 errors and 0 warnings on the example's document and on a generated service's. And what the
// routes really send (204 with no body, Location, X-Total-Count, Retry-After, CSV) is documented.
import { Readable } from 'node:stream'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { created, createApp, defineUnit, depends, named, noContent, NotFound, openapi, ServiceUnavailable, stream, t, type OpenApiDocument } from 'trefoil'
import { startFieldwork } from '../examples/fixtures/fieldwork.js'
import { lint, problems } from '../helpers/redocly.js'

// A service as `yo trefoil` + `yo trefoil:unit task` write it: a CRUD unit behind a database dependency.
const TaskIn = named('TaskIn', t.Object({ name: t.String({ minLength: 1 }), done: t.Boolean({ default: false }), area: t.Optional(t.Tuple([t.Number(), t.Number()])) }))
const TaskOut = named('TaskOut', t.Object({ id: t.Integer(), name: t.String(), done: t.Boolean(), area: t.Optional(t.Tuple([t.Number(), t.Number()])) }))
const TaskPage = t.Object({ limit: t.Integer({ minimum: 1, maximum: 100, default: 20 }), offset: t.Integer({ minimum: 0, default: 0 }) })
const rows = new Map<number, { id: number; name: string; done: boolean }>()
const database = depends({ name: 'database', errors: [503] }, () => {
  if (process.env.TREFOIL_TEST_DB_DOWN) throw new ServiceUnavailable('Database unavailable', { headers: { 'Retry-After': '5' } })
  return rows
})
const task = depends({ name: 'task', params: t.Object({ taskId: t.Integer({ minimum: 1 }) }), use: { db: database }, errors: [404] }, ({ params, db }) => {
  const row = db.get(params.taskId)
  if (!row) throw new NotFound(`Task ${params.taskId} not found`)
  return row
})
const tasks = defineUnit('tasks', { prefix: '/v1/tasks', description: 'Tasks to map' }, (r) => {
  r.get('/', { query: TaskPage, use: { db: database }, response: t.Array(TaskOut), responseHeaders: { 'X-Total-Count': 'How many tasks there are' }, summary: 'List tasks' }, ({ query, db, ctx }) => {
    ctx.set('X-Total-Count', String(db.size))
    return [...db.values()].slice(query.offset, query.offset + query.limit)
  })
  r.post('/', { body: TaskIn, use: { db: database }, response: { 201: TaskOut }, summary: 'Create a task' }, ({ body, db }) => {
    const row = { id: db.size + 1, ...body }
    db.set(row.id, row)
    return created(row, { location: `/v1/tasks/${row.id}` })
  })
  r.get('/:taskId', { use: { task }, response: TaskOut, summary: 'Get a task' }, ({ task }) => task)
  r.delete('/:taskId', { use: { task, db: database }, status: 204, summary: 'Delete a task' }, ({ task, db }) => {
    db.delete(task.id)
    return noContent()
  })
  r.get('/export.csv', { use: { db: database }, mediaTypes: ['text/csv'], summary: 'Export tasks as CSV' }, ({ db }) => stream(Readable.from([...db.values()].map((row) => `${row.id},${row.name}\n`)), { type: 'text/csv' }))
})
const service = createApp({ plugins: [openapi({ title: 'field-notes', version: '0.1.0', license: { name: 'MIT', identifier: 'MIT' } }), tasks] })

async function serviceDocument(): Promise<OpenApiDocument> {
  return (await service.inject({ url: '/openapi.json' })).json() as OpenApiDocument
}

test("a generated service's document: 0 errors and 0 warnings under Redocly's recommended rules", async () => {
  const result = await lint(await serviceDocument())
  assert.equal(result.totals, { errors: 0, warnings: 0, ignored: 0 }, problems(result))
})

test("the example's document: 0 errors and 0 warnings under Redocly's recommended rules", async () => {
  const fw = await startFieldwork()
  try {
    const document = (await fw.app.inject({ url: '/openapi.json' })).json()
    const result = await lint(document)
    assert.equal(result.totals, { errors: 0, warnings: 0, ignored: 0 }, problems(result))
  } finally {
    await fw.close()
  }
})

test('tuples are prefixItems; public operations say security: []; servers, license and tag descriptions are present', async () => {
  const document = await serviceDocument()
  const area = (document.components.schemas!.TaskOut as { properties: Record<string, unknown> }).properties.area
  assert.equal(area, { type: 'array', prefixItems: [{ type: 'number' }, { type: 'number' }], items: false, minItems: 2 })
  assert.equal(document.paths['/v1/tasks']!.get!.security, [])
  assert.equal(document.servers, [{ url: '/', description: 'The server this document is served from' }])
  assert.equal(document.info.license, { name: 'MIT', identifier: 'MIT' })
  assert.equal(document.tags, [{ name: 'tasks', description: 'Tasks to map' }])
})

test('what the routes send is what the document says: 204 with no body, Location on 201, X-Total-Count, Retry-After on 503, CSV', async () => {
  const document = await serviceDocument()
  const op = (path: string, method: string) => (document.paths[path] as Record<string, { responses: Record<string, { content?: Record<string, unknown>; headers?: Record<string, unknown> }>; parameters?: { name: string; required: boolean }[] }>)[method]!

  const made = await service.inject({ method: 'POST', url: '/v1/tasks', body: { name: 'Map the river' } })
  assert.is(made.status, 201)
  assert.ok(made.headers.location)
  assert.ok(op('/v1/tasks', 'post').responses['201']!.headers!.Location)

  const list = await service.inject({ url: '/v1/tasks' })
  assert.ok(list.headers['x-total-count'])
  assert.ok(op('/v1/tasks', 'get').responses['200']!.headers!['X-Total-Count'])
  // limit and offset have defaults: a client may leave them out
  assert.equal(op('/v1/tasks', 'get').parameters!.map((p) => [p.name, p.required]), [['limit', false], ['offset', false]])

  const csv = await service.inject({ url: '/v1/tasks/export.csv' })
  assert.match(String(csv.headers['content-type']), 'text/csv')
  assert.equal(Object.keys(op('/v1/tasks/export.csv', 'get').responses['200']!.content!), ['text/csv'])

  const removed = await service.inject({ method: 'DELETE', url: '/v1/tasks/1' })
  assert.is(removed.status, 204)
  assert.is(removed.body, '')
  const deleted = op('/v1/tasks/{taskId}', 'delete').responses
  assert.ok(deleted['204'])
  assert.is(deleted['204']!.content, undefined)
  assert.is(deleted['200'], undefined)

  process.env.TREFOIL_TEST_DB_DOWN = '1'
  try {
    const down = await service.inject({ url: '/v1/tasks' })
    assert.is(down.status, 503)
    assert.is(down.headers['retry-after'], '5')
    assert.ok(op('/v1/tasks', 'get').responses['503']!.headers!['Retry-After'])
  } finally {
    delete process.env.TREFOIL_TEST_DB_DOWN
  }
})

test.run()
