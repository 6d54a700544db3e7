// `yo trefoil [name]` run by yeoman-test: the files it writes, what its flags and prompts change,
// and what it refuses.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { failure, filesOf, read, removeFolders, runApp, runUnit, snapshot, tempFolder, type Flags } from './generate.js'

test.after(() => removeFolders())

const LAYOUT = [
  '.env.example',
  '.gitignore',
  '.yo-rc.json',
  'README.md',
  'package.json',
  'src/config.ts',
  'src/db/database.ts',
  'src/db/enums.ts',
  'src/db/migrations/001_tasks.sql',
  'src/db/models.ts',
  'src/main.ts',
  'src/tasks/logic.ts',
  'src/tasks/routes.ts',
  'src/tasks/schemas.ts',
  'tests/run.ts',
  'tests/tasks.test.ts',
  'tests/test.env',
  'tsconfig.json',
]

test('yo trefoil <name> --yes writes a service in the guide\'s layout into ./<name>', async () => {
  const dir = tempFolder()
  await runApp(dir, ['field-notes'], { yes: true, runtime: 'registry' })
  const service = join(dir, 'field-notes')
  assert.equal(filesOf(service), LAYOUT)
  const manifest = JSON.parse(read(service, 'package.json'))
  assert.is(manifest.name, 'field-notes')
  assert.is(manifest.type, 'module')
  assert.is(manifest.dependencies.trefoil, '^0.1.0')
  assert.ok(manifest.devDependencies.typescript, 'typescript for `tsc --noEmit`')
  // no shell glob: tests/run.ts finds the test files, so the script runs on any shell
  assert.is(manifest.scripts.test, 'node --env-file=tests/test.env --import tsx tests/run.ts')
  for (const script of Object.values(manifest.scripts as Record<string, string>)) assert.not.match(script, /[*?]/)
  assert.match(manifest.scripts.start, /src\/main\.ts/)
  assert.match(read(service, 'src/main.ts'), /plugins: \[\n {4}databasePlugin,\n {4}openapi\(\{ title: "field-notes", version: '0\.1\.0', license: \{ name: 'Proprietary', identifier: 'LicenseRef-Proprietary' \} \}\),\n {4}tasks,\n {2}\],/)
  assert.match(read(service, 'src/main.ts'), /^import tasks from '\.\/tasks\/routes\.js'$/m)
  // it stops through the runtime (drain with a deadline, exit 0 or 1), with no signal handler of its own
  assert.match(read(service, 'src/main.ts'), /await app\.listen\(\)\n(?: {2}\/\/.*\n)* {2}closeOnSignals\(app\)\n/)
  assert.not.match(read(service, 'src/main.ts'), /process\.on\(|\.close\(\)/)
  assert.match(read(service, 'src/config.ts'), /^ {4}\.\.\.SERVER_SETTINGS,$/m)
  assert.match(read(service, 'src/db/database.ts'), /defineDatabase\(\{\n {2}migrations: new URL\('\.\/migrations', import\.meta\.url\),/)
  assert.match(read(service, 'src/config.ts'), /PORT: t\.Integer\(\{ minimum: 0, maximum: 65535, default: 8000 \}\)/)
  assert.match(read(service, 'README.md'), /npm install && npm start/)
  assert.match(read(service, 'README.md'), /npm test/)
  assert.match(read(service, '.gitignore'), /^\.trefoil\/$/m)
  assert.match(read(service, '.gitignore'), /^\.env$/m)
  // the default first unit: CRUD over `name` and an optional `description`
  assert.match(read(service, 'src/tasks/schemas.ts'), /export const TaskIn = named\(\n {2}'TaskIn',\n {2}t\.Object\(\{\n {4}name: t\.String\(/)
  assert.match(read(service, 'src/db/migrations/001_tasks.sql'), /CREATE TABLE tasks \(\n {2}id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n {2}name text NOT NULL,\n {2}description text\n\);/)
})

test('the service is a git repository with one commit holding every file; --no-git leaves git alone', async () => {
  const dir = tempFolder()
  // an identity for the commit, whatever the machine's git configuration
  const identity = { GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.org', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.org' }
  Object.assign(process.env, identity)
  try {
    await runApp(dir, ['with-git'], { yes: true, runtime: 'registry', git: true })
  } finally {
    for (const key of Object.keys(identity)) delete process.env[key]
  }
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: join(dir, 'with-git'), encoding: 'utf8' })
  assert.equal(git('log', '--format=%s').trim().split('\n'), ['A new trefoil service, written by yo trefoil'])
  assert.is(git('status', '--porcelain'), '', 'everything committed')
  assert.equal(git('ls-files').trim().split('\n').sort(), LAYOUT)
  await runApp(dir, ['without-git'], { yes: true, runtime: 'registry', git: false })
  assert.not.ok(existsSync(join(dir, 'without-git', '.git')))
})

test('without a name the service goes into the current folder, named after it', async () => {
  const dir = join(tempFolder(), 'survey-api')
  mkdirSync(dir)
  await runApp(dir, [], { yes: true, runtime: 'registry' })
  assert.is(JSON.parse(read(dir, 'package.json')).name, 'survey-api')
  assert.ok(existsSync(join(dir, 'src/main.ts')))
})

test('every prompt is also a flag: description, port, database, first unit and its fields', async () => {
  const dir = tempFolder()
  await runApp(dir, ['@hot/field-api'], { yes: true, runtime: 'registry', description: 'Mapping tasks "in the field"', port: 9100, database: 'postgresql://maps:s3cret@db.example.org:5432/maps', unit: 'task-event', fields: 'title:string, done:boolean, priority:integer?' })
  const service = join(dir, 'field-api')
  const manifest = JSON.parse(read(service, 'package.json'))
  assert.is(manifest.name, '@hot/field-api')
  assert.is(manifest.description, 'Mapping tasks "in the field"')
  assert.match(read(service, 'src/config.ts'), /default: 9100 \}/)
  assert.match(read(service, '.env.example'), /^PORT=9100$/m)
  assert.is(read(service, '.env').match(/^DATABASE_URL=(.*)$/m)?.[1], 'postgresql://maps:s3cret@db.example.org:5432/maps')
  assert.ok(!read(service, '.env.example').includes('s3cret'), 'the password stays out of the committed example')
  assert.ok(existsSync(join(service, 'src/task-events/routes.ts')))
  assert.match(read(service, 'src/task-events/routes.ts'), /defineUnit\('task-events', \{ prefix: '\/v1\/task-events', description: 'Task events: list, create, read, change and delete' \}/)
  assert.match(read(service, 'src/task-events/schemas.ts'), /export const TaskEventIn = /)
  assert.match(read(service, 'src/task-events/schemas.ts'), /export const TaskEventOut = /)
  assert.match(read(service, 'src/main.ts'), /^import taskEvents from '\.\/task-events\/routes\.js'$/m)
  assert.ok(existsSync(join(service, 'src/db/migrations/001_task_events.sql')))
})

test('the embedded database needs no .env', async () => {
  const dir = tempFolder()
  await runApp(dir, ['quiet'], { yes: true, runtime: 'registry' })
  assert.not.ok(existsSync(join(dir, 'quiet', '.env')))
  assert.match(read(join(dir, 'quiet'), '.env.example'), /^# DATABASE_URL=/m)
})

test('questions are asked at a terminal for what no flag gave, and --yes asks nothing', async () => {
  const stdin = process.stdin as { isTTY?: boolean }
  const wasTTY = stdin.isTTY
  stdin.isTTY = true
  try {
    const dir = join(tempFolder(), 'asked')
    mkdirSync(dir)
    const { asked } = await runApp(dir, [], { runtime: 'registry', port: 9200 }, { name: 'asked-api', description: 'Answered at the prompt', database: 'embedded', unit: 'report' })
    assert.equal(asked, ['name', 'description', 'database', 'unit'])
    assert.is(JSON.parse(read(dir, 'package.json')).description, 'Answered at the prompt')
    assert.match(read(dir, 'src/config.ts'), /default: 9200 \}/)
    assert.ok(existsSync(join(dir, 'src/reports/routes.ts')))
    const quiet = tempFolder()
    assert.equal((await runApp(quiet, ['no-questions'], { yes: true, runtime: 'registry' })).asked, [])
  } finally {
    stdin.isTTY = wasTTY
  }
})

test('nothing is asked when stdin is not a terminal, even without --yes', async () => {
  const dir = tempFolder()
  const { asked } = await runApp(dir, ['piped'], { runtime: 'registry' })
  assert.equal(asked, [])
  assert.ok(existsSync(join(dir, 'piped', 'src/main.ts')))
})

for (const bad of ['Field Notes', 'UPPER', '.hidden', 'a'.repeat(215), 'node_modules']) {
  test(`refuses "${bad.length > 20 ? `${bad.slice(0, 8)}…` : bad}": not a valid npm package name, and writes nothing`, async () => {
    const dir = tempFolder()
    const message = await failure(runApp(dir, [bad], { yes: true, runtime: 'registry' }))
    assert.match(message, /^Cannot name the service ".*": not a valid npm package name \(/)
    assert.equal(filesOf(dir), [])
  })
}

test('refuses a folder that is not empty, and writes into it with --force', async () => {
  const dir = tempFolder()
  mkdirSync(join(dir, 'taken'))
  writeFileSync(join(dir, 'taken', 'notes.txt'), 'mine')
  const message = await failure(runApp(dir, ['taken'], { yes: true, runtime: 'registry' }))
  assert.match(message, /^Cannot write the service into .*taken: the folder is not empty \(notes\.txt\); pick another name or run with --force$/)
  assert.equal(filesOf(join(dir, 'taken')), ['notes.txt'])
  await runApp(dir, ['taken'], { yes: true, runtime: 'registry', force: true })
  assert.ok(existsSync(join(dir, 'taken', 'src/main.ts')))
  assert.is(read(join(dir, 'taken'), 'notes.txt'), 'mine')
})

test('a bad first unit, field list or runtime is refused before anything is written', async () => {
  const dir = tempFolder()
  assert.match(await failure(runApp(dir, ['a'], { yes: true, runtime: 'registry', unit: 'class' })), /^Cannot use "class" as a unit name: "class" is a reserved word in JavaScript$/)
  assert.match(await failure(runApp(dir, ['b'], { yes: true, runtime: 'registry', fields: 'title:strnig' })), /^Cannot use the type "strnig" of the field "title": use one of string, text, integer/)
  assert.match(await failure(runApp(dir, ['c'], { yes: true, runtime: 'somewhere' })), /^Cannot use --runtime somewhere: use pack \(default\), link, registry, or the path of a trefoil \.tgz$/)
  assert.match(await failure(runApp(dir, ['d'], { yes: true, runtime: 'registry', port: 70000 })), /^Cannot use the port "70000": give a whole number from 0 to 65535$/)
  assert.match(await failure(runApp(dir, ['e'], { yes: true, runtime: 'registry', database: 'mysql://x' })), /^Cannot use the database "mysql:\/\/x": answer "embedded" or a postgresql:\/\/ URL$/)
  assert.equal(filesOf(dir), [])
})

test('--runtime with a packed tarball puts it in vendor/ and depends on it by file:', async () => {
  const dir = tempFolder()
  const tarball = join(dir, 'trefoil-0.1.0.tgz')
  writeFileSync(tarball, 'not really a tarball')
  await runApp(dir, ['vendored'], { yes: true, runtime: tarball })
  const service = join(dir, 'vendored')
  assert.is(JSON.parse(read(service, 'package.json')).dependencies.trefoil, 'file:vendor/trefoil-0.1.0.tgz')
  assert.is(read(service, 'vendor/trefoil-0.1.0.tgz'), 'not really a tarball')
})

test('--storage local writes src/storage.ts, the storage settings, STORAGE_URL in .env.example, and a test on a folder of the tests\' own', async () => {
  const dir = tempFolder()
  await runApp(dir, ['files-api'], { yes: true, runtime: 'registry', storage: 'local' })
  const service = join(dir, 'files-api')
  assert.equal(filesOf(service), [...LAYOUT, 'src/storage.ts', 'tests/storage.test.ts'].sort())
  assert.match(read(service, 'src/config.ts'), /^import \{ defineSettings, SERVER_SETTINGS, STORAGE_SETTINGS, t \} from 'trefoil'$/m)
  assert.match(read(service, 'src/config.ts'), /\n {4}\.\.\.STORAGE_SETTINGS,\n {2}\}\),/)
  assert.match(read(service, 'src/storage.ts'), /export const storage: Storage = createStorage\(settings, \{ defaultDir: '\.trefoil\/files' \}\)/)
  assert.match(read(service, '.env.example'), /^STORAGE_URL=\.trefoil\/files$/m)
  assert.not.match(read(service, '.env.example'), /S3_/)
  assert.match(read(service, 'tests/test.env'), /^STORAGE_URL=\.trefoil\/test-files$/m)
})

test('--storage s3 names a bucket in .env.example with every S3 setting; without --storage there is no storage', async () => {
  const dir = tempFolder()
  await runApp(dir, ['@hot/field-api'], { yes: true, runtime: 'registry', storage: 's3' })
  const service = join(dir, 'field-api')
  const example = read(service, '.env.example')
  assert.match(example, /^STORAGE_URL=s3:\/\/field-api-files\/uploads$/m)
  for (const setting of ['S3_ENDPOINT=http://127.0.0.1:9000', 'S3_REGION=us-east-1', 'S3_ACCESS_KEY_ID=', 'S3_SECRET_ACCESS_KEY=']) assert.match(example, new RegExp(`^${setting}$`, 'm'))
  assert.match(read(service, 'src/config.ts'), /\.\.\.STORAGE_SETTINGS,/)
  assert.ok(existsSync(join(service, 'src/storage.ts')))
  const plain = tempFolder()
  await runApp(plain, ['plain'], { yes: true, runtime: 'registry' })
  assert.not.match(read(join(plain, 'plain'), 'src/config.ts') + read(join(plain, 'plain'), '.env.example') + read(join(plain, 'plain'), 'tests/test.env'), /STORAGE/)
  assert.match(await failure(runApp(tempFolder(), ['x'], { yes: true, runtime: 'registry', storage: 'ftp' })), /^Cannot use --storage ftp: use local \(a folder\) or s3 \(a bucket\)$/)
})

test('--no-crud gives the first unit an empty triple: no table, no model', async () => {
  const dir = tempFolder()
  await runApp(dir, ['bare'], { yes: true, runtime: 'registry', crud: false })
  const service = join(dir, 'bare')
  assert.equal(filesOf(join(service, 'src/tasks')), ['logic.ts', 'routes.ts', 'schemas.ts'])
  assert.equal(filesOf(join(service, 'src/db')), ['database.ts', 'enums.ts', 'models.ts'])
  assert.match(read(service, 'src/tasks/routes.ts'), /defineUnit\('tasks', \{ prefix: '\/v1\/tasks', description: 'Tasks' \}, \(\) => \{\}\)/)
  assert.not.match(read(service, 'src/db/models.ts'), /export const/)
})

// The generator cannot see whether a migration ran (the database may be anywhere): every migration
// on disk counts as applied. (e2e-evolve.test.ts does the same on one that ran, with rows.)
test('yo trefoil --force, with or without --auth, over a living service is refused in one line: no migration rewritten or added, nothing written', async () => {
  const dir = tempFolder()
  await runApp(dir, ['living'], { yes: true, runtime: 'registry' })
  const service = join(dir, 'living')
  // it has lived: a second unit, and the first one changed (003 alters the table 001 created)
  await runUnit(service, ['task-event'], { fields: 'title:string' })
  await runUnit(service, ['tasks'], { fields: 'name:string, description:text?, due:date?' })
  assert.equal(filesOf(join(service, 'src/db/migrations')), ['001_tasks.sql', '002_task_events.sql', '003_alter_tasks.sql'])
  const before = snapshot(service)
  await new Promise((resolve) => setTimeout(resolve, 20)) // a rewrite would show in the mtimes
  const runs: [string, string[], Flags][] = [
    [dir, ['living'], { force: true }],
    [dir, ['living'], { force: true, auth: true }],
    [dir, ['living'], {}],
    // `yo trefoil --force` in the service's own folder
    [service, [], { force: true }],
    [service, [], { force: true, auth: true }],
  ]
  for (const [cwd, args, flags] of runs) {
    const message = await failure(runApp(cwd, args, { yes: true, runtime: 'registry', ...flags }))
    assert.is(message, `Cannot write a new service into ${service}: it holds one already (migrations 001_tasks.sql, 002_task_events.sql, 003_alter_tasks.sql), and migrations are never rewritten, not even with --force; change it with yo trefoil:unit <name>, or pick another folder`, JSON.stringify(flags))
  }
  assert.equal(snapshot(service), before)
})

test('yo trefoil --auth --force over a service made with --auth leaves its users migration as it is, and writes nothing', async () => {
  const dir = tempFolder()
  await runApp(dir, ['guarded'], { yes: true, runtime: 'registry', auth: true })
  const service = join(dir, 'guarded')
  const migrations = snapshot(join(service, 'src/db/migrations'))
  assert.equal(Object.keys(migrations), ['001_tasks.sql', '002_users.sql'])
  const before = snapshot(service)
  await new Promise((resolve) => setTimeout(resolve, 20))
  // other roles would render another 002_users.sql: the one that ran stays
  assert.match(await failure(runApp(dir, ['guarded'], { yes: true, runtime: 'registry', auth: true, roles: 'reader, admin', force: true })), /^Cannot write a new service into .*guarded: it holds one already \(migrations 001_tasks\.sql, 002_users\.sql\), and migrations are never rewritten/)
  assert.equal(snapshot(join(service, 'src/db/migrations')), migrations)
  assert.equal(snapshot(service), before)
})

test('a service with no migration is still one: its .yo-rc.json record is named, even with --force', async () => {
  const dir = tempFolder()
  await runApp(dir, ['bare'], { yes: true, runtime: 'registry', crud: false })
  const service = join(dir, 'bare')
  const before = snapshot(service)
  assert.is(await failure(runApp(dir, ['bare'], { yes: true, runtime: 'registry', force: true })), `Cannot write a new service into ${service}: it holds one already (.yo-rc.json records its units), and migrations are never rewritten, not even with --force; change it with yo trefoil:unit <name>, or pick another folder`)
  assert.equal(snapshot(service), before)
})

test.run()
