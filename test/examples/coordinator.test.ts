// The coordinator's flow in Chromium, from the pages alone: the map of a project (Leaflet served
// by the app, the area and the tasks as layers coloured by state, a click opens a task), a task's
// bounds and editor links. The browser is offline: tile requests are refused, the layers still draw.
// Screenshots go to test/artifacts/coordinator-*.png.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { openBrowser, type Browser } from './fixtures/browser.js'
import { call, signUpAdmin, startFieldwork, type Account, type Fieldwork } from './fixtures/fieldwork.js'

// about 1.1 × 1.1 km of Dar es Salaam: 200 m squares make ~36 tasks
const AREA = { type: 'Polygon', coordinates: [[[39.27, -6.82], [39.28, -6.82], [39.28, -6.81], [39.27, -6.81], [39.27, -6.82]]] }

let fw: Fieldwork
let base: string
let b: Browser
let admin: Account
let projectUrl: string
let taskCount: number

test.before(async () => {
  fw = await startFieldwork()
  await fw.app.listen({ port: 0, host: '127.0.0.1' })
  base = fw.app.url!
  b = await openBrowser(base)
  admin = await signUpAdmin(fw.app, 'Amina')
  const made = await call(fw.app, 'POST', '/v1/projects', admin, { name: 'Clinics of Kariakoo', area: AREA })
  assert.is(made.status, 201, made.body)
  projectUrl = `${base}/v1/projects/${made.json().id}`
  const split = await call(fw.app, 'POST', `/v1/projects/${made.json().id}/tasks`, admin, { cellMetres: 200 })
  assert.is(split.status, 201, split.body)
  taskCount = (split.json() as unknown[]).length
  await b.page.goto(`${base}/login`)
  await b.page.locator('#login input[name=email]').fill(admin.email)
  await b.page.locator('#login input[name=password]').fill('correct horse battery')
  await Promise.all([b.page.waitForURL(`${base}/v1/projects`), b.page.locator('#login button').click()])
})

test.after(async () => {
  await b?.close()
  await fw?.close()
})

test('the project page maps the area and every task, coloured by state, offline on a blank background', async () => {
  const page = b.page
  await page.goto(projectUrl)
  await page.locator('#project-map[data-tasks-loaded]').waitFor()
  assert.is(await page.locator('#project-map path.map-area').count(), 1, 'the area is a layer')
  assert.is(await page.locator('#project-map path.map-task').count(), taskCount, 'a layer per task')
  assert.is(await page.locator('#project-map path.map-task.s-ready').count(), taskCount, 'every task is ready')
  // the basemap was asked for (and refused: the test is offline), and the attribution is shown
  assert.ok(b.external.some((url) => url.startsWith('https://tile.openstreetmap.org/')), 'tiles were requested from the configured URL')
  assert.match(await page.locator('#project-map .leaflet-control-attribution').innerText(), 'OpenStreetMap')
  assert.is(await page.locator('#area-map').isVisible(), false, 'the server-drawn SVG is only for browsers without scripts')
  await b.screenshot('coordinator-project-map')
})

test('locking a task recolours it on the map without a page load', async () => {
  const page = b.page
  await page.locator('#task-list tbody tr').first().locator('button', { hasText: 'Lock for mapping' }).click()
  await page.locator('#project-map path.map-task.s-locked_for_mapping').waitFor()
  assert.is(await page.locator('#project-map path.map-task').count(), taskCount)
})

test('a click on a task of the map opens its page: its bounds, a map focused on it, links to edit it in iD and JOSM', async () => {
  const page = b.page
  const cell = page.locator('#project-map path.map-task[data-status="ready"]').first()
  const number = await cell.getAttribute('data-task')
  await Promise.all([page.waitForURL(`${projectUrl}/tasks/${number}`), cell.click()])
  await page.locator('#task-map[data-tasks-loaded]').waitFor()
  assert.is(await page.locator('#task-map path.map-task.focus').count(), 1, 'the task is marked')
  assert.is(await page.locator('#task-map path.map-task.focus').getAttribute('data-task'), number)
  assert.match(await page.locator('#task-bounds').innerText(), /west 39\.2\d+, south -6\.8\d+, east 39\.2\d+, north -6\.8\d+/)
  const id = await page.locator('#task-bounds a', { hasText: 'Edit in iD' }).getAttribute('href')
  assert.match(id!, /^https:\/\/www\.openstreetmap\.org\/edit\?editor=id#map=17\/-6\.8\d+\/39\.2\d+$/)
  const josm = new URL((await page.locator('#task-bounds a', { hasText: 'Edit in JOSM' }).getAttribute('href'))!)
  assert.is(josm.origin + josm.pathname, 'http://127.0.0.1:8111/load_and_zoom')
  assert.ok(Number(josm.searchParams.get('left')) < Number(josm.searchParams.get('right')))
  await b.screenshot('coordinator-task-page')
})

test('on the task page each event shows in its history at once, in words; only the buttons the viewer may press are shown', async () => {
  const page = b.page
  // Amina holds a task of this project already (locked from the project page): release it first
  await page.goto(`${projectUrl}/tasks/1`)
  await page.locator('#history').waitFor()
  await page.locator('button', { hasText: 'Unlock' }).click()
  await page.locator('#history li[data-event="reset"]').waitFor()
  assert.match(await page.locator('#history li[data-event="reset"]').innerText(), 'Amina released it (ready to map again)')
  await page.locator('button', { hasText: 'Lock for mapping' }).click()
  await page.locator('#history li[data-event="map"]').nth(1).waitFor()
  assert.match(await page.locator('#history li[data-event="map"]').nth(1).innerText(), 'Amina locked it for mapping')
  await page.locator('button', { hasText: 'Mark mapped' }).click()
  await page.locator('#history li[data-event="finish"]').waitFor()
  assert.match(await page.locator('#history li[data-event="finish"]').innerText(), 'Amina marked it mapped')
  await page.locator('#task-map path.map-task.focus.s-mapped').waitFor()
  // she mapped it: someone else validates it, so she gets no button for that
  assert.is(await page.locator('button', { hasText: 'Lock for validation' }).count(), 0)
  assert.not.match(await page.locator('#history').innerText(), '→', 'no internal event names')
  await b.screenshot('coordinator-task-history')
})

test('the task table pages: 100 tasks at a time, the next page without a page load; the map keeps every task', async () => {
  const page = b.page
  const made = await call(fw.app, 'POST', '/v1/projects', admin, { name: 'A large area', area: { type: 'Polygon', coordinates: [[[39.2, -6.9], [39.22, -6.9], [39.22, -6.88], [39.2, -6.88], [39.2, -6.9]]] } })
  const split = await call(fw.app, 'POST', `/v1/projects/${made.json().id}/tasks`, admin, { cellMetres: 100 })
  const total = (split.json() as unknown[]).length
  assert.ok(total > 400, `${total} tasks`)
  await page.goto(`${base}/v1/projects/${made.json().id}`)
  await page.locator('#task-list caption').waitFor()
  assert.is(await page.locator('#task-list caption').innerText(), `Tasks 1–100 of ${total}`)
  assert.is(await page.locator('#task-list tbody tr').count(), 100)
  await page.evaluate(() => Object.assign(globalThis, { sameDocument: true }))
  await page.locator('#task-list a[rel="next"]').click()
  await page.locator('#task-list caption', { hasText: 'Tasks 101–200' }).waitFor()
  assert.is(await page.locator('#task-list tbody tr').first().locator('td').first().innerText(), '101')
  assert.is(await page.evaluate(() => (globalThis as { sameDocument?: boolean }).sameDocument), true, 'the same document')
  await page.locator('#project-map[data-tasks-loaded]').waitFor()
  assert.is(await page.locator('#project-map path.map-task').count(), total)
  await b.screenshot('coordinator-task-paging')
})

test('members are added by the email of their account and removed from the members page; an unknown email is marked on its field', async () => {
  const page = b.page
  await call(fw.app, 'POST', '/v1/users', undefined, { email: 'kofi@example.org', name: 'Kofi', password: 'correct horse' })
  await page.goto(`${projectUrl}/members`)
  await page.evaluate(() => Object.assign(globalThis, { sameDocument: true }))
  await page.locator('#member-form input[name=email]').fill('Kofi@Example.org')
  await page.locator('#member-form select[name=role]').selectOption('validator')
  await page.locator('#member-form button').click()
  await page.locator('#members tr', { hasText: 'Kofi' }).filter({ hasText: 'validator' }).waitFor()
  await page.locator('#member-form input[name=email]').fill('nobody@example.org')
  await page.locator('#member-form button').click()
  await page.locator('#member-errors .trefoil-error[data-status="422"]').waitFor()
  assert.is(await page.locator('#member-form input[name=email]').getAttribute('aria-invalid'), 'true')
  assert.match(await page.locator('#member-form .field-problem').innerText(), 'No account has the email nobody@example.org')
  await b.screenshot('coordinator-members')
  page.once('dialog', (dialog) => void dialog.accept())
  await page.locator('#members tr', { hasText: 'Kofi' }).locator('button', { hasText: 'Remove' }).click()
  await page.locator('#members tr', { hasText: 'Kofi' }).waitFor({ state: 'detached' })
  assert.is(await page.evaluate(() => (globalThis as { sameDocument?: boolean }).sameDocument), true, 'the same document')
})

test('the projects list and the project page show the progress: % mapped and % validated', async () => {
  const page = b.page
  await page.goto(`${base}/v1/projects`)
  const row = page.locator('#projects tr', { hasText: 'Clinics of Kariakoo' })
  assert.match(await row.innerText(), new RegExp(`${Math.floor(100 / taskCount)}% mapped · 0% validated`))
  await page.goto(projectUrl)
  await page.locator('#task-progress').waitFor()
  assert.match(await page.locator('#task-progress').innerText(), `${Math.floor(100 / taskCount)}% mapped · 0% validated (of ${taskCount} tasks)`)
  await b.screenshot('coordinator-projects-progress')
})

test('submissions: answers shown as fields, photos as thumbnails that open in the browser, a review with its reason', async () => {
  const page = b.page
  const photo = await page.screenshot({ type: 'png', clip: { x: 0, y: 0, width: 320, height: 240 } })
  await page.goto(`${projectUrl}/tasks/1`)
  await page.locator('#new-submission').waitFor()
  // the answers are typed into fields, not as XML; a task without submissions asks no project's questions but shows examples
  const rows = page.locator('#new-submission .answer')
  assert.is(await rows.nth(0).locator('input[name=answer_name]').inputValue(), '')
  assert.is(await rows.nth(0).locator('input[name=answer_name]').getAttribute('placeholder'), 'e.g. clinic/name')
  await rows.nth(0).locator('input[name=answer_name]').fill('clinic/name')
  await rows.nth(0).locator('input[name=answer_value]').fill('Amana')
  await rows.nth(1).locator('input[name=answer_name]').fill('clinic/beds')
  await rows.nth(1).locator('input[name=answer_value]').fill('12')
  await page.locator('#new-submission input[name=attachments]').setInputFiles([{ name: 'front.png', mimeType: 'image/png', buffer: photo }])
  await page.locator('#new-submission button', { hasText: 'Send the submission' }).click()
  const item = page.locator('#submission-items li.submission').first()
  await item.locator('img.thumb').waitFor()
  assert.equal(await item.locator('dl.fields dt').allInnerTexts(), ['clinic/name', 'clinic/beds'])
  assert.equal(await item.locator('dl.fields dd').allInnerTexts(), ['Amana', '12'])
  // decode() waits for the image itself; a string predicate would need eval, which the page's CSP refuses
  const width = await item.locator('img.thumb').evaluate(async (element) => {
    const img = element as unknown as { decode(): Promise<void>; naturalWidth: number }
    await img.decode()
    return img.naturalWidth
  })
  assert.is(width, 320, 'the thumbnail fits 320 px (the photo is no wider, so it is not enlarged)')
  const cookie = { cookie: (await b.context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ') }
  const thumb = new URL((await item.locator('img.thumb').getAttribute('src'))!, page.url()).href
  assert.match(thumb, /\/attachments\/\d+\/thumbnail$/)
  assert.is((await page.request.get(thumb, { headers: cookie })).headers()['content-type'], 'image/jpeg', 'a thumbnail made on the server')
  // a click on it shows the photo itself in the browser
  const viewer = new URL((await item.locator('a.photo').getAttribute('href'))!, page.url()).href
  const inline = await page.request.get(viewer, { headers: cookie })
  assert.is(inline.headers()['content-disposition'], 'inline', 'shown, not downloaded')
  assert.is(inline.headers()['content-type'], 'image/png')
  await item.locator('input[name=comment]').fill('The photo shows the back of the building')
  await item.locator('button', { hasText: 'Has issues' }).click()
  const reviewed = page.locator('#submission-items li.submission[data-review="has_issues"]')
  await reviewed.waitFor()
  assert.match(await reviewed.innerText(), 'has issues (Amina): The photo shows the back of the building')
  await b.screenshot('coordinator-submission')
})

test('the answers form builds the XML: fields added with a button, grouped by their slashes, text escaped; a bad field name is refused in place', async () => {
  const page = b.page
  await page.goto(`${projectUrl}/tasks/2`)
  await page.locator('#new-submission').waitFor()
  const answers = page.locator('#new-submission .answer')
  // an answer without the name of its field is refused on that field, not dropped
  await answers.nth(0).locator('input[name=answer_value]').fill('Afya <Bora> & Sons')
  await page.locator('#new-submission button', { hasText: 'Send the submission' }).click()
  assert.match(await answers.nth(0).locator('input[name=answer_name]').evaluate((input) => (input as unknown as { validationMessage: string }).validationMessage), 'Name the field this answer is for')
  assert.is((await call(fw.app, 'GET', `${new URL(projectUrl).pathname}/tasks/2/submissions`, admin)).json().length, 0, 'nothing was sent')
  await answers.nth(0).locator('input[name=answer_name]').fill('clinic/name')
  await answers.nth(1).locator('input[name=answer_name]').fill('clinic/beds')
  await answers.nth(1).locator('input[name=answer_value]').fill('4')
  await answers.nth(2).locator('input[name=answer_name]').fill('clinic/open')
  await answers.nth(2).locator('input[name=answer_value]').fill('yes')
  await page.locator('#new-submission button', { hasText: 'Add a field' }).click()
  assert.is(await answers.count(), 4)
  await answers.nth(3).locator('input[name=answer_name]').fill('surveyor')
  await answers.nth(3).locator('input[name=answer_value]').fill('Amina')
  await b.screenshot('coordinator-answers-form')
  await page.locator('#new-submission button', { hasText: 'Send the submission' }).click()
  const item = page.locator('#submission-items li.submission').first()
  await item.locator('dl.fields').waitFor()
  assert.equal(await item.locator('dl.fields dt').allInnerTexts(), ['clinic/name', 'clinic/beds', 'clinic/open', 'surveyor'])
  assert.equal(await item.locator('dl.fields dd').allInnerTexts(), ['Afya <Bora> & Sons', '4', 'yes', 'Amina'])
  const sent = await call(fw.app, 'GET', `${new URL(projectUrl).pathname}/tasks/2/submissions`, admin)
  assert.is(sent.json()[0].xml, '<data><clinic><name>Afya &lt;Bora&gt; &amp; Sons</name><beds>4</beds><open>yes</open></clinic><surveyor>Amina</surveyor></data>')
  // a field name XML cannot have is refused by the form itself, before anything is sent
  await answers.nth(2).locator('input[name=answer_name]').fill('2nd visit')
  await answers.nth(2).locator('input[name=answer_value]').fill('no')
  await page.locator('#new-submission button', { hasText: 'Send the submission' }).click()
  assert.is(await answers.nth(2).locator('input[name=answer_name]').evaluate((input) => (input as unknown as { validity: { patternMismatch: boolean } }).validity.patternMismatch), true)
  assert.is((await call(fw.app, 'GET', `${new URL(projectUrl).pathname}/tasks/2/submissions`, admin)).json().length, 1, 'nothing more was sent')
  // the next visit asks the same questions as the latest submission
  await page.reload()
  await page.locator('#new-submission').waitFor()
  assert.equal(await page.locator('#new-submission .answer input[name=answer_name]').evaluateAll((inputs) => inputs.map((input) => (input as unknown as { value: string }).value)), ['clinic/name', 'clinic/beds', 'clinic/open', 'surveyor', ''])
  assert.is(await answers.nth(2).locator('input[name=answer_value]').getAttribute('placeholder'), 'last: yes')
})

test('the project page links the exports for field managers and up; the CSV downloads with the submission in it', async () => {
  const page = b.page
  await page.goto(projectUrl)
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export-csv').click()])
  assert.match(download.suggestedFilename(), /^project-\d+-submissions\.csv$/)
  const text = await (await import('node:fs/promises')).readFile((await download.path())!, 'utf8')
  assert.match(text, '<data><clinic><name>Amana</name>')
  assert.is(await page.locator('#export-geojson').count(), 1)
})

const square = (lon: number, lat: number, side: number) => [[[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]]
const geojsonIo = {
  type: 'FeatureCollection',
  features: [
    { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: square(39.2, -6.8, 0.005) } },
    { type: 'Feature', properties: { name: 'island' }, geometry: { type: 'Polygon', coordinates: square(39.21, -6.79, 0.004) } },
  ],
}

test('the new-project page loads a .geojson file (a FeatureCollection), shows it on its map, and the project gets both polygons', async () => {
  const page = b.page
  await page.goto(`${base}/v1/projects`)
  await Promise.all([page.waitForURL(`${base}/v1/projects/new`), page.locator('#new-project-link').click()])
  await page.locator('#new-project input[name=name]').fill('Two islands')
  await page.locator('#new-project-area-file').setInputFiles([{ name: 'map.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify(geojsonIo)) }])
  await page.locator('#new-project-map path.map-area').first().waitFor()
  assert.is(await page.locator('#new-project-map path.map-area').count(), 2, 'both polygons on the map')
  assert.equal(JSON.parse(await page.locator('#new-project-area').inputValue()), geojsonIo)
  await b.screenshot('coordinator-new-project-file')
  await Promise.all([page.waitForURL(/\/v1\/projects\/\d+$/), page.locator('#new-project button', { hasText: 'Create the project' }).click()])
  assert.match(await page.locator('article').innerText(), 'Area: 2 polygons of 8 points')
})

test('a refused area marks its field, with the reason next to it', async () => {
  const page = b.page
  await page.goto(`${base}/v1/projects/new`)
  await page.locator('#new-project input[name=name]').fill('Roads along a line')
  const line = { ...geojsonIo, features: [geojsonIo.features[0], { type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: [[39.2, -6.8], [39.3, -6.7]] } }] }
  await page.locator('#new-project-area').fill(JSON.stringify(line))
  await page.locator('#new-project button', { hasText: 'Create the project' }).click()
  await page.locator('#project-errors .trefoil-error[data-status="422"]').waitFor()
  assert.is(await page.locator('#new-project-area').getAttribute('aria-invalid'), 'true')
  const problem = page.locator('#new-project-area + .field-problem')
  assert.match(await problem.innerText(), 'area.features.1.geometry.type')
  assert.is(await page.locator('#new-project-area').getAttribute('aria-describedby'), await problem.getAttribute('id'))
  assert.is(await page.locator('#new-project input[name=name]').getAttribute('aria-invalid'), null, 'a good field is not marked')
  await b.screenshot('coordinator-area-refused')
})

test('a polygon drawn on the map becomes the area of the new project', async () => {
  const page = b.page
  await page.goto(`${base}/v1/projects/new`)
  await page.locator('#new-project input[name=name]').fill('Drawn by hand')
  // from the whole world down to a district (the area may cover 5,000 km² at most)
  for (let i = 0; i < 9; i++) {
    await page.locator('#new-project-map .leaflet-control-zoom-in').click()
    await page.waitForTimeout(300)
  }
  await page.locator('button[data-action="draw-start"]').click()
  const box = (await page.locator('#new-project-map').boundingBox())!
  for (const [x, y] of [[0.3, 0.3], [0.7, 0.3], [0.7, 0.7], [0.3, 0.7]] as const) await page.mouse.click(box.x + box.width * x, box.y + box.height * y)
  await page.locator('button[data-action="draw-finish"]').click()
  const drawn = JSON.parse(await page.locator('#new-project-area').inputValue()) as { type: string; coordinates: number[][][] }
  assert.is(drawn.type, 'Polygon')
  assert.is(drawn.coordinates[0]!.length, 5, 'four corners and the first again')
  assert.equal(drawn.coordinates[0]![0], drawn.coordinates[0]![4])
  await page.locator('#new-project-map path.map-area').waitFor()
  await b.screenshot('coordinator-new-project-drawn')
  await Promise.all([page.waitForURL(/\/v1\/projects\/\d+$/), page.locator('#new-project button', { hasText: 'Create the project' }).click()])
  assert.match(await page.locator('article').innerText(), 'Area: a polygon of 4 points')
})

test('nothing failed in the pages: no script error, no CSP violation, no 5xx', () => {
  assert.equal(b.problems, [])
})

test.run()
