// The fieldwork JSON API on the embedded database: accounts, tokens, projects, roles, the docs.
// Called through the typed client: each call and each body read is checked against the routes.
import { Validator } from '@seriousme/openapi-schema-validator'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { api, signUp, unchecked, signUpAdmin, square, startFieldwork, type Fieldwork } from './fixtures/fieldwork.js'
import { undocumented } from './fixtures/traffic.js'

let fw: Fieldwork

test.before(async () => {
  fw = await startFieldwork()
})
test.after(async () => {
  await fw?.close()
})

test('sign up answers the account without its password, email trimmed and lowercased', async () => {
  const res = await api(fw.app).post('/v1/users', { body: { email: '  Mapper.One@Example.ORG ', name: ' Amina ', password: 'long enough' } })
  const user = res.expect(201)
  assert.equal(Object.keys(user).sort(), ['createdAt', 'email', 'id', 'isAdmin', 'name'])
  assert.is(user.email, 'mapper.one@example.org')
  assert.is(user.name, 'Amina')
  assert.is(user.isAdmin, false)
})

test('sign up: a taken email is 409 with a message, bad fields are one 422 listing each', async () => {
  const body = { email: 'taken@example.org', name: 'First', password: 'long enough' }
  assert.is((await api(fw.app).post('/v1/users', { body })).status, 201)
  const again = await api(fw.app).post('/v1/users', { body: { ...body, email: 'TAKEN@example.org' } })
  assert.equal(again.expect(409), { detail: 'An account with this email already exists', code: 'unique_violation' })
  const bad = await api(fw.app).post('/v1/users', { body: { email: 'not-an-email', name: '', password: 'short' } })
  assert.equal(bad.expect(422).detail.map((issue) => issue.loc.join('.')).sort(), ['body.email', 'body.name', 'body.password'])
})

test('log in: a token for the right password; 401 alike for a wrong password and an unknown email', async () => {
  const body = { email: 'login@example.org', name: 'Login', password: 'right password' }
  await api(fw.app).post('/v1/users', { body })
  const token = (await api(fw.app).post('/v1/auth/tokens', { body: { email: 'Login@example.org', password: 'right password' } })).expect(200)
  assert.is(token.token_type, 'bearer')
  const me = await api(fw.app).get('/v1/users/me', { headers: { authorization: `Bearer ${token.access_token}` } })
  assert.is(me.expect(200).email, 'login@example.org')
  for (const wrong of [{ email: 'login@example.org', password: 'wrong password' }, { email: 'nobody@example.org', password: 'right password' }]) {
    const res = await api(fw.app).post('/v1/auth/tokens', { body: wrong })
    assert.equal(res.expect(401), { detail: 'Incorrect email or password', code: 'invalid_credentials' })
    assert.is(res.headers['www-authenticate'], 'Bearer')
  }
})

test('the password is stored as a salted scrypt hash, never as given', async () => {
  const { verifyPassword, hashPassword } = await import('../../examples/fieldwork/src/auth/logic.js')
  const a = await hashPassword('same password')
  const b = await hashPassword('same password')
  assert.match(a, /^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/)
  assert.is.not(a, b, 'a fresh salt each time')
  assert.ok(await verifyPassword('same password', a))
  assert.not.ok(await verifyPassword('Same password', a))
})

test('the API needs a token: 401 with a Bearer challenge, also for a forged one', async () => {
  const none = await api(fw.app).get('/v1/projects')
  assert.is(none.status, 401)
  assert.match(String(none.headers['www-authenticate']), /^Bearer/)
  const forged = await api(fw.app).get('/v1/projects', { headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl' } })
  assert.is(forged.status, 401)
})

test('only an organisation admin creates projects: 403 for anyone else', async () => {
  const user = await signUp(fw.app)
  const res = await api(fw.app, user).post('/v1/projects', { body: { name: 'Not mine to make' } })
  assert.equal(res.expect(403), { detail: 'Only an organisation admin creates projects', code: 'admin_required' })
})

test('creating a project makes you its project manager; the list and the project answer JSON', async () => {
  const pm = await signUpAdmin(fw.app, 'Pat Manager')
  const res = await api(fw.app, pm).post('/v1/projects', { body: { name: ' Flood response ', priority: 8, area: square(39.27, -6.82, 0.02) } })
  const project = res.expect(201)
  assert.is(project.name, 'Flood response')
  assert.is(project.description, '')
  assert.is(project.createdBy, pm.id)
  assert.equal(project.area, square(39.27, -6.82, 0.02))
  const members = await api(fw.app, pm).get('/v1/projects/:projectId/members', { params: { projectId: project.id } })
  assert.equal(members.expect(200), [{ userId: pm.id, name: 'Pat Manager', role: 'project_manager' }])
  const got = await api(fw.app, pm).get('/v1/projects/:projectId', { params: { projectId: project.id } })
  assert.equal(got.expect(200), project)
  const list = await api(fw.app, pm).get('/v1/projects')
  assert.ok(list.expect(200).some((p) => p.id === project.id))
})

test('projects: 409 for a taken name, one 422 for every bad field, 422 for an open ring, 404 for a missing one', async () => {
  const pm = await signUpAdmin(fw.app)
  assert.is((await api(fw.app, pm).post('/v1/projects', { body: { name: 'Roads north' } })).status, 201)
  const taken = await api(fw.app, pm).post('/v1/projects', { body: { name: 'Roads north' } })
  assert.is(taken.status, 409)
  assert.equal(taken.expect(409), { detail: 'A project with this name already exists', code: 'unique_violation' })
  const bad = await api(fw.app, pm).post('/v1/projects', { body: { name: '   ', priority: 11, area: unchecked({ type: 'Point', coordinates: [1, 2] }) } })
  const locs = bad.expect(422).detail.map((issue) => issue.loc.slice(0, 2).join('.'))
  for (const field of ['body.name', 'body.priority', 'body.area']) assert.ok(locs.includes(field), `${field} in ${locs}`)
  const open = square(10, 10, 1)
  open.coordinates[0]![4] = [10.5, 10]
  const ring = await api(fw.app, pm).post('/v1/projects', { body: { name: 'Open ring', area: open } })
  assert.is(ring.status, 422)
  assert.equal(ring.expect(422).detail, [{ loc: ['body', 'area', 'coordinates', 0], msg: 'The ring must end at its first position', type: 'value_error' }])
  const missing = await api(fw.app, pm).get('/v1/projects/:projectId', { params: { projectId: 999999 } })
  assert.is(missing.status, 404)
  assert.equal(missing.expect(404), { detail: 'Project 999999 not found' })
})

test('updating a project: its project manager may, others get 403, a missing project is 404 first', async () => {
  const pm = await signUpAdmin(fw.app)
  const other = await signUp(fw.app)
  const { id } = (await api(fw.app, pm).post('/v1/projects', { body: { name: 'Schools survey', priority: 3 } })).expect(201)
  const changed = await api(fw.app, pm).patch('/v1/projects/:projectId', { params: { projectId: id }, body: { priority: 9, description: ' Every school ' } })
  assert.is(changed.status, 200)
  assert.is(changed.expect(200).priority, 9)
  assert.is(changed.expect(200).description, 'Every school')
  assert.is(changed.expect(200).name, 'Schools survey', 'absent fields are kept')
  const denied = await api(fw.app, other).patch('/v1/projects/:projectId', { params: { projectId: id }, body: { priority: 1 } })
  assert.is(denied.status, 403)
  assert.equal(denied.expect(403), { detail: `Missing role "project_manager" in project ${id}: you have no role in this project`, code: 'role_required' })
  assert.is((await api(fw.app, other).patch('/v1/projects/:projectId', { params: { projectId: 999999 }, body: { priority: 1 } })).status, 404)
  assert.is((await api(fw.app, pm).patch('/v1/projects/:projectId', { params: { projectId: id }, body: {} })).status, 422, 'an empty change')
})

test('members: a project manager gives roles; a mapper may not; an unknown user is 422', async () => {
  const pm = await signUpAdmin(fw.app)
  const mapper = await signUp(fw.app)
  const { id } = (await api(fw.app, pm).post('/v1/projects', { body: { name: 'Members project' } })).expect(201)
  const given = await api(fw.app, pm).put('/v1/projects/:projectId/members/:userId', { params: { projectId: id, userId: mapper.id }, body: { role: 'mapper' } })
  assert.is(given.status, 200)
  assert.equal(given.expect(200), { userId: mapper.id, name: mapper.name, role: 'mapper' })
  const escalate = await api(fw.app, mapper).put('/v1/projects/:projectId/members/:userId', { params: { projectId: id, userId: mapper.id }, body: { role: 'project_manager' } })
  assert.is(escalate.status, 403)
  assert.equal(escalate.expect(403).detail, `Missing role "project_manager" in project ${id}: you are mapper`)
  const unknown = await api(fw.app, pm).put('/v1/projects/:projectId/members/:userId', { params: { projectId: id, userId: 999999 }, body: { role: 'mapper' } })
  assert.is(unknown.status, 422)
  assert.equal(unknown.expect(422).detail, [{ loc: ['body', 'userId'], msg: 'No user has this id', type: 'foreign_key_violation' }])
  const badRole = await api(fw.app, pm).put('/v1/projects/:projectId/members/:userId', { params: { projectId: id, userId: mapper.id }, body: { role: unchecked('admin') } })
  assert.is(badRole.status, 422)
})

test('an admin passes every role check, in projects they have no role in', async () => {
  const pm = await signUpAdmin(fw.app)
  const admin = await signUp(fw.app)
  const { id } = (await api(fw.app, pm).post('/v1/projects', { body: { name: 'Admin check' } })).expect(201)
  assert.is((await api(fw.app, admin).patch('/v1/projects/:projectId', { params: { projectId: id }, body: { priority: 2 } })).status, 403)
  const { databasePlugin } = await import('../../examples/fieldwork/src/db/database.js')
  await fw.app.plugin(databasePlugin).db.none('UPDATE users SET is_admin = true WHERE id = $1', [admin.id])
  const res = await api(fw.app, admin).patch('/v1/projects/:projectId', { params: { projectId: id }, body: { priority: 2 } })
  assert.is(res.status, 200)
  assert.is(res.expect(200).priority, 2)
})

test('the OpenAPI document is valid 3.1 and describes the units; /docs is served with security headers', async () => {
  const res = await fw.app.inject({ url: '/openapi.json' })
  assert.is(res.status, 200)
  const document = res.json()
  const result = await new Validator().validate(document)
  assert.equal(result.errors, undefined)
  assert.ok(result.valid)
  for (const path of ['/v1/users', '/v1/auth/tokens', '/v1/projects', '/v1/projects/{projectId}', '/v1/projects/{projectId}/tasks', '/v1/projects/{projectId}/tasks/{taskId}/events']) {
    assert.ok(document.paths[path], `${path} is documented`)
  }
  // pages and static files are served, not part of the API
  for (const path of ['/', '/login', '/static/htmx.min.js', '/static/app.js']) assert.not.ok(document.paths[path], `${path} is left out`)
  assert.ok(document.components.schemas.ProjectOut)
  assert.ok(document.components.securitySchemes.bearerAuth)
  const docs = await fw.app.inject({ url: '/docs', headers: { accept: 'text/html' } })
  assert.is(docs.status, 200)
  assert.match(String(docs.headers['content-security-policy']), "script-src 'self'")
  assert.is(docs.headers['x-frame-options'], 'DENY')
})

test('a project answers its area as a GeoJSON Feature (outline) with its surface; MultiPolygons are areas too', async () => {
  const pm = await signUpAdmin(fw.app)
  const islands = { type: 'MultiPolygon' as const, coordinates: [square(39.2, -6.8, 0.01).coordinates, square(39.25, -6.8, 0.01).coordinates] }
  const res = await api(fw.app, pm).post('/v1/projects', { body: { name: 'Islands', area: islands } })
  const project = res.expect(201)
  assert.equal(project.area, islands)
  const outline = project.outline!
  assert.equal(outline.type, 'Feature')
  assert.equal(outline.geometry, islands)
  assert.is(outline.properties.id, project.id)
  assert.is(outline.properties.name, 'Islands')
  // two squares of 0.01°: about 1.1 km × 1.1 km each near the equator
  assert.ok(Math.abs(outline.properties.areaKm2 - 2.45) < 0.05, `${outline.properties.areaKm2} km²`)
  const bare = (await api(fw.app, pm).post('/v1/projects', { body: { name: 'Bare' } })).expect(201)
  assert.is(bare.outline, null)
})

test('areas are checked: each bad one is a 422 saying where and why, never a 500', async () => {
  const pm = await signUpAdmin(fw.app)
  const ok = square(10, 10, 0.1)
  const bowtie = { type: 'Polygon' as const, coordinates: [[[0, 0], [0.01, 0.01], [0.01, 0], [0, 0.01], [0, 0]]] as [number, number][][] }
  const openIsland = { type: 'MultiPolygon' as const, coordinates: [ok.coordinates, [[[11, 11], [11.1, 11], [11.1, 11.1], [11, 11.1], [11, 11.05]]]] }
  const manyPoints = { type: 'Polygon', coordinates: [ok.coordinates[0], ...Array.from({ length: 3 }, (_, i) => circle(10.05, 10.05, 0.001 * (i + 1), 3400))] }
  const cases: [string, unknown, (string | number)[], RegExp][] = [
    ['a longitude past 180', { type: 'Polygon', coordinates: [[[181, 0], [1, 0], [1, 1], [181, 0]]] }, ['body', 'area', 'coordinates', 0, 0, 0], /less than or equal to 180/],
    ['a latitude past -90', { type: 'Polygon', coordinates: [[[0, -91], [1, 0], [1, 1], [0, -91]]] }, ['body', 'area', 'coordinates', 0, 0, 1], /greater than or equal to -90/],
    ['a ring of three positions', { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [0, 0]]] }, ['body', 'area', 'coordinates', 0], /at least 4 items/],
    ['a position of four numbers', { type: 'Polygon', coordinates: [[[0, 0, 5, 1], [1, 0], [1, 1], [0, 0]]] }, ['body', 'area', 'coordinates', 0, 0], /3 items/],
    ['text for a number', { type: 'Polygon', coordinates: [[['0', 0], [1, 0], [1, 1], [0, 0]]] }, ['body', 'area', 'coordinates', 0, 0, 0], /valid number/],
    ['no coordinates', { type: 'Polygon' }, ['body', 'area', 'coordinates'], /Field required/],
    ['a Point instead of an area', { type: 'Point', coordinates: [0, 0] }, ['body', 'area', 'type'], /Input should be/],
    ['a Feature of a line', { type: 'Feature', geometry: { type: 'LineString', coordinates: [[0, 0], [1, 1]] } }, ['body', 'area', 'geometry', 'type'], /Input should be/],
    ['an open ring in a MultiPolygon', openIsland, ['body', 'area', 'coordinates', 1, 0], /^The ring must end at its first position$/],
    ['a ring that crosses itself', bowtie, ['body', 'area', 'coordinates'], /^The area crosses itself \(or its rings touch\) at \[0\.005, 0\.005\]$/],
    ['a country-sized area', square(20, 0, 1), ['body', 'area'], /^The area covers \d+ km²: at most 5000 km² are allowed$/],
    ['more than 10,000 positions in all', manyPoints, ['body', 'area', 'coordinates'], /^The area has 10\d{3} positions: at most 10000 are allowed$/],
  ]
  for (const [what, area, loc, msg] of cases) {
    // bad areas on purpose: most are not areas by their type either
    const res = await api(fw.app, pm).post('/v1/projects', { body: { name: `Bad area: ${what}`, area: unchecked(area) } })
    assert.is(res.status, 422, `${what}: ${res.text}`)
    const issue = res.expect(422).detail.find((d) => JSON.stringify(d.loc) === JSON.stringify(loc))
    assert.ok(issue, `${what}: ${JSON.stringify(loc)} in ${res.text}`)
    assert.match(issue!.msg, msg, what)
    assert.ok(typeof issue!.type === 'string')
  }
  const patched = (await api(fw.app, pm).post('/v1/projects', { body: { name: 'Patched area' } })).expect(201)
  const bad = await api(fw.app, pm).patch('/v1/projects/:projectId', { params: { projectId: patched.id }, body: { area: bowtie } })
  assert.is(bad.status, 422)
  assert.is((await api(fw.app, pm).get('/v1/projects/:projectId', { params: { projectId: patched.id } })).expect(200).area, null, 'a refused change changes nothing')
})

function circle(lon: number, lat: number, radius: number, points: number): [number, number][] {
  const ring = Array.from({ length: points }, (_, i): [number, number] => [lon + radius * Math.cos((2 * Math.PI * i) / points), lat + radius * Math.sin((2 * Math.PI * i) / points)])
  return [...ring, ring[0]!]
}

test('the project list: pages of summaries without private fields, the total in X-Total-Count, search by name or description', async () => {
  const pm = await signUpAdmin(fw.app)
  const tag = `zebra${process.pid}`
  for (const [i, name] of ['Alpha', 'Beta', 'Gamma', 'Delta'].entries()) {
    const body = { name: `${tag} ${name}`, priority: i, ...(i === 0 ? { area: square(1, 1, 0.01) } : {}) }
    assert.is((await api(fw.app, pm).post('/v1/projects', { body: body })).status, 201)
  }
  assert.is((await api(fw.app, pm).post('/v1/projects', { body: { name: 'Unrelated', priority: 0, description: `Found by its description: ${tag.toUpperCase()}` } })).status, 201)
  const first = await api(fw.app, pm).get('/v1/projects', { query: { q: tag, limit: 2 } })
  assert.is(first.status, 200)
  assert.is(first.headers['x-total-count'], '5')
  const page = first.expect(200)
  assert.equal(page.map((p) => p.name), [`${tag} Delta`, `${tag} Gamma`], 'highest priority first')
  assert.equal(Object.keys(page[0]!).sort(), ['archived', 'createdAt', 'description', 'hasArea', 'id', 'name', 'percentMapped', 'percentValidated', 'priority', 'taskCount', 'visibility'])
  const rest = (await api(fw.app, pm).get('/v1/projects', { query: { q: tag, limit: 2, offset: 2 } })).expect(200)
  assert.equal(rest.map((p) => p.name), [`${tag} Beta`, 'Unrelated'])
  const last = (await api(fw.app, pm).get('/v1/projects', { query: { q: tag.toUpperCase(), offset: 4 } })).expect(200)
  assert.equal(last.map((p) => [p.name, p.hasArea, p.taskCount]), [[`${tag} Alpha`, true, 0]])
  const beyond = await api(fw.app, pm).get('/v1/projects', { query: { q: tag, offset: 50 } })
  assert.equal(beyond.expect(200), [])
  assert.is(beyond.headers['x-total-count'], '5', 'past the last page the total is still known')
  // % and _ are literal characters, not patterns
  assert.equal((await api(fw.app, pm).get('/v1/projects', { query: { q: '%' } })).expect(200), [])
  for (const query of [{ limit: 0 }, { limit: 101 }, { offset: -1 }, { limit: unchecked('ten') }, { q: 'x'.repeat(129) }]) {
    const res = await api(fw.app, pm).get('/v1/projects', { query })
    assert.is(res.expect(422).detail[0]?.loc[0], 'query', JSON.stringify(query))
  }
})

test('a split project keeps its area (409); deleting it: 204 for its project manager, then 404; 403 for others; its tasks go with it', async () => {
  const pm = await signUpAdmin(fw.app)
  const mapper = await signUp(fw.app)
  const { id } = (await api(fw.app, pm).post('/v1/projects', { body: { name: 'Short-lived', area: square(2, 2, 0.01) } })).expect(201)
  await api(fw.app, pm).put('/v1/projects/:projectId/members/:userId', { params: { projectId: id, userId: mapper.id }, body: { role: 'mapper' } })
  const tasks = (await api(fw.app, pm).post('/v1/projects/:projectId/tasks', { params: { projectId: id }, body: { cellMetres: 600 } })).expect(201)
  assert.ok(tasks.length > 0)
  const denied = await api(fw.app, mapper).delete('/v1/projects/:projectId', { params: { projectId: id } })
  assert.is(denied.status, 403)
  assert.equal(denied.expect(403), { detail: `Missing role "project_manager" in project ${id}: you are mapper`, code: 'role_required' })
  const moved = await api(fw.app, pm).patch('/v1/projects/:projectId', { params: { projectId: id }, body: { area: square(3, 3, 0.01) } })
  assert.is(moved.status, 409, 'a split area stays as it is')
  assert.equal(moved.expect(409), { detail: `Project ${id} has tasks: its area cannot change any more`, code: 'already_split' })
  assert.is((await api(fw.app, pm).patch('/v1/projects/:projectId', { params: { projectId: id }, body: { description: 'Still editable' } })).status, 200)
  const gone = await api(fw.app, pm).delete('/v1/projects/:projectId', { params: { projectId: id } })
  assert.is(gone.status, 204)
  assert.is(gone.text, '')
  assert.is((await api(fw.app, pm).get('/v1/projects/:projectId', { params: { projectId: id } })).status, 404)
  assert.is((await api(fw.app, pm).delete('/v1/projects/:projectId', { params: { projectId: id } })).status, 404)
  const { databasePlugin } = await import('../../examples/fieldwork/src/db/database.js')
  assert.is((await fw.app.plugin(databasePlugin).db.one('SELECT count(*)::int AS n FROM tasks WHERE project_id = $1', [id])).n, 0)
})

test('ids in paths are decimal digits only: 0x1, +1, 1e0, 01 and " 1" name no row (422), whatever the route', async () => {
  const pm = await signUpAdmin(fw.app)
  const id = (await api(fw.app, pm).post('/v1/projects', { body: { name: 'Canonical', area: square(1, 1, 0.01) } })).expect(201).id
  await api(fw.app, pm).post('/v1/projects/:projectId/tasks', { params: { projectId: id }, body: { cellMetres: 1000 } })
  assert.is((await api(fw.app, pm).get('/v1/projects/:projectId', { params: { projectId: id } })).status, 200)
  assert.is((await api(fw.app, pm).get('/v1/projects/:projectId/tasks/:taskId', { params: { projectId: id, taskId: 1 } })).status, 200)
  for (const bad of ['0x1', '+1', '1e0', '01', ' 1', '1.0', '0b1']) {
    const project = await api(fw.app, pm).get('/v1/projects/:projectId', { params: { projectId: bad.replace('1', String(id)) } })
    assert.equal(project.expect(422).detail[0]?.loc, ['path', 'projectId'], `project ${JSON.stringify(bad)}`)
    const task = await api(fw.app, pm).get('/v1/projects/:projectId/tasks/:taskId', { params: { projectId: id, taskId: bad } })
    assert.equal(task.expect(422).detail[0]?.loc, ['path', 'taskId'], `task ${JSON.stringify(bad)}`)
  }
  assert.is((await api(fw.app, pm).get('/v1/projects/:projectId', { params: { projectId: 'abc' } })).status, 422, 'not a number at all: the schema says so')
  assert.is((await api(fw.app, pm).get('/v1/projects/:projectId/submissions.csv', { params: { projectId: id } })).status, 200, 'other routes are untouched')
})

test('a private project is read by its members and admins only; to anyone else it does not exist', async () => {
  const admin = await signUpAdmin(fw.app)
  const member = await signUp(fw.app)
  const outsider = await signUp(fw.app)
  const made = await api(fw.app, admin).post('/v1/projects', { body: { name: 'Private clinics', visibility: 'private', area: square(2, 2, 0.01) } })
  assert.is(made.status, 201, made.text)
  assert.is(made.expect(201).visibility, 'private')
  const id = made.expect(201).id
  await api(fw.app, admin).post('/v1/projects/:projectId/tasks', { params: { projectId: id }, body: { cellMetres: 1000 } })
  await api(fw.app, admin).put('/v1/projects/:projectId/members/:userId', { params: { projectId: id, userId: member.id }, body: { role: 'mapper' } })
  // a comment in the task's history: what an outsider must not read either
  assert.is((await api(fw.app, member).post('/v1/projects/:projectId/tasks/:taskId/events', { params: { projectId: id, taskId: 1 }, body: { event: 'comment', comment: 'the clinic moved' } })).status, 201)
  for (const path of [`/v1/projects/${id}`, `/v1/projects/${id}/tasks`, `/v1/projects/${id}/tasks?format=geojson`, `/v1/projects/${id}/tasks/1`, `/v1/projects/${id}/tasks/1/events`, `/v1/projects/${id}/members`, `/v1/projects/${id}/progress`, `/v1/projects/${id}/tasks/1/submissions`]) {
    assert.is((await fw.app.inject({ url: path, headers: member.headers })).status, 200, `a member reads ${path}`)
    const hidden = await fw.app.inject({ url: path, headers: outsider.headers })
    assert.is(hidden.status, 404, `an outsider does not find ${path}`)
  }
  const names = (who: typeof admin) => api(fw.app, who).get('/v1/projects', { query: { q: 'Private clinics' } }).then((res) => res.expect(200).map((p) => p.name))
  assert.equal(await names(member), ['Private clinics'])
  assert.equal(await names(outsider), [], 'not even listed')
  assert.equal(await names(admin), ['Private clinics'])
  const opened = await api(fw.app, admin).patch('/v1/projects/:projectId', { params: { projectId: id }, body: { visibility: 'public' } })
  assert.is(opened.expect(200).visibility, 'public')
  assert.is((await api(fw.app, outsider).get('/v1/projects/:projectId', { params: { projectId: id } })).status, 200, 'public again: everyone reads it')
})

// last: judges what every test above received
test('every status, media type and header the flows above received is documented for its operation', async () => {
  assert.ok(fw.traffic.length > 0, 'the answers were recorded')
  assert.equal(await undocumented(fw.app, fw.traffic), [])
})

test.run()
