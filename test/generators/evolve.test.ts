// A unit that changes: `yo trefoil:unit <existing> --fields …` writes the next migration (ALTER
// TABLE) and rewrites the unit's files to follow the fields; a migration that exists is never
// written again, with or without --force. (The end-to-end test runs these migrations on data.)
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseFields } from '../../generators/src/lib/fields.js'
import { alterTable, parseFills, parseRenames } from '../../generators/src/lib/migration.js'
import { unitNames } from '../../generators/src/lib/names.js'
import { failure, filesOf, read, removeFolders, runApp, runUnit, snapshot, tempFolder, type Asked } from './generate.js'

test.after(() => removeFolders())

const FIELDS = 'title:string, done:boolean, priority:integer?, kind:incident|survey'
const units = unitNames('task-events')
const alter = (before: string, after: string, hints: { rename?: string; fill?: string } = {}) =>
  alterTable('task_events', parseFields(before, units), parseFields(after, units), { renames: parseRenames(hints.rename), fills: parseFills(hints.fill) })

/** A fresh service with the task-events unit of {@link FIELDS}. */
async function service(): Promise<string> {
  const dir = tempFolder()
  await runApp(dir, ['svc'], { yes: true, runtime: 'registry', git: false })
  const root = join(dir, 'svc')
  await runUnit(root, ['task-event'], { fields: FIELDS })
  return root
}

/** The generator's part of .yo-rc.json. */
interface Rc {
  units: Record<string, { fields: string; crud: boolean }>
}
const record = (dir: string): Rc => (JSON.parse(read(dir, '.yo-rc.json')) as Record<string, Rc>)['generator-trefoil']!

const migrations = (dir: string): string[] => filesOf(join(dir, 'src/db/migrations'))

test('a new field: the next migration adds its column; the unit, its model and its test follow; 002 is untouched', async () => {
  const dir = await service()
  const created = read(dir, 'src/db/migrations/002_task_events.sql')
  await runUnit(dir, ['task-event'], { fields: `${FIELDS}, due:date?` })
  assert.equal(migrations(dir), ['001_tasks.sql', '002_task_events.sql', '003_alter_task_events.sql'])
  assert.is(read(dir, 'src/db/migrations/002_task_events.sql'), created)
  assert.is(read(dir, 'src/db/migrations/003_alter_task_events.sql'), '-- The task_events table of the task-events unit (src/task-events/), changed:\n-- add column due\n\nALTER TABLE task_events ADD COLUMN due date;\n')
  assert.match(read(dir, 'src/task-events/schemas.ts'), /due: t\.Optional\(t\.Union\(\[t\.String\(\{ format: 'date' \}\), t\.Null\(\)\]\)\),/)
  assert.match(read(dir, 'src/db/models.ts'), /INSERT INTO task_events \(title, done, priority, kind, due\)/)
  assert.match(read(dir, 'tests/task-events.test.ts'), /due: '2024-05-01'/)
  assert.is((read(dir, 'src/db/models.ts').match(/^export const taskEvents = /gm) ?? []).length, 1)
  assert.is(record(dir).units['task-events']!.fields, `${FIELDS}, due:date?`)
})

test('run again with the changed fields, or with no --fields at all, it changes nothing', async () => {
  const dir = await service()
  await runUnit(dir, ['task-event'], { fields: `${FIELDS}, due:date?` })
  const before = snapshot(dir)
  await new Promise((resolve) => setTimeout(resolve, 20)) // a rewrite would show in the mtimes
  await runUnit(dir, ['task-event'], { fields: `${FIELDS}, due:date?` })
  await runUnit(dir, ['task-events'])
  assert.equal(snapshot(dir), before)
})

test('--rename renames the column (its data kept); a rename naming no field is refused', async () => {
  const dir = await service()
  await runUnit(dir, ['task-event'], { fields: FIELDS.replace('title', 'name'), rename: 'title:name' })
  assert.match(read(dir, 'src/db/migrations/003_alter_task_events.sql'), /\nALTER TABLE task_events RENAME COLUMN title TO name;\n$/)
  assert.match(read(dir, 'src/db/models.ts'), /INSERT INTO task_events \(name, done, priority, kind\)/)
  const before = snapshot(dir)
  assert.match(await failure(runUnit(dir, ['task-event'], { fields: FIELDS, rename: 'label:title' })), /^Cannot rename "label": the unit has no such field \(it has name, done, priority, kind\)$/)
  assert.equal(snapshot(dir), before)
})

test('a dropped field is refused without --allow-drop, writing nothing; with it, the column goes', async () => {
  const dir = await service()
  const before = snapshot(dir)
  const message = await failure(runUnit(dir, ['task-event'], { fields: 'title:string, priority:integer?, kind:incident|survey' }))
  assert.is(message, 'Cannot change unit "task-events" without --allow-drop: its migration drops the column task_events.done and its data')
  assert.equal(snapshot(dir), before)
  await runUnit(dir, ['task-event'], { fields: 'title:string, priority:integer?, kind:incident|survey', allowDrop: true })
  assert.match(read(dir, 'src/db/migrations/003_alter_task_events.sql'), /\nALTER TABLE task_events DROP COLUMN done;\n$/)
  assert.not.match(read(dir, 'src/task-events/schemas.ts'), /done/)
})

/** Runs `fn` as if stdin were a terminal, where the generator asks before a change that loses data. */
async function atTerminal<T>(fn: () => Promise<T>): Promise<T> {
  const stdin = process.stdin as { isTTY?: boolean }
  const was = stdin.isTTY
  stdin.isTTY = true
  try {
    return await fn()
  } finally {
    stdin.isTTY = was
  }
}

test('at a terminal a dropped field is asked about first: "no" writes nothing, "yes" writes the drop migration', async () => {
  const dir = await service()
  const fewer = 'title:string, priority:integer?, kind:incident|survey'
  const question = { name: 'allow', message: 'Change unit "task-events"? Its migration drops the column task_events.done and its data' }
  const before = snapshot(dir)
  await new Promise((resolve) => setTimeout(resolve, 20)) // a rewrite would show in the mtimes
  const declined: Asked[] = []
  const message = await atTerminal(() => failure(runUnit(dir, ['task-event'], { fields: fewer }, { answers: { allow: false }, asked: declined })))
  assert.equal(declined, [{ ...question, answer: false }])
  assert.is(message, 'Unit "task-events" left as it was (answered no): its migration drops the column task_events.done and its data')
  assert.equal(snapshot(dir), before)
  // --yes at a terminal asks nothing, so it refuses as without one
  const unasked: Asked[] = []
  assert.is(await atTerminal(() => failure(runUnit(dir, ['task-event'], { fields: fewer, yes: true }, { answers: { allow: true }, asked: unasked }))), 'Cannot change unit "task-events" without --allow-drop: its migration drops the column task_events.done and its data')
  assert.equal(unasked, [])
  assert.equal(snapshot(dir), before)
  const allowed: Asked[] = []
  await atTerminal(() => runUnit(dir, ['task-event'], { fields: fewer }, { answers: { allow: true }, asked: allowed }))
  assert.equal(allowed, [{ ...question, answer: true }])
  assert.equal(migrations(dir), ['001_tasks.sql', '002_task_events.sql', '003_alter_task_events.sql'])
  assert.match(read(dir, 'src/db/migrations/003_alter_task_events.sql'), /\nALTER TABLE task_events DROP COLUMN done;\n$/)
  assert.not.match(read(dir, 'src/task-events/schemas.ts'), /done/)
  for (const file of ['001_tasks.sql', '002_task_events.sql']) assert.is(snapshot(dir)[`src/db/migrations/${file}`], before[`src/db/migrations/${file}`], `${file} untouched`)
})

test('a new required field needs --fill for the rows already there', async () => {
  const dir = await service()
  assert.match(await failure(runUnit(dir, ['task-event'], { fields: `${FIELDS}, site:string` })), /^Cannot add the required field "site" to task_events: rows already there need a value; give one with --fill site=<value>, or make the field optional \(site\?\)$/)
  assert.match(await failure(runUnit(dir, ['task-event'], { fields: `${FIELDS}, rank:integer`, fill: 'rank=high' })), /^Cannot use --fill rank=high: give a whole number$/)
  await runUnit(dir, ['task-event'], { fields: `${FIELDS}, site:string`, fill: "site=Nobody's" })
  assert.match(read(dir, 'src/db/migrations/003_alter_task_events.sql'), /\nALTER TABLE task_events ADD COLUMN site text NOT NULL DEFAULT 'Nobody''s';\nALTER TABLE task_events ALTER COLUMN site DROP DEFAULT;\n$/)
})

test('the SQL of each change: types cast with USING, enums grown or replaced, required and optional', () => {
  assert.equal(alter(FIELDS, FIELDS.replace('priority:integer?', 'priority:number?')).sql, ['ALTER TABLE task_events ALTER COLUMN priority TYPE double precision USING priority::double precision;'])
  assert.equal(alter(FIELDS, FIELDS.replace('priority:integer?', 'priority:number?')).destructive, [], 'integer to number loses nothing')
  const narrowed = alter(FIELDS, FIELDS.replace('title:string', 'title:integer'), { fill: '' })
  assert.equal(narrowed.sql, ['ALTER TABLE task_events ALTER COLUMN title TYPE integer USING title::integer;'])
  assert.equal(narrowed.destructive.length, 1)
  assert.equal(alter(FIELDS, FIELDS.replace('incident|survey', 'incident|survey|audit')).sql, ["ALTER TYPE task_event_kind ADD VALUE 'audit';"])
  assert.equal(alter(FIELDS, FIELDS.replace('incident|survey', 'incident|audit'), { fill: 'kind=incident' }).sql, [
    'ALTER TYPE task_event_kind RENAME TO task_event_kind_old;',
    "CREATE TYPE task_event_kind AS ENUM ('incident', 'audit');",
    "ALTER TABLE task_events ALTER COLUMN kind TYPE task_event_kind USING CASE WHEN kind::text IN ('incident', 'audit') THEN kind::text::task_event_kind ELSE 'incident'::task_event_kind END;",
    'DROP TYPE task_event_kind_old;',
  ])
  assert.equal(alter(FIELDS, FIELDS.replace('kind:incident|survey', 'kind:string')).sql, ['ALTER TABLE task_events ALTER COLUMN kind TYPE text USING kind::text;', 'DROP TYPE task_event_kind;'])
  assert.equal(alter(FIELDS, FIELDS.replace('kind:incident|survey', 'category:incident|survey'), { rename: 'kind:category' }).sql, ['ALTER TABLE task_events RENAME COLUMN kind TO category;', 'ALTER TYPE task_event_kind RENAME TO task_event_category;'])
  assert.equal(alter(FIELDS, FIELDS.replace('priority:integer?', 'priority:integer'), { fill: 'priority=0' }).sql, ['UPDATE task_events SET priority = 0 WHERE priority IS NULL;', 'ALTER TABLE task_events ALTER COLUMN priority SET NOT NULL;'])
  assert.equal(alter(FIELDS, FIELDS.replace('done:boolean', 'done:boolean?')).sql, ['ALTER TABLE task_events ALTER COLUMN done DROP NOT NULL;'])
  assert.throws(() => alter(FIELDS, FIELDS.replace('priority:integer?', 'priority:integer')), /^Cannot make "priority" required on task_events: rows already there need a value/)
})

test('a file edited by hand is not replaced without --force; --force replaces it but never a migration', async () => {
  const dir = await service()
  writeFileSync(join(dir, 'src/task-events/logic.ts'), `${read(dir, 'src/task-events/logic.ts')}\n// mine\n`)
  const before = snapshot(dir)
  assert.match(await failure(runUnit(dir, ['task-event'], { fields: `${FIELDS}, due:date?` })), /^Cannot change unit "task-events": src\/task-events\/logic\.ts exists with other contents \(run with --force to overwrite; migrations are never rewritten\)$/)
  assert.equal(snapshot(dir), before)
  const created = read(dir, 'src/db/migrations/002_task_events.sql')
  await runUnit(dir, ['task-event'], { fields: `${FIELDS}, due:date?`, force: true })
  assert.not.match(read(dir, 'src/task-events/logic.ts'), /mine/)
  assert.is(read(dir, 'src/db/migrations/002_task_events.sql'), created)
  assert.equal(migrations(dir), ['001_tasks.sql', '002_task_events.sql', '003_alter_task_events.sql'])
})

test('a unit the generator did not record, whose table a migration creates already: refused even with --force', async () => {
  const dir = await service()
  const rc = JSON.parse(read(dir, '.yo-rc.json')) as Record<string, Rc>
  for (const stored of Object.values(rc)) delete stored.units['task-events']
  writeFileSync(join(dir, '.yo-rc.json'), JSON.stringify(rc))
  const before = snapshot(dir)
  assert.match(await failure(runUnit(dir, ['task-event'], { fields: 'title:string', force: true })), /^Cannot add unit "task-events": src\/db\/migrations\/002_task_events\.sql creates the table task_events already \(migrations are never rewritten\); pick another name$/)
  assert.equal(snapshot(dir), before)
})

test.run()
