// The generator as a newcomer meets it, end to end: the real `yo` CLI writes a service into a
// temp folder (quietly, as a git repository, with S3 file storage), adds two units with --fields,
// a worker-pool task, a durable job and a plugin, refuses a bad name in one line; then
// `npm install`, `tsc --noEmit`, the service's own `npm test` (its storage test once more on a
// real S3 server), `npm start` answering POST / GET and running the task over HTTP and
// documenting what it answers; a repeated unit run changes nothing. Takes a few minutes (it installs a fresh service from the npm cache); prints its timings.
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startS3Server, S3RVER_CREDENTIALS } from '../helpers/s3-server.js'
import { filesOf, snapshot } from './generate.js'
import { ok, start, workspace } from './real.js'

const space = workspace('trefoil-e2e-')
const service = join(space.work, 'field-notes')
const tsc = (): Promise<void> => space.run('tsc --noEmit', process.execPath, [join(service, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit'], { cwd: service }).then((ran) => ok(ran, 'tsc --noEmit'))

const UNITS = [
  ['task-event', 'title:string, done:boolean, priority:integer?, kind:incident|survey'],
  ['site', 'name:string, lat:number, lon:number, visited:date?'],
] as const

test.after(() => space.done())

const KINDS = [
  ['task', 'split-area'],
  ['job', 'send-report'],
  ['plugin', 'request-counter'],
] as const

test('yo trefoil writes a service quietly, as a git repository; yo trefoil:unit adds two units, then a task, a job and a plugin', async () => {
  await space.prepare()
  const made = await space.yo(['trefoil', 'field-notes', '--yes', '--skip-install', '--storage', 's3'], space.work)
  ok(made, 'yo trefoil')
  // quiet: no package-manager guess, no "force" for files a fresh folder never had
  for (const noise of ['Error detecting', 'force', 'An error occured']) assert.not.ok(made.output.includes(noise), `"${noise}" in:\n${made.output}`)
  assert.match(made.output, /git: repository made, everything committed/)
  for (const [name, fields] of UNITS) ok(await space.yo(['trefoil:unit', name, '--fields', fields], service), `yo trefoil:unit ${name}`)
  for (const [kind, name] of KINDS) {
    const ran = await space.yo([`trefoil:${kind}`, name], service)
    ok(ran, `yo trefoil:${kind} ${name}`)
    assert.not.ok(ran.output.includes('An error occured'), ran.output)
  }
  const files = filesOf(service)
  for (const file of ['package.json', 'src/main.ts', 'src/task-events/routes.ts', 'src/sites/schemas.ts', 'tests/sites.test.ts', 'src/db/migrations/003_sites.sql', 'vendor/trefoil-0.1.0.tgz', '.git/HEAD', 'src/storage.ts', 'tests/storage.test.ts', 'src/split-area/task.ts', 'src/workers.ts', 'tests/split-area.test.ts', 'src/send-report/job.ts', 'src/jobs.ts', 'tests/send-report.test.ts', 'src/request-counter/plugin.ts', 'tests/request-counter.test.ts']) assert.ok(files.includes(file), file)
})

test('a refusal under yo is one line and exit code 1, with nothing written', async () => {
  const before = snapshot(service)
  const ran = await space.yo(['trefoil:unit', 'create-project'], service)
  assert.is(ran.code, 1)
  assert.is(ran.output, 'Cannot use "create-project" as a unit name: it starts with the verb "create", and in REST the HTTP method is the verb; name the thing instead: yo trefoil:unit projects (POST /v1/projects creates one)\n')
  assert.equal(snapshot(service), before)
})

test('npm install, then tsc --noEmit passes', async () => {
  // as the user running the tests, with their npm cache
  ok(await space.run('npm install', 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: service, timeoutMs: 300_000 }), 'npm install')
  await tsc()
})

test("the service's own npm test is green and says so", async () => {
  const ran = await space.run('npm test', 'npm', ['test'], { cwd: service })
  ok(ran, 'npm test')
  // the three units (39 together), the task (4), the job (3), the plugin (3) and the storage (2)
  assert.match(ran.output, /ℹ pass 51\n/)
  assert.match(ran.output, /ℹ fail 0\n/)
})

test("the service's storage test passes on a real S3 server named by STORAGE_URL, and fails on a bucket that is not there", async () => {
  const s3 = await startS3Server('field-notes-files')
  try {
    const storageTest = (bucket: string) =>
      space.run('storage test on S3', process.execPath, ['--env-file=tests/test.env', '--import', 'tsx', '--test', 'tests/storage.test.ts'], {
        cwd: service,
        env: { STORAGE_URL: `s3://${bucket}/uploads`, S3_ENDPOINT: s3.endpoint, S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey },
      })
    const ran = await storageTest(s3.bucket)
    ok(ran, 'the storage test on S3')
    assert.match(ran.output, /# pass 2\n/)
    assert.not.equal((await storageTest('no-such-bucket')).code, 0, 'the same test on a missing bucket fails: it did reach S3')
  } finally {
    await s3.close()
  }
})

test('npm start serves POST and GET /v1/<plural> on the core answer path (no Koa middleware), runs the task over HTTP, and documents DELETE as the 204 it answers', async () => {
  const { base, stop, started } = await start(space, service)
  try {
    // its plugin, units, task and job add hooks and routes, never Koa middleware: the path the benchmark measures
    assert.equal([started?.path, started?.middleware], ['core', []], JSON.stringify(started))
    const made = await fetch(`${base}/v1/task-events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: ' Flooded road ', done: false, kind: 'incident' }) })
    assert.is(made.status, 201)
    const row = (await made.json()) as { id: number }
    assert.equal(row, { id: row.id, title: 'Flooded road', done: false, priority: null, kind: 'incident' })
    const list = await fetch(`${base}/v1/task-events`)
    assert.is(list.status, 200)
    assert.equal(((await list.json()) as { id: number }[])[0], row)
    const site = await fetch(`${base}/v1/sites`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Bridge', lat: 1.5 }) })
    assert.is(site.status, 422)
    assert.equal(((await site.json()) as { detail: { loc: string[] }[] }).detail.map((issue) => issue.loc.join('.')), ['body.lon'])
    const ran = await fetch(`${base}/v1/split-area`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Map the river bank' }) })
    assert.is(ran.status, 200)
    assert.is(((await ran.json()) as { words: number }).words, 4)
    assert.is((await fetch(`${base}/docs`)).status, 200)
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, { responses: Record<string, { content?: unknown }> }>> }
    const remove = document.paths['/v1/task-events/{taskEventId}']!.delete!.responses
    assert.ok(remove['204'] && !remove['204'].content && !remove['200'], JSON.stringify(remove))
  } finally {
    await stop()
  }
})

test('yo trefoil:unit again with the same name and fields changes nothing', async () => {
  // the installed packages and the database's files are not the generator's
  const sources = (): Record<string, string> => snapshot(service, ['node_modules', '.trefoil'])
  const before = sources()
  const [name, fields] = UNITS[0]
  const ran = await space.yo(['trefoil:unit', name, '--fields', fields], service)
  ok(ran, 'the second yo trefoil:unit')
  assert.match(ran.output, /Unit "task-events" is already there as this command writes it: nothing changed/)
  assert.equal(sources(), before)
})

test.run()
