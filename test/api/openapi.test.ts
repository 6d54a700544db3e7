import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Validator } from '@seriousme/openapi-schema-validator'
import { Readable } from 'node:stream'
import { buildOpenApi, createApp, defineUnit, depends, file, fileResponses, named, noContent, created, NotFound, openapi, stream, t, text, type RouteOptions } from 'trefoil'

// A sample app: two units, an existence check chained into another, a header read by a
// dependency, a multipart route (documented only), and the openapi plugin listed FIRST.
const ProjectIn = named('ProjectIn', t.Object({ name: t.String({ minLength: 1, maxLength: 128, transform: ['trim'] }), priority: t.Integer({ minimum: 0, maximum: 10, default: 5 }) }))
const ProjectOut = named('ProjectOut', t.Object({ id: t.Integer(), name: t.String(), priority: t.Integer() }))
const TaskOut = t.Object({ id: t.Integer(), projectId: t.Integer(), status: t.Union([t.Literal('ready'), t.Literal('mapped')]) })
// an unnamed body schema: the document names it after the operation
const TaskPatch = t.Object({ status: t.Union([t.Literal('ready'), t.Literal('mapped')]) })

const projects = new Map([[1, { id: 1, name: 'Flood mapping', priority: 5, secret: 'x' }]])
const project = depends({ name: 'project', params: t.Object({ projectId: t.Integer({ minimum: 1, description: 'The project' }) }), errors: [404] }, ({ params }) => {
  const found = projects.get(params.projectId)
  if (!found) throw new NotFound(`Project ${params.projectId} not found`)
  return found
})
const task = depends({ name: 'task', params: t.Object({ taskId: t.Integer({ minimum: 1 }) }), use: { project }, errors: [404] }, ({ params, project }) => ({ id: params.taskId, projectId: project.id, status: 'ready' as const }))
const source = depends({ name: 'source', headers: t.Object({ 'x-client': t.Optional(t.String()) }) }, ({ headers }) => headers['x-client'] ?? 'unknown')

const projectUnit = defineUnit('projects', { prefix: '/v1/projects' }, (r) => {
  r.get('/', { query: t.Object({ page: t.Integer({ minimum: 1, default: 1 }), q: t.Optional(t.String()) }), response: t.Array(ProjectOut) }, async function listProjects() {
    return [...projects.values()]
  })
  r.post('/', { body: ProjectIn, response: { 201: ProjectOut }, status: 201, summary: 'Create a project', description: 'Creates a project owned by the caller.', errors: [409] }, ({ body }) => created({ id: 2, ...body }))
  r.get('/:projectId', { use: { project, source }, response: ProjectOut }, ({ project }) => project)
  r.delete('/:projectId', { use: { project }, deprecated: true, operationId: 'removeProject' }, () => noContent())
})

const submissionOptions = {
  use: { task },
  multipart: { fields: t.Object({ deviceId: t.Optional(t.String()), xml: t.String() }), files: { attachments: { many: 10, maxBytes: 20e6, types: ['image/jpeg', 'image/png'] } } },
} as RouteOptions<undefined, undefined, undefined, undefined, { task: typeof task }>
const taskUnit = defineUnit('tasks', { prefix: '/v1/projects/:projectId/tasks', use: { project } }, (r) => {
  r.get('/:taskId', { use: { task }, response: TaskOut }, ({ task }) => task)
  r.patch('/:taskId', { use: { task }, body: TaskPatch, response: TaskOut }, ({ task, body }) => ({ ...task, ...body }))
  r.post('/:taskId/submissions', submissionOptions, () => noContent())
})

const docs = openapi({ title: 'Fieldwork', version: '1.2.0', description: 'Field mapping', tags: { projects: 'Mapping projects' } })
const app = createApp({ plugins: [docs, projectUnit, taskUnit] })

const httpError = { $ref: '#/components/schemas/HTTPError' }
const validationError = { $ref: '#/components/schemas/HTTPValidationError' }
const err = (description: string) => ({ description, content: { 'application/json': { schema: httpError } } })
const e422 = { description: 'Validation Error', content: { 'application/json': { schema: validationError } } }
const jsonOf = (schema: object) => ({ 'application/json': { schema } })
const projectIdParam = { name: 'projectId', in: 'path', required: true, description: 'The project', schema: { type: 'integer', minimum: 1, description: 'The project' } }
const taskIdParam = { name: 'taskId', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }

const expected = {
  openapi: '3.1.0',
  info: { title: 'Fieldwork', version: '1.2.0', description: 'Field mapping' },
  servers: [{ url: '/', description: 'The server this document is served from' }],
  paths: {
    '/v1/projects': {
      get: {
        tags: ['projects'],
        summary: 'List Projects',
        operationId: 'getV1Projects',
        parameters: [
          // a default: the client may leave it out
          { name: 'page', in: 'query', required: false, schema: { type: 'integer', minimum: 1, default: 1 } },
          { name: 'q', in: 'query', required: false, schema: { type: 'string' } },
        ],
        responses: {
          '200': { description: 'Successful Response', content: jsonOf({ type: 'array', items: { $ref: '#/components/schemas/ProjectOut' } }) },
          '422': e422,
        },
      },
      post: {
        tags: ['projects'],
        summary: 'Create a project',
        description: 'Creates a project owned by the caller.',
        operationId: 'postV1Projects',
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/ProjectIn' } }, 'application/x-www-form-urlencoded': { schema: { $ref: '#/components/schemas/ProjectIn' } } } },
        responses: {
          '201': { description: 'Created', content: jsonOf({ $ref: '#/components/schemas/ProjectOut' }), headers: { Location: { description: 'The URL of the created resource, when the operation gives one', schema: { type: 'string', format: 'uri-reference' } } } },
          '400': err('Bad Request'),
          '409': err('Conflict'),
          '413': err('Payload Too Large'),
          '415': err('Unsupported Media Type'),
          '422': e422,
        },
      },
    },
    '/v1/projects/{projectId}': {
      get: {
        tags: ['projects'],
        operationId: 'getV1ProjectsByProjectId',
        parameters: [projectIdParam, { name: 'x-client', in: 'header', required: false, schema: { type: 'string' } }],
        responses: { '200': { description: 'Successful Response', content: jsonOf({ $ref: '#/components/schemas/ProjectOut' }) }, '404': err('Not Found'), '422': e422 },
      },
      delete: {
        tags: ['projects'],
        operationId: 'removeProject',
        deprecated: true,
        parameters: [projectIdParam],
        responses: { '200': { description: 'Successful Response', content: jsonOf({}) }, '404': err('Not Found'), '422': e422 },
      },
    },
    '/v1/projects/{projectId}/tasks/{taskId}': {
      get: {
        tags: ['tasks'],
        operationId: 'getV1ProjectsByProjectIdTasksByTaskId',
        parameters: [projectIdParam, taskIdParam],
        responses: { '200': { description: 'Successful Response', content: jsonOf({ $ref: '#/components/schemas/GetV1ProjectsByProjectIdTasksByTaskIdResponse' }) }, '404': err('Not Found'), '422': e422 },
      },
      patch: {
        tags: ['tasks'],
        operationId: 'patchV1ProjectsByProjectIdTasksByTaskId',
        parameters: [projectIdParam, taskIdParam],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/PatchV1ProjectsByProjectIdTasksByTaskIdBody' } }, 'application/x-www-form-urlencoded': { schema: { $ref: '#/components/schemas/PatchV1ProjectsByProjectIdTasksByTaskIdBody' } } },
        },
        // the same TaskOut object: one component, named after its first use
        responses: { '200': { description: 'Successful Response', content: jsonOf({ $ref: '#/components/schemas/GetV1ProjectsByProjectIdTasksByTaskIdResponse' }) }, '400': err('Bad Request'), '404': err('Not Found'), '413': err('Payload Too Large'), '415': err('Unsupported Media Type'), '422': e422 },
      },
    },
    '/v1/projects/{projectId}/tasks/{taskId}/submissions': {
      post: {
        tags: ['tasks'],
        operationId: 'postV1ProjectsByProjectIdTasksByTaskIdSubmissions',
        parameters: [projectIdParam, taskIdParam],
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: {
                type: 'object',
                properties: {
                  deviceId: { type: 'string' },
                  xml: { type: 'string' },
                  attachments: { type: 'array', items: { type: 'string', contentMediaType: 'application/octet-stream', description: 'At most 20000000 bytes' }, maxItems: 10 },
                },
                required: ['xml'],
              },
              encoding: { attachments: { contentType: 'image/jpeg, image/png' } },
            },
          },
        },
        responses: { '200': { description: 'Successful Response', content: jsonOf({}) }, '400': err('Bad Request'), '404': err('Not Found'), '413': err('Payload Too Large'), '415': err('Unsupported Media Type'), '422': e422 },
      },
    },
  },
  components: {
    schemas: {
      GetV1ProjectsByProjectIdTasksByTaskIdResponse: { type: 'object', required: ['id', 'projectId', 'status'], properties: { id: { type: 'integer' }, projectId: { type: 'integer' }, status: { anyOf: [{ type: 'string', const: 'ready' }, { type: 'string', const: 'mapped' }] } } },
      HTTPError: { type: 'object', required: ['detail'], properties: { detail: { type: 'string' }, code: { type: 'string', description: 'A stable machine-readable code, when the error has one' } } },
      HTTPValidationError: { type: 'object', required: ['detail'], properties: { detail: { type: 'array', items: { $ref: '#/components/schemas/ValidationError' }, title: 'Detail' } } },
      PatchV1ProjectsByProjectIdTasksByTaskIdBody: { type: 'object', required: ['status'], properties: { status: { anyOf: [{ type: 'string', const: 'ready' }, { type: 'string', const: 'mapped' }] } } },
      ProjectIn: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 128 }, priority: { type: 'integer', minimum: 0, maximum: 10, default: 5 } } },
      ProjectOut: { type: 'object', required: ['id', 'name', 'priority'], properties: { id: { type: 'integer' }, name: { type: 'string' }, priority: { type: 'integer' } } },
      ValidationError: {
        type: 'object',
        required: ['loc', 'msg', 'type'],
        properties: { loc: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'integer' }] }, title: 'Location' }, msg: { type: 'string', title: 'Message' }, type: { type: 'string', title: 'Error Type' } },
      },
    },
  },
  tags: [{ name: 'projects', description: 'Mapping projects' }, { name: 'tasks' }],
}

// no operation of the sample app needs credentials, and the document says so on each
for (const operations of Object.values(expected.paths)) for (const operation of Object.values(operations)) Object.assign(operation, { security: [] })

test('GET /openapi.json describes every route of the sample app, field by field', async () => {
  const res = await app.inject({ url: '/openapi.json' })
  assert.is(res.status, 200)
  assert.match(String(res.headers['content-type']), 'application/json')
  const doc = res.json()
  // compared part by part first, so a failure names the part that differs
  assert.equal(doc.info, expected.info)
  assert.equal(Object.keys(doc.paths), Object.keys(expected.paths))
  for (const [path, operations] of Object.entries(expected.paths)) {
    for (const [method, operation] of Object.entries(operations)) assert.equal(doc.paths[path][method], operation, `${method} ${path}`)
  }
  for (const [name, schema] of Object.entries(expected.components.schemas)) assert.equal(doc.components.schemas[name], schema, `component ${name}`)
  assert.equal(doc, expected)
})

test('the document validates against the OpenAPI 3.1 schema', async () => {
  const doc = (await app.inject({ url: '/openapi.json' })).json()
  const validator = new Validator()
  const result = await validator.validate(doc)
  assert.equal(result.errors, undefined)
  assert.ok(result.valid)
  assert.is(validator.version, '3.1')
})

test('the document lists routes of plugins registered after it and is built once', async () => {
  const first = app.plugin(docs).document()
  assert.ok(first.paths['/v1/projects/{projectId}/tasks/{taskId}'], 'tasks come after openapi in the plugin list')
  assert.is(app.plugin(docs).document(), first)
  assert.not.ok(first.paths['/openapi.json'], 'its own routes are left out')
  assert.not.ok(first.paths['/docs'])
})

test('a named schema used twice inside one schema still validates (names never touch the schema)', async () => {
  const Point = named('Point', t.Object({ x: t.Number(), y: t.Number() }))
  const Segment = named('Segment', t.Object({ from: Point, to: Point }))
  const unit = defineUnit('geo', (r) => r.post('/segments', { body: Segment, response: Segment }, ({ body }) => body))
  const geo = createApp({ plugins: [unit] })
  const res = await geo.inject({ method: 'POST', url: '/segments', body: { from: { x: 1, y: 2 }, to: { x: 3, y: 4 } } })
  assert.is(res.status, 200)
  const doc = buildOpenApi(geo.routes, { title: 'Geo', version: '1' })
  assert.equal(doc.components.schemas?.Segment, { type: 'object', required: ['from', 'to'], properties: { from: { $ref: '#/components/schemas/Point' }, to: { $ref: '#/components/schemas/Point' } } })
  assert.ok(doc.components.schemas?.Point)
})

test('two different schemas with one name, or one operationId twice, fail the build, naming the culprit', async () => {
  const A = named('Thing', t.Object({ a: t.String() }))
  const B = named('Thing', t.Object({ b: t.String() }))
  const unit = defineUnit('things', (r) => {
    r.get('/a', { response: A }, () => ({ a: 'x' }))
    r.get('/b', { response: B }, () => ({ b: 'x' }))
  })
  const things = createApp({ plugins: [unit] })
  await things.start()
  assert.throws(() => buildOpenApi(things.routes, { title: 'T', version: '1' }), /Cannot describe two different schemas as component "Thing"/)
  assert.throws(() => named('bad name', t.String()), /Cannot name a schema "bad name"/)
  const twice = defineUnit('twice', (r) => {
    r.get('/a', { operationId: 'read' }, () => 1)
    r.get('/b', { operationId: 'read' }, () => 2)
  })
  const dup = createApp({ plugins: [twice] })
  await dup.start()
  assert.throws(() => buildOpenApi(dup.routes, { title: 'T', version: '1' }), /Cannot use operationId "read" for GET \/b: GET \/a uses it already/)
  // with the plugin, the document is built at start-up: the clash fails the start itself
  const failing = createApp({ plugins: [openapi({ title: 'T', version: '1' }), unit], logger: false })
  const message = await failing.start().then(
    () => undefined,
    (error: Error) => error.message,
  )
  assert.match(message ?? '', /Cannot describe two different schemas as component "Thing"/)
})

test('a JSON body route documents the 400 of a body that does not parse and the 415 of another media type, which it answers', async () => {
  const doc = (await app.inject({ url: '/openapi.json' })).json()
  const responses = doc.paths['/v1/projects'].post.responses as Record<string, unknown>
  const broken = await app.inject({ method: 'POST', url: '/v1/projects', headers: { 'content-type': 'application/json' }, body: '{"name": ' })
  const other = await app.inject({ method: 'POST', url: '/v1/projects', headers: { 'content-type': 'text/plain' }, body: 'name=x' })
  assert.equal([broken.status, other.status], [400, 415])
  for (const res of [broken, other]) assert.ok(String(res.status) in responses, `${res.status} is documented`)
})

test('a raw upload route documents its body as the file in each allowed type, with 413 / 415 / 422', async () => {
  const unit = defineUnit('files', (r) => r.put('/files/:id', { upload: { maxBytes: 1e6, types: ['image/png', 'application/pdf'] } }, () => noContent()))
  const files = createApp({ plugins: [unit] })
  await files.start()
  const operation = buildOpenApi(files.routes, { title: 'F', version: '1' }).paths['/files/{id}']!.put as { requestBody: unknown; responses: Record<string, unknown> }
  assert.equal(operation.requestBody, {
    required: true,
    content: { 'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } }, 'application/pdf': { schema: { type: 'string', contentMediaType: 'application/pdf' } } },
  })
  for (const code of ['413', '415', '422']) assert.ok(code in operation.responses, code)
})

test('a route with includeInSchema: false is served but left out of the document', async () => {
  const unit = defineUnit('pages', (r) => {
    r.get('/login', { includeInSchema: false }, () => 'page')
    r.get('/v1/things', () => [])
  })
  const pages = createApp({ plugins: [unit] })
  assert.is((await pages.inject({ url: '/login' })).status, 200)
  const doc = buildOpenApi(pages.routes, { title: 'P', version: '1' })
  assert.equal(Object.keys(doc.paths), ['/v1/things'])
})

test('a route with a view documents its HTML beside its JSON', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trefoil-views-'))
  writeFileSync(join(dir, 'show.ejs'), '<h1><%= name %></h1>')
  const unit = defineUnit('pages', (r) => r.get('/projects/:projectId', { use: { project }, response: ProjectOut, view: 'show' }, ({ project }) => project))
  const pages = createApp({ plugins: [unit], views: dir })
  await pages.start()
  const doc = buildOpenApi(pages.routes, { title: 'Pages', version: '1' })
  assert.equal(doc.paths['/projects/{projectId}']?.get?.responses, {
    '200': { description: 'Successful Response', content: { 'application/json': { schema: { $ref: '#/components/schemas/ProjectOut' } }, 'text/html': { schema: { type: 'string' } } } },
    '404': err('Not Found'),
    '422': e422,
  })
  assert.ok((await new Validator().validate(doc as unknown as Record<string, unknown>)).valid)
})

test('GET /docs serves a Swagger UI page whose files come from this server, never a CDN', async () => {
  const page = await app.inject({ url: '/docs' })
  assert.is(page.status, 200)
  assert.match(String(page.headers['content-type']), 'text/html')
  assert.not.match(page.body, /https?:\/\//)
  const scripts = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
  assert.equal(scripts, ['/docs/assets/swagger-ui.css', '/docs/assets/favicon-32x32.png', '/docs/assets/swagger-ui-bundle.js', '/docs/init.js'])
  const bundle = await app.inject({ url: '/docs/assets/swagger-ui-bundle.js' })
  assert.is(bundle.status, 200)
  assert.match(String(bundle.headers['content-type']), 'text/javascript')
  assert.ok(bundle.rawBody.length > 500_000, 'the whole bundle is streamed')
  const css = await app.inject({ url: '/docs/assets/swagger-ui.css' })
  assert.match(String(css.headers['content-type']), 'text/css')
  const init = await app.inject({ url: '/docs/init.js' })
  assert.match(String(init.headers['content-type']), 'text/javascript')
  assert.match(init.body, '"/openapi.json"')
  assert.match(init.body, 'validatorUrl: null')
  assert.not.match(init.body, /https?:\/\//)
})

test('the docs page serves only its own files from the package folder', async () => {
  for (const url of ['/docs/assets/package.json', '/docs/assets/..%2Fpackage.json', '/docs/assets/index.html', '/docs/assets/%2e%2e%2f%2e%2e%2fpackage.json']) {
    const res = await app.inject({ url })
    assert.is(res.status, 404, url)
    assert.equal(res.json(), { detail: 'Asset not found' })
  }
})

interface DocumentedResponse {
  description: string
  content?: Record<string, { schema: Record<string, unknown> }>
  headers?: Record<string, unknown>
}

test('a route documents its JSON model and other media types side by side; without a model, only the types it names', async () => {
  const Row = named('Row', t.Object({ id: t.Integer() }))
  const Rows = named('Rows', t.Object({ type: t.Literal('FeatureCollection'), features: t.Array(t.Object({ id: t.Integer() })) }))
  const unit = defineUnit('rows', (r) => {
    r.get('/rows', { response: t.Array(Row), mediaTypes: ['text/csv'], responses: { 200: { content: { 'application/geo+json': Rows }, headers: { 'X-Total-Count': 'How many rows in all' } } } }, ({ ctx }) => {
      if (ctx.get('Accept') === 'text/csv') return stream(Readable.from(['id\n1\n']), { type: 'text/csv' })
      ctx.set('X-Total-Count', '1')
      return [{ id: 1 }]
    })
    r.get('/rows.csv', { mediaTypes: ['text/csv'] }, () => stream(Readable.from(['id\n1\n']), { type: 'text/csv' }))
    r.get('/rows.geojson', { mediaTypes: ['application/geo+json'] }, () => stream(Readable.from(['{"type":"FeatureCollection","features":[]}']), { type: 'application/geo+json' }))
    r.get('/raw', { responses: { 200: { content: { 'text/plain': t.String() } } } }, () => text('plain words'))
  })
  const app = createApp({ plugins: [unit] })
  await app.start()
  const doc = buildOpenApi(app.routes, { title: 'R', version: '1' })
  const rows = (doc.paths['/rows']!.get as { responses: Record<string, DocumentedResponse> }).responses['200']!
  assert.equal(rows.content, {
    'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/Row' } } },
    'text/csv': { schema: { type: 'string', contentMediaType: 'text/csv' } },
    'application/geo+json': { schema: { $ref: '#/components/schemas/Rows' } },
  })
  assert.equal(Object.keys(rows.headers ?? {}), ['X-Total-Count'])
  assert.equal(Object.keys((doc.paths['/rows.csv']!.get as { responses: Record<string, DocumentedResponse> }).responses['200']!.content!), ['text/csv'])
  // a JSON type is what it parses to, not a string
  assert.equal((doc.paths['/rows.geojson']!.get as { responses: Record<string, DocumentedResponse> }).responses['200']!.content, { 'application/geo+json': { schema: {} } })
  // a route without a model that names its body's type: no untyped JSON beside it
  assert.equal((doc.paths['/raw']!.get as { responses: Record<string, DocumentedResponse> }).responses['200']!.content, { 'text/plain': { schema: { type: 'string' } } })
  assert.ok('Rows' in (doc.components.schemas ?? {}))
  assert.ok((await new Validator().validate(doc as unknown as Record<string, unknown>)).valid)
})

test('a file download documents what it answers: 200 and 206 as bytes of its types, 304, 416 with Content-Range, each answer as sent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trefoil-file-docs-'))
  const path = join(dir, 'photo.png')
  writeFileSync(path, Buffer.alloc(1000, 1))
  const unit = defineUnit('files', (r) => r.get('/photo', { responses: fileResponses({ types: ['image/png'], disposition: 'attachment, named photo.png' }) }, () => file(path, { download: 'photo.png' })))
  const app = createApp({ plugins: [unit] })
  await app.start()
  const doc = buildOpenApi(app.routes, { title: 'F', version: '1' })
  const responses = (doc.paths['/photo']!.get as { responses: Record<string, DocumentedResponse> }).responses
  assert.equal(Object.keys(responses), ['200', '206', '304', '404', '416'])
  assert.equal(responses['200']!.content, { 'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } } })
  assert.equal(responses['206']!.content, responses['200']!.content)
  assert.is(responses['304']!.content, undefined, 'a 304 has no body')
  assert.equal(Object.keys(responses['416']!.content!), ['application/json'])
  assert.equal(Object.keys(responses['416']!.headers!), ['Content-Range'])
  const whole = await app.inject({ url: '/photo' })
  const part = await app.inject({ url: '/photo', headers: { range: 'bytes=0-9' } })
  const current = await app.inject({ url: '/photo', headers: { 'if-none-match': String(whole.headers.etag) } })
  const beyond = await app.inject({ url: '/photo', headers: { range: 'bytes=5000-' } })
  assert.equal([whole.status, part.status, current.status, beyond.status], [200, 206, 304, 416])
  // every header the download sends a client is one the document names for that status
  for (const res of [whole, part, current, beyond]) {
    const named = Object.keys(responses[String(res.status)]!.headers ?? {}).map((h) => h.toLowerCase())
    for (const header of ['etag', 'last-modified', 'accept-ranges', 'content-range', 'content-disposition']) {
      if (res.headers[header] !== undefined) assert.ok(named.includes(header), `${res.status} ${header}`)
    }
  }
  assert.ok((await new Validator().validate(doc as unknown as Record<string, unknown>)).valid)
})

test.run()
