// `yo trefoil:unit <name>` run by yeoman-test in a generated service: the files it writes, the
// wiring into main.ts, a second run changing nothing, and the names and fields it refuses.
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseFields } from '../../generators/src/lib/fields.js'
import { unitNames } from '../../generators/src/lib/names.js'
import { wireUnit } from '../../generators/src/lib/unit.js'
import { failure, filesOf, read, removeFolders, runApp, runUnit, snapshot, tempFolder } from './generate.js'

test.after(() => removeFolders())

/** A fresh service with the default first unit (`tasks`). */
async function service(): Promise<string> {
  const dir = tempFolder()
  await runApp(dir, ['svc'], { yes: true, runtime: 'registry' })
  return join(dir, 'svc')
}

const FIELDS = 'title:string, done:boolean, priority:integer?, kind:incident|survey, seen_at:datetime?'

test('yo trefoil:unit task-event --fields writes the triple, its test and its migration', async () => {
  const dir = await service()
  await runUnit(dir, ['task-event'], { fields: FIELDS })
  assert.equal(filesOf(join(dir, 'src/task-events')), ['logic.ts', 'routes.ts', 'schemas.ts'])
  assert.ok(existsSync(join(dir, 'tests/task-events.test.ts')))
  const routes = read(dir, 'src/task-events/routes.ts')
  assert.match(routes, /export default defineUnit\('task-events', \{ prefix: '\/v1\/task-events', description: 'Task events: list, create, read, change and delete' \}, \(r\) => \[/, 'the unit returns its routes: the typed client reads them from the app')
  for (const route of ["r.get('/'", "r.post('/'", "r.get('/:taskEventId'", "r.patch('/:taskEventId'", "r.delete('/:taskEventId'"]) assert.ok(routes.includes(route), route)
  assert.not.match(routes, /db\.(one|many|none|result)|SELECT/, 'routes hold no SQL')
  const schemas = read(dir, 'src/task-events/schemas.ts')
  assert.match(schemas, /export const TaskEventIn = named\(\n {2}'TaskEventIn',\n {2}t\.Object\(\{\n {4}title: t\.String\(\{ minLength: 1, maxLength: 200, transform: \['trim'\] \}\),\n {4}done: t\.Boolean\(\),\n {4}priority: t\.Optional\(t\.Union\(\[t\.Integer\(\{ minimum: -2147483648, maximum: 2147483647 \}\), t\.Null\(\)\]\)\),\n {4}kind: TaskEventKind,\n {4}seenAt: t\.Optional\(t\.Union\(\[t\.String\(\{ format: 'date-time' \}\), t\.Null\(\)\]\)\),\n {2}\}\),\n\)/)
  assert.match(schemas, /export type TaskEventIn = Static<typeof TaskEventIn>/)
  assert.match(schemas, /export const TaskEventUpdate = named\('TaskEventUpdate', t\.Partial\(TaskEventIn\)\)/)
  assert.match(schemas, /export const TaskEventOut = named\(/)
  assert.match(schemas, /export const TaskEventParams = t\.Object\(\{ taskEventId: t\.Integer\(\{ minimum: 1 \}\) \}\)/)
  const logic = read(dir, 'src/task-events/logic.ts')
  for (const fn of ['listTaskEvents(db: Db, page: TaskEventPage)', 'createTaskEvent(db: Db, input: TaskEventIn)', 'updateTaskEvent(db: Db, taskEvent: TaskEventOut, changes: TaskEventUpdate)', 'deleteTaskEvent(db: Db, taskEvent: TaskEventOut)']) assert.ok(logic.includes(fn), fn)
  assert.match(logic, /throw new NotFound\(`Task event \$\{params\.taskEventId\} not found`\)/)
  assert.not.match(logic, /from 'koa'/)
  assert.is(
    read(dir, 'src/db/migrations/002_task_events.sql'),
    "-- The task_events table of the task-events unit (src/task-events/).\nCREATE TYPE task_event_kind AS ENUM ('incident', 'survey');\n\nCREATE TABLE task_events (\n  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  title text NOT NULL,\n  done boolean NOT NULL,\n  priority integer,\n  kind task_event_kind NOT NULL,\n  seen_at timestamptz\n);\n",
  )
  const models = read(dir, 'src/db/models.ts')
  assert.match(models, /^import type \{ TaskEventIn, TaskEventOut, TaskEventUpdate \} from '\.\.\/task-events\/schemas\.js'$/m)
  assert.match(models, /^export const taskEvents = \{$/m)
  assert.match(models, /INSERT INTO task_events \(title, done, priority, kind, seen_at\) VALUES \(\$<title>, \$<done>, \$<priority>, \$<kind>, \$<seenAt>\)/)
  assert.match(models, /to_char\(seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS\.MS"Z"'\) AS "seenAt"/)
  assert.match(read(dir, 'src/db/enums.ts'), /export const TASK_EVENT_KINDS = \['incident', 'survey'\] as const/)
  const test = read(dir, 'tests/task-events.test.ts')
  assert.match(test, /answers 422/)
  assert.match(test, /^const api = client\(app\)$/m, 'the test calls the routes through the typed client')
  assert.match(test, /answer 404 for a missing id/)
  assert.not.match(read(dir, 'src/task-events/routes.ts') + logic + schemas + models + test, /TODO|FIXME/)
})

test("the unit's test comes in the guide's three layers: logic.ts without HTTP, routes in process with a dependency overridden, one real socket", async () => {
  const dir = await service()
  await runUnit(dir, ['task-event'], { fields: FIELDS })
  const test = read(dir, 'tests/task-events.test.ts')
  // in this order: logic.ts alone, routes in process, one real socket
  const titles = ["describe('logic, on the database without HTTP'", "describe('routes, in process (the typed client over app.inject)'", "describe('over a real socket'"]
  const [logicLayer = -1, inProcess = -1, socket = -1] = titles.map((title) => test.indexOf(title))
  assert.ok(logicLayer >= 0 && inProcess > logicLayer && socket > inProcess, `the three layers, in order, at ${[logicLayer, inProcess, socket].join(', ')}`)
  assert.ok(test.slice(logicLayer, inProcess).includes('await createTaskEvent(db(), input)'), 'the first layer calls logic.ts itself')
  // the in-process layer overrides the unit's dependency (no row needed) and clears it after
  const override = test.indexOf('app.overrideDependency(taskEvent, () => stand)')
  assert.ok(override > inProcess && override < socket, 'a dependency overridden in the in-process layer')
  assert.match(test, /\} finally \{\n {6}app\.clearOverrides\(\)\n {4}\}/)
})

test('the unit is imported and listed last in the plugins of src/main.ts', async () => {
  const dir = await service()
  await runUnit(dir, ['task-event'], { fields: FIELDS })
  const main = read(dir, 'src/main.ts')
  assert.match(main, /^import tasks from '\.\/tasks\/routes\.js'\nimport taskEvents from '\.\/task-events\/routes\.js'\n\n/m)
  assert.match(main, /plugins: \[\n {4}databasePlugin,\n {4}openapi\(.*\),\n {4}tasks,\n {4}taskEvents,\n {2}\],/)
})

test('running it again with the same name (any spelling) and fields changes nothing', async () => {
  const dir = await service()
  await runUnit(dir, ['task-event'], { fields: FIELDS })
  const before = snapshot(dir)
  await new Promise((resolve) => setTimeout(resolve, 20)) // a rewrite would show in the mtimes
  await runUnit(dir, ['task-event'], { fields: FIELDS })
  await runUnit(dir, ['TaskEvents'], { fields: FIELDS })
  assert.equal(snapshot(dir), before)
})

test('a hand-written unit on the same route, or a name main.ts already uses, is refused', async () => {
  const dir = await service()
  writeFileSync(join(dir, 'src/main.ts'), read(dir, 'src/main.ts').replace("import tasks from './tasks/routes.js'", "import tasks from './tasks/routes.js'\nimport reports from './legacy/reports.js'"))
  assert.match(await failure(runUnit(dir, ['report'])), /^Cannot add unit "reports": src\/main\.ts already uses the name "reports" \(from \.\/legacy\/reports\.js\)/)
  const other = await service()
  writeFileSync(join(other, 'src/tasks/routes.ts'), read(other, 'src/tasks/routes.ts').replace("prefix: '/v1/tasks'", "prefix: '/v1/jobs'"))
  assert.match(await failure(runUnit(other, ['job'])), /^Cannot add unit "jobs": src\/tasks\/routes\.ts already serves \/v1\/jobs/)
})

for (const [name, message] of [
  ['class', /^Cannot use "class" as a unit name: "class" is a reserved word in JavaScript$/],
  ['db', /^Cannot use "db" as a unit name: "dbs" is already used|^Cannot use "db" as a unit name: "db" is already used/],
  ['setting', /^Cannot use "setting" as a unit name: "settings" is already used by the service/],
  ['health', /^Cannot use "health" as a unit name: "health" is already used by the service/],
  ['query', /^Cannot use "query" as a unit name: "query" is already used by the service/],
  ['3d-models', /^Cannot use "3d-models" as a unit name: use letters, digits and dashes, starting with a letter/],
  ['tasks/../x', /^Cannot use "tasks\/\.\.\/x" as a unit name/],
  ['create-project', /^Cannot use "create-project" as a unit name: it starts with the verb "create", and in REST the HTTP method is the verb; name the thing instead: yo trefoil:unit projects \(POST \/v1\/projects creates one\)$/],
  ['getUsers', /^Cannot use "getUsers" as a unit name: it starts with the verb "get", .*yo trefoil:unit users \(GET \/v1\/users lists them, GET \/v1\/users\/:id reads one\)$/],
  ['update-task-status', /: it starts with the verb "update", .*yo trefoil:unit task-statuses \(PATCH \/v1\/task-statuses\/:id changes one\)$/],
  ['delete_site', /: it starts with the verb "delete", .*yo trefoil:unit sites \(DELETE \/v1\/sites\/:id deletes one\)$/],
  ['do-import', /: it starts with the verb "do", .*yo trefoil:unit imports \(an action is a POST to a noun, e.g\. POST \/v1\/imports to record one\)$/],
] as const) {
  test(`refuses the unit name "${name}" with a clear message, writing nothing`, async () => {
    const dir = await service()
    const before = snapshot(dir)
    assert.match(await failure(runUnit(dir, [name])), message)
    assert.equal(snapshot(dir), before)
  })
}

test('run from a folder inside the service, it writes to the service', async () => {
  const dir = await service()
  await runUnit(join(dir, 'src', 'tasks'), ['report'])
  assert.ok(existsSync(join(dir, 'src/reports/routes.ts')))
  assert.match(read(dir, 'src/main.ts'), /\n {4}reports,\n/)
  assert.not.ok(existsSync(join(dir, 'src/tasks/src')))
})

test('refuses to run outside a service', async () => {
  assert.match(await failure(runUnit(tempFolder(), ['tasks'])), /^Cannot add a unit here: .*src\/main\.ts is missing; run yo trefoil:unit in a service made by yo trefoil$/)
})

test('--no-crud writes an empty triple and its test: no table, no model', async () => {
  const dir = await service()
  const models = read(dir, 'src/db/models.ts')
  await runUnit(dir, ['audit-log'], { crud: false })
  assert.equal(filesOf(join(dir, 'src/audit-logs')), ['logic.ts', 'routes.ts', 'schemas.ts'])
  assert.equal(filesOf(join(dir, 'src/db/migrations')), ['001_tasks.sql'])
  assert.is(read(dir, 'src/db/models.ts'), models)
  assert.match(read(dir, 'src/audit-logs/routes.ts'), /defineUnit\('audit-logs', \{ prefix: '\/v1\/audit-logs', description: 'Audit logs' \}, \(\) => \{\}\)/)
  assert.match(read(dir, 'tests/audit-logs.test.ts'), /app\.plugin\(auditLogs\)/)
  assert.match(read(dir, 'src/main.ts'), /\n {4}auditLogs,\n/)
})

test('names: plural routes and tables, singular schemas, kebab-case folders', () => {
  for (const spelling of ['task-event', 'task-events', 'TaskEvent', 'task_events', 'taskEvent']) {
    const names = unitNames(spelling)
    assert.equal([names.kebab, names.route, names.table, names.camelPlural, names.camelSingular, names.pascal, names.param], ['task-events', '/v1/task-events', 'task_events', 'taskEvents', 'taskEvent', 'TaskEvent', 'taskEventId'], spelling)
  }
  assert.is(unitNames('person').route, '/v1/people')
  // a verb alone can be a thing; only a verb before the thing is refused
  for (const noun of ['updates', 'runs', 'searches', 'lists', 'post-mortems']) assert.is(unitNames(noun).kebab, noun)
  assert.is(unitNames('category').pascal, 'Category')
  assert.is(unitNames('categories').table, 'categories')
})

test('fields: types, optional marks and the errors that name the bad entry', () => {
  const fields = parseFields('title:string, done:bool, priority?:int, due_date:date?', unitNames('tasks'))
  assert.equal(fields.map((f) => [f.name, f.column, f.optional, f.sqlType]), [
    ['title', 'title', false, 'text NOT NULL'],
    ['done', 'done', false, 'boolean NOT NULL'],
    ['priority', 'priority', true, 'integer'],
    ['dueDate', 'due_date', true, 'date'],
  ])
  const units = unitNames('tasks')
  assert.throws(() => parseFields('title', units), /^Cannot read the field "title": write name:type, e.g\. title:string or priority:integer\?$/)
  assert.throws(() => parseFields('id:integer', units), /^Cannot add the field "id": every unit has one already/)
  assert.throws(() => parseFields('a:string, a:text', units), /^Cannot add the field "a" twice$/)
  assert.throws(() => parseFields('order:integer', units), /^Cannot use "order" as a field name: it is a reserved word in SQL/)
  assert.throws(() => parseFields('status:open', units), /^Cannot use the type "open" of the field "status": use one of /)
  assert.throws(() => parseFields('status:Open|closed', units), /^Cannot read the values of "status:Open\|closed": list two or more distinct lower-case words/)
})

test('wiring into main.ts: one-line lists, lists already holding the unit, and no list at all', () => {
  const names = unitNames('tasks')
  const oneLine = "import { createApp } from 'trefoil'\n\nexport const app = createApp({ plugins: [db] })\n"
  const wired = wireUnit(oneLine, names)
  assert.is(wired, "import { createApp } from 'trefoil'\nimport tasks from './tasks/routes.js'\n\nexport const app = createApp({ plugins: [db, tasks] })\n")
  assert.is(wireUnit(wired, names), wired)
  assert.is(wireUnit("import x from 'y'\nexport const app = createApp({ plugins: [] })\n", names), "import x from 'y'\nimport tasks from './tasks/routes.js'\nexport const app = createApp({ plugins: [tasks] })\n")
  assert.throws(() => wireUnit("export const app = createApp({})\n", names), /^Cannot list unit "tasks" in src\/main\.ts: it has no `plugins: \[\.\.\.\]`; add tasks to createApp\(\{ plugins \}\) by hand$/)
})

test.run()
