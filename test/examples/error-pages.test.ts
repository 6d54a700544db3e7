// What a person sees in Chromium when something goes wrong while navigating: a page in the app's
// layout (its header, who is signed in), what happened in words, and a way back — never a JSON
// body; a click that comes too late (a task someone else locked meanwhile) says who has it and
// shows the task as it is now. Screenshots go to test/artifacts/error-*.png.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { openBrowser, type Browser } from './fixtures/browser.js'
import { call, signUp, signUpAdmin, square, startFieldwork, type Account, type Fieldwork } from './fixtures/fieldwork.js'

let fw: Fieldwork
let base: string
let b: Browser
let admin: Account
let mapper: Account
let projectId: number

test.before(async () => {
  fw = await startFieldwork()
  await fw.app.listen({ port: 0, host: '127.0.0.1' })
  base = fw.app.url!
  b = await openBrowser(base)
  admin = await signUpAdmin(fw.app, 'Amina')
  mapper = await signUp(fw.app, 'Baraka')
  const made = await call(fw.app, 'POST', '/v1/projects', admin, { name: 'Wells of Mbeya', area: square(33.45, -8.9, 0.01) })
  assert.is(made.status, 201, made.body)
  projectId = made.json().id
  await call(fw.app, 'PUT', `/v1/projects/${projectId}/members/${mapper.id}`, admin, { role: 'mapper' })
})

test.after(async () => {
  await b?.close()
  await fw?.close()
})

/** The error page now shown: its status, heading and text; fails on anything but a page in the layout. */
async function errorPage(): Promise<{ status: string; heading: string; text: string }> {
  const page = b.page
  const article = page.locator('main article.error-page')
  await article.waitFor()
  assert.is(await page.locator('header a', { hasText: 'Fieldwork' }).count(), 1, 'in the layout, its header and all')
  assert.not.match(await page.locator('body').innerText(), '{"detail"', 'no JSON on the page')
  assert.ok(await page.locator('main a', { hasText: 'The projects' }).isVisible(), 'a way back')
  return { status: (await article.getAttribute('data-status'))!, heading: await article.locator('h1').innerText(), text: await article.innerText() }
}

test('a visitor who is not signed in is sent to sign in, and back to the page they wanted after', async () => {
  const page = b.page
  await page.goto(`${base}/v1/projects/${projectId}`)
  await page.waitForURL(/\/login\?next=/)
  await page.locator('#login input[name=email]').fill(mapper.email)
  await page.locator('#login input[name=password]').fill('correct horse battery')
  await Promise.all([page.waitForURL(`${base}/v1/projects/${projectId}`), page.locator('#login button').click()])
  assert.match(await page.locator('main h1').innerText(), 'Wells of Mbeya')
})

test('an unknown URL is a "Not found" page in the layout', async () => {
  const res = await b.page.goto(`${base}/no/such/page`)
  assert.is(res!.status(), 404)
  assert.match(res!.headers()['content-type']!, 'text/html')
  const shown = await errorPage()
  assert.is(shown.status, '404')
  assert.is(shown.heading, 'Not found')
  // no route ran to say who is signed in, but the page does not offer to sign in again
  assert.is(await b.page.locator('header .who').innerText(), 'Your account')
  assert.is(await b.page.locator('main a', { hasText: 'Sign in' }).count(), 0)
  await b.screenshot('error-unknown-url')
})

test('a project that does not exist is a 404 page naming it', async () => {
  const res = await b.page.goto(`${base}/v1/projects/999`)
  assert.is(res!.status(), 404)
  const shown = await errorPage()
  assert.match(shown.text, 'Project 999 not found')
  assert.match(await b.page.locator('header .who').innerText(), 'Signed in as Baraka')
  await b.screenshot('error-missing-project')
})

test('a page the role does not allow is a 403 page saying which role it takes', async () => {
  const res = await b.page.goto(`${base}/v1/projects/${projectId}/submissions.csv`)
  assert.is(res!.status(), 403)
  const shown = await errorPage()
  assert.is(shown.heading, 'Not allowed')
  assert.match(shown.text, /role/i)
  await b.screenshot('error-forbidden')
})

test('an address with a malformed id is a 422 page saying what is wrong with it', async () => {
  const res = await b.page.goto(`${base}/v1/projects/abc`)
  assert.is(res!.status(), 422)
  const shown = await errorPage()
  assert.match(shown.text, 'projectId')
  await b.screenshot('error-bad-id')
})

test('a task someone else locked meanwhile: the click answers in words who holds it (409), and its row shows the task as it is now', async () => {
  const page = b.page
  const split = await call(fw.app, 'POST', `/v1/projects/${projectId}/tasks`, admin, { cellMetres: 500 })
  assert.is(split.status, 201, split.body)
  await page.goto(`${base}/v1/projects/${projectId}`)
  const lock = page.locator('#task-2 button', { hasText: 'Lock for mapping' })
  await lock.waitFor()
  // Amina takes task 2 from her own screen while Baraka's page still offers it
  const taken = await call(fw.app, 'POST', `/v1/projects/${projectId}/tasks/2/events`, admin, { event: 'map' })
  assert.is(taken.status, 201, taken.body)
  await lock.click()
  const message = page.locator('#task-errors .trefoil-error[data-status="409"]')
  await message.waitFor()
  assert.is(await message.innerText(), 'Task 2 is locked by Amina')
  await page.locator('#task-2 .status', { hasText: 'locked for mapping' }).waitFor()
  assert.match(await page.locator('#task-2').innerText(), 'Amina')
  assert.is(await page.locator('#task-2 button').count(), 0, 'nothing left that Baraka could press on it')
  // the map and the legend show it too
  await page.locator('#project-map path.map-task.s-locked_for_mapping').waitFor()
  // the map and the legend reload in two requests of their own: wait for each
  await page.locator('.legend li[data-state="locked_for_mapping"]', { hasText: 'Being mapped: 1' }).waitFor()
  assert.match(await message.innerText(), 'Amina', 'the message stays until the next action')
  await b.screenshot('error-conflict')
})

test('without JavaScript a form that conflicts is a 409 page in the layout: signing up with a taken email shows the form again, the reason above it', async () => {
  const bare = await openBrowser(base, { javaScript: false })
  try {
    const page = bare.page
    await page.goto(`${base}/login`)
    await page.locator('#signup input[name=name]').fill('Baraka again')
    await page.locator('#signup input[name=email]').fill(mapper.email)
    await page.locator('#signup input[name=password]').fill('another long one')
    const [res] = await Promise.all([page.waitForResponse((r) => r.url() === `${base}/v1/users`), page.locator('#signup button').click()])
    assert.is(res.status(), 409)
    assert.match(res.headers()['content-type']!, 'text/html')
    await page.locator('main .trefoil-error[role=alert]').waitFor()
    assert.is(await page.locator('main .trefoil-error[role=alert]').innerText(), 'An account with this email already exists')
    assert.is(await page.locator('header a', { hasText: 'Fieldwork' }).count(), 1, 'in the layout')
    assert.is(await page.locator('#signup').count(), 1, 'the form, to try another email or sign in')
    assert.not.match(await page.locator('body').innerText(), '{"detail"')
    await bare.screenshot('error-conflict-page')
    assert.equal(bare.problems, [])
  } finally {
    await bare.close()
  }
})

test('"Go back" on an error page returns to the page before it', async () => {
  const page = b.page
  await page.goto(`${base}/v1/projects`)
  await page.goto(`${base}/v1/projects/998`)
  await errorPage()
  await Promise.all([page.waitForURL(`${base}/v1/projects`), page.locator('main a[data-back]').click()])
})

test('nothing failed in the pages: no script error, no CSP violation, no 5xx', () => {
  assert.equal(b.problems, [])
})

test.run()
