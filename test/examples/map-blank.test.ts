// MAP_TILE_URL=none: no basemap. The maps draw the area and the tasks on a blank background and
// ask no server for tiles; the CSP lets images in from the app alone. (`none`, as an empty
// variable counts as unset: the default, OpenStreetMap.) Screenshots:
// test/artifacts/map-blank-project.png, test/artifacts/map-blank-task.png.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mapSetup, type MapSetup } from './fixtures/map.js'

let m: MapSetup

test.before(async () => {
  m = await mapSetup({ MAP_TILE_URL: 'none' })
})
test.after(async () => {
  await m?.close()
})

test('with no basemap the project map draws the area and every task, requests no tile, and the CSP allows images from the app only', async () => {
  const page = m.b.page
  const answer = await page.goto(m.projectUrl)
  const csp = (await answer!.headerValue('content-security-policy')) ?? ''
  assert.match(csp, /(^|;)\s*img-src 'self' data:(;|$)/, csp)
  assert.is(await page.locator('meta[name="map-tiles"]').count(), 0, 'the layout names no tile server')
  await page.locator('#project-map[data-tasks-loaded]').waitFor()
  assert.is(await page.locator('#project-map path.map-area').count(), 1, 'the area is drawn')
  assert.is(await page.locator('#project-map path.map-task').count(), m.taskCount, 'every task is drawn')
  assert.is(await page.locator('#project-map path.map-task.s-ready').count(), m.taskCount, 'coloured by state')
  // a task is still clickable and labelled on a blank background
  assert.match((await page.locator('#project-map path.map-task').first().getAttribute('aria-label')) ?? '', /^Task \d+: ready$/)
  await page.waitForTimeout(500) // time for any tile request to have been made
  assert.is(await page.locator('#project-map .leaflet-tile').count(), 0, 'no tile layer')
  assert.equal(m.b.external, [], 'nothing was requested outside the app')
  assert.not.match(await page.locator('#project-map .leaflet-control-attribution').innerText(), 'OpenStreetMap', 'no attribution for tiles not shown')
  assert.equal(await m.violations(), [])
  await m.b.screenshot('map-blank-project')
})

test('the task page’s map, focused on its task, draws on the blank background too', async () => {
  const page = m.b.page
  const cell = page.locator('#project-map path.map-task').first()
  const number = await cell.getAttribute('data-task')
  await Promise.all([page.waitForURL(`${m.projectUrl}/tasks/${number}`), cell.click()])
  await page.locator('#task-map[data-tasks-loaded]').waitFor()
  assert.is(await page.locator('#task-map path.map-task.focus').getAttribute('data-task'), number)
  assert.is(await page.locator('#task-map path.map-task').count(), m.taskCount)
  assert.is(await page.locator('#task-map .leaflet-tile').count(), 0)
  assert.equal(m.b.external, [], 'still nothing requested outside the app')
  await m.b.screenshot('map-blank-task')
  assert.equal(m.b.problems, [])
})

test.run()
