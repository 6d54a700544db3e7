// The fieldwork pages through `app.inject()`: cookie sessions, CSRF on unsafe methods, views for
// browsers and fragments for htmx on the same routes as the JSON API, sign-in redirects, reading
// without JavaScript (plain forms and links), search as you type, the task grid as SVG, a split
// polled to its end, the members page.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { InjectResponse } from 'trefoil'
import { call, makeAdmin, signUp, signUpAdmin, square, startFieldwork, type Fieldwork } from './fixtures/fieldwork.js'

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

interface Session {
  cookie: string
  csrf: string
  /** Headers of an htmx request on this session (with the CSRF token). */
  hx: Record<string, string>
  /** Headers of a browser navigating to a page. */
  page: Record<string, string>
}

/** Signs up through the page's form (htmx): the answer starts a cookie session. */
async function browserSession(name: string, options: { admin?: boolean } = {}): Promise<Session> {
  const email = `${name.toLowerCase()}@example.org`
  const res = await fw.app.inject({ method: 'POST', url: '/v1/users', headers: { 'hx-request': 'true' }, body: { email, name, password: 'long enough' } })
  assert.is(res.status, 204, res.body)
  assert.is(res.headers['hx-redirect'], '/v1/projects')
  if (options.admin) await makeAdmin(fw.app, email)
  const set = cookiesOf(res)
  const session = set.get('session')!.split(';')[0]!
  const csrfCookie = set.get('csrf_token')!.split(';')[0]!
  const cookie = `${session}; ${csrfCookie}`
  const csrf = csrfCookie.split('=')[1]!
  return { cookie, csrf, hx: { cookie, 'hx-request': 'true', 'x-csrf-token': csrf }, page: { cookie, accept: 'text/html' } }
}

const AREA = { type: 'Polygon', coordinates: [[[0, 0], [0.01, 0], [0.01, 0.01], [0, 0.01], [0, 0]]] }

async function newProject(who: Session, body: Record<string, unknown>): Promise<number> {
  const made = await fw.app.inject({ method: 'POST', url: '/v1/projects', headers: { cookie: who.cookie, 'x-csrf-token': who.csrf }, body })
  assert.is(made.status, 201, made.body)
  return made.json().id as number
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
  assert.is(page.status, 303)
  assert.is(page.headers.location, '/login?next=%2Fv1%2Fprojects')
  const htmx = await fw.app.inject({ url: '/v1/projects', headers: { 'hx-request': 'true' } })
  assert.is(htmx.status, 401)
  assert.is(htmx.headers['hx-redirect'], '/login?next=%2F')
  const api = await fw.app.inject({ url: '/v1/projects' })
  assert.is(api.status, 401)
  assert.equal(api.json(), { detail: 'Not authenticated' })
  const login = await fw.app.inject({ url: '/login', headers: { accept: 'text/html' } })
  assert.is(login.status, 200)
  assert.match(login.body, '<form id="signup" hx-post="/v1/users" method="post" action="/v1/users"')
})

test('without JavaScript the sign-in forms post as plain forms: 303 to the projects with a session, or the page again with the error', async () => {
  const form = { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }
  const signedUp = await fw.app.inject({ method: 'POST', url: '/v1/users', headers: form, body: 'name=Noor&email=noor%40example.org&password=long+enough' })
  assert.is(signedUp.status, 303)
  assert.is(signedUp.headers.location, '/v1/projects')
  assert.ok(cookiesOf(signedUp).has('session'))
  const taken = await fw.app.inject({ method: 'POST', url: '/v1/users', headers: form, body: 'name=Noor&email=noor%40example.org&password=long+enough' })
  assert.is(taken.status, 409)
  assert.match(taken.body, '<!doctype html>')
  assert.match(taken.body, '<div class="trefoil-error" role="alert"><p>An account with this email already exists</p></div>')
  const wrong = await fw.app.inject({ method: 'POST', url: '/v1/auth/sessions', headers: form, body: 'email=noor%40example.org&password=nope' })
  assert.is(wrong.status, 401)
  assert.match(wrong.body, '<p>Incorrect email or password</p>')
  assert.match(wrong.body, '<form id="login"')
  const ok = await fw.app.inject({ method: 'POST', url: '/v1/auth/sessions', headers: form, body: 'email=noor%40example.org&password=long+enough' })
  assert.is(ok.status, 303)
  const session = cookiesOf(ok).get('session')!.split(';')[0]!
  const page = await fw.app.inject({ url: '/v1/projects', headers: { cookie: session, accept: 'text/html' } })
  assert.is(page.status, 200)
  assert.match(page.body, 'Signed in as Noor')
  const api = await fw.app.inject({ method: 'POST', url: '/v1/users', body: { name: 'Jo', email: 'jo@example.org', password: 'long enough' } })
  assert.is(api.status, 201, 'an API client still gets the new account as JSON')
})

test('a page shows the signed-in user (escaped) and gives htmx the session CSRF token', async () => {
  const { cookie, csrf, page } = await browserSession('Zoe')
  const res = await fw.app.inject({ url: '/v1/projects', headers: page })
  assert.is(res.status, 200)
  assert.match(res.body, /^<!doctype html>/)
  assert.match(res.body, 'Signed in as Zoe')
  assert.match(res.body, `<body hx-ext="json-form" hx-headers='{&#34;X-CSRF-Token&#34;:&#34;${csrf}&#34;}'>`)
  assert.match(String(res.headers['content-security-policy']), "default-src 'self'")
  assert.match(String(res.headers.vary), 'Accept')
  assert.not.match(res.body, 'id="new-project"', 'only an organisation admin gets the new-project form')
  const me = await fw.app.inject({ url: '/v1/users/me', headers: page })
  assert.match(me.body, '<h1>Zoe</h1>')
  const json = await fw.app.inject({ url: '/v1/projects', headers: { cookie } })
  assert.ok(Array.isArray(json.json()), 'the same URL answers JSON to an API client')
})

test('CSRF: an unsafe request on the cookie session needs the token; with it htmx is sent to the new project', async () => {
  const { cookie, csrf, hx, page } = await browserSession('Carl', { admin: true })
  assert.match((await fw.app.inject({ url: '/v1/projects', headers: page })).body, '<a id="new-project-link" href="/v1/projects/new">')
  assert.match((await fw.app.inject({ url: '/v1/projects/new', headers: page })).body, '<form id="new-project" hx-post="/v1/projects"')
  const body = { name: 'Roads <north>', priority: 3 }
  const forged = await fw.app.inject({ method: 'POST', url: '/v1/projects', headers: { cookie, 'hx-request': 'true' }, body })
  assert.is(forged.status, 403)
  assert.match(forged.body, 'CSRF token missing or invalid')
  const wrong = await fw.app.inject({ method: 'POST', url: '/v1/projects', headers: { ...hx, 'x-csrf-token': 'x'.repeat(43) }, body })
  assert.is(wrong.status, 403)
  const row = await fw.app.inject({ method: 'POST', url: '/v1/projects', headers: hx, body: { ...body, area: AREA } })
  assert.is(row.status, 201)
  assert.match(String(row.headers['hx-redirect']), /^\/v1\/projects\/\d+$/)
  assert.match(row.body, /^<tr id="project-(\d+)"><td>\1<\/td><td><a href="\/v1\/projects\/\1">Roads &lt;north&gt;<\/a><\/td><td>3<\/td><td>set<\/td><td>0<\/td><td class="progress"><\/td><\/tr>/)
  assert.is(csrf.length > 20, true)
})

test('htmx gets a 422 fragment listing every bad field, and a 409 fragment for a taken name', async () => {
  const { hx } = await browserSession('Ines', { admin: true })
  const invalid = await fw.app.inject({ method: 'POST', url: '/v1/projects', headers: hx, body: { name: '  ', priority: 11 } })
  assert.is(invalid.status, 422)
  assert.match(invalid.body, /^<div class="trefoil-error" role="alert" data-status="422"><p>Please correct the highlighted fields<\/p><ul>/)
  assert.match(invalid.body, '<li data-loc="body.name">')
  assert.match(invalid.body, '<li data-loc="body.priority">')
  await fw.app.inject({ method: 'POST', url: '/v1/projects', headers: hx, body: { name: 'Twice' } })
  const taken = await fw.app.inject({ method: 'POST', url: '/v1/projects', headers: hx, body: { name: 'Twice' } })
  assert.is(taken.status, 409)
  assert.match(taken.body, 'A project with this name already exists')
})

test('search as you type: the box asks htmx for the list as keys go up; the answer holds only the matching rows; without JavaScript it is a GET form', async () => {
  const admin = await browserSession('Sara', { admin: true })
  for (const name of ['Search: water points', 'Search: schools', 'Search: Water towers']) await newProject(admin, { name })
  const page = await fw.app.inject({ url: '/v1/projects', headers: admin.page })
  assert.match(page.body, '<form id="project-search" class="inline" method="get" action="/v1/projects" role="search">')
  assert.match(page.body, /<input type="search" name="q" value=""[^>]*hx-get="\/v1\/projects" hx-trigger="keyup changed delay:300ms, search" hx-target="#project-results" hx-select="#project-results"/)
  const found = await fw.app.inject({ url: '/v1/projects?q=water', headers: admin.hx })
  assert.is(found.status, 200)
  const rows = [...found.body.matchAll(/<a href="\/v1\/projects\/\d+">([^<]+)<\/a>/g)].map((m) => m[1])
  assert.equal(rows.sort(), ['Search: Water towers', 'Search: water points'])
  assert.match(found.body, '<div id="project-results">')
  const none = await fw.app.inject({ url: '/v1/projects?q=%3Cnothing%3E', headers: admin.page })
  assert.match(none.body, 'No project matches “&lt;nothing&gt;”.')
  assert.match(none.body, 'value="&lt;nothing&gt;"', 'the box keeps what was searched')
  const firstPage = await fw.app.inject({ url: '/v1/projects?q=search&limit=2', headers: admin.page })
  assert.match(firstPage.body, '<a rel="next" href="/v1/projects?q=search&amp;limit=2&amp;offset=2">Next page</a>')
  const second = await fw.app.inject({ url: '/v1/projects?q=search&limit=2&offset=2', headers: admin.page })
  assert.match(second.body, '<a rel="prev" href="/v1/projects?q=search&amp;limit=2">Previous page</a>')
  assert.not.match(second.body, 'rel="next"')
})

test('the project page reads without JavaScript: plain links to its tasks and members, which are pages too', async () => {
  const admin = await browserSession('Rea', { admin: true })
  const id = await newProject(admin, { name: 'Readable', area: AREA })
  const page = await fw.app.inject({ url: `/v1/projects/${id}`, headers: admin.page })
  assert.match(page.body, `<div id="task-list" hx-get="/v1/projects/${id}/tasks" hx-trigger="load" hx-swap="outerHTML"><a href="/v1/projects/${id}/tasks">See the tasks</a></div>`)
  assert.match(page.body, `<a href="/v1/projects/${id}/members">Members</a>`)
  assert.match(page.body, /Area: a polygon of 4 points, [\d.]+ km²/)
  const tasks = await fw.app.inject({ url: `/v1/projects/${id}/tasks`, headers: admin.page })
  assert.match(tasks.body, /^<!doctype html>/)
  assert.match(tasks.body, `<a href="/v1/projects/${id}">Back to the project</a>`)
  assert.match(tasks.body, `<form id="split-form" class="inline" hx-post="/v1/projects/${id}/task-splits"`)
})

test('the task grid is an SVG drawn on the server: a cell per task coloured by state, linked to its page, with a legend; an event redraws it', async () => {
  const admin = await browserSession('Tom', { admin: true })
  const id = await newProject(admin, { name: 'Tom project', area: AREA })
  const split = await fw.app.inject({ method: 'POST', url: `/v1/projects/${id}/tasks`, headers: admin.hx, body: { cellMetres: 600 } })
  assert.is(split.status, 201, split.body)
  const list = await fw.app.inject({ url: `/v1/projects/${id}/tasks`, headers: admin.hx })
  const cells = [...list.body.matchAll(/<a href="\/v1\/projects\/\d+\/tasks\/(\d+)" id="cell-\1" class="s-(\w+)" data-status="\2"><title>Task \d+: [\w ]+<\/title><path d="M[\d. LZM-]+Z"\/>/g)]
  assert.is(cells.length, 4)
  assert.ok(cells.every((cell) => cell[2] === 'ready'))
  assert.match(list.body, `<figure id="task-grid" hx-get="/v1/projects/${id}/tasks" hx-trigger="refresh" hx-select="#task-grid" hx-swap="outerHTML">`)
  assert.match(list.body, /<svg class="task-grid" role="img" aria-label="Map of the 4 tasks by state" viewBox="-4 -4 608 \d+"/)
  assert.match(list.body, '<li class="s-ready" data-state="ready"><span class="swatch"></span>Ready: 4</li>')
  assert.match(list.body, '<li class="s-locked_for_mapping" data-state="locked_for_mapping"><span class="swatch"></span>Being mapped: 0</li>')
  const taskId = cells[0]![1]!
  const locked = await fw.app.inject({ method: 'POST', url: `/v1/projects/${id}/tasks/${taskId}/events`, headers: admin.hx, body: { event: 'map' } })
  assert.is(locked.status, 201, locked.body)
  assert.match(locked.body, `<tr id="task-${taskId}" class="s-locked_for_mapping" data-current="/v1/projects/${id}/tasks/${taskId}">`)
  assert.match(locked.body, '<td>Tom</td>')
  assert.match(locked.body, /<button hx-post="[^"]+\/events" hx-vals='{&#34;event&#34;:&#34;finish&#34;}' hx-target="#task-\d+" hx-swap="outerHTML" data-errors="#task-errors" data-refresh="#task-grid, #history">Mark mapped<\/button>/)
  const redrawn = await fw.app.inject({ url: `/v1/projects/${id}/tasks`, headers: admin.hx })
  assert.match(redrawn.body, `id="cell-${taskId}" class="s-locked_for_mapping"`)
  assert.match(redrawn.body, 'Being mapped: 1</li>')
  const conflict = await fw.app.inject({ method: 'POST', url: `/v1/projects/${id}/tasks/${taskId}/events`, headers: admin.hx, body: { event: 'good' } })
  assert.is(conflict.status, 409)
  assert.match(conflict.body, /^<div class="trefoil-error" role="alert" data-status="409">/)
  const taskPage = await fw.app.inject({ url: `/v1/projects/${id}/tasks/${taskId}`, headers: admin.page })
  assert.match(taskPage.body, `<div hx-get="/v1/projects/${id}/tasks/${taskId}/events" hx-trigger="load" hx-swap="outerHTML"><a href="/v1/projects/${id}/tasks/${taskId}/events">See the history</a></div>`)
  assert.match(taskPage.body, `<figure id="task-grid" class="single" hx-get="/v1/projects/${id}/tasks/${taskId}"`)
  const history = await fw.app.inject({ url: `/v1/projects/${id}/tasks/${taskId}/events`, headers: admin.hx })
  assert.match(history.body, 'Tom locked it for mapping')
  const submissions = await fw.app.inject({ url: `/v1/projects/${id}/tasks/${taskId}/submissions`, headers: admin.hx })
  assert.match(submissions.body, '<form id="new-submission"')
})

test('the split form runs in the background and its progress is polled by htmx until the task list replaces it', async () => {
  const admin = await browserSession('Ada', { admin: true })
  const id = await newProject(admin, { name: 'Polled split', area: square(36.8, -1.3, 0.02) })
  const started = await fw.app.inject({ method: 'POST', url: `/v1/projects/${id}/task-splits`, headers: admin.hx, body: { cellMetres: 200 } })
  assert.is(started.status, 202, started.body)
  const poll = /<div id="split-progress" data-status="pending" hx-get="(\/v1\/projects\/\d+\/task-splits\/[0-9a-f-]{36})" hx-trigger="load delay:500ms" hx-swap="outerHTML">/.exec(started.body)
  assert.ok(poll, started.body)
  let body = ''
  for (let i = 0; i < 200; i++) {
    const res = await fw.app.inject({ url: poll![1]!, headers: admin.hx })
    assert.is(res.status, 200, res.body)
    body = res.body
    if (!body.includes('hx-trigger="load delay:500ms"')) break
    assert.match(body, /<progress max="100" value="\d+">/)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.match(body, `<div id="split-progress" data-status="done" hx-get="/v1/projects/${id}/tasks" hx-trigger="load" hx-target="#task-list" hx-swap="outerHTML">`)
  assert.match(body, /Split into \d+ tasks/)
  const json = await call(fw.app, 'GET', poll![1]!, undefined)
  assert.is(json.status, 401)
  const missing = await fw.app.inject({ url: `/v1/projects/${id}/task-splits/00000000-0000-4000-8000-000000000000`, headers: admin.hx })
  assert.is(missing.status, 404)
  assert.match(missing.body, 'Task split 00000000-0000-4000-8000-000000000000 not found')
})

test('a project id spelled otherwise (%20 before it) is a 422 fragment naming the parameter, never a 500', async () => {
  // found by the property tests: the views read the project's URL with /\d+/ and threw on "%203"
  const pm = await signUpAdmin(fw.app, 'Penny')
  const project = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Spelled ids', area: square(31, 1, 0.02) })).json()
  const headers = { ...pm.headers, 'hx-request': 'true' }
  for (const path of ['tasks', 'members']) {
    const res = await fw.app.inject({ url: `/v1/projects/%20${project.id}/${path}`, headers })
    assert.is(res.status, 422, res.body)
    assert.match(res.body, '<li data-loc="path.projectId">')
  }
  const split = await fw.app.inject({ method: 'POST', url: `/v1/projects/%20${project.id}/tasks`, headers: { ...headers, 'content-type': 'application/json' }, body: '{}' })
  assert.is(split.status, 422, split.body)
})

test('a project manager sets the area from the project page; htmx gets the page body back', async () => {
  const admin = await browserSession('Abe', { admin: true })
  const id = await newProject(admin, { name: 'Abe project' })
  const page = await fw.app.inject({ url: `/v1/projects/${id}`, headers: admin.page })
  assert.match(page.body, `<form id="project-area" hx-patch="/v1/projects/${id}"`)
  const set = await fw.app.inject({ method: 'PATCH', url: `/v1/projects/${id}`, headers: admin.hx, body: { area: AREA } })
  assert.is(set.status, 200)
  assert.match(set.body, /^<article id="project-\d+">/)
  assert.match(set.body, 'Area: a polygon of 4 points')
  assert.match(set.body, /<figure id="area-map" class="single no-js-only">\s*<svg class="task-grid" role="img" aria-label="The area of Abe project" viewBox="-4 -4 608 608"[^>]*>\s*<g class="area"><title>The area of Abe project<\/title><path d="M0.0 600.0L600.0 600.0L600.0 0.0L0.0 0.0Z"\/><\/g>/)
  assert.match(set.body, `data-map data-area="{&#34;type&#34;:&#34;Polygon&#34;`, 'scripts draw it on a map')
  assert.not.match(set.body, 'project-area', 'the form is gone once the area is set')
})

test('the members page lists roles; its form (for project managers only) gives one by email; a role is taken away, never the last manager’s; a mapper gets a 403 fragment', async () => {
  const admin = await browserSession('Mia', { admin: true })
  const id = await newProject(admin, { name: 'Members project' })
  const other = await signUp(fw.app, 'Kofi')
  const page = await fw.app.inject({ url: `/v1/projects/${id}/members`, headers: admin.page })
  assert.match(page.body, '<h1>Members</h1>')
  assert.match(page.body, /<tr id="member-\d+"><td>Mia<\/td><td>project manager<\/td>/)
  assert.match(page.body, `<form id="member-form" class="inline" hx-post="/v1/projects/${id}/members" hx-swap="none" data-errors="#member-errors" data-refresh="#members" data-reset>`)
  const given = await fw.app.inject({ method: 'POST', url: `/v1/projects/${id}/members`, headers: admin.hx, body: { email: other.email.toUpperCase(), role: 'mapper' } })
  assert.is(given.status, 200, given.body)
  const fragment = await fw.app.inject({ url: `/v1/projects/${id}/members`, headers: admin.hx })
  assert.match(fragment.body, `<tr id="member-${other.id}"><td>Kofi</td><td>mapper</td>`)
  assert.not.match(fragment.body, '<h1>')
  const unknown = await fw.app.inject({ method: 'POST', url: `/v1/projects/${id}/members`, headers: admin.hx, body: { email: 'nobody@example.org', role: 'mapper' } })
  assert.is(unknown.status, 422)
  assert.match(unknown.body, '<li data-loc="body.email">email: No account has the email nobody@example.org: they sign up first</li>')
  const asMapper = await fw.app.inject({ url: `/v1/projects/${id}/members`, headers: { ...other.headers, accept: 'text/html' } })
  assert.not.match(asMapper.body, 'member-form', 'a mapper gets no form')
  assert.not.match(asMapper.body, 'Remove', 'and no remove buttons')
  const mia = (await fw.app.inject({ url: '/v1/users/me', headers: { cookie: admin.cookie } })).json().id
  const last = await fw.app.inject({ method: 'DELETE', url: `/v1/projects/${id}/members/${mia}`, headers: admin.hx })
  assert.is(last.status, 409)
  assert.match(last.body, 'last project manager')
  const removed = await fw.app.inject({ method: 'DELETE', url: `/v1/projects/${id}/members/${other.id}`, headers: admin.hx })
  assert.is(removed.status, 204)
  assert.is((await fw.app.inject({ method: 'DELETE', url: `/v1/projects/${id}/members/${other.id}`, headers: admin.hx })).status, 404)
  assert.is((await fw.app.inject({ method: 'PUT', url: `/v1/projects/${id}/members/${other.id}`, headers: admin.hx, body: { role: 'mapper' } })).status, 200)
  const denied = await fw.app.inject({ method: 'PUT', url: `/v1/projects/${id}/members/${other.id}`, headers: { ...other.headers, 'hx-request': 'true' }, body: { role: 'project_manager' } })
  assert.is(denied.status, 403)
  assert.match(denied.body, /^<div class="trefoil-error" role="alert" data-status="403">/)
})

test('logging out (with the CSRF token the page sends) ends the session cookie and sends htmx to /login', async () => {
  const { hx } = await browserSession('Olga')
  const res = await fw.app.inject({ method: 'DELETE', url: '/v1/auth/sessions', headers: hx })
  assert.is(res.status, 204)
  assert.is(res.headers['hx-redirect'], '/login')
  assert.match(cookiesOf(res).get('session')!, /^session=;/)
})

test('buttons show only for what the viewer’s role allows: a mapper, a validator, a non-member, the lock holder', async () => {
  const pm = await signUpAdmin(fw.app, 'Role admin')
  const mapper = await signUp(fw.app, 'Role mapper')
  const validator = await signUp(fw.app, 'Role validator')
  const outsider = await signUp(fw.app, 'Role outsider')
  const id = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Roles on pages', area: square(12, 12, 0.01) })).json().id
  await call(fw.app, 'POST', `/v1/projects/${id}/tasks`, pm, { cellMetres: 500 })
  await call(fw.app, 'PUT', `/v1/projects/${id}/members/${mapper.id}`, pm, { role: 'mapper' })
  await call(fw.app, 'PUT', `/v1/projects/${id}/members/${validator.id}`, pm, { role: 'validator' })
  await call(fw.app, 'POST', `/v1/projects/${id}/tasks/1/events`, mapper, { event: 'map' })
  await call(fw.app, 'POST', `/v1/projects/${id}/tasks/2/events`, pm, { event: 'map' })
  await call(fw.app, 'POST', `/v1/projects/${id}/tasks/2/events`, pm, { event: 'finish' })
  const page = async (who: typeof pm, path: string) => (await fw.app.inject({ url: `/v1/projects/${id}${path}`, headers: { ...who.headers, 'hx-request': 'true' } })).body
  const row = (html: string, n: number) => html.match(new RegExp(`<tr id="task-${n}"[\\s\\S]*?</tr>`))![0]
  const asMapper = await page(mapper, '/tasks')
  assert.match(row(asMapper, 1), 'Mark mapped', 'the holder finishes')
  assert.not.match(row(asMapper, 2), 'Lock for validation', 'a mapper does not validate')
  assert.match(row(asMapper, 3), 'Lock for mapping')
  const asValidator = await page(validator, '/tasks')
  assert.not.match(row(asValidator, 1), 'Mark mapped', 'only the holder finishes')
  assert.match(row(asValidator, 1), 'Unlock', 'a validator may release another’s lock')
  assert.match(row(asValidator, 2), 'Lock for validation')
  const asAuthor = await page(pm, '/tasks')
  assert.not.match(row(asAuthor, 2), 'Lock for validation', 'nobody validates their own mapping')
  const asOutsider = await page(outsider, '/tasks')
  assert.not.match(asOutsider, '<button', 'a non-member gets no button')
  assert.not.match(await page(outsider, '/tasks/3'), 'comment-form', 'nor the comment form')
  const project = async (who: typeof pm) => (await fw.app.inject({ url: `/v1/projects/${id}`, headers: { ...who.headers, accept: 'text/html' } })).body
  assert.not.match(await project(mapper), 'submissions.csv', 'exports are for field managers and up')
  assert.match(await project(pm), `href="/v1/projects/${id}/submissions.csv"`)
})

test.run()
