// `yo trefoil:task`, `yo trefoil:job` and `yo trefoil:plugin` run by yeoman-test in a generated
// service: the files each writes, where main.ts and src/jobs.ts list them, a second run changing
// nothing, and what they refuse. (The end-to-end test installs such a service and runs its tests.)
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { kindNames } from '../../generators/src/lib/names.js'
import { addToList, wirePlugin } from '../../generators/src/lib/wiring.js'
import { failure, filesOf, read, removeFolders, runApp, runKind, runUnit, snapshot, tempFolder } from './generate.js'

test.after(() => removeFolders())

/** A fresh service with the default first unit (`tasks`). */
async function service(): Promise<string> {
  const dir = tempFolder()
  await runApp(dir, ['svc'], { yes: true, runtime: 'registry', git: false })
  return join(dir, 'svc')
}

/** The items of main.ts's plugin list, in order. */
const plugins = (dir: string): string[] => /plugins: \[\n([\s\S]*?)\n {2}\],/.exec(read(dir, 'src/main.ts'))![1]!.split('\n').map((line) => line.trim().replace(/,$/, ''))

test('yo trefoil:task writes the task module, its schemas, logic, route and test, and the worker pool before the units', async () => {
  const dir = await service()
  await runKind('task', dir, ['split_area'])
  assert.equal(filesOf(join(dir, 'src/split-area')), ['logic.ts', 'routes.ts', 'schemas.ts', 'task.ts'])
  const task = read(dir, 'src/split-area/task.ts')
  assert.match(task, /^export default function splitArea\(input: SplitAreaInput, _ctx\?: TaskContext\): SplitAreaOutput \{$/m)
  assert.not.match(task, /from '\.\.\/main\.js'|from '\.\/logic\.js'|from '\.\/routes\.js'/, 'a worker loads the task module alone, never the app')
  assert.match(read(dir, 'src/split-area/logic.ts'), /export const splitAreaTask = defineTask<typeof import\('\.\/task\.js'\)>\(new URL\('\.\/task\.js', import\.meta\.url\)\)/)
  assert.match(read(dir, 'src/split-area/logic.ts'), /runInWorker\(pool, splitAreaTask, input, \{ timeoutMs: SPLIT_AREA_TIMEOUT_MS \}\)/)
  assert.match(read(dir, 'src/split-area/routes.ts'), /defineUnit\('split-area', \{ prefix: '\/v1\/split-area' \}, \(r\) => \[\n {2}r\.post\('\/', \{ body: SplitAreaInput, use: \{ workers \}, response: SplitAreaOutput/)
  assert.match(read(dir, 'src/workers.ts'), /export const workersPlugin = defineWorkers\(\{ database: databasePlugin \}\)/)
  const testFile = read(dir, 'tests/split-area.test.ts')
  assert.match(testFile, /^const api = client\(app\)$/m, 'the test calls the route through the typed client')
  for (const layer of ["describe('the task alone, in this thread'", "describe('the route, in process (the typed client over app.inject)'", "describe('over a real socket'"]) assert.ok(testFile.includes(layer), layer)
  assert.equal(plugins(dir), ['databasePlugin', 'openapi({ title: "svc", version: \'0.1.0\', license: { name: \'Proprietary\', identifier: \'LicenseRef-Proprietary\' } })', 'workersPlugin', 'tasks', 'splitArea'])
  assert.match(read(dir, 'src/main.ts'), /^import \{ workersPlugin \} from '\.\/workers\.js'\nimport splitArea from '\.\/split-area\/routes\.js'$/m)
})

test('a second task shares the pool: its route is listed last, the pool once', async () => {
  const dir = await service()
  await runKind('task', dir, ['split-area'])
  const workers = read(dir, 'src/workers.ts')
  await runKind('task', dir, ['word-count'])
  assert.is(read(dir, 'src/workers.ts'), workers)
  assert.equal(plugins(dir), ['databasePlugin', 'openapi({ title: "svc", version: \'0.1.0\', license: { name: \'Proprietary\', identifier: \'LicenseRef-Proprietary\' } })', 'workersPlugin', 'tasks', 'splitArea', 'wordCount'])
})

test('yo trefoil:job writes the job and its test; the first makes src/jobs.ts and lists the queue in main.ts, the next joins its list', async () => {
  const dir = await service()
  await runKind('job', dir, ['send-report'])
  assert.equal(filesOf(join(dir, 'src/send-report')), ['job.ts'])
  assert.match(read(dir, 'src/send-report/job.ts'), /export const sendReport = defineJob\(\n {2}'send-report',\n {2}SendReportPayload,/)
  assert.match(read(dir, 'src/jobs.ts'), /export const jobsPlugin = defineJobs\(\{\n {2}database: databasePlugin,\n {2}jobs: \[sendReport\],\n\}\)/)
  assert.match(read(dir, 'tests/send-report.test.ts'), /app\.plugin\(jobsPlugin\)\.send\(sendReport, payload\)/)
  assert.equal(plugins(dir), ['databasePlugin', 'openapi({ title: "svc", version: \'0.1.0\', license: { name: \'Proprietary\', identifier: \'LicenseRef-Proprietary\' } })', 'jobsPlugin', 'tasks'])
  await runUnit(dir, ['site'])
  await runKind('job', dir, ['tidy-up'])
  assert.match(read(dir, 'src/jobs.ts'), /^import \{ sendReport \} from '\.\/send-report\/job\.js'\nimport \{ tidyUp \} from '\.\/tidy-up\/job\.js'$/m)
  assert.match(read(dir, 'src/jobs.ts'), /jobs: \[sendReport, tidyUp\],/)
  assert.equal(plugins(dir), ['databasePlugin', 'openapi({ title: "svc", version: \'0.1.0\', license: { name: \'Proprietary\', identifier: \'LicenseRef-Proprietary\' } })', 'jobsPlugin', 'tasks', 'sites'])
})

test('yo trefoil:plugin writes the plugin, its dependency and its test, listed before the units', async () => {
  const dir = await service()
  await runKind('task', dir, ['split-area'])
  await runKind('plugin', dir, ['request-counter'])
  const plugin = read(dir, 'src/request-counter/plugin.ts')
  assert.match(plugin, /export const requestCounterPlugin: Plugin<RequestCounter> = definePlugin<RequestCounter>\(\{\n {2}name: 'request-counter',/)
  assert.match(plugin, /export const requestCounter: Dependency<RequestCounter> = depends\(\{ name: 'request-counter' \}, \(\{ app \}\) => app\.plugin\(requestCounterPlugin\)\)/)
  assert.match(read(dir, 'tests/request-counter.test.ts'), /app\.plugin\(requestCounterPlugin\)/)
  assert.equal(plugins(dir), ['databasePlugin', 'openapi({ title: "svc", version: \'0.1.0\', license: { name: \'Proprietary\', identifier: \'LicenseRef-Proprietary\' } })', 'workersPlugin', 'requestCounterPlugin', 'tasks', 'splitArea'])
})

test('run again with the same name (any spelling), each changes nothing', async () => {
  const dir = await service()
  await runKind('task', dir, ['split-area'])
  await runKind('job', dir, ['send-report'])
  await runKind('plugin', dir, ['request-counter'])
  const before = snapshot(dir)
  await new Promise((resolve) => setTimeout(resolve, 20)) // a rewrite would show in the mtimes
  await runKind('task', dir, ['SplitArea'])
  await runKind('job', dir, ['send_report'])
  await runKind('plugin', dir, ['request-counter'])
  assert.equal(snapshot(dir), before)
})

test('a name a unit, main.ts or another kind holds is refused, writing nothing; an edited file needs --force', async () => {
  const dir = await service()
  await runKind('job', dir, ['send-report'])
  const before = snapshot(dir)
  assert.is(await failure(runKind('job', dir, ['tasks'])), 'Cannot add the job "tasks": src/tasks/ holds something else already (logic.ts, routes.ts, schemas.ts); pick another name')
  assert.is(await failure(runKind('task', dir, ['send-report'])), 'Cannot add the task "send-report": src/send-report/ holds something else already (job.ts); pick another name')
  assert.is(await failure(runKind('task', dir, ['create-app'])), 'Cannot add the task "create-app": src/main.ts already uses the name "createApp" (from trefoil); pick another name')
  assert.equal(snapshot(dir), before)
  writeFileSync(join(dir, 'src/send-report/job.ts'), `${read(dir, 'src/send-report/job.ts')}// mine\n`)
  assert.is(await failure(runKind('job', dir, ['send-report'])), 'Cannot add the job "send-report": src/send-report/job.ts exists with other contents (run with --force to overwrite)')
  await runKind('job', dir, ['send-report'], { force: true })
  assert.not.match(read(dir, 'src/send-report/job.ts'), /mine/)
})

test('a src/workers.ts or src/jobs.ts of the service\'s own is never overwritten: refused with what to do', async () => {
  const dir = await service()
  writeFileSync(join(dir, 'src/workers.ts'), '// my own\nexport const helpers = 1\n')
  writeFileSync(join(dir, 'src/jobs.ts'), '// my own\nexport const list = []\n')
  const before = snapshot(dir)
  assert.match(await failure(runKind('task', dir, ['split-area'])), /^Cannot add a task: src\/workers\.ts exists but does not export workersPlugin/)
  assert.match(await failure(runKind('job', dir, ['send-report'])), /^Cannot add a job: src\/jobs\.ts exists but does not export jobsPlugin/)
  assert.equal(snapshot(dir), before)
})

for (const [name, message] of [
  ['class', /^Cannot use "class" as a task name: "class" is a reserved word in JavaScript$/],
  ['workers', /^Cannot use "workers" as a task name: "workers" is already used by the service/],
  ['jobs', /^Cannot use "jobs" as a task name: "jobs" is already used by the service/],
  ['3d-render', /^Cannot use "3d-render" as a task name: use letters, digits and dashes, starting with a letter/],
  ['a/../b', /^Cannot use "a\/\.\.\/b" as a task name/],
] as const) {
  test(`refuses the name "${name}" with one clear line, writing nothing`, async () => {
    const dir = await service()
    const before = snapshot(dir)
    assert.match(await failure(runKind('task', dir, [name])), message)
    assert.equal(snapshot(dir), before)
  })
}

test('an action is a fine name for a task or a job (they are something done), and outside a service each refuses', async () => {
  assert.equal(kindNames('send-report', 'job'), { kebab: 'send-report', camel: 'sendReport', pascal: 'SendReport', constant: 'SEND_REPORT', human: 'send report' })
  assert.is(kindNames('create_thumbnails', 'task').camel, 'createThumbnails')
  assert.match(await failure(runKind('plugin', tempFolder(), ['request-counter'])), /^Cannot add a plugin here: .*src\/main\.ts is missing; run yo trefoil:plugin in a service made by yo trefoil$/)
})

test('lists: an item goes before the first unit, or last; one-line and one-per-line layouts kept', () => {
  const main = "import x from './a/routes.js'\nexport const app = createApp({ plugins: [db, x] })\n"
  assert.is(wirePlugin(main, 'pool', "import { pool } from './pool.js'"), "import x from './a/routes.js'\nimport { pool } from './pool.js'\nexport const app = createApp({ plugins: [db, pool, x] })\n")
  assert.is(addToList('defineJobs({ jobs: [] })', 'jobs', 'a', 'none'), 'defineJobs({ jobs: [a] })')
  assert.is(addToList('defineJobs({ jobs: [a, b] })', 'jobs', 'a', 'none'), 'defineJobs({ jobs: [a, b] })')
  assert.is(addToList('x({\n  jobs: [\n    a,\n    f({ n: [1, 2] }),\n  ],\n})', 'jobs', 'c', 'none', { before: (item) => item.startsWith('f(') }), 'x({\n  jobs: [\n    a,\n    c,\n    f({ n: [1, 2] }),\n  ],\n})')
  assert.throws(() => addToList('x()', 'jobs', 'a', 'no jobs list here'), /^no jobs list here$/)
})

test.run()
