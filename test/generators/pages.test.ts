// `--pages` run by yeoman-test: `yo trefoil --pages` writes the site shell (layout, error page,
// home page, htmx and the pages' script served by the app) and its first unit with views and
// browser tests; later units get pages by default; `yo trefoil:unit --pages` brings the shell to a
// service made without it; a unit with pages that gains a field gets it in its views. The views
// are compiled by the runtime's own loader, as the app compiles them at start-up. (The
// end-to-end test, e2e-pages, installs such a service and runs its tests in Chromium.)
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadViews } from 'trefoil'
import { filesOf, read, removeFolders, runApp, runUnit, snapshot, tempFolder } from './generate.js'

test.after(() => removeFolders())

const FIELDS = 'title:string, done:boolean, priority:integer?, kind:incident|survey, seen_at:datetime?'

/** A fresh service made with `--pages`, its first unit `task-events`. */
async function service(flags: Record<string, string | boolean> = {}): Promise<string> {
  const dir = tempFolder()
  await runApp(dir, ['svc'], { yes: true, runtime: 'registry', pages: true, unit: 'task-event', fields: FIELDS, ...flags })
  return join(dir, 'svc')
}

/** The generator's part of .yo-rc.json. */
const record = (dir: string): { pages?: boolean; units: Record<string, { pages?: boolean }> } => JSON.parse(read(dir, '.yo-rc.json'))['generator-trefoil']

test('yo trefoil --pages writes the site shell, and its first unit with views, page tests and browser tests', async () => {
  const dir = await service()
  const files = filesOf(dir)
  for (const file of ['views/layout.ejs', 'views/error.ejs', 'views/home.ejs', 'views/nav.ejs', 'static/app.js', 'src/site.ts', 'tests/site.test.ts']) assert.ok(files.includes(file), file)
  assert.equal(filesOf(join(dir, 'views/task-events')), ['edit.ejs', 'form.ejs', 'list.ejs', 'new.ejs', 'show.ejs'])
  for (const file of ['tests/task-events.test.ts', 'tests/task-events-pages.test.ts', 'tests/task-events-browser.test.ts']) assert.ok(files.includes(file), file)
  // htmx comes from the app's own files, installed from npm: no CDN
  const layout = read(dir, 'views/layout.ejs')
  assert.match(layout, /<script src="\/static\/htmx\.min\.js" defer><\/script>/)
  assert.not.match(layout, /https?:\/\//)
  assert.match(read(dir, 'src/site.ts'), /require\.resolve\('htmx\.org\/dist\/htmx\.min\.js'\)/)
  const manifest = JSON.parse(read(dir, 'package.json'))
  assert.is(manifest.dependencies['htmx.org'], '^2.0.11')
  assert.is(manifest.devDependencies['playwright-core'], '^1.65.1')
  const main = read(dir, 'src/main.ts')
  assert.match(main, /^import \{ securityHeaders, site \} from '\.\/site\.js'$/m)
  assert.match(main, /plugins: \[\n {4}databasePlugin,\n {4}openapi\(.*\),\n {4}securityHeaders,\n {4}site,\n {4}taskEvents,\n {2}\],/)
  assert.match(main, /createApp\(\{\n {2}settings,\n {2}views: \{ dir: fileURLToPath\(new URL\('\.\.\/views', import\.meta\.url\)\), layout: 'layout' \},\n/)
  assert.is(read(dir, 'views/nav.ejs').trim().split('\n').pop(), '<a href="/v1/task-events">Task events</a>')
  assert.equal([record(dir).pages, record(dir).units['task-events']!.pages], [true, true])
})

test('the unit with pages: its routes answer views on the JSON routes, add the forms’ pages, and search its text fields', async () => {
  const dir = await service()
  const routes = read(dir, 'src/task-events/routes.ts')
  assert.match(routes, /r\.get\(\n {4}'\/',\n {4}\{ query: TaskEventPage, use: \{ db: database \}, response: t\.Array\(TaskEventOut\), view: 'task-events\/list'/)
  assert.match(routes, /r\.get\('\/:taskEventId', \{ use: \{ taskEvent \}, response: TaskEventOut, view: 'task-events\/show'/)
  for (const page of ["r.get('/new'", "r.get('/:taskEventId/edit'"]) assert.ok(routes.includes(page), page)
  assert.match(routes, /if \(isHtmx\(ctx\)\) ctx\.set\('HX-Redirect', `\/v1\/task-events\/\$\{row\.id\}`\)/)
  assert.match(read(dir, 'src/task-events/schemas.ts'), /q: t\.Optional\(t\.String\(\{ maxLength: 200, transform: \['trim'\] \}\)\),/)
  // the text and the enum are searched, the numbers and dates are not
  assert.match(read(dir, 'src/db/models.ts'), /const TASK_EVENT_SEARCH = `\(\$<q> IS NULL OR strpos\(lower\(title\), lower\(\$<q>\)\) > 0 OR strpos\(lower\(kind::text\), lower\(\$<q>\)\) > 0\)`/)
  assert.match(read(dir, 'src/task-events/logic.ts'), /export function countTaskEvents\(db: Db, search: Pick<TaskEventPage, 'q'>\): Promise<number>/)
  const form = read(dir, 'views/task-events/form.ejs')
  assert.match(form, /<input type="text" id="task-events-title" name="title" data-kind="string" required maxlength="200" value="<%= row\.title \?\? '' %>">/)
  assert.match(form, /<input type="checkbox" id="task-events-done" name="done" data-kind="boolean"<%- row\.done \? ' checked' : '' %>> Done<\/label>/)
  assert.match(form, /<input type="number" id="task-events-priority" name="priority" data-kind="integer" data-nullable step="1"/)
  assert.match(form, /<select id="task-events-kind" name="kind" data-kind="enum" required>/)
  assert.match(form, /<input type="datetime-local" id="task-events-seen-at" name="seenAt" data-kind="datetime" data-nullable value="<%= row\.seenAt \? String\(row\.seenAt\)\.slice\(0, 16\) : '' %>">/)
  assert.match(read(dir, 'tests/task-events-browser.test.ts'), /await page\.locator\('#task-events-title'\)\.fill\(""\)/)
})

test('the views compile as the app compiles them at start-up', async () => {
  const dir = await service()
  const views = loadViews({ dir: join(dir, 'views'), layout: 'layout' })
  for (const view of ['layout', 'error', 'home', 'nav', 'task-events/list', 'task-events/show', 'task-events/form', 'task-events/new', 'task-events/edit']) assert.ok(views.has(view), view)
  // and render: a list with a row, its page, the change form
  const row = { id: 7, title: 'Flooded <road>', done: true, priority: null, kind: 'survey', seenAt: '2024-05-01T10:30:00.000Z' }
  const list = views.render('task-events/list', { data: [row], listed: { limit: 50, offset: 0, total: 1 } })
  assert.match(list, /<td data-field="title">Flooded &lt;road&gt;<\/td>/)
  assert.match(list, /<td data-field="seenAt">2024-05-01 10:30 UTC<\/td>/)
  assert.match(list, /<span>1–1 of 1<\/span>/)
  const show = views.render('task-events/show', { data: row })
  assert.match(show, /<dd data-field="done">yes<\/dd>/)
  assert.match(show, /<dd data-field="priority">—<\/dd>/)
  const edit = views.render('task-events/edit', { row })
  assert.match(edit, /hx-patch="\/v1\/task-events\/7"/)
  assert.match(edit, /<option selected>survey<\/option>/)
  assert.match(edit, /value="2024-05-01T10:30"/)
  assert.match(views.render('layout', { body: '<p>x</p>' }), /<a href="\/v1\/task-events">Task events<\/a>/)
})

test('yo trefoil:unit in a service with pages gives the new unit pages and a link; --no-pages writes a JSON-only unit; a second run changes nothing', async () => {
  const dir = await service()
  await runUnit(dir, ['site'], { fields: 'name:string, lat:number, lon:number' })
  assert.equal(filesOf(join(dir, 'views/sites')), ['edit.ejs', 'form.ejs', 'list.ejs', 'new.ejs', 'show.ejs'])
  assert.match(read(dir, 'views/nav.ejs'), /<a href="\/v1\/task-events">Task events<\/a>\n<a href="\/v1\/sites">Sites<\/a>\n$/)
  await runUnit(dir, ['audit'], { fields: 'note:string', pages: false })
  assert.not.match(read(dir, 'src/audits/routes.ts'), /view:/)
  assert.not.ok(filesOf(dir).some((file) => file.startsWith('views/audits')))
  const before = snapshot(dir)
  await new Promise((resolve) => setTimeout(resolve, 20)) // a rewrite would show in the mtimes
  await runUnit(dir, ['site'], { fields: 'name:string, lat:number, lon:number' })
  await runUnit(dir, ['audit'])
  assert.equal(snapshot(dir), before)
})

test('yo trefoil:unit --pages in a service made without pages brings the shell, and leaves its JSON-only unit as it was', async () => {
  const dir = tempFolder()
  await runApp(dir, ['plain'], { yes: true, runtime: 'registry' })
  const root = join(dir, 'plain')
  const tasks = snapshot(join(root, 'src/tasks'))
  await runUnit(root, ['site'], { fields: 'name:string', pages: true })
  for (const file of ['views/layout.ejs', 'static/app.js', 'src/site.ts', 'views/sites/list.ejs', 'tests/sites-browser.test.ts']) assert.ok(filesOf(root).includes(file), file)
  assert.is(JSON.parse(read(root, 'package.json')).dependencies['htmx.org'], '^2.0.11')
  assert.match(read(root, 'src/main.ts'), /securityHeaders,\n {4}site,\n {4}tasks,\n {4}sites,\n/)
  assert.equal(snapshot(join(root, 'src/tasks')), tasks)
  assert.is(record(root).pages, true)
})

test('a unit with pages that gains a field gets it in its views and its page tests; the next migration adds the column', async () => {
  const dir = await service()
  await runUnit(dir, ['task-event'], { fields: `${FIELDS}, due:date?` })
  assert.ok(filesOf(join(dir, 'src/db/migrations')).includes('002_alter_task_events.sql'))
  assert.match(read(dir, 'views/task-events/form.ejs'), /<input type="date" id="task-events-due" name="due" data-kind="date" data-nullable value="<%= row\.due \?\? '' %>">/)
  assert.match(read(dir, 'views/task-events/list.ejs'), /<th>Due<\/th>/)
  assert.match(read(dir, 'views/task-events/show.ejs'), /<dd data-field="due"><%= shown\(row\.due, 'date'\) %><\/dd>/)
  assert.match(read(dir, 'tests/task-events-pages.test.ts'), /<dd data-field=\\"due\\">2024-05-01<\/dd>/)
  assert.match(read(dir, 'tests/task-events-browser.test.ts'), /await page\.locator\('#task-events-due'\)\.fill\("2024-05-01"\)/)
  assert.is(record(dir).units['task-events']!.pages, true)
})

test.run()
