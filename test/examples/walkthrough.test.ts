// The whole coordinator's flow in Chromium, from the pages alone (no /docs, no typed URL past the
// first), as the four demo accounts a first start prints: the admin creates a project with its
// area from a file and splits it, gives roles by email; the mapper locks a task, sends a
// submission with a phone photo and marks it mapped; the validator reviews the submission and
// validates the task; the admin sees the progress and downloads the export. Screenshots of each
// step go to test/artifacts/walkthrough-*.png.
import { readFile } from 'node:fs/promises'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { openBrowser, type Browser } from './fixtures/browser.js'
import { startFieldwork, type Fieldwork } from './fixtures/fieldwork.js'
import { photoJpeg } from './fixtures/photos.js'

let fw: Fieldwork
let base: string
let b: Browser
let passwords: Map<string, string>
let projectUrl: string

const PROJECT = 'Water points of Mbagala'
// what geojson.io saves: a FeatureCollection of one drawn polygon, about 1.1 km across
const AREA_FILE = JSON.stringify({
  type: 'FeatureCollection',
  features: [{ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[[39.26, -6.90], [39.27, -6.90], [39.27, -6.89], [39.26, -6.89], [39.26, -6.90]]] } }],
})

test.before(async () => {
  fw = await startFieldwork()
  await fw.app.listen({ port: 0, host: '127.0.0.1' })
  base = fw.app.url!
  // what `npm start` does on a first start in development (this process runs with NODE_ENV=test)
  const { databasePlugin } = await import('../../examples/fieldwork/src/db/database.js')
  const { seedDemoData } = await import('../../examples/fieldwork/src/auth/demo.js')
  const accounts = (await seedDemoData(fw.app.plugin(databasePlugin).db))!
  passwords = new Map(accounts.map((account) => [account.email, account.password]))
  b = await openBrowser(base)
})

test.after(async () => {
  await b?.close()
  await fw?.close()
})

async function signIn(email: string): Promise<void> {
  const page = b.page
  await page.goto(`${base}/login`)
  await page.locator('#login input[name=email]').fill(email)
  await page.locator('#login input[name=password]').fill(passwords.get(email)!)
  await Promise.all([page.waitForURL(`${base}/v1/projects`), page.locator('#login button').click()])
}

async function signOut(): Promise<void> {
  await Promise.all([b.page.waitForURL(/\/login/), b.page.locator('header button', { hasText: 'Log out' }).click()])
}

async function openProject(): Promise<void> {
  await Promise.all([b.page.waitForURL(projectUrl), b.page.locator('#projects a', { hasText: PROJECT }).click()])
  await b.page.locator('#task-list table').waitFor()
}

test('the admin signs in with the printed demo account: the demo project is listed, and a link to make a new one', async () => {
  await signIn('admin@example.org')
  const page = b.page
  assert.match(await page.locator('header .who').innerText(), 'Signed in as Ada Admin')
  await page.locator('#projects a', { hasText: 'Demo: clinics of Kariakoo' }).waitFor()
  await b.screenshot('walkthrough-1-projects')
})

test('a new project from its page: name, Markdown instructions, the area loaded from a .geojson file and previewed on the map', async () => {
  const page = b.page
  await Promise.all([page.waitForURL(`${base}/v1/projects/new`), page.locator('#new-project-link').click()])
  await page.locator('#new-project input[name=name]').fill(PROJECT)
  await page.locator('#new-project textarea[name=instructions]').fill('Map every **water point**:\n\n- its kind (tap, well, kiosk)\n- whether it works')
  await page.locator('#new-project-area-file').setInputFiles({ name: 'mbagala.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(AREA_FILE) })
  await page.locator('#new-project-map path').first().waitFor()
  await b.screenshot('walkthrough-2-new-project')
  await Promise.all([page.waitForURL(/\/v1\/projects\/\d+$/), page.locator('#new-project button', { hasText: 'Create the project' }).click()])
  projectUrl = page.url()
  await page.locator('#project-map path.map-area').waitFor()
  assert.match(await page.locator('#instructions').innerText(), 'water point')
})

test('the admin splits the area into tasks from the project page and sees them on the map, the progress with them', async () => {
  const page = b.page
  assert.match(await page.locator('#progress-chart').innerText(), 'No tasks yet')
  await page.locator('#split-form input[name=cellMetres]').fill('250')
  await page.locator('#split-form button').click()
  await page.locator('#task-list table tbody tr').first().waitFor()
  await page.locator('#project-map path.map-task').first().waitFor()
  const tasks = await page.locator('#task-list tbody tr').count()
  assert.ok(tasks >= 16 && tasks <= 36, `${tasks} tasks`)
  await page.locator('#progress-chart figcaption', { hasText: `0% mapped · 0% validated (of ${tasks} tasks)` }).waitFor()
  await b.screenshot('walkthrough-3-split')
})

test('the admin gives the mapper and the validator their roles by email, from the members page', async () => {
  const page = b.page
  await Promise.all([page.waitForURL(`${projectUrl}/members`), page.locator('nav a', { hasText: 'Members' }).click()])
  for (const [email, role, name] of [['mapper@example.org', 'mapper', 'Mo Mapper'], ['validator@example.org', 'validator', 'Vic Validator']] as const) {
    await page.locator('#member-form input[name=email]').fill(email)
    await page.locator('#member-form select[name=role]').selectOption(role)
    await page.locator('#member-form button').click()
    await page.locator('#members tr', { hasText: name }).waitFor()
  }
  assert.match(await page.locator('#members').innerText(), /Mo Mapper\s+mapper/)
  assert.match(await page.locator('#members').innerText(), /Vic Validator\s+validator/)
  await b.screenshot('walkthrough-4-members')
  await signOut()
})

test('the mapper locks a task, sends what was found with a phone photo (its thumbnail shows), and marks the task mapped', async () => {
  await signIn('mapper@example.org')
  const page = b.page
  await openProject()
  const row = page.locator('#task-1')
  await row.locator('button', { hasText: 'Lock for mapping' }).click()
  await row.locator('.status', { hasText: 'locked for mapping' }).waitFor()
  await Promise.all([page.waitForURL(`${projectUrl}/tasks/1`), row.locator('a').first().click()])
  assert.match(await page.locator('#task-instructions').innerText(), 'water point')
  const answers = page.locator('#new-submission .answer')
  await answers.nth(0).locator('input[name=answer_name]').fill('water_point/kind')
  await answers.nth(0).locator('input[name=answer_value]').fill('kiosk')
  await answers.nth(1).locator('input[name=answer_name]').fill('water_point/works')
  await answers.nth(1).locator('input[name=answer_value]').fill('yes')
  await page.locator('#new-submission input[name=attachments]').setInputFiles({ name: 'kiosk.jpg', mimeType: 'image/jpeg', buffer: await photoJpeg(2000, 1500) })
  await page.locator('#new-submission button', { hasText: 'Send the submission' }).click()
  const item = page.locator('#submission-items li.submission').first()
  await item.locator('img.thumb').waitFor()
  const width = await item.locator('img.thumb').evaluate(async (element) => {
    const img = element as unknown as { decode(): Promise<void>; naturalWidth: number }
    await img.decode()
    return img.naturalWidth
  })
  assert.is(width, 320, 'a thumbnail, not the 2000-pixel photo')
  assert.equal(await item.locator('dl.fields dd').allInnerTexts(), ['kiosk', 'yes'])
  await page.locator('#task-1 button', { hasText: 'Mark mapped' }).click()
  await page.locator('#task-1 .status', { hasText: 'mapped' }).waitFor()
  await page.locator('#history li[data-event="finish"]').waitFor()
  assert.match(await page.locator('#history').innerText(), 'Mo Mapper marked it mapped')
  await b.screenshot('walkthrough-5-mapped')
  await signOut()
})

test('the validator reviews the submission with a reason and validates the task', async () => {
  await signIn('validator@example.org')
  const page = b.page
  await openProject()
  await Promise.all([page.waitForURL(`${projectUrl}/tasks/1`), page.locator('#task-1 a').first().click()])
  await page.locator('#task-1 button', { hasText: 'Lock for validation' }).click()
  await page.locator('#task-1 .status', { hasText: 'locked for validation' }).waitFor()
  const item = page.locator('#submission-items li.submission').first()
  await item.locator('input[name=comment]').fill('Kiosk confirmed from the photo')
  await item.locator('button', { hasText: 'Approve' }).click()
  const approved = page.locator('#submission-items li.submission[data-review="approved"]')
  await approved.waitFor()
  assert.match(await approved.innerText(), 'approved (Vic Validator): Kiosk confirmed from the photo')
  await page.locator('#task-1 button', { hasText: 'Validated' }).click()
  await page.locator('#task-1 .status', { hasText: 'validated' }).waitFor()
  await page.locator('#history li[data-event="good"]').waitFor()
  assert.match(await page.locator('#history').innerText(), 'Vic Validator validated it')
  // the map reloads its tasks in a request of its own after the row: the task turns green there too
  await page.locator('#task-map path[data-task="1"][data-status="validated"]').waitFor()
  await b.screenshot('walkthrough-6-validated')
  await signOut()
})

test('the admin sees the progress on the list and the project page, and downloads the submissions as CSV', async () => {
  await signIn('admin@example.org')
  const page = b.page
  assert.match(await page.locator('#projects tr', { hasText: PROJECT }).innerText(), /validated/)
  await openProject()
  await page.locator('#task-progress').waitFor()
  assert.match(await page.locator('#task-progress').innerText(), /\d+% mapped · \d+% validated/)
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export-csv').click()])
  const csv = await readFile((await download.path())!, 'utf8')
  assert.match(csv, '<water_point><kind>kiosk</kind>')
  assert.match(csv, 'approved')
  await b.screenshot('walkthrough-7-progress')
})

test('nothing failed in the pages: no script error, no CSP violation, no 5xx', () => {
  assert.equal(b.problems, [])
})

test.run()
