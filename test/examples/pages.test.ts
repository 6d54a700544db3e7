// The fieldwork pages through `app.inject()`: cookie sessions, CSRF on unsafe methods, views for
// browsers and fragments for htmx on the same routes as the JSON API, sign-in redirects.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { InjectResponse } from 'trefoil'
import { startFieldwork, type Fieldwork } from './fixtures/fieldwork.js'

let fw: Fieldwork

test.before(async () => {
  fw = await startFieldwork()
})
test.after(async () => {
  await fw?.close()
})

function cookiesOf(res: InjectResponse): Map<string, string> {
  const lines = ([] as string[]).concat((res.headers['set-cookie'] as string[] | string | undefined) ?? [])
  return new Map(lines.map((line) => [line.split('=')[0]!, line]))
}

/** Signs up through the page's form (htmx): the answer starts a cookie session. */
async function browserSession(name: string): Promise<{ cookie: string; csrf: string }> {
  const res = await fw.app.inject({ method: 'POST', url: '/v1/users', headers: { 'hx-request': 'true' }, body: { email: `${name.toLowerCase()}@example.org`, name, password: 'long enough' } })
  assert.is(res.status, 204, res.body)
  assert.is(res.headers['hx-redirect'], '/v1/projects')
  const set = cookiesOf(res)
  const session = set.get('session')!.split(';')[0]!
  const csrf = set.get('csrf_token')!.split(';')[0]!
  return { cookie: `${session}; ${csrf}`, csrf: csrf.split('=')[1]! }
}

test('signing up through the page starts a session: HttpOnly session cookie, readable CSRF cookie', async () => {
  const res = await fw.app.inject({ method: 'POST', url: '/v1/users', headers: { 'hx-request': 'true' }, body: { email: 'cookies@example.org', name: 'Cookies', password: 'long enough' } })
  const set = cookiesOf(res)
  assert.match(set.get('session')!.toLowerCase(), 'httponly')
  assert.match(set.get('session')!.toLowerCase(), 'samesite=lax')
  assert.not.match(set.get('csrf_token')!.toLowerCase(), 'httponly')
})

test('logging in through the page sets the session; a wrong password is a 401 fragment', async () => {
  await browserSession('Lena')
  const ok = await fw.app.inject({ method: 'POST', url: '/v1/auth/sessions', headers: { 'hx-request': 'true' }, body: { email: 'lena@example.org', password: 'long enough' } })
  assert.is(ok.status, 204)
  assert.is(ok.headers['hx-redirect'], '/v1/projects')
  assert.ok(cookiesOf(ok).has('session'))
  const wrong = await fw.app.inject({ method: 'POST', url: '/v1/auth/sessions', headers: { 'hx-request': 'true' }, body: { email: 'lena@example.org', password: 'not it' } })
  assert.is(wrong.status, 401)
  assert.match(wrong.body, /^<div class="trefoil-error" role="alert" data-status="401"><p>Incorrect email or password<\/p>/)
})

test('a browser without a session is sent to /login; htmx is told to go there; API clients keep their 401', async () => {
  const page = await fw.app.inject({ url: '/v1/projects', headers: { accept: 'text/html,application/xhtml+xml' } })
  assert.is(page.status, 302)
  assert.is(page.headers.location, '/login')
  const htmx = await fw.app.inject({ url: '/v1/projects', headers: { 'hx-request': 'true' } })
  assert.is(htmx.status, 401)
  assert.is(htmx.headers['hx-redirect'], '/login')
  const api = await fw.app.inject({ url: '/v1/projects' })
  assert.is(api.status, 401)
  assert.equal(api.json(), { detail: 'Not authenticated' })
  const login = await fw.app.inject({ url: '/login', headers: { accept: 'text/html' } })
  assert.is(login.status, 200)
  assert.match(login.body, '<form id="signup" hx-post="/v1/users"')
})

test('a page shows the signed-in user (escaped) and gives htmx the session CSRF token', async () => {
  const { cookie, csrf } = await browserSession('Zoe')
  const page = await fw.app.inject({ url: '/v1/projects', headers: { cookie, accept: 'text/html' } })
  assert.is(page.status, 200)
  assert.match(page.body, 'Signed in as Zoe')
  assert.match(page.body, `<body hx-ext="json-form" hx-headers='{&#34;X-CSRF-Token&#34;:&#34;${csrf}&#34;}'>`)
  assert.match(String(page.headers['content-security-policy']), "default-src 'self'")
  assert.match(String(page.headers.vary), 'Accept')
  const me = await fw.app.inject({ url: '/v1/users/me', headers: { cookie, accept: 'text/html' } })
  assert.match(me.body, '<h1>Zoe</h1>')
  const json = await fw.app.inject({ url: '/v1/projects', headers: { cookie } })
  assert.ok(Array.isArray(json.json()), 'the same URL answers JSON to an API client')
})

test('CSRF: an unsafe request on the cookie session needs the token; with it htmx gets the new row', async () => {
  const { cookie, csrf } = await browserSession('Carl')
  const body = { name: 'Roads <north>', priority: 3 }
  const forged = await fw.app.inject({ method: 'POST', url: '/v1/projects', headers: { cookie, 'hx-request': 'true' }, body })
  assert.is(forged.status, 403)
  assert.match(forged.body, 'CSRF token missing or invalid')
  const wrong = await fw.app.inject({ method: 'POST', url: '/v1/projects', headers: { cookie, 'hx-request': 'true', 'x-csrf-token': 'x'.repeat(43) }, body })
  assert.is(wrong.status, 403)
  const row = await fw.app.inject({ method: 'POST', url: '/v1/projects', headers: { cookie, 'hx-request': 'true', 'x-csrf-token': csrf }, body })
  assert.is(row.status, 201)
  assert.match(row.body, /^<tr id="project-\d+"><td>\d+<\/td><td><a href="\/v1\/projects\/\d+">Roads &lt;north&gt;<\/a><\/td><td>3<\/td><td>not set<\/td><\/tr>/)
})

test('htmx gets a 422 fragment listing every bad field, and a 409 fragment for a taken name', async () => {
  const { cookie, csrf } = await browserSession('Ines')
  const headers = { cookie, 'hx-request': 'true', 'x-csrf-token': csrf }
  const invalid = await fw.app.inject({ method: 'POST', url: '/v1/projects', headers, body: { name: '  ', priority: 11 } })
  assert.is(invalid.status, 422)
  assert.match(invalid.body, /^<div class="trefoil-error" role="alert" data-status="422"><p>Please correct the highlighted fields<\/p><ul>/)
  assert.match(invalid.body, '<li data-loc="body.name">')
  assert.match(invalid.body, '<li data-loc="body.priority">')
  await fw.app.inject({ method: 'POST', url: '/v1/projects', headers, body: { name: 'Twice' } })
  const taken = await fw.app.inject({ method: 'POST', url: '/v1/projects', headers, body: { name: 'Twice' } })
  assert.is(taken.status, 409)
  assert.match(taken.body, 'A project with this name already exists')
})

test('the project page loads its tasks with htmx; splitting and locking answer fragments', async () => {
  const { cookie, csrf } = await browserSession('Tom')
  const headers = { cookie, 'hx-request': 'true', 'x-csrf-token': csrf }
  const area = { type: 'Polygon', coordinates: [[[0, 0], [0.01, 0], [0.01, 0.01], [0, 0.01], [0, 0]]] }
  const made = await fw.app.inject({ method: 'POST', url: '/v1/projects', headers: { cookie, 'x-csrf-token': csrf }, body: { name: 'Tom project', area } })
  const id = made.json().id as number
  const page = await fw.app.inject({ url: `/v1/projects/${id}`, headers: { cookie, accept: 'text/html' } })
  assert.match(page.body, `<div id="task-list" hx-get="/v1/projects/${id}/tasks" hx-trigger="load"`)
  const empty = await fw.app.inject({ url: `/v1/projects/${id}/tasks`, headers })
  assert.match(empty.body, `<form hx-post="/v1/projects/${id}/tasks"`)
  const split = await fw.app.inject({ method: 'POST', url: `/v1/projects/${id}/tasks`, headers, body: { cellMetres: 600 } })
  assert.is(split.status, 201)
  const rows = split.body.match(/<tr id="task-\d+">/g) ?? []
  assert.is(rows.length, 4)
  const taskId = /<tr id="task-(\d+)">/.exec(split.body)![1]
  const locked = await fw.app.inject({ method: 'POST', url: `/v1/projects/${id}/tasks/${taskId}/events`, headers, body: { event: 'map' } })
  assert.is(locked.status, 201)
  assert.match(locked.body, `<tr id="task-${taskId}">`)
  assert.match(locked.body, '<td class="status">locked for mapping</td>')
  assert.match(locked.body, '<td>Tom</td>')
  const taskPage = await fw.app.inject({ url: `/v1/projects/${id}/tasks/${taskId}`, headers: { cookie, accept: 'text/html' } })
  assert.is(taskPage.status, 200)
  assert.match(taskPage.body, `hx-get="/v1/projects/${id}/tasks/${taskId}/events" hx-trigger="load"`)
  const history = await fw.app.inject({ url: `/v1/projects/${id}/tasks/${taskId}/events`, headers })
  assert.match(history.body, 'Tom: map → locked for mapping')
  const submissions = await fw.app.inject({ url: `/v1/projects/${id}/tasks/${taskId}/submissions`, headers })
  assert.match(submissions.body, '<form id="new-submission"')
})

test('a project manager sets the area from the project page; htmx gets the page body back', async () => {
  const { cookie, csrf } = await browserSession('Ada')
  const headers = { cookie, 'hx-request': 'true', 'x-csrf-token': csrf }
  const id = (await fw.app.inject({ method: 'POST', url: '/v1/projects', headers: { cookie, 'x-csrf-token': csrf }, body: { name: 'Ada project' } })).json().id as number
  const page = await fw.app.inject({ url: `/v1/projects/${id}`, headers: { cookie, accept: 'text/html' } })
  assert.match(page.body, `<form id="project-area" hx-patch="/v1/projects/${id}"`)
  const area = { type: 'Polygon', coordinates: [[[0, 0], [0.01, 0], [0.01, 0.01], [0, 0.01], [0, 0]]] }
  const set = await fw.app.inject({ method: 'PATCH', url: `/v1/projects/${id}`, headers, body: { area } })
  assert.is(set.status, 200)
  assert.match(set.body, /^<article id="project-\d+">/)
  assert.match(set.body, 'Area: a polygon of 4 points')
  assert.not.match(set.body, 'project-area', 'the form is gone once the area is set')
})

test('logging out ends the session cookie and sends htmx to /login', async () => {
  const { cookie } = await browserSession('Olga')
  const res = await fw.app.inject({ method: 'DELETE', url: '/v1/auth/sessions', headers: { cookie, 'hx-request': 'true' } })
  assert.is(res.status, 204)
  assert.is(res.headers['hx-redirect'], '/login')
  assert.match(cookiesOf(res).get('session')!, /^session=;/)
})

test.run()
