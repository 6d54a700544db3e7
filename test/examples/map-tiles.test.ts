// MAP_TILE_URL set to another tile server: the maps ask that server for their tiles (and never
// OpenStreetMap's), the pages' Content-Security-Policy lets those images in, and its attribution
// is shown. The browser is offline (the fixture refuses every request that leaves the app), so
// the refused requests are what shows where tiles were asked for. Screenshot:
// test/artifacts/map-tiles-other-server.png.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mapSetup, type MapSetup } from './fixtures/map.js'

const TILES = 'https://{s}.tiles.example.net/base/{z}/{x}/{y}.png'
let m: MapSetup

test.before(async () => {
  m = await mapSetup({ MAP_TILE_URL: TILES, MAP_ATTRIBUTION: 'Tiles &copy; Example Maps' })
})
test.after(async () => {
  await m?.close()
})

test('the project map requests its tiles from the configured server, which the CSP allows; no tile comes from OpenStreetMap', async () => {
  const page = m.b.page
  const answer = await page.goto(m.projectUrl)
  const csp = (await answer!.headerValue('content-security-policy')) ?? ''
  assert.match(csp, /(^|;)\s*img-src 'self' data: https:\/\/\*\.tiles\.example\.net(;|$)/, csp)
  assert.not.match(csp, 'openstreetmap.org', 'only the configured tile host')
  assert.is(await page.locator('meta[name="map-tiles"]').getAttribute('content'), TILES)
  await page.locator('#project-map[data-tasks-loaded]').waitFor()
  await page.locator('#project-map img.leaflet-tile').first().waitFor({ state: 'attached' })
  // every tile image was asked of the configured server (and refused: the test is offline)
  await waitFor(() => m.b.external.length > 0)
  const tiles = m.b.external.filter((url) => url.includes('/base/'))
  assert.ok(tiles.length > 0, `tiles requested: ${m.b.external.join(', ')}`)
  for (const url of tiles) assert.match(url, /^https:\/\/[abc]\.tiles\.example\.net\/base\/\d+\/\d+\/\d+\.png$/)
  assert.equal(m.b.external.filter((url) => !url.includes('.tiles.example.net/')), [], 'nothing else left the app')
  // requested at all means the CSP let them through; the page reports no refusal either
  assert.equal(await m.violations(), [])
  assert.match(await page.locator('#project-map .leaflet-control-attribution').innerText(), 'Tiles © Example Maps')
  assert.is(await page.locator('#project-map path.map-task').count(), m.taskCount, 'the task layer draws too')
  assert.is(await page.locator('#project-map path.map-area').count(), 1)
  await m.b.screenshot('map-tiles-other-server')
  assert.equal(m.b.problems, [])
})

async function waitFor(condition: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

test.run()
