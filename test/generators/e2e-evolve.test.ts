// A unit that lives: a service whose task-events table holds rows (the development database a
// row made over HTTP, the tests' database the rows of each test run) has that unit changed three
// times by `yo trefoil:unit task-event --fields …`, the third (a dropped field) answered at a real
// terminal, "n" then "y". Each time one new migration appears, the old ones stay as they were and
// `npm test` passes (each run on the rows of the runs before); `yo trefoil --force` over it is
// refused; at the end `tsc --noEmit` passes and the first row is still there, its column renamed,
// the new ones filled. Takes a few minutes (type-checked once, at the end, to stay within the
// runner's limit).
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { snapshot } from './generate.js'
import { ok, start, workspace } from './real.js'

const space = workspace('trefoil-evolve-')
const service = join(space.work, 'living')
const FIELDS = 'title:string, done:boolean, priority:integer?, kind:incident|survey'

test.after(() => space.done())

/**
 * The service's `npm test` passes, all 13 of its tests: the task-events unit's logic (2), its
 * routes in process (10, with the optional-field and missing-field cases, which every step's
 * fields have) and over a real socket (1). A count that moves means a test was lost or added.
 */
async function checks(): Promise<void> {
  const tested = await space.run('npm test', 'npm', ['test'], { cwd: service })
  ok(tested, 'npm test')
  assert.match(tested.output, /ℹ pass 13\n/)
  assert.match(tested.output, /ℹ fail 0\n/)
}

const migrations = (): Record<string, string> => snapshot(join(service, 'src', 'db', 'migrations'))

let first = { id: 0 }

test('a service whose one unit is task-events, installed, tested, with a row made over HTTP', async () => {
  await space.prepare()
  ok(await space.yo(['trefoil', 'living', '--yes', '--skip-install', '--no-git', '--unit', 'task-event', '--fields', FIELDS], space.work), 'yo trefoil')
  ok(await space.run('npm install', 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: service, timeoutMs: 300_000 }), 'npm install')
  const { base, stop } = await start(space, service)
  try {
    const made = await fetch(`${base}/v1/task-events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Flooded road', done: false, kind: 'incident' }) })
    assert.is(made.status, 201)
    first = (await made.json()) as { id: number }
  } finally {
    await stop()
  }
})

const STEPS = [
  ['a new optional field and a new required one, filled for the rows there', ['--fields', `${FIELDS}, due:date?, site:string`, '--fill', 'site=unknown']],
  ['a renamed field and an enum value more', ['--fields', 'summary:string, done:boolean, priority:integer?, kind:incident|survey|audit, due:date?, site:string', '--rename', 'title:summary']],
] as const

for (const [i, [what, args]] of STEPS.entries()) {
  test(`change ${i + 1}, ${what}: one new migration, the old ones untouched; npm test passes`, async () => {
    const before = migrations()
    ok(await space.yo(['trefoil:unit', 'task-event', ...args], service), `yo trefoil:unit task-event ${args.join(' ')}`)
    const after = migrations()
    assert.equal(Object.keys(after).length, Object.keys(before).length + 1, 'one new migration')
    for (const [file, stamp] of Object.entries(before)) assert.is(after[file], stamp, `${file} untouched`)
    await checks()
  })
}

test('change 3, a dropped field and a widened type, asked at a real terminal: "n" writes nothing, "y" one new migration; npm test passes', async () => {
  const args = ['trefoil:unit', 'task-event', '--fields', 'summary:string, priority:number?, kind:incident|survey|audit, due:date?, site:string']
  const before = migrations()
  const question = 'Change unit "task-events"? Its migration drops the column task_events.done and'
  const declined = await space.yoAtTerminal(args, service, 'n')
  assert.is(declined.code, 1, declined.output)
  assert.ok(declined.output.includes(question), declined.output)
  assert.match(declined.output, /\nUnit "task-events" left as it was \(answered no\): its migration drops the column task_events\.done and its data\n/)
  assert.equal(migrations(), before)
  const allowed = await space.yoAtTerminal(args, service, 'y')
  ok(allowed, 'yo trefoil:unit task-event, answered y')
  assert.match(allowed.output, /src\/db\/migrations\/004_alter_task_events\.sql \(drop column done, change priority from integer to double precision\) runs at the next start\./)
  const after = migrations()
  assert.equal(Object.keys(after), [...Object.keys(before), '004_alter_task_events.sql'])
  for (const [file, stamp] of Object.entries(before)) assert.is(after[file], stamp, `${file} untouched`)
  await checks()
})

test('yo trefoil --force over the living service, with or without --auth: refused in one line, its applied migrations byte for byte as they were', async () => {
  const before = migrations()
  const line = `Cannot write a new service into ${service}: it holds one already (migrations 001_task_events.sql, 002_alter_task_events.sql, 003_alter_task_events.sql, 004_alter_task_events.sql), and migrations are never rewritten, not even with --force; change it with yo trefoil:unit <name>, or pick another folder\n`
  for (const [args, cwd] of [
    [['trefoil', '--force', '--yes', '--skip-install', '--no-git'], service],
    [['trefoil', '--force', '--auth', '--yes', '--skip-install', '--no-git'], service],
    [['trefoil', 'living', '--force', '--auth', '--yes', '--skip-install', '--no-git'], space.work],
  ] as const) {
    const ran = await space.yo([...args], cwd)
    assert.is(ran.code, 1, ran.output)
    assert.is(ran.output, line)
  }
  assert.equal(migrations(), before)
})

test('after the three changes, tsc --noEmit passes and the row made before them is there with its data', async () => {
  ok(await space.run('tsc --noEmit', process.execPath, [join(service, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit'], { cwd: service }), 'tsc --noEmit')
  const { base, stop } = await start(space, service)
  try {
    const got = await fetch(`${base}/v1/task-events/${first.id}`)
    assert.is(got.status, 200)
    assert.equal(await got.json(), { id: first.id, summary: 'Flooded road', priority: null, kind: 'incident', due: null, site: 'unknown' })
  } finally {
    await stop()
  }
})

test.run()
