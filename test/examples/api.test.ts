// The fieldwork JSON API on the embedded database: accounts, tokens, projects, roles, the docs.
import { Validator } from '@seriousme/openapi-schema-validator'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { call, signUp, signUpAdmin, square, startFieldwork, type Fieldwork } from './fixtures/fieldwork.js'

let fw: Fieldwork

test.before(async () => {
  fw = await startFieldwork()
})
test.after(async () => {
  await fw?.close()
})

test('sign up answers the account without its password, email trimmed and lowercased', async () => {
  const res = await call(fw.app, 'POST', '/v1/users', undefined, { email: '  Mapper.One@Example.ORG ', name: ' Amina ', password: 'long enough' })
  assert.is(res.status, 201)
  const user = res.json()
  assert.equal(Object.keys(user).sort(), ['createdAt', 'email', 'id', 'isAdmin', 'name'])
  assert.is(user.email, 'mapper.one@example.org')
  assert.is(user.name, 'Amina')
  assert.is(user.isAdmin, false)
})

test('sign up: a taken email is 409 with a message, bad fields are one 422 listing each', async () => {
  const body = { email: 'taken@example.org', name: 'First', password: 'long enough' }
  assert.is((await call(fw.app, 'POST', '/v1/users', undefined, body)).status, 201)
  const again = await call(fw.app, 'POST', '/v1/users', undefined, { ...body, email: 'TAKEN@example.org' })
  assert.is(again.status, 409)
  assert.equal(again.json(), { detail: 'An account with this email already exists', code: 'unique_violation' })
  const bad = await call(fw.app, 'POST', '/v1/users', undefined, { email: 'not-an-email', name: '', password: 'short' })
  assert.is(bad.status, 422)
  assert.equal(bad.json().detail.map((issue: { loc: string[] }) => issue.loc.join('.')).sort(), ['body.email', 'body.name', 'body.password'])
})

test('log in: a token for the right password; 401 alike for a wrong password and an unknown email', async () => {
  const body = { email: 'login@example.org', name: 'Login', password: 'right password' }
  await call(fw.app, 'POST', '/v1/users', undefined, body)
  const ok = await call(fw.app, 'POST', '/v1/auth/tokens', undefined, { email: 'Login@example.org', password: 'right password' })
  assert.is(ok.status, 200)
  assert.is(ok.json().token_type, 'bearer')
  const me = await fw.app.inject({ url: '/v1/users/me', headers: { authorization: `Bearer ${ok.json().access_token}` } })
  assert.is(me.status, 200)
  assert.is(me.json().email, 'login@example.org')
  for (const wrong of [{ email: 'login@example.org', password: 'wrong password' }, { email: 'nobody@example.org', password: 'right password' }]) {
    const res = await call(fw.app, 'POST', '/v1/auth/tokens', undefined, wrong)
    assert.is(res.status, 401)
    assert.equal(res.json(), { detail: 'Incorrect email or password', code: 'invalid_credentials' })
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
  const none = await call(fw.app, 'GET', '/v1/projects')
  assert.is(none.status, 401)
  assert.match(String(none.headers['www-authenticate']), /^Bearer/)
  const forged = await fw.app.inject({ url: '/v1/projects', headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl' } })
  assert.is(forged.status, 401)
})

test('only an organisation admin creates projects: 403 for anyone else', async () => {
  const user = await signUp(fw.app)
  const res = await call(fw.app, 'POST', '/v1/projects', user, { name: 'Not mine to make' })
  assert.is(res.status, 403)
  assert.equal(res.json(), { detail: 'Only an organisation admin creates projects', code: 'admin_required' })
})

test('creating a project makes you its project manager; the list and the project answer JSON', async () => {
  const pm = await signUpAdmin(fw.app, 'Pat Manager')
  const res = await call(fw.app, 'POST', '/v1/projects', pm, { name: ' Flood response ', priority: 8, area: square(39.27, -6.82, 0.02) })
  assert.is(res.status, 201)
  const project = res.json()
  assert.is(project.name, 'Flood response')
  assert.is(project.description, '')
  assert.is(project.createdBy, pm.id)
  assert.equal(project.area, square(39.27, -6.82, 0.02))
  const members = await call(fw.app, 'GET', `/v1/projects/${project.id}/members`, pm)
  assert.equal(members.json(), [{ userId: pm.id, name: 'Pat Manager', role: 'project_manager' }])
  const got = await call(fw.app, 'GET', `/v1/projects/${project.id}`, pm)
  assert.equal(got.json(), project)
  const list = await call(fw.app, 'GET', '/v1/projects', pm)
  assert.ok(list.json().some((p: { id: number }) => p.id === project.id))
})

test('projects: 409 for a taken name, one 422 for every bad field, 422 for an open ring, 404 for a missing one', async () => {
  const pm = await signUpAdmin(fw.app)
  assert.is((await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Roads north' })).status, 201)
  const taken = await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Roads north' })
  assert.is(taken.status, 409)
  assert.equal(taken.json(), { detail: 'A project with this name already exists', code: 'unique_violation' })
  const bad = await call(fw.app, 'POST', '/v1/projects', pm, { name: '   ', priority: 11, area: { type: 'Point', coordinates: [1, 2] } })
  assert.is(bad.status, 422)
  const locs = bad.json().detail.map((issue: { loc: string[] }) => issue.loc.slice(0, 2).join('.'))
  for (const field of ['body.name', 'body.priority', 'body.area']) assert.ok(locs.includes(field), `${field} in ${locs}`)
  const open = square(10, 10, 1)
  open.coordinates[0]![4] = [10.5, 10]
  const ring = await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Open ring', area: open })
  assert.is(ring.status, 422)
  assert.equal(ring.json().detail, [{ loc: ['body', 'area', 'coordinates', 0], msg: 'The ring must end at its first position', type: 'value_error' }])
  const missing = await call(fw.app, 'GET', '/v1/projects/999999', pm)
  assert.is(missing.status, 404)
  assert.equal(missing.json(), { detail: 'Project 999999 not found' })
})

test('updating a project: its project manager may, others get 403, a missing project is 404 first', async () => {
  const pm = await signUpAdmin(fw.app)
  const other = await signUp(fw.app)
  const { id } = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Schools survey', priority: 3 })).json()
  const changed = await call(fw.app, 'PATCH', `/v1/projects/${id}`, pm, { priority: 9, description: ' Every school ' })
  assert.is(changed.status, 200)
  assert.is(changed.json().priority, 9)
  assert.is(changed.json().description, 'Every school')
  assert.is(changed.json().name, 'Schools survey', 'absent fields are kept')
  const denied = await call(fw.app, 'PATCH', `/v1/projects/${id}`, other, { priority: 1 })
  assert.is(denied.status, 403)
  assert.equal(denied.json(), { detail: `Missing role "project_manager" in project ${id}: you have no role in this project`, code: 'role_required' })
  assert.is((await call(fw.app, 'PATCH', '/v1/projects/999999', other, { priority: 1 })).status, 404)
  assert.is((await call(fw.app, 'PATCH', `/v1/projects/${id}`, pm, {})).status, 422, 'an empty change')
})

test('members: a project manager gives roles; a mapper may not; an unknown user is 422', async () => {
  const pm = await signUpAdmin(fw.app)
  const mapper = await signUp(fw.app)
  const { id } = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Members project' })).json()
  const given = await call(fw.app, 'PUT', `/v1/projects/${id}/members/${mapper.id}`, pm, { role: 'mapper' })
  assert.is(given.status, 200)
  assert.equal(given.json(), { userId: mapper.id, name: mapper.name, role: 'mapper' })
  const escalate = await call(fw.app, 'PUT', `/v1/projects/${id}/members/${mapper.id}`, mapper, { role: 'project_manager' })
  assert.is(escalate.status, 403)
  assert.equal(escalate.json().detail, `Missing role "project_manager" in project ${id}: you are mapper`)
  const unknown = await call(fw.app, 'PUT', `/v1/projects/${id}/members/999999`, pm, { role: 'mapper' })
  assert.is(unknown.status, 422)
  assert.equal(unknown.json().detail, [{ loc: ['body', 'userId'], msg: 'No user has this id', type: 'foreign_key_violation' }])
  const badRole = await call(fw.app, 'PUT', `/v1/projects/${id}/members/${mapper.id}`, pm, { role: 'admin' })
  assert.is(badRole.status, 422)
})

test('an admin passes every role check, in projects they have no role in', async () => {
  const pm = await signUpAdmin(fw.app)
  const admin = await signUp(fw.app)
  const { id } = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Admin check' })).json()
  assert.is((await call(fw.app, 'PATCH', `/v1/projects/${id}`, admin, { priority: 2 })).status, 403)
  const { databasePlugin } = await import('../../examples/fieldwork/src/db/database.js')
  await fw.app.plugin(databasePlugin).db.none('UPDATE users SET is_admin = true WHERE id = $1', [admin.id])
  const res = await call(fw.app, 'PATCH', `/v1/projects/${id}`, admin, { priority: 2 })
  assert.is(res.status, 200)
  assert.is(res.json().priority, 2)
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
  const islands = { type: 'MultiPolygon', coordinates: [square(39.2, -6.8, 0.01).coordinates, square(39.25, -6.8, 0.01).coordinates] }
  const res = await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Islands', area: islands })
  assert.is(res.status, 201, res.body)
  const project = res.json()
  assert.equal(project.area, islands)
  assert.equal(project.outline.type, 'Feature')
  assert.equal(project.outline.geometry, islands)
  assert.is(project.outline.properties.id, project.id)
  assert.is(project.outline.properties.name, 'Islands')
  // two squares of 0.01°: about 1.1 km × 1.1 km each near the equator
  assert.ok(Math.abs(project.outline.properties.areaKm2 - 2.45) < 0.05, `${project.outline.properties.areaKm2} km²`)
  const bare = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Bare' })).json()
  assert.is(bare.outline, null)
})

test('areas are checked: each bad one is a 422 saying where and why, never a 500', async () => {
  const pm = await signUpAdmin(fw.app)
  const ok = square(10, 10, 0.1)
  const bowtie = { type: 'Polygon', coordinates: [[[0, 0], [0.01, 0.01], [0.01, 0], [0, 0.01], [0, 0]]] }
  const openIsland = { type: 'MultiPolygon', coordinates: [ok.coordinates, [[[11, 11], [11.1, 11], [11.1, 11.1], [11, 11.1], [11, 11.05]]]] }
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
    const res = await call(fw.app, 'POST', '/v1/projects', pm, { name: `Bad area: ${what}`, area })
    assert.is(res.status, 422, `${what}: ${res.body}`)
    const detail = res.json().detail as { loc: (string | number)[]; msg: string; type: string }[]
    const issue = detail.find((d) => JSON.stringify(d.loc) === JSON.stringify(loc))
    assert.ok(issue, `${what}: ${JSON.stringify(loc)} in ${res.body}`)
    assert.match(issue!.msg, msg, what)
    assert.ok(typeof issue!.type === 'string')
  }
  const patched = await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Patched area' })
  const bad = await call(fw.app, 'PATCH', `/v1/projects/${patched.json().id}`, pm, { area: bowtie })
  assert.is(bad.status, 422)
  assert.is((await call(fw.app, 'GET', `/v1/projects/${patched.json().id}`, pm)).json().area, null, 'a refused change changes nothing')
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
    assert.is((await call(fw.app, 'POST', '/v1/projects', pm, body)).status, 201)
  }
  assert.is((await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Unrelated', priority: 0, description: `Found by its description: ${tag.toUpperCase()}` })).status, 201)
  const first = await call(fw.app, 'GET', `/v1/projects?q=${tag}&limit=2`, pm)
  assert.is(first.status, 200)
  assert.is(first.headers['x-total-count'], '5')
  const page = first.json() as Record<string, unknown>[]
  assert.equal(page.map((p) => p.name), [`${tag} Delta`, `${tag} Gamma`], 'highest priority first')
  assert.equal(Object.keys(page[0]!).sort(), ['archived', 'createdAt', 'description', 'hasArea', 'id', 'name', 'percentMapped', 'percentValidated', 'priority', 'taskCount', 'visibility'])
  const rest = (await call(fw.app, 'GET', `/v1/projects?q=${tag}&limit=2&offset=2`, pm)).json() as { name: string; hasArea: boolean }[]
  assert.equal(rest.map((p) => p.name), [`${tag} Beta`, 'Unrelated'])
  const last = (await call(fw.app, 'GET', `/v1/projects?q=${tag.toUpperCase()}&offset=4`, pm)).json() as { name: string; hasArea: boolean; taskCount: number }[]
  assert.equal(last.map((p) => [p.name, p.hasArea, p.taskCount]), [[`${tag} Alpha`, true, 0]])
  const beyond = await call(fw.app, 'GET', `/v1/projects?q=${tag}&offset=50`, pm)
  assert.equal(beyond.json(), [])
  assert.is(beyond.headers['x-total-count'], '5', 'past the last page the total is still known')
  // % and _ are literal characters, not patterns
  assert.equal((await call(fw.app, 'GET', `/v1/projects?q=${encodeURIComponent('%')}`, pm)).json(), [])
  for (const query of ['limit=0', 'limit=101', 'offset=-1', 'limit=ten', `q=${'x'.repeat(129)}`]) {
    const res = await call(fw.app, 'GET', `/v1/projects?${query}`, pm)
    assert.is(res.status, 422, query)
    assert.is(res.json().detail[0].loc[0], 'query', query)
  }
})

test('a split project keeps its area (409); deleting it: 204 for its project manager, then 404; 403 for others; its tasks go with it', async () => {
  const pm = await signUpAdmin(fw.app)
  const mapper = await signUp(fw.app)
  const { id } = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Short-lived', area: square(2, 2, 0.01) })).json()
  await call(fw.app, 'PUT', `/v1/projects/${id}/members/${mapper.id}`, pm, { role: 'mapper' })
  const tasks = (await call(fw.app, 'POST', `/v1/projects/${id}/tasks`, pm, { cellMetres: 600 })).json() as { id: number }[]
  assert.ok(tasks.length > 0)
  const denied = await call(fw.app, 'DELETE', `/v1/projects/${id}`, mapper)
  assert.is(denied.status, 403)
  assert.equal(denied.json(), { detail: `Missing role "project_manager" in project ${id}: you are mapper`, code: 'role_required' })
  const moved = await call(fw.app, 'PATCH', `/v1/projects/${id}`, pm, { area: square(3, 3, 0.01) })
  assert.is(moved.status, 409, 'a split area stays as it is')
  assert.equal(moved.json(), { detail: `Project ${id} has tasks: its area cannot change any more`, code: 'already_split' })
  assert.is((await call(fw.app, 'PATCH', `/v1/projects/${id}`, pm, { description: 'Still editable' })).status, 200)
  const gone = await call(fw.app, 'DELETE', `/v1/projects/${id}`, pm)
  assert.is(gone.status, 204)
  assert.is(gone.body, '')
  assert.is((await call(fw.app, 'GET', `/v1/projects/${id}`, pm)).status, 404)
  assert.is((await call(fw.app, 'DELETE', `/v1/projects/${id}`, pm)).status, 404)
  const { databasePlugin } = await import('../../examples/fieldwork/src/db/database.js')
  assert.is((await fw.app.plugin(databasePlugin).db.one('SELECT count(*)::int AS n FROM tasks WHERE project_id = $1', [id])).n, 0)
})

test('ids in paths are decimal digits only: 0x1, +1, 1e0, 01 and " 1" name no row (422), whatever the route', async () => {
  const pm = await signUpAdmin(fw.app)
  const id = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Canonical', area: square(1, 1, 0.01) })).json().id as number
  await call(fw.app, 'POST', `/v1/projects/${id}/tasks`, pm, { cellMetres: 1000 })
  assert.is((await call(fw.app, 'GET', `/v1/projects/${id}`, pm)).status, 200)
  assert.is((await call(fw.app, 'GET', `/v1/projects/${id}/tasks/1`, pm)).status, 200)
  for (const bad of ['0x1', '+1', '1e0', '01', '%201', '1.0', '0b1']) {
    const spelled = bad.replace('1', String(id))
    const project = await call(fw.app, 'GET', `/v1/projects/${bad === '%201' ? `%20${id}` : spelled}`, pm)
    assert.is(project.status, 422, `project ${bad}: ${project.body}`)
    assert.equal(project.json().detail[0].loc, ['path', 'projectId'])
    const task = await call(fw.app, 'GET', `/v1/projects/${id}/tasks/${bad}`, pm)
    assert.is(task.status, 422, `task ${bad}`)
    assert.equal(task.json().detail[0].loc, ['path', 'taskId'])
  }
  assert.is((await call(fw.app, 'GET', '/v1/projects/abc', pm)).status, 422, 'not a number at all: the schema says so')
  assert.is((await call(fw.app, 'GET', `/v1/projects/${id}/submissions.csv`, pm)).status, 200, 'other routes are untouched')
})

test('a private project is read by its members and admins only; to anyone else it does not exist', async () => {
  const admin = await signUpAdmin(fw.app)
  const member = await signUp(fw.app)
  const outsider = await signUp(fw.app)
  const made = await call(fw.app, 'POST', '/v1/projects', admin, { name: 'Private clinics', visibility: 'private', area: square(2, 2, 0.01) })
  assert.is(made.status, 201, made.body)
  assert.is(made.json().visibility, 'private')
  const id = made.json().id as number
  await call(fw.app, 'POST', `/v1/projects/${id}/tasks`, admin, { cellMetres: 1000 })
  await call(fw.app, 'PUT', `/v1/projects/${id}/members/${member.id}`, admin, { role: 'mapper' })
  for (const path of [`/v1/projects/${id}`, `/v1/projects/${id}/tasks`, `/v1/projects/${id}/tasks/1`, `/v1/projects/${id}/members`]) {
    assert.is((await call(fw.app, 'GET', path, member)).status, 200, `a member reads ${path}`)
    const hidden = await call(fw.app, 'GET', path, outsider)
    assert.is(hidden.status, 404, `an outsider does not find ${path}`)
  }
  const names = (who: typeof admin) => call(fw.app, 'GET', '/v1/projects?q=Private%20clinics', who).then((res) => (res.json() as { name: string }[]).map((p) => p.name))
  assert.equal(await names(member), ['Private clinics'])
  assert.equal(await names(outsider), [], 'not even listed')
  assert.equal(await names(admin), ['Private clinics'])
  const opened = await call(fw.app, 'PATCH', `/v1/projects/${id}`, admin, { visibility: 'public' })
  assert.is(opened.json().visibility, 'public')
  assert.is((await call(fw.app, 'GET', `/v1/projects/${id}`, outsider)).status, 200, 'public again: everyone reads it')
})

test.run()
