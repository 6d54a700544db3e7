// The fieldwork pages in a real browser (Debian's Chromium driven by playwright-core): sign in,
// create a project through the htmx form and see its row arrive without a page load, see a 422
// fragment next to the form, split the area and lock a task, send a submission with a photo,
// with no CSP violation on the way.
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { call, startFieldwork, type Fieldwork } from './fixtures/fieldwork.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

let fw: Fieldwork
let base: string
let profile: string
let browser: BrowserContext
let page: Page
const problems: string[] = []

test.before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`)
  fw = await startFieldwork()
  await fw.app.listen({ port: 0, host: '127.0.0.1' })
  base = fw.app.url!
  profile = await mkdtemp(join(tmpdir(), 'fieldwork-chromium-'))
  // a persistent context is how playwright takes a user-data-dir of ours: a fresh one per run
  browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000 })
  page = browser.pages()[0] ?? (await browser.newPage())
  page.setDefaultTimeout(10_000)
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('console', (message) => {
    // htmx logs failed requests (our 4xx answers) as errors; anything else is a problem
    if (message.type() === 'error' && !/Failed to load resource|Response Status Error Code/.test(message.text())) problems.push(`console: ${message.text()}`)
  })
  // 4xx answers are part of the tests; a 5xx (say, in a fragment htmx loads on its own) never is
  page.on('response', (response) => {
    if (response.status() >= 500) problems.push(`${response.status()} from ${response.request().method()} ${response.url()}`)
  })
  await call(fw.app, 'POST', '/v1/users', undefined, { email: 'amina@example.org', name: 'Amina', password: 'correct horse' })
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

test('creating a project through the htmx form adds its row without a page load', async () => {
  // a page load would drop this marker
  await page.evaluate(() => Object.assign(globalThis, { sameDocument: true }))
  await page.locator('#new-project input[name=name]').fill('Flood response')
  await page.locator('#new-project input[name=priority]').fill('8')
  await page.locator('#new-project textarea[name=area]').fill(JSON.stringify({ type: 'Polygon', coordinates: [[[39.27, -6.82], [39.28, -6.82], [39.28, -6.81], [39.27, -6.81], [39.27, -6.82]]] }))
  await page.locator('#new-project button').click()
  const row = page.locator('#projects tr', { hasText: 'Flood response' })
  await row.waitFor()
  assert.match(await row.innerText(), /Flood response\s+8\s+set/)
  assert.is(await page.evaluate(() => (globalThis as { sameDocument?: boolean }).sameDocument), true, 'the same document')
  assert.is(await page.locator('#new-project input[name=name]').inputValue(), '', 'the form was reset')
})

test('a bad form gets the 422 fragment next to it, and the next good one clears it', async () => {
  await page.locator('#new-project input[name=name]').fill('   ')
  await page.locator('#new-project input[name=priority]').fill('11')
  await page.locator('#new-project button').click()
  const errors = page.locator('#project-errors .trefoil-error[data-status="422"]')
  await errors.waitFor()
  assert.is(await errors.locator('li[data-loc="body.name"]').count(), 1)
  assert.is(await errors.locator('li[data-loc="body.priority"]').count(), 1)
  assert.is(await page.locator('#projects tr').count(), 1, 'no row was added')
  await page.locator('#new-project input[name=name]').fill('Roads north')
  await page.locator('#new-project input[name=priority]').fill('3')
  await page.locator('#new-project button').click()
  await page.locator('#projects tr', { hasText: 'Roads north' }).waitFor()
  assert.is(await page.locator('#project-errors').innerHTML(), '')
})

test('the project page splits the area into tasks and locks one, all through htmx', async () => {
  await Promise.all([page.waitForURL(/\/v1\/projects\/\d+$/), page.locator('#projects a', { hasText: 'Flood response' }).click()])
  await page.locator('#task-list form').waitFor()
  await page.locator('#task-list input[name=cellMetres]').fill('600')
  await page.locator('#task-list button').click()
  await page.locator('#task-list tbody tr').first().waitFor()
  assert.ok((await page.locator('#task-list tbody tr').count()) >= 4)
  const first = page.locator('#task-list tbody tr').first()
  await first.locator('button', { hasText: 'Lock for mapping' }).click()
  await page.locator('#task-list tbody tr').first().locator('.status', { hasText: 'locked for mapping' }).waitFor()
  assert.match(await page.locator('#task-list tbody tr').first().innerText(), 'Amina')
})

test('a task page sends a submission with a photo as multipart and lists it without a page load', async () => {
  await Promise.all([page.waitForURL(/\/tasks\/\d+$/), page.locator('#task-list tbody tr').first().locator('a').click()])
  await page.locator('#new-submission').waitFor()
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]), Buffer.alloc(1000)])
  await page.locator('#new-submission input[name=deviceId]').fill('collect-7')
  await page.locator('#new-submission input[name=attachments]').setInputFiles([{ name: 'clinic.png', mimeType: 'image/png', buffer: png }])
  await page.locator('#new-submission button').click()
  const item = page.locator('#submission-items li', { hasText: 'collect-7' })
  await item.waitFor()
  assert.match(await item.innerText(), 'clinic.png (image/png, 1 KiB)')
  await page.locator('#new-submission input[name=deviceId]').fill('bad id!')
  await page.locator('#new-submission button').click()
  await page.locator('#submission-errors .trefoil-error[data-status="422"]').waitFor()
})

test('logging out ends the session', async () => {
  await Promise.all([page.waitForURL(`${base}/login`), page.locator('header button', { hasText: 'Log out' }).click()])
  await page.goto(`${base}/v1/projects`)
  assert.is(new URL(page.url()).pathname, '/login')
})

test('nothing failed in the page: no script error, no CSP violation, no 5xx', () => {
  assert.equal(problems, [])
})

test.run()
