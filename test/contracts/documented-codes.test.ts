// The example's OpenAPI document tells the truth about status codes: every (method, route, status)
// the app answers while a client runs the usual API flows (successes, 401, 403, 404, 409, 422,
// 204, a password change) is documented for that operation, exactly or by its range (4XX). An
// undocumented code is a surprise for a client generated from the document.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { App } from 'trefoil'
import { call, makeAdmin, signUp, square, startFieldwork, type Fieldwork } from '../examples/fixtures/fieldwork.js'

interface Operation {
  responses?: Record<string, unknown>
}

const seen: { method: string; path: string; status: number }[] = []
let app: App
let fw: Fieldwork

test.before(async () => {
  fw = await startFieldwork()
  app = fw.app
  // Every request the flows send goes through inject: record what the app answered.
  const inject = app.inject.bind(app)
  app.inject = async (request) => {
    const res = await inject(request)
    seen.push({ method: (request.method ?? 'GET').toUpperCase(), path: request.url.split('?')[0] ?? '', status: res.status })
    return res
  }
})
test.after(async () => {
  await fw?.close()
})

test('every status the API flows observe is documented for its operation', async () => {
  // accounts and tokens: 201, 409, 422, 200, 401
  const body = { email: 'docs.truth@example.org', name: 'Docs', password: 'long enough' }
  assert.is((await call(app, 'POST', '/v1/users', undefined, body)).status, 201)
  assert.is((await call(app, 'POST', '/v1/users', undefined, body)).status, 409)
  assert.is((await call(app, 'POST', '/v1/users', undefined, { email: 'x', name: '', password: 's' })).status, 422)
  assert.is((await call(app, 'POST', '/v1/auth/tokens', undefined, { email: body.email, password: body.password })).status, 200)
  assert.is((await call(app, 'POST', '/v1/auth/tokens', undefined, { email: body.email, password: 'wrong one!' })).status, 401)
  assert.is((await call(app, 'GET', '/v1/users/me')).status, 401)

  const pm = await signUp(app, 'Docs PM')
  await makeAdmin(app, pm.email)
  const member = await signUp(app, 'Docs Member')
  assert.is((await call(app, 'GET', '/v1/users/me', pm)).status, 200)
  // projects: 201, 403, 409, 422, 200, 404, 204
  assert.is((await call(app, 'POST', '/v1/projects', member, { name: 'Not mine' })).status, 403)
  const made = await call(app, 'POST', '/v1/projects', pm, { name: 'Docs project', priority: 2, area: square(39.27, -6.82, 0.02) })
  assert.is(made.status, 201)
  const id = (made.json() as { id: number }).id
  assert.is((await call(app, 'POST', '/v1/projects', pm, { name: 'Docs project' })).status, 409)
  assert.is((await call(app, 'POST', '/v1/projects', pm, { name: ' ', priority: 11 })).status, 422)
  assert.is((await call(app, 'GET', '/v1/projects', pm)).status, 200)
  assert.is((await call(app, 'GET', `/v1/projects/${id}`, pm)).status, 200)
  assert.is((await call(app, 'GET', '/v1/projects/999999', pm)).status, 404)
  assert.is((await call(app, 'PATCH', `/v1/projects/${id}`, pm, { priority: 4 })).status, 200)
  assert.is((await call(app, 'PATCH', `/v1/projects/${id}`, member, { priority: 4 })).status, 403)
  assert.is((await call(app, 'GET', `/v1/projects/${id}/members`, pm)).status, 200)
  assert.is((await call(app, 'PUT', `/v1/projects/${id}/members/${member.id}`, pm, { role: 'mapper' })).status, 200)
  assert.is((await call(app, 'DELETE', `/v1/projects/${id}/members/${member.id}`, pm)).status, 204)
  assert.is((await call(app, 'DELETE', `/v1/projects/${id}`, pm)).status, 204)
  // a password change: 422 for a wrong current password, 200 with the new token, 401 without a session
  const changer = await signUp(app, 'Docs Changer')
  const change = { currentPassword: 'correct horse battery', newPassword: 'a new passphrase' }
  assert.is((await call(app, 'POST', '/v1/users/me/password', changer, { ...change, currentPassword: 'wrong one!' })).status, 422)
  assert.is((await call(app, 'POST', '/v1/users/me/password', changer, change)).status, 200)
  assert.is((await call(app, 'POST', '/v1/users/me/password', undefined, change)).status, 401)

  const doc = (await app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, Record<string, Operation>> }
  const templates = Object.keys(doc.paths).map((template) => ({ template, match: new RegExp(`^${template.replaceAll(/\{\w+\}/g, '[^/]+')}$`) }))
  const undocumented: string[] = []
  for (const { method, path, status } of seen.filter((s) => s.path.startsWith('/v1/'))) {
    // the most literal template wins (/v1/users/me before /v1/users/{userId})
    const found = templates.filter((t) => t.match.test(path)).sort((x, y) => x.template.split('{').length - y.template.split('{').length)[0]
    assert.ok(found, `${method} ${path} is in the document`)
    const operation = doc.paths[found.template]?.[method.toLowerCase()]
    assert.ok(operation, `${method} ${found.template} is documented`)
    const documented = Object.keys(operation.responses ?? {})
    if (!documented.includes(String(status)) && !documented.includes(`${String(status)[0]}XX`)) undocumented.push(`${method} ${found.template} ${status} (documented: ${documented.join(', ')})`)
  }
  assert.ok(seen.length >= 20, 'the flows ran through inject')
  assert.equal(undocumented, [])
})

test.run()
