// A project manager's project page in Chromium: instructions written in Markdown (rendered, and
// safely: no HTML or script link gets through), the project edited and archived from its page,
// and the progress chart as tasks get mapped and validated. Screenshots go to
// test/artifacts/project-*.png.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { openBrowser, type Browser } from './fixtures/browser.js'
import { call, signUp, signUpAdmin, square, startFieldwork, type Account, type Fieldwork } from './fixtures/fieldwork.js'

let fw: Fieldwork
let base: string
let b: Browser
let admin: Account
let projectId: number

const INSTRUCTIONS = [
  '## Before you start',
  '',
  'Map **every clinic** in your task, then:',
  '',
  '1. add its name',
  '2. add its `beds`',
  '',
  'See [the tagging guide](https://wiki.openstreetmap.org/wiki/Tag:amenity=clinic).',
  '',
  '<script>document.title = "owned"</script> <img src=x onerror="document.title=1">',
  '',
  '[a trap](javascript:alert(1))',
].join('\n')

async function signIn(who: Account): Promise<void> {
  await b.context.clearCookies()
  await b.page.goto(`${base}/login`)
  await b.page.locator('#login input[name=email]').fill(who.email)
  await b.page.locator('#login input[name=password]').fill('correct horse battery')
  await Promise.all([b.page.waitForURL(`${base}/v1/projects`), b.page.locator('#login button').click()])
}

test.before(async () => {
  fw = await startFieldwork()
  await fw.app.listen({ port: 0, host: '127.0.0.1' })
  base = fw.app.url!
  b = await openBrowser(base)
  admin = await signUpAdmin(fw.app, 'Amina')
  await signIn(admin)
})

test.after(async () => {
  await b?.close()
  await fw?.close()
})

test('instructions written in Markdown on the new-project page show rendered on the project page, HTML in them as text', async () => {
  const page = b.page
  await page.goto(`${base}/v1/projects/new`)
  await page.locator('#new-project input[name=name]').fill('Clinics of Temeke')
  await page.locator('#new-project textarea[name=instructions]').fill(INSTRUCTIONS)
  await page.locator('#new-project-area').fill(JSON.stringify(square(39.26, -6.86, 0.008)))
  await Promise.all([page.waitForURL(/\/v1\/projects\/\d+$/), page.locator('#new-project button', { hasText: 'Create the project' }).click()])
  projectId = Number(new URL(page.url()).pathname.split('/').pop())
  const shown = page.locator('#instructions .markdown')
  assert.is(await shown.locator('h2').innerText(), 'Before you start')
  assert.is(await shown.locator('strong').innerText(), 'every clinic')
  assert.equal(await shown.locator('ol li').allInnerTexts(), ['add its name', 'add its beds'])
  assert.is(await shown.locator('a[href="https://wiki.openstreetmap.org/wiki/Tag:amenity=clinic"]').innerText(), 'the tagging guide')
  // the HTML is text, the javascript: link is not a link
  assert.match(await shown.innerText(), '<script>document.title = "owned"</script>')
  assert.is(await shown.locator('script, img').count(), 0)
  assert.is(await shown.locator('a[href^="javascript"]').count(), 0)
  assert.is.not(await page.title(), 'owned')
  // and the API gives the Markdown as written
  const json = await call(fw.app, 'GET', `/v1/projects/${projectId}`, admin)
  assert.is(json.json().instructions, INSTRUCTIONS)
  assert.is(json.json().archived, false)
  await b.screenshot('project-instructions')
})

test('the project manager edits the project from its page; the page shows the change without a reload, and it is kept', async () => {
  const page = b.page
  await page.evaluate(() => Object.assign(globalThis, { sameDocument: true }))
  await page.locator('#project-edit summary').click()
  await page.locator('#edit-project input[name=name]').fill('Clinics and dispensaries of Temeke')
  await page.locator('#edit-project textarea[name=instructions]').fill('Only **open** clinics.')
  await page.locator('#edit-project input[name=priority]').fill('8')
  await page.locator('#edit-project button', { hasText: 'Save the changes' }).click()
  await page.locator('main h1', { hasText: 'Clinics and dispensaries of Temeke' }).waitFor()
  assert.is(await page.locator('#instructions .markdown').innerText(), 'Only open clinics.')
  assert.is(await page.evaluate(() => (globalThis as { sameDocument?: boolean }).sameDocument), true, 'the same document')
  assert.is(await page.locator('#edit-project').count(), 1, 'the edit form is still there')
  await page.reload()
  assert.match(await page.locator('main article').innerText(), 'Priority 8')
  // a bad change is refused next to the form, its field marked
  await page.locator('#project-edit summary').click()
  await page.locator('#edit-project input[name=priority]').fill('11')
  await page.locator('#edit-project button', { hasText: 'Save the changes' }).click()
  await page.locator('#edit-errors .trefoil-error[data-status="422"]').waitFor()
  assert.is(await page.locator('#edit-project input[name=priority]').getAttribute('aria-invalid'), 'true')
  await b.screenshot('project-edit-refused')
})

test('the progress chart follows the tasks: % mapped and % validated over time', async () => {
  const page = b.page
  const split = await call(fw.app, 'POST', `/v1/projects/${projectId}/tasks`, admin, { cellMetres: 300 })
  assert.is(split.status, 201, split.body)
  const total = (split.json() as unknown[]).length
  await page.goto(`${base}/v1/projects/${projectId}`)
  await page.locator('#progress-chart').waitFor()
  assert.match(await page.locator('#progress-chart').innerText(), 'No task has changed yet')
  const mapper = await signUp(fw.app, 'Baraka')
  const validator = await signUp(fw.app, 'Chausiku')
  await call(fw.app, 'PUT', `/v1/projects/${projectId}/members/${mapper.id}`, admin, { role: 'mapper' })
  await call(fw.app, 'PUT', `/v1/projects/${projectId}/members/${validator.id}`, admin, { role: 'validator' })
  const act = async (who: Account, task: number, event: string) => assert.is((await call(fw.app, 'POST', `/v1/projects/${projectId}/tasks/${task}/events`, who, { event })).status, 201)
  for (const task of [1, 2, 3]) {
    await act(mapper, task, 'map')
    await act(mapper, task, 'finish')
  }
  await act(validator, 1, 'validate')
  await act(validator, 1, 'good')
  await page.reload()
  const chart = page.locator('#progress-chart')
  await chart.locator('svg.progress-chart').waitFor()
  assert.match(await chart.locator('figcaption').innerText(), `${Math.floor(300 / total)}% mapped · ${Math.floor(100 / total)}% validated (of ${total} tasks)`)
  // one point per change of status (lock, mapped, lock, validated), from 0
  assert.is(await chart.getAttribute('data-points'), '8')
  const mapped = (await chart.locator('polyline.mapped').getAttribute('points'))!.split(' ')
  const validated = (await chart.locator('polyline.validated').getAttribute('points'))!.split(' ')
  const heights = (line: string[]) => line.map((point) => Number(point.split(',')[1]))
  assert.ok(heights(mapped).at(-1)! < heights(mapped)[0]!, 'the mapped line rises')
  assert.ok(heights(validated).at(-1)! < heights(validated)[0]!, 'the validated line rises')
  assert.ok(heights(mapped).at(-1)! < heights(validated).at(-1)!, 'more mapped than validated')
  const progress = await call(fw.app, 'GET', `/v1/projects/${projectId}/progress`, admin)
  assert.is(progress.json().percentMapped, Math.floor(300 / total))
  assert.is(progress.json().points.length, 8)
  await b.screenshot('project-progress-chart')
  // a mapper reads the page, the instructions and the chart, and gets no edit form
  await signIn(mapper)
  await page.goto(`${base}/v1/projects/${projectId}`)
  await page.locator('#progress-chart svg').waitFor()
  assert.is(await page.locator('#project-edit').count(), 0)
  assert.is(await page.locator('#instructions .markdown').innerText(), 'Only open clinics.')
  // and on a task's page, under the project's name, while they work on it
  await page.goto(`${base}/v1/projects/${projectId}/tasks/4`)
  assert.is(await page.locator('main h1').innerText(), 'Task 4 of Clinics and dispensaries of Temeke')
  assert.is(await page.locator('#task-instructions .markdown strong').innerText(), 'open')
  await b.screenshot('project-task-instructions')
  await signIn(admin)
})

test('archiving from the page marks the project and lists it after the active ones; it can be brought back', async () => {
  const page = b.page
  await call(fw.app, 'POST', '/v1/projects', admin, { name: 'Wells of Kigamboni', priority: 0 })
  await page.goto(`${base}/v1/projects/${projectId}`)
  await page.locator('#project-edit summary').click()
  page.once('dialog', (dialog) => void dialog.accept())
  await page.locator('#archive-project button', { hasText: 'Archive the project' }).click()
  await page.locator('main h1 .badge', { hasText: 'archived' }).waitFor()
  assert.is((await call(fw.app, 'GET', `/v1/projects/${projectId}`, admin)).json().archived, true)
  await page.goto(`${base}/v1/projects`)
  const rows = await page.locator('#projects tr').allInnerTexts()
  assert.match(rows.at(-1)!, /Clinics and dispensaries of Temeke\s*archived/)
  assert.ok(rows.findIndex((row) => row.includes('Wells of Kigamboni')) < rows.length - 1, 'the active project before it, though its priority is lower')
  await b.screenshot('project-archived-list')
  await page.goto(`${base}/v1/projects/${projectId}`)
  await page.locator('#project-edit summary').click()
  page.once('dialog', (dialog) => void dialog.accept())
  await page.locator('#archive-project button', { hasText: 'Bring it back' }).click()
  await page.locator('#archive-project button', { hasText: 'Archive the project' }).waitFor({ state: 'attached' })
  assert.is(await page.locator('main h1 .badge').count(), 0)
})

test('nothing failed in the pages: no script error, no CSP violation, no 5xx', () => {
  assert.equal(b.problems, [])
})

test.run()
