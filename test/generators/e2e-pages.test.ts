// A service with pages, end to end: the real `yo` writes it with `--pages` (its first unit with
// every kind of field a form has a control for), adds a second unit (pages by default), then
// gives the first unit one more field; `npm install`, `tsc --noEmit`, and the service's own
// `npm test` (its browser tests in Debian's Chromium, none skipped) pass as written. The browser
// tests keep their screenshots under test/artifacts/generated-pages/ (gitignored) to be looked
// at. Takes a few minutes (a fresh install from the npm cache); prints its timings.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ok, repo, start, workspace } from './real.js'

const space = workspace('trefoil-pages-')
const service = join(space.work, 'field-pages')
const SCREENSHOTS = join(repo, 'test', 'artifacts', 'generated-pages')
const FIELDS = 'title:string, done:boolean, priority:integer?, kind:incident|survey, notes:text?, seen_at:datetime?'

test.after(() => space.done())

test('yo trefoil --pages, a second unit, then a field more for the first: quiet, one line each', async () => {
  await space.prepare()
  ok(await space.yo(['trefoil', 'field-pages', '--yes', '--skip-install', '--no-git', '--pages', '--unit', 'task-event', '--fields', FIELDS], space.work), 'yo trefoil --pages')
  ok(await space.yo(['trefoil:unit', 'site', '--fields', 'name:string, lat:number, lon:number, contact:email?'], service), 'yo trefoil:unit site')
  const evolved = await space.yo(['trefoil:unit', 'task-event', '--fields', `${FIELDS}, due:date?`], service)
  ok(evolved, 'yo trefoil:unit task-event with due')
  assert.match(evolved.output, /Unit "task-events" changed: .*views\/task-events\/form\.ejs.*; src\/db\/migrations\/003_alter_task_events\.sql \(add column due\) runs at the next start\./)
  for (const file of ['views/layout.ejs', 'static/app.js', 'src/site.ts', 'views/sites/list.ejs', 'tests/sites-browser.test.ts', 'tests/task-events-pages.test.ts']) assert.ok(existsSync(join(service, file)), file)
})

test('npm install, then tsc --noEmit passes', async () => {
  ok(await space.run('npm install', 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: service, timeoutMs: 300_000 }), 'npm install')
  ok(await space.run('tsc --noEmit', process.execPath, [join(service, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit'], { cwd: service }), 'tsc --noEmit')
})

test("the service's own npm test passes, its browser tests run in Chromium (none skipped) and keep their screenshots", async () => {
  rmSync(SCREENSHOTS, { recursive: true, force: true })
  mkdirSync(SCREENSHOTS, { recursive: true })
  const ran = await space.run('npm test', 'npm', ['test'], { cwd: service, env: { SCREENSHOTS_DIR: SCREENSHOTS }, timeoutMs: 420_000 })
  ok(ran, 'npm test')
  // the two units' API (13 each), pages (6 each) and browser (6 each) tests, and the site's (3)
  assert.match(ran.output, /ℹ pass 53\n/)
  assert.match(ran.output, /ℹ fail 0\n/)
  assert.match(ran.output, /ℹ skipped 0\n/)
  const shots = readdirSync(SCREENSHOTS).sort()
  for (const unit of ['task-events', 'sites']) for (const page of ['new-refused', 'detail', 'edit', 'list']) assert.ok(shots.includes(`${unit}-${page}.png`), `${unit}-${page}.png in ${shots.join(', ')}`)
})

test('npm start: the home page links to both units, the pages load htmx from the app, a browser gets a 404 page', async () => {
  const { base, stop } = await start(space, service)
  try {
    const browser = { accept: 'text/html' }
    const home = await fetch(`${base}/`, { headers: browser })
    assert.is(home.status, 200)
    const html = await home.text()
    for (const link of ['<a href="/v1/task-events">Task events</a>', '<a href="/v1/sites">Sites</a>']) assert.ok(html.includes(link), link)
    const htmx = await fetch(`${base}/static/htmx.min.js`)
    assert.is(htmx.status, 200)
    assert.match(await htmx.text(), /htmx/)
    const missing = await fetch(`${base}/v1/sites/2147483647`, { headers: browser })
    assert.is(missing.status, 404)
    assert.match(await missing.text(), /data-status="404"/)
    const api = await fetch(`${base}/v1/sites`)
    assert.match(String(api.headers.get('content-type')), /^application\/json/)
  } finally {
    await stop()
  }
})

test.run()
