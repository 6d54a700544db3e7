// Property tests over the whole fieldwork API (fast-check): for every route in the OpenAPI
// document, thousands of generated bad path params, queries, bodies, content types and tokens.
// Whatever comes in: never a 5xx, and every 4xx is the documented JSON body — `{detail: "…"}`,
// or for a 422 `{detail: [{loc, msg, type}, …]}` — or, asked by htmx, an HTML fragment, or, for
// a browser navigating, an error page in the layout.
import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { InjectResponse } from 'trefoil'
import { call, signUp, signUpAdmin, square, startFieldwork, type Account, type Fieldwork } from './fixtures/fieldwork.js'
import { undocumented } from './fixtures/traffic.js'

// runs per route: ~27 routes × 1000 ≈ 24,000 requests, about 20 s here (inject, no sockets)
const RUNS = Number(process.env.PROPERTY_RUNS ?? 1000)
// replays a failure CI printed: PROPERTY_SEED=<seed> (fast-check prints it with the counterexample)
const SEED = { includeErrorInReport: true, ...(process.env.PROPERTY_SEED === undefined ? {} : { seed: Number(process.env.PROPERTY_SEED) }) }

let fw: Fieldwork
let accounts: Record<'pm' | 'mapper', Account>
const known: Record<string, string[]> = { projectId: [], taskId: [], userId: [], submissionId: ['1'], attachmentId: ['1'], id: ['00000000-0000-4000-8000-000000000000'] }

interface Operation {
  method: string
  path: string
  params: string[]
  query: string[]
  fields: string[]
  multipart: boolean
}
let operations: Operation[] = []

test.before(async () => {
  fw = await startFieldwork({ WORKER_THREADS: '2' })
  accounts = { pm: await signUpAdmin(fw.app, 'Pat'), mapper: await signUp(fw.app, 'Mo') }
  for (let i = 0; i < 2; i++) {
    const project = (await call(fw.app, 'POST', '/v1/projects', accounts.pm, { name: `Fuzzed ${i}`, area: square(30 + i, 0, 0.02) })).json()
    await call(fw.app, 'PUT', `/v1/projects/${project.id}/members/${accounts.mapper.id}`, accounts.pm, { role: 'mapper' })
    const tasks = (await call(fw.app, 'POST', `/v1/projects/${project.id}/tasks`, accounts.pm, { cellMetres: 1000 })).json() as { id: number }[]
    known.projectId!.push(String(project.id))
    known.taskId!.push(...tasks.slice(0, 3).map((t) => String(t.id)))
  }
  known.userId!.push(String(accounts.mapper.id), String(accounts.pm.id))
  const document = (await fw.app.inject({ url: '/openapi.json' })).json() as OpenApi
  operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const content = op.requestBody?.content ?? {}
      const schema = resolve(document, Object.values(content)[0]?.schema)
      return {
        method: method.toUpperCase(),
        path,
        params: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
        query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        fields: Object.keys(schema?.properties ?? {}),
        multipart: 'multipart/form-data' in content,
      }
    }),
  )
})
test.after(async () => {
  await fw?.close()
})

interface OpenApi {
  paths: Record<string, Record<string, { parameters?: { in: string; name: string }[]; requestBody?: { content: Record<string, { schema?: SchemaObject }> } }>>
  components: { schemas: Record<string, SchemaObject> }
}
interface SchemaObject {
  $ref?: string
  properties?: Record<string, unknown>
}

function resolve(document: OpenApi, schema: SchemaObject | undefined): SchemaObject | undefined {
  if (!schema?.$ref) return schema
  return document.components.schemas[schema.$ref.split('/').pop()!]
}

const oddText = fc.constantFrom('', ' ', '0', '-1', '1.5', '1e309', '99999999999999999999', 'NaN', 'null', 'true', '[]', '{}', '%00', '..', '\u0000', '٣', 'a'.repeat(3000), '<script>', "'; DROP TABLE users; --")
const anyText = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 10 }), oddText)

function paramValue(name: string): fc.Arbitrary<string> {
  const valid = known[name] ?? []
  const wrong = fc.oneof(anyText, fc.integer().map(String))
  return valid.length > 0 ? fc.oneof({ arbitrary: fc.constantFrom(...valid), weight: 3 }, { arbitrary: wrong, weight: 2 }) : wrong
}

// a JSON value that breaks types: wrong kinds, huge numbers, deep nesting, long strings
const badValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  oddText,
  fc.constantFrom(1e308, -1e308, 2 ** 53 + 1, -0, 0.1, Number.MAX_SAFE_INTEGER),
  fc.record({ type: fc.constantFrom('Polygon', 'MultiPolygon', 'Point'), coordinates: fc.array(fc.array(fc.tuple(fc.double({ noNaN: true }), fc.double({ noNaN: true })), { maxLength: 6 }), { maxLength: 2 }) }),
  fc.constant(JSON.parse('['.repeat(200) + ']'.repeat(200))),
)

interface Generated {
  path: string
  query: string
  body: string | undefined
  contentType: string | undefined
  who: 'pm' | 'mapper' | 'nobody' | 'forged'
}

function requests(op: Operation): fc.Arbitrary<Generated> {
  const path = fc.tuple(...op.params.map((name) => paramValue(name).map((value) => [name, value] as const))).map((pairs) =>
    pairs.reduce((url, [name, value]) => url.replace(`{${name}}`, encodeURIComponent(value)), op.path),
  )
  const query = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...op.query, 'format', 'limit'), fc.string({ maxLength: 6 })), anyText), { maxLength: 4 }).map((pairs) => new URLSearchParams(pairs).toString())
  const fields = op.fields.length > 0 ? fc.dictionary(fc.constantFrom(...op.fields), badValue, { maxKeys: op.fields.length }) : fc.constant({})
  const body = fc.oneof(
    { arbitrary: fields.map((value) => JSON.stringify(value)), weight: 4 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)), weight: 2 },
    { arbitrary: fc.string({ maxLength: 60 }), weight: 1 },
    { arbitrary: fc.constant(undefined), weight: 1 },
  )
  const contentType = fc.constantFrom('application/json', 'application/json', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=xyz', 'application/json; charset=latin1', undefined)
  const who = fc.constantFrom('pm', 'pm', 'mapper', 'nobody', 'forged') as fc.Arbitrary<Generated['who']>
  return fc.record({ path, query, body, contentType, who })
}

function headers(request: Generated): Record<string, string> {
  const out: Record<string, string> = {}
  if (request.who === 'pm' || request.who === 'mapper') Object.assign(out, accounts[request.who].headers)
  if (request.who === 'forged') out.authorization = 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'
  if (request.contentType && request.body !== undefined) out['content-type'] = request.contentType
  return out
}

/** What every answer must be: no 5xx; a 4xx is JSON with `detail`, a list of {loc, msg, type} for a 422. */
function checkAnswer(res: InjectResponse, label: string): void {
  if (res.status >= 500) throw new Error(`${label} → ${res.status}: ${res.body.slice(0, 300)}`)
  if (res.status < 400) return
  if (!String(res.headers['content-type']).startsWith('application/json')) throw new Error(`${label} → ${res.status} is not JSON: ${res.headers['content-type']}`)
  const body = res.json() as { detail?: unknown }
  if (res.status === 422) {
    const ok = Array.isArray(body.detail) && body.detail.length > 0 && body.detail.every((issue: { loc?: unknown; msg?: unknown; type?: unknown }) => Array.isArray(issue.loc) && issue.loc.length > 0 && typeof issue.msg === 'string' && typeof issue.type === 'string')
    if (!ok) throw new Error(`${label} → 422 without a list of {loc, msg, type}: ${res.body.slice(0, 300)}`)
  } else if (typeof body.detail !== 'string' || body.detail.length === 0) {
    throw new Error(`${label} → ${res.status} without a detail message: ${res.body.slice(0, 300)}`)
  }
}

test('every API route: generated bad params, queries, bodies and tokens never give a 5xx, always the documented 4xx body', async () => {
  assert.ok(operations.length >= 25, `${operations.length} routes in the document`)
  const statuses = new Map<number, number>()
  for (const op of operations) {
    if (op.path.startsWith('/health')) continue
    await fc.assert(
      fc.asyncProperty(requests(op), async (request) => {
        const url = request.query ? `${request.path}?${request.query}` : request.path
        const res = await fw.app.inject({ method: op.method, url, headers: headers(request), ...(request.body === undefined ? {} : { body: request.body }) })
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
        checkAnswer(res, `${op.method} ${url} (${request.who}, ${request.contentType}) ${String(request.body).slice(0, 200)}`)
      }),
      { ...SEED, numRuns: op.method === 'POST' && /users|auth/.test(op.path) ? Math.ceil(RUNS / 5) : RUNS },
    )
  }
  const total = [...statuses.values()].reduce((a, b) => a + b, 0)
  console.log(`${total} generated requests: ${[...statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`).join(' ')}`)
  assert.ok(total >= 5000, `${total} requests`)
  // what the generated requests got is what the document says each operation answers
  assert.equal(await undocumented(fw.app, fw.traffic.filter((exchange) => !exchange.html)), [])
})

test('the htmx face too: generated bad requests from htmx never give a 5xx; a 4xx is an HTML fragment (or a redirect to sign in)', async () => {
  let total = 0
  for (const op of operations) {
    if (op.path.startsWith('/health')) continue
    await fc.assert(
      fc.asyncProperty(requests(op), async (request) => {
        const url = request.query ? `${request.path}?${request.query}` : request.path
        const res = await fw.app.inject({ method: op.method, url, headers: { ...headers(request), 'hx-request': 'true' }, ...(request.body === undefined ? {} : { body: request.body }) })
        total++
        const label = `htmx ${op.method} ${url} (${request.who}) ${String(request.body).slice(0, 200)}`
        if (res.status >= 500) throw new Error(`${label} → ${res.status}: ${res.body.slice(0, 300)}`)
        if (res.status < 400) return
        if (res.status === 401 && res.headers['hx-redirect'] === '/login') return
        if (!String(res.headers['content-type']).startsWith('text/html')) throw new Error(`${label} → ${res.status} is not an HTML fragment: ${res.headers['content-type']} ${res.body.slice(0, 200)}`)
        if (/<html/i.test(res.body)) throw new Error(`${label} → ${res.status} is a whole page, not a fragment`)
      }),
      { ...SEED, numRuns: op.method === 'POST' && /users|auth/.test(op.path) ? Math.ceil(RUNS / 20) : Math.ceil(RUNS / 4) },
    )
  }
  assert.ok(total >= 1000, `${total} requests`)
})

const NAVIGATION = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'

/** A browser's cookie session (signed up through the page's form), without its CSRF header. */
async function browserCookie(name: string): Promise<string> {
  const res = await fw.app.inject({ method: 'POST', url: '/v1/users', headers: { 'hx-request': 'true' }, body: { email: `${name}.${process.pid}@example.org`, name, password: 'long enough' } })
  assert.is(res.status, 204, res.body)
  return ([] as string[]).concat((res.headers['set-cookie'] as string[] | string | undefined) ?? []).map((line) => line.split(';')[0]).join('; ')
}

test('a browser navigating (links, the address bar, forms posted without JavaScript) never gets a JSON error: a page, or a redirect to sign in', async () => {
  const cookie = await browserCookie('Nav')
  const statuses = new Map<number, number>()
  let sentToSignIn = 0
  // the pages outside the API document, and addresses no route has
  const extra: Operation[] = ['/', '/login', '/v1/projects/new', '/v1/projects/{projectId}/task-splits/{id}'].map((path) => ({ method: 'GET', path, params: path.match(/\{(\w+)\}/g)?.map((p) => p.slice(1, -1)) ?? [], query: ['next'], fields: [], multipart: false }))
  const strays = fc.oneof(fc.webPath(), fc.constantFrom('/v1', '/v1/nothing', '/static/none.js', '/v1/projects/1/nowhere', '/%E0%A4%A', '/v1/projects/%ZZ')).map((path) => ({ path: path.startsWith('/') ? path : `/${path}`, query: '', body: undefined, contentType: undefined, who: 'pm' as const }))
  const check = async (method: string, request: Generated, signedIn: boolean): Promise<void> => {
    const url = request.query ? `${request.path}?${request.query}` : request.path
    const form = method === 'POST' && request.body !== undefined
    const res = await fw.app.inject({
      method,
      url,
      headers: { accept: NAVIGATION, 'sec-fetch-mode': 'navigate', ...(signedIn ? { cookie } : {}), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(form ? { body: new URLSearchParams({ field: String(request.body).slice(0, 200) }).toString() } : {}),
    })
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
    const label = `${method} ${url} (${signedIn ? 'session' : 'no session'})`
    if (res.status >= 500) throw new Error(`${label} → ${res.status}: ${res.body.slice(0, 300)}`)
    if (res.status >= 300 && res.status < 400) {
      const location = String(res.headers.location ?? '')
      if (!location) throw new Error(`${label} → ${res.status} without a Location`)
      // sent to sign in: back to the very page after (as the request reached the server: a `..` segment resolved)
      if (location.startsWith('/login')) {
        const asked = new URL(`http://app${url}`)
        const wanted = `${asked.pathname}${asked.search}`
        if (location !== `/login?next=${encodeURIComponent(wanted)}`) throw new Error(`${label} → ${res.status} to ${location}, which does not come back to ${wanted}`)
        sentToSignIn++
      }
      return
    }
    if (res.status < 400) return
    assertErrorPage(res, label)
  }
  for (const op of [...operations, ...extra]) {
    if (op.path.startsWith('/health') || !['GET', 'POST'].includes(op.method)) continue
    await fc.assert(
      fc.asyncProperty(requests(op), fc.boolean(), (request, signedIn) => check(op.method, request, signedIn)),
      { ...SEED, numRuns: op.method === 'POST' && /users|auth/.test(op.path) ? Math.ceil(RUNS / 20) : Math.ceil(RUNS / 5) },
    )
  }
  await fc.assert(fc.asyncProperty(strays, fc.constantFrom('GET', 'POST'), fc.boolean(), (request, method, signedIn) => check(method, request, signedIn)), { ...SEED, numRuns: RUNS })
  const total = [...statuses.values()].reduce((a, b) => a + b, 0)
  console.log(`${total} generated navigations: ${[...statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`).join(' ')}`)
  assert.ok(statuses.has(404) && statuses.has(422) && statuses.has(403), 'the pages of a 404, a 422 and a 403 were seen')
  assert.ok(sentToSignIn > 0, 'navigations without a session were sent to sign in')
})

/**
 * What a browser may be shown for a 4xx: a whole HTML page in the layout (its header), saying
 * what went wrong: the error page, or the form that was posted with the error above it.
 */
function assertErrorPage(res: InjectResponse, label: string): void {
  if (!String(res.headers['content-type']).startsWith('text/html')) throw new Error(`${label} → ${res.status} is ${res.headers['content-type']}, not a page: ${res.body.slice(0, 200)}`)
  if (!/^<!doctype html>/i.test(res.body) || !/<header[\s>]/.test(res.body)) throw new Error(`${label} → ${res.status} is not a page in the layout: ${res.body.slice(0, 200)}`)
  if (!res.body.includes('error-page') && !res.body.includes('class="trefoil-error" role="alert"')) throw new Error(`${label} → ${res.status} does not say what went wrong: ${res.body.slice(0, 300)}`)
}

test('each kind of error a browser can navigate into is a page in the layout: 404, a malformed id, 403, 401 (to sign in and back), 409', async () => {
  const cookie = await browserCookie('Kinds')
  const project = known.projectId![0]!
  const navigate = (url: string, options: { cookie?: string; form?: Record<string, string> } = {}) =>
    fw.app.inject({
      method: options.form ? 'POST' : 'GET',
      url,
      headers: { accept: NAVIGATION, 'sec-fetch-mode': 'navigate', ...(options.cookie ? { cookie: options.cookie } : {}), ...(options.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(options.form ? { body: new URLSearchParams(options.form).toString() } : {}),
    })
  const cases: { what: string; res: InjectResponse; status: number; says: string | RegExp }[] = [
    { what: 'an unknown URL', res: await navigate('/no/such/page', { cookie }), status: 404, says: 'Not found' },
    { what: 'a project that does not exist', res: await navigate('/v1/projects/2147483647', { cookie }), status: 404, says: 'Project 2147483647 not found' },
    { what: 'a malformed id', res: await navigate('/v1/projects/abc', { cookie }), status: 422, says: 'projectId' },
    { what: 'a project of which the viewer is no member', res: await navigate(`/v1/projects/${project}/submissions.csv`, { cookie }), status: 403, says: /role/i },
    // a plain form (no JavaScript): the sign-up form again, the conflict above it
    { what: 'signing up with a taken email', res: await navigate('/v1/users', { form: { name: 'Again', email: accounts.mapper.email, password: 'long enough' } }), status: 409, says: 'An account with this email already exists' },
  ]
  for (const { what, res, status, says } of cases) {
    assert.is(res.status, status, `${what}: ${res.body.slice(0, 200)}`)
    assertErrorPage(res, what)
    assert.match(res.body, says, what)
    assert.not.match(res.body, '{"detail"', `${what}: no JSON on the page`)
  }
  const signedOut = await navigate(`/v1/projects/${project}/tasks?offset=5`)
  assert.is(signedOut.status, 303, 'a 401 on a page is a trip to sign in')
  assert.is(signedOut.headers.location, `/login?next=${encodeURIComponent(`/v1/projects/${project}/tasks?offset=5`)}`)
})

test('a valid token still gets a 4xx body for every route with an unknown id or a wrong method', async () => {
  for (const op of operations) {
    if (op.params.length === 0) continue
    const url = op.params.reduce((path, name) => path.replace(`{${name}}`, name === 'id' ? '00000000-0000-4000-8000-000000000001' : '2147483647'), op.path)
    const res = await fw.app.inject({ method: op.method, url, headers: accounts.pm.headers, ...(op.fields.length ? { body: {} } : {}) })
    checkAnswer(res, `${op.method} ${url}`)
    assert.ok(res.status >= 400, `${op.method} ${url} → ${res.status}`)
  }
})

test.run()
