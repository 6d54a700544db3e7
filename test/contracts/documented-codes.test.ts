// The example's OpenAPI document tells the truth about what the app sends: every (method, route,
// status) the app answers while a client runs the usual API flows (successes, 401, 403, 404, 409,
// 422, 204, a password change) is documented for that operation, exactly or by its range (4XX),
// with the media type of its body and the headers a client acts on. An undocumented answer is a
// surprise for a client generated from the document. The example's own test files (tasks,
// submissions with their downloads, exports, the API tests) end with the same judgement of the
// traffic they made (test/examples/fixtures/traffic.ts); this file holds the flows over users,
// projects and members.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { App } from 'trefoil'
import { call, makeAdmin, signUp, square, startFieldwork, type Fieldwork } from '../examples/fixtures/fieldwork.js'
import { undocumented } from '../examples/fixtures/traffic.js'

let app: App
let fw: Fieldwork

test.before(async () => {
  fw = await startFieldwork()
  app = fw.app
})
test.after(async () => {
  await fw?.close()
})

test('every status, media type and header the API flows observe is documented for its operation', async () => {
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

  // the pages sign up and sign in through the same operations: 204 with HX-Redirect for htmx,
  // 303 to the next page for a form posted without JavaScript
  const form = (email: string) => new URLSearchParams({ email, name: 'Pages', password: 'long enough' }).toString()
  const formHeaders = { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }
  const htmx = await app.inject({ method: 'POST', url: '/v1/users', headers: { ...formHeaders, 'hx-request': 'true' }, body: form('docs.htmx@example.org') })
  assert.equal([htmx.status, typeof htmx.headers['hx-redirect']], [204, 'string'])
  const plain = await app.inject({ method: 'POST', url: '/v1/users', headers: formHeaders, body: form('docs.form@example.org') })
  assert.equal([plain.status, typeof plain.headers.location], [303, 'string'])
  const session = await app.inject({ method: 'POST', url: '/v1/auth/sessions', headers: formHeaders, body: new URLSearchParams({ email: 'docs.form@example.org', password: 'long enough' }).toString() })
  assert.is(session.status, 303)

  assert.ok(fw.traffic.length >= 20, 'the flows were recorded')
  assert.equal(await undocumented(app, fw.traffic), [])
})

test.run()
