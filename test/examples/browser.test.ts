// The fieldwork pages in a real browser (Debian's Chromium driven by playwright-core): sign in,
// create a project by pasting GeoJSON, search as you type, split the area and watch the progress
// finish, lock a task and see the grid change colour, send a submission with a photo (progress
// bar), review it, read the pages without JavaScript; no CSP violation, no script error, no 5xx.
// A screenshot of the project page is saved under test/artifacts/ (not committed).
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { call, makeAdmin, startFieldwork, type Fieldwork } from './fixtures/fieldwork.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const ARTIFACTS = fileURLToPath(new URL('../artifacts', import.meta.url))
// about 1.1 × 1.1 km of Dar es Salaam: 200 m squares make a grid of ~36 tasks
const AREA = { type: 'Polygon', coordinates: [[[39.27, -6.82], [39.28, -6.82], [39.28, -6.81], [39.27, -6.81], [39.27, -6.82]]] }
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]), Buffer.alloc(600_000, 9)])

let fw: Fieldwork
let base: string
let profile: string
let browser: BrowserContext
let page: Page
let projectUrl = ''
const problems: string[] = []

function watch(target: Page): void {
  target.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  target.on('console', (message) => {
    // htmx logs failed requests (our 4xx answers) as errors; anything else is a problem
    if (message.type() === 'error' && !/Failed to load resource|Response Status Error Code/.test(message.text())) problems.push(`console: ${message.text()}`)
  })
  // 4xx answers are part of the tests; a 5xx (say, in a fragment htmx loads on its own) never is
  target.on('response', (response) => {
    if (response.status() >= 500) problems.push(`${response.status()} from ${response.request().method()} ${response.url()}`)
  })
}

test.before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`)
  fw = await startFieldwork()
  await fw.app.listen({ port: 0, host: '127.0.0.1' })
  base = fw.app.url!
  profile = await mkdtemp(join(tmpdir(), 'fieldwork-chromium-'))
  // a persistent context is how playwright takes a user-data-dir of ours: a fresh one per run
  browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000, viewport: { width: 1100, height: 900 } })
  // offline, as in the field: the basemap's tiles are refused, the maps draw their layers anyway
  await browser.route((url) => url.origin !== new URL(base).origin, (route) => route.abort('internetdisconnected'))
  page = browser.pages()[0] ?? (await browser.newPage())
  page.setDefaultTimeout(15_000)
  watch(page)
  await call(fw.app, 'POST', '/v1/users', undefined, { email: 'amina@example.org', name: 'Amina', password: 'correct horse' })
  await makeAdmin(fw.app, 'amina@example.org')
})

test.after(async () => {
  await browser?.close()
  if (profile) await rm(profile, { recursive: true, force: true })
  await fw?.close()
})

test('a visitor is sent to the sign-in page and signs in with the form', async () => {
  await page.goto(`${base}/v1/projects`)
  assert.is(new URL(page.url()).pathname, '/login')
  await page.locator('#login input[name=email]').fill('amina@example.org')
  await page.locator('#login input[name=password]').fill('wrong password')
  await page.locator('#login button').click()
  await page.locator('#login-errors .trefoil-error').waitFor()
  assert.match(await page.locator('#login-errors').innerText(), 'Incorrect email or password')
  await page.locator('#login input[name=password]').fill('correct horse')
  await Promise.all([page.waitForURL(`${base}/v1/projects`), page.locator('#login button').click()])
  assert.match(await page.locator('header').innerText(), 'Signed in as Amina')
})

test('creating a project by pasting GeoJSON on the new-project page leads to its page, the area on its map', async () => {
  await Promise.all([page.waitForURL(`${base}/v1/projects/new`), page.locator('#new-project-link').click()])
  await page.locator('#new-project input[name=name]').fill('Flood response')
  await page.locator('#new-project input[name=priority]').fill('8')
  await page.locator('#new-project textarea[name=area]').fill(JSON.stringify(AREA, null, 2))
  await page.locator('#new-project-map path.map-area').waitFor()
  await Promise.all([page.waitForURL(/\/v1\/projects\/\d+$/), page.locator('#new-project button', { hasText: 'Create the project' }).click()])
  assert.is(await page.locator('h1').innerText(), 'Flood response')
  await page.locator('#project-map path.map-area').waitFor()
})

test('a bad form gets the 422 next to it with each bad field marked, and the next good one clears it', async () => {
  await page.goto(`${base}/v1/projects/new`)
  await page.locator('#new-project input[name=name]').fill('   ')
  await page.locator('#new-project input[name=priority]').fill('11')
  await page.locator('#new-project textarea[name=area]').fill('{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 1], [1, 0], [0, 0]]]}')
  await page.locator('#new-project button', { hasText: 'Create the project' }).click()
  const errors = page.locator('#project-errors .trefoil-error[data-status="422"]')
  await errors.waitFor()
  assert.is(await errors.locator('li[data-loc="body.name"]').count(), 1)
  assert.is(await errors.locator('li[data-loc="body.priority"]').count(), 1)
  for (const field of ['input[name=name]', 'input[name=priority]']) {
    assert.is(await page.locator(`#new-project ${field}`).getAttribute('aria-invalid'), 'true', `${field} is marked`)
  }
  assert.match(await page.locator('#new-project .field-problem').first().innerText(), /name/)
  await page.locator('#new-project input[name=name]').fill('Roads north')
  await page.locator('#new-project input[name=priority]').fill('3')
  await page.locator('#new-project textarea[name=area]').fill('')
  await Promise.all([page.waitForURL(/\/v1\/projects\/\d+$/), page.locator('#new-project button', { hasText: 'Create the project' }).click()])
  assert.is(await page.locator('h1').innerText(), 'Roads north')
  await page.goto(`${base}/v1/projects`)
})

test('the search box filters the projects as you type, without a page load', async () => {
  // a page load would drop this marker
  await page.evaluate(() => Object.assign(globalThis, { sameDocument: true }))
  await page.locator('#project-search input[name=q]').pressSequentially('flood', { delay: 40 })
  await page.locator('#projects tr').nth(1).waitFor({ state: 'detached' })
  assert.match(await page.locator('#projects').innerText(), 'Flood response')
  assert.is(await page.evaluate(() => (globalThis as { sameDocument?: boolean }).sameDocument), true, 'the same document')
  assert.match(page.url(), /\?q=flood$/, 'the address keeps the search')
  await page.locator('#project-search input[name=q]').fill('')
  await page.locator('#project-search input[name=q]').press('Backspace')
  await page.locator('#projects tr').nth(1).waitFor()
})

test('the project page splits the area in the background: the progress is polled until the task grid appears', async () => {
  await Promise.all([page.waitForURL(/\/v1\/projects\/\d+$/), page.locator('#projects a', { hasText: 'Flood response' }).click()])
  projectUrl = page.url()
  await page.locator('#split-form').waitFor()
  await page.locator('#split-form input[name=cellMetres]').fill('200')
  await page.locator('#split-form button').click()
  await page.locator('#split-progress').waitFor()
  await page.locator('#task-grid svg a').first().waitFor({ state: 'attached' })
  await page.locator('#project-map path.map-task').first().waitFor()
  const cells = await page.locator('#task-grid svg a').count()
  assert.ok(cells >= 30 && cells <= 49, `${cells} cells`)
  assert.is(await page.locator('#task-grid svg a.s-ready').count(), cells, 'every task is ready')
  assert.match(await page.locator('.legend li[data-state="ready"]').innerText(), `Ready: ${cells}`)
  assert.is(await page.locator('#split-form').count(), 0, 'the split form is gone')
})

test('locking a task changes its row and its cell in the grid', async () => {
  const first = page.locator('#task-list tbody tr').first()
  await first.locator('button', { hasText: 'Lock for mapping' }).click()
  await page.locator('#task-list tbody tr').first().locator('.status', { hasText: 'locked for mapping' }).waitFor()
  assert.match(await page.locator('#task-list tbody tr').first().innerText(), 'Amina')
  await page.locator('#task-grid svg a.s-locked_for_mapping').waitFor({ state: 'attached' })
  await page.locator('#project-map path.map-task.s-locked_for_mapping').waitFor()
  assert.match(await page.locator('.legend li[data-state="locked_for_mapping"]').innerText(), 'Being mapped: 1')
  // a second lock in the same project is refused: the answer is shown next to the table
  await page.locator('#task-list tbody tr').nth(1).locator('button', { hasText: 'Lock for mapping' }).click()
  await page.locator('#task-errors .trefoil-error[data-status="409"]').waitFor()
})

test('a screenshot of the project page is saved for CI', async () => {
  await mkdir(ARTIFACTS, { recursive: true })
  const path = join(ARTIFACTS, 'fieldwork-project-page.png')
  await page.screenshot({ path, fullPage: true })
  assert.ok((await stat(path)).size > 10_000)
})

test('a task page sends a submission with a photo: the progress bar fills, the item arrives, a validator approves it', async () => {
  await Promise.all([page.waitForURL(/\/tasks\/\d+$/), page.locator('#task-list tbody tr').first().locator('a').click()])
  await page.locator('#new-submission').waitFor()
  await page.locator('#new-submission details[data-xml-typed]').evaluate((details) => ((details as unknown as { open: boolean }).open = true))
  await page.locator('#new-submission textarea[name=submission_xml]').fill('<data><clinic>Kariakoo</clinic></data>')
  await page.locator('#new-submission input[name=device_id]').fill('collect-7')
  await page.locator('#new-submission input[name=attachments]').setInputFiles([{ name: 'clinic.png', mimeType: 'image/png', buffer: PNG }])
  await page.locator('#new-submission button', { hasText: 'Send the submission' }).click()
  const item = page.locator('#submission-items li.submission', { hasText: 'collect-7' })
  await item.waitFor()
  assert.match(await item.innerText(), 'clinic.png (image/png, 586 KiB)')
  assert.match(await item.innerText(), 'not reviewed')
  // its bytes only look like a PNG: no thumbnail can be made (422), and the page falls back to the photo's own address
  await item.locator('img.thumb[src$="?inline=true"]').waitFor({ state: 'attached' })
  await page.locator('#upload-progress[data-done="ok"]').waitFor({ state: 'attached' })
  assert.is(await page.locator('#upload-progress').evaluate((bar) => (bar as unknown as { value: number }).value), 100)
  await item.locator('button', { hasText: 'Approve' }).click()
  await page.locator('#submission-items li.submission[data-review="approved"]').waitFor()
  assert.match(await page.locator('#submission-items li.submission[data-review="approved"]').innerText(), 'approved (Amina)')
  await page.locator('#comment-form input[name=comment]').fill('Two clinics <here>, one closed')
  await page.locator('#comment-form button').click()
  const comment = page.locator('#history li', { hasText: 'Two clinics <here>, one closed' })
  await comment.waitFor()
  assert.match(await comment.innerText(), 'Amina commented: Two clinics <here>, one closed')
  assert.is(await page.locator('#comment-form input[name=comment]').inputValue(), '', 'the form was reset')
  await page.screenshot({ path: join(ARTIFACTS, 'fieldwork-task-page.png'), fullPage: true })
})

test('bad submissions are refused next to the form: malformed XML (422), a text file posing as a photo (415)', async () => {
  await page.locator('#new-submission details[data-xml-typed]').evaluate((details) => ((details as unknown as { open: boolean }).open = true))
  await page.locator('#new-submission textarea[name=submission_xml]').fill('<data><clinic></data>')
  await page.locator('#new-submission button', { hasText: 'Send the submission' }).click()
  await page.locator('#submission-errors .trefoil-error[data-status="422"]').waitFor()
  assert.match(await page.locator('#submission-errors').innerText(), 'Not well-formed XML at line 1')
  assert.is(await page.locator('#upload-progress').getAttribute('data-done'), 'failed')
  await page.locator('#new-submission textarea[name=submission_xml]').fill('<data/>')
  await page.locator('#new-submission input[name=attachments]').setInputFiles([{ name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from('not a picture') }])
  await page.locator('#new-submission button', { hasText: 'Send the submission' }).click()
  await page.locator('#submission-errors .trefoil-error[data-status="415"]').waitFor()
})

test('without JavaScript the pages still read: plain sign-in form, links to the tasks page with its grid', async () => {
  // a browser of its own: a persistent context cannot open a second context with scripts off
  const bare = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000 })
  const noScript = await (await bare.newContext({ javaScriptEnabled: false })).newPage()
  noScript.setDefaultTimeout(15_000)
  watch(noScript)
  try {
    await noScript.goto(`${base}/login`)
    await noScript.locator('#login input[name=email]').fill('amina@example.org')
    await noScript.locator('#login input[name=password]').fill('correct horse')
    await Promise.all([noScript.waitForURL(`${base}/v1/projects`), noScript.locator('#login button').click()])
    await Promise.all([noScript.waitForURL(projectUrl), noScript.locator('#projects a', { hasText: 'Flood response' }).click()])
    await Promise.all([noScript.waitForURL(`${projectUrl}/tasks`), noScript.locator('#task-list a', { hasText: 'See the tasks' }).click()])
    assert.ok((await noScript.locator('#task-grid svg a').count()) >= 30)
    await Promise.all([noScript.waitForURL(/\/tasks\/\d+$/), noScript.locator('#task-grid svg a.s-locked_for_mapping').click()])
    await Promise.all([noScript.waitForURL(/\/submissions$/), noScript.locator('a', { hasText: 'See the submissions' }).click()])
    assert.match(await noScript.locator('#submission-items').innerText(), 'approved (Amina)')
    assert.is(await noScript.evaluate('typeof htmx'), 'undefined', 'htmx never ran')
  } finally {
    await bare.close()
  }
})

test('the members page gives a role with its form and shows it without a page load', async () => {
  const kofi = (await call(fw.app, 'POST', '/v1/users', undefined, { email: 'kofi@example.org', name: 'Kofi', password: 'correct horse' })).json() as { id: number }
  await page.goto(`${projectUrl}/members`)
  await page.evaluate(() => Object.assign(globalThis, { sameDocument: true }))
  await page.locator('#member-form input[name=email]').fill('kofi@example.org')
  await page.locator('#member-form select[name=role]').selectOption('validator')
  await page.locator('#member-form button').click()
  await page.locator(`#members tr#member-${kofi.id}`, { hasText: 'validator' }).waitFor()
  assert.is(await page.evaluate(() => (globalThis as { sameDocument?: boolean }).sameDocument), true, 'the same document')
  await page.locator('#member-form input[name=email]').fill('nobody@example.org')
  await page.locator('#member-form button').click()
  await page.locator('#member-errors .trefoil-error[data-status="422"]').waitFor()
})

test('logging out ends the session', async () => {
  await page.goto(projectUrl)
  await Promise.all([page.waitForURL(`${base}/login`), page.locator('header button', { hasText: 'Log out' }).click()])
  await page.goto(`${base}/v1/projects`)
  assert.is(new URL(page.url()).pathname, '/login')
})

test('nothing failed in the page: no script error, no CSP violation, no 5xx', () => {
  assert.equal(problems, [])
})

test.run()
