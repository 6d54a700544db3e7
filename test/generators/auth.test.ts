// `yo trefoil --auth` and `yo trefoil:unit <name> --auth / --role <role>` run by yeoman-test: the
// sign-in files, migration, models, settings and wiring they write, who a unit lets in, and what
// they refuse (a unit needing sign-in in a service without it, a role the service does not have).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseRoles, writeAuth, type AuthFs } from '../../generators/src/lib/auth.js'
import { failure, filesOf, read, removeFolders, runApp, runUnit, snapshot, tempFolder, type Flags } from './generate.js'

test.after(() => removeFolders())

/** A fresh service made with `yo trefoil --auth` (and `flags`), with the default first unit. */
async function service(flags: Record<string, string | boolean> = {}): Promise<string> {
  const dir = tempFolder()
  await runApp(dir, ['guarded'], { yes: true, runtime: 'registry', auth: true, ...flags })
  return join(dir, 'guarded')
}

test('yo trefoil --auth writes the auth unit, its test and its migration, and lists it before the first unit', async () => {
  const dir = await service()
  assert.equal(filesOf(join(dir, 'src/auth')), ['limits.ts', 'logic.ts', 'passwords.ts', 'routes.ts', 'schemas.ts', 'secret.ts', 'set-role.ts'])
  assert.ok(existsSync(join(dir, 'tests/auth.test.ts')))
  assert.ok(existsSync(join(dir, 'tests/signed-in.ts')))
  // the first unit's table first, then the sign-in's: one migration each
  assert.equal(filesOf(join(dir, 'src/db/migrations')), ['001_tasks.sql', '002_users.sql'])
  const migration = read(dir, 'src/db/migrations/002_users.sql')
  assert.match(migration, /role text NOT NULL DEFAULT 'member' CONSTRAINT users_role_check CHECK \(role IN \('member', 'editor', 'admin'\)\)/)
  for (const table of ['users', 'auth_sessions', 'auth_attempts']) assert.match(migration, new RegExp(`^CREATE TABLE ${table} \\(`, 'm'))
  assert.match(read(dir, 'src/main.ts'), /plugins: \[\n {4}databasePlugin,\n {4}openapi\(\{ title: "guarded", version: '0\.1\.0', license: \{ name: 'Proprietary', identifier: 'LicenseRef-Proprietary' \} \}\),\n {4}auth,\n {4}tasks,\n {2}\],/)
  assert.match(read(dir, 'src/main.ts'), /^import auth from '\.\/auth\/routes\.js'$/m)
  const models = read(dir, 'src/db/models.ts')
  assert.match(models, /^import type \{ Role, UserOut \} from '\.\.\/auth\/schemas\.js'$/m)
  assert.match(models, /^export const users = \{$/m)
  assert.match(models, /^export const sessions = \{$/m)
  assert.match(models, /^export const tasks = \{$/m)
  const logic = read(dir, 'src/auth/logic.ts')
  assert.match(logic, /defineAuth\(\{/)
  assert.match(logic, /session: true/)
  assert.match(read(dir, 'src/auth/passwords.ts'), /scrypt/)
  assert.match(read(dir, 'src/auth/schemas.ts'), /export const ROLES = \['member', 'editor', 'admin'\] as const/)
  // changing a role needs the highest one
  assert.match(read(dir, 'src/auth/routes.ts'), /use: \{ admin: requireRole\('admin'\), db: database \}/)
  const config = read(dir, 'src/config.ts')
  for (const setting of ['SECRET_KEY', 'TOKEN_TTL_SECONDS', 'AUTH_ATTEMPTS_PER_ACCOUNT', 'AUTH_ATTEMPTS_PER_ADDRESS', 'AUTH_ATTEMPT_WINDOW_SECONDS']) assert.match(config, new RegExp(`^ {4}${setting}: `, 'm'))
  assert.match(read(dir, '.env.example'), /^# SECRET_KEY=$/m)
  assert.match(read(dir, 'tests/test.env'), /^AUTH_ATTEMPTS_PER_ADDRESS=\d+$/m)
  assert.match(read(dir, 'README.md'), /## Sign-in/)
  assert.equal(JSON.parse(read(dir, '.yo-rc.json'))['generator-trefoil'].auth, { roles: ['member', 'editor', 'admin'] })
})

test('yo trefoil --auth: the first unit needs a signed-in user as `yo trefoil:unit <name> --auth` writes it, recorded so; --no-auth opens it', async () => {
  const dir = await service()
  const routes = read(dir, 'src/tasks/routes.ts')
  assert.match(routes, /^import \{ currentUser \} from '\.\.\/auth\/logic\.js'$/m)
  assert.match(routes, /defineUnit\('tasks', \{ prefix: '\/v1\/tasks', description: 'Tasks: list, create, read, change and delete', use: \{ signedIn: currentUser \} \}, \(r\) => \[/)
  // its tests stand a user in; its access test signs in for real
  assert.match(read(dir, 'tests/tasks.test.ts'), /^beforeEach\(\(\) => app\.overrideDependency\(currentUser, tester\)\)$/m)
  const access = read(dir, 'tests/tasks-access.test.ts')
  assert.match(access, /test\('without a token every route answers 401 with a Bearer challenge'/)
  assert.match(access, /test\('signed in as member, the routes create, read, list, change and delete'/)
  assert.equal(JSON.parse(read(dir, '.yo-rc.json'))['generator-trefoil'].units.tasks, { fields: 'name:string, description:text?', crud: true, auth: true })
  const readme = read(dir, 'README.md')
  assert.match(readme, /The first unit's routes \(`\/v1\/tasks`\) need a signed-in user/)
  assert.match(readme, /^yo trefoil:unit tasks --no-auth$/m)
  // a second run of the unit generator keeps it as the app generator wrote it
  const before = snapshot(dir)
  await runUnit(dir, ['tasks'], {})
  assert.equal(snapshot(dir), before)
  await runUnit(dir, ['tasks'], { auth: false })
  assert.match(read(dir, 'src/tasks/routes.ts'), /defineUnit\('tasks', \{ prefix: '\/v1\/tasks', description: 'Tasks: list, create, read, change and delete' \}, \(r\) => \[/)
  assert.not.ok(existsSync(join(dir, 'tests/tasks-access.test.ts')))
  assert.equal(JSON.parse(read(dir, '.yo-rc.json'))['generator-trefoil'].units.tasks, { fields: 'name:string, description:text?', crud: true })
})

test('yo trefoil --auth --no-crud: the empty first unit needs a signed-in user for the routes it gets later', async () => {
  const dir = await service({ crud: false })
  assert.match(read(dir, 'src/tasks/routes.ts'), /use: \{ signedIn: currentUser \} \}, \(\) => \{\}\)/)
  assert.not.ok(existsSync(join(dir, 'tests/tasks-access.test.ts')))
  assert.equal(JSON.parse(read(dir, '.yo-rc.json'))['generator-trefoil'].units.tasks, { fields: '', crud: false, auth: true })
})

test('without --auth a service has no sign-in: no auth files, settings or record', async () => {
  const dir = tempFolder()
  await runApp(dir, ['open'], { yes: true, runtime: 'registry' })
  const root = join(dir, 'open')
  assert.not.ok(existsSync(join(root, 'src/auth')))
  assert.not.match(read(root, 'src/config.ts'), /SECRET_KEY/)
  assert.not.match(read(root, 'tests/test.env'), /AUTH_/)
  assert.is(JSON.parse(read(root, '.yo-rc.json'))['generator-trefoil'].auth, undefined)
})

test('--roles names the roles, lowest first, in the migration, the schemas and the record', async () => {
  const dir = await service({ roles: 'viewer, field_manager, owner' })
  assert.match(read(dir, 'src/db/migrations/002_users.sql'), /DEFAULT 'viewer' CONSTRAINT users_role_check CHECK \(role IN \('viewer', 'field_manager', 'owner'\)\)/)
  assert.match(read(dir, 'src/auth/schemas.ts'), /export const RoleSchema = t\.Union\(\[t\.Literal\('viewer'\), t\.Literal\('field_manager'\), t\.Literal\('owner'\)\]\)/)
  assert.match(read(dir, 'src/auth/routes.ts'), /requireRole\('owner'\)/)
  assert.equal(JSON.parse(read(dir, '.yo-rc.json'))['generator-trefoil'].auth.roles, ['viewer', 'field_manager', 'owner'])
})

test('bad --roles, --roles without --auth, and a first unit on a sign-in table are refused before anything is written', async () => {
  assert.equal(parseRoles(undefined), ['member', 'editor', 'admin'])
  for (const [flags, message] of [
    [{ roles: 'editor, Admin' }, 'Cannot use the role "Admin": a role is a lower-case word of letters, digits and _ (e.g. field_manager)'],
    [{ roles: 'editor, editor' }, 'Cannot use --roles with "editor" twice: list each role once, lowest first'],
    [{ roles: ' , ' }, 'Cannot use an empty --roles: list the roles lowest first, e.g. --roles "member, editor, admin"'],
    [{ unit: 'user' }, 'Cannot name the first unit "user" with --auth: the table users holds the sign-in\'s data; pick another name'],
  ] as const) {
    const dir = tempFolder()
    assert.is(await failure(runApp(dir, ['refused'], { yes: true, runtime: 'registry', auth: true, ...flags })), message)
    assert.equal(filesOf(dir), [])
  }
  const dir = tempFolder()
  assert.is(await failure(runApp(dir, ['refused'], { yes: true, runtime: 'registry', roles: 'a, b' })), 'Cannot use --roles without --auth: roles belong to signed-in users')
})

test('yo trefoil:unit <name> --auth: every route needs a signed-in user; its tests stand one in and an access test signs in for real', async () => {
  const dir = await service()
  await runUnit(dir, ['report'], { fields: 'title:string, done:boolean', auth: true })
  const routes = read(dir, 'src/reports/routes.ts')
  assert.match(routes, /^import \{ currentUser \} from '\.\.\/auth\/logic\.js'$/m)
  assert.match(routes, /defineUnit\('reports', \{ prefix: '\/v1\/reports', description: 'Reports: list, create, read, change and delete', use: \{ signedIn: currentUser \} \}, \(r\) => \[/)
  const unitTest = read(dir, 'tests/reports.test.ts')
  assert.match(unitTest, /^import \{ after, before, beforeEach, describe, test \} from 'node:test'$/m)
  assert.match(unitTest, /^beforeEach\(\(\) => app\.overrideDependency\(currentUser, tester\)\)$/m)
  assert.match(unitTest, /role: 'member' \}\)\)/)
  const access = read(dir, 'tests/reports-access.test.ts')
  assert.match(access, /test\('without a token every route answers 401 with a Bearer challenge'/)
  assert.match(access, /test\('signed in as member, the routes create, read, list, change and delete'/)
  // any signed-in user may: no 403 to test
  assert.not.match(access, /answers 403/)
  assert.equal(JSON.parse(read(dir, '.yo-rc.json'))['generator-trefoil'].units.reports, { fields: 'title:string, done:boolean', crud: true, auth: true })
})

test('yo trefoil:unit <name> --role editor: the routes need editor or higher; the access test expects 403 for a member', async () => {
  const dir = await service()
  await runUnit(dir, ['budget'], { fields: 'title:string, amount:number', role: 'editor' })
  const routes = read(dir, 'src/budgets/routes.ts')
  assert.match(routes, /^import \{ requireRole \} from '\.\.\/auth\/logic\.js'$/m)
  assert.match(routes, /use: \{ signedIn: requireRole\('editor'\) \}/)
  const access = read(dir, 'tests/budgets-access.test.ts')
  assert.match(access, /test\('signed in as member, below editor, every route answers 403'/)
  assert.match(access, /test\('signed in as editor, the routes create, read, list, change and delete'/)
  assert.match(access, /test\('a higher role \(admin\) may too'/)
  assert.match(read(dir, 'tests/budgets.test.ts'), /role: 'editor' \}\)\)/)
  assert.equal(JSON.parse(read(dir, '.yo-rc.json'))['generator-trefoil'].units.budgets, { fields: 'title:string, amount:number', crud: true, auth: true, role: 'editor' })
})

test('run again, a unit keeps who may call it; --no-auth opens it and takes its access test away', async () => {
  const dir = await service()
  await runUnit(dir, ['budget'], { fields: 'title:string', role: 'admin' })
  const before = snapshot(dir)
  await runUnit(dir, ['budget'], {})
  assert.equal(snapshot(dir), before)
  await runUnit(dir, ['budget'], { auth: false })
  assert.match(read(dir, 'src/budgets/routes.ts'), /defineUnit\('budgets', \{ prefix: '\/v1\/budgets', description: 'Budgets: list, create, read, change and delete' \}, \(r\) => \[/)
  assert.not.ok(existsSync(join(dir, 'tests/budgets-access.test.ts')))
  assert.not.match(read(dir, 'tests/budgets.test.ts'), /currentUser/)
  assert.equal(JSON.parse(read(dir, '.yo-rc.json'))['generator-trefoil'].units.budgets, { fields: 'title:string', crud: true })
})

test('a unit with --auth or --role in a service without sign-in, or with a role the service lacks, is refused in one line with nothing written', async () => {
  const dir = tempFolder()
  await runApp(dir, ['open'], { yes: true, runtime: 'registry' })
  const open = join(dir, 'open')
  const before = snapshot(open)
  const asking: Flags[] = [{ auth: true }, { role: 'admin' }]
  for (const flags of asking) {
    const message = await failure(runUnit(open, ['report'], flags))
    assert.is(message, 'Cannot make unit "reports" need a signed-in user: this service has no sign-in (it was not made with yo trefoil --auth)')
  }
  assert.equal(snapshot(open), before)
  const guarded = await service()
  const kept = snapshot(guarded)
  assert.is(await failure(runUnit(guarded, ['report'], { role: 'emperor' })), "Cannot use --role emperor: the service's roles are member, editor, admin")
  assert.is(await failure(runUnit(guarded, ['report'], { role: 'admin', auth: false })), 'Cannot use --role with --no-auth: a unit that needs a role needs a signed-in user')
  assert.equal(snapshot(guarded), kept)
})

test('yo trefoil --pages --auth writes the sign-in page and signing out, lists them before the units and sends browsers that must sign in there', async () => {
  const dir = await service({ pages: true })
  assert.equal(filesOf(join(dir, 'src/auth')), ['limits.ts', 'logic.ts', 'pages.ts', 'passwords.ts', 'routes.ts', 'schemas.ts', 'secret.ts', 'set-role.ts'])
  assert.match(read(dir, 'views/sign-in.ejs'), /<form id="sign-in" class="record" method="post" action="<%= action %>" hx-post="<%= action %>"/)
  const main = read(dir, 'src/main.ts')
  assert.match(main, /^import \{ sessionHint, signInPages \} from '\.\/auth\/pages\.js'$/m)
  assert.match(main, /\n {4}sessionHint,\n {4}signInPages,\n {4}auth,\n {4}tasks,\n {2}\],/)
  assert.match(main, /views: \{ dir: fileURLToPath\(new URL\('\.\.\/views', import\.meta\.url\)\), layout: 'layout' \},\n.*\n {2}errorPages: \{ signIn: '\/sign-in' \},/)
  // the layout names who is signed in, with the sign-out button, and gives htmx the CSRF token
  const layout = read(dir, 'views/layout.ejs')
  assert.ok(layout.includes(`hx-headers='<%= JSON.stringify({ 'X-CSRF-Token': csrfToken }) %>'`))
  assert.ok(layout.includes('<button type="button" id="sign-out" hx-post="/sign-out">Sign out</button>'))
  // the sign-up page: the API's sign-up and limits, then a cookie session; linked from the sign-in page
  const pages = read(dir, 'src/auth/pages.ts')
  assert.match(pages, /^export const SIGN_UP = '\/sign-up'$/m)
  assert.match(pages, /r\.get\(SIGN_UP, \{ query: NextQuery, summary: 'The sign-up page', includeInSchema: false \}, \(\{ query \}\) => html\(\{ view: 'sign-up'/)
  assert.match(pages, /r\.post\(SIGN_UP, \{ query: NextQuery, body: SignUpIn, use: \{ db: database, attempts: signUpAttempts \}, status: 204, errors: \[409\]/)
  assert.match(pages, /await attempts\.account\(body\.email\)\n {4}return signInAndGo\(ctx, db, await signUp\(db, body\), nextPage\(query\.next\)\)/)
  assert.match(pages, /^import \{ auth, authenticate, currentUser, endSession, signUp, startSession \} from '\.\/logic\.js'$/m)
  const signUp = read(dir, 'views/sign-up.ejs')
  assert.match(signUp, /<form id="sign-up" class="record" method="post" action="<%= action %>" hx-post="<%= action %>" data-errors="#sign-up-errors" novalidate>/)
  for (const field of ['name', 'email', 'password']) assert.match(signUp, new RegExp(`<input [^>]*id="sign-up-${field}" name="${field}"`))
  assert.match(signUp, /<a id="sign-in-instead" href="<%= signIn %>">Sign in<\/a>/)
  assert.match(read(dir, 'views/sign-in.ejs'), /<a id="sign-up-link" href="<%= signUp %>">Make one<\/a>/)
  const signUpTest = read(dir, 'tests/sign-up-pages.test.ts')
  for (const name of ['a taken email is a 409 the form shows', 'a bad email and a short password are one 422', "the page's sign-ups count with the API's", 'without scripts, the plain form makes the account']) assert.ok(signUpTest.includes(name), name)
  assert.match(read(dir, 'README.md'), /`\/sign-up`/)
  // the first unit's pages need a signed-in user, and name them
  assert.match(read(dir, 'src/tasks/routes.ts'), /defineUnit\('tasks', \{ prefix: '\/v1\/tasks', use: \{ viewer, signedIn: currentUser \} \}/)
  assert.match(read(dir, 'tests/tasks-browser.test.ts'), /account = await signedIn\('member'\)/)
  assert.match(read(dir, 'tests/tasks-access.test.ts'), /a browser asking for a page is sent to the sign-in page/)
})

test('a unit with pages and --role editor: its page routes need editor, name the viewer first, and its page, browser and access tests sign in', async () => {
  const dir = await service({ pages: true })
  await runUnit(dir, ['report'], { role: 'editor', fields: 'title:string, score:integer?' })
  const routes = read(dir, 'src/reports/routes.ts')
  assert.match(routes, /defineUnit\('reports', \{ prefix: '\/v1\/reports', use: \{ viewer, signedIn: requireRole\('editor'\) \} \}/)
  assert.match(routes, /^import \{ viewer \} from '\.\.\/auth\/pages\.js'$/m)
  assert.match(routes, /view: 'reports\/list'/)
  const pages = read(dir, 'tests/reports-pages.test.ts')
  assert.match(pages, /signedInHeaders = \(await signedIn\('editor'\)\)\.headers/)
  assert.not.match(pages, /app\.inject\(\{ (url|method)/)
  const browser = read(dir, 'tests/reports-browser.test.ts')
  assert.match(browser, /account = await signedIn\('editor'\)/)
  assert.match(browser, /#sign-out/)
  // an account made on the sign-up page is a member: the layout names it on the 403 page
  assert.match(browser, /page\.locator\('#sign-up-link'\)\.click\(\)/)
  assert.match(browser, /Signed in as Grace Hopper \\\(member\\\)\$\/\)/)
  assert.match(browser, /article\.error-page\[data-status="403"\]/)
  assert.not.match(read(dir, 'tests/tasks-browser.test.ts'), /error-page/)
  const access = read(dir, 'tests/reports-access.test.ts')
  assert.match(access, /a browser asking for a page is sent to the sign-in page/)
  assert.match(access, /signed in as member, a browser gets the 403 page in the layout/)
  // nothing else changes on a second run
  const before = snapshot(dir)
  await runUnit(dir, ['report'], {})
  assert.equal(snapshot(dir), before)
})

test('a unit with --pages --auth in a service made with --auth alone brings the site shell and the sign-in and sign-up pages', async () => {
  const dir = await service()
  await runUnit(dir, ['report'], { auth: true, pages: true })
  assert.ok(existsSync(join(dir, 'src/auth/pages.ts')))
  assert.ok(existsSync(join(dir, 'views/sign-in.ejs')))
  assert.ok(existsSync(join(dir, 'views/sign-up.ejs')))
  assert.ok(existsSync(join(dir, 'tests/sign-up-pages.test.ts')))
  assert.ok(existsSync(join(dir, 'views/layout.ejs')))
  assert.match(read(dir, 'src/main.ts'), /errorPages: \{ signIn: '\/sign-in' \}/)
  assert.match(read(dir, 'src/reports/routes.ts'), /use: \{ viewer, signedIn: currentUser \}/)
  assert.ok(existsSync(join(dir, 'tests/reports-access.test.ts')))
})

test('a service whose src/auth/pages.ts is there already gets no sign-up view or test from a new unit: its pages.ts may not serve them', async () => {
  const dir = await service({ pages: true })
  rmSync(join(dir, 'views/sign-up.ejs'))
  rmSync(join(dir, 'tests/sign-up-pages.test.ts'))
  await runUnit(dir, ['report'], { auth: true })
  assert.ok(existsSync(join(dir, 'tests/reports-browser.test.ts')))
  assert.not.ok(existsSync(join(dir, 'views/sign-up.ejs')))
  assert.not.ok(existsSync(join(dir, 'tests/sign-up-pages.test.ts')))
})

test('writeAuth never rewrites a migration, nor writes one beside another of its number, and then writes nothing at all', () => {
  const root = tempFolder()
  const migrations = join(root, 'src/db/migrations')
  mkdirSync(migrations, { recursive: true })
  const written: string[] = []
  // the disk as the generator's file system, recording what would be written
  const fs: AuthFs = {
    read: (path) => (existsSync(path) ? readFileSync(path, 'utf8') : null),
    write: (path) => {
      written.push(path)
      return path
    },
    exists: (path) => existsSync(path),
  }
  writeFileSync(join(migrations, '002_users.sql'), '-- ran already\n')
  assert.throws(() => writeAuth(fs, root, ['member', 'admin'], '002_users.sql'), /^Refusing to rewrite the migration src\/db\/migrations\/002_users\.sql$/)
  rmSync(join(migrations, '002_users.sql'))
  writeFileSync(join(migrations, '002_task_events.sql'), '-- ran already\n')
  assert.throws(() => writeAuth(fs, root, ['member', 'admin'], '002_users.sql'), /^Refusing to write the migration src\/db\/migrations\/002_users\.sql beside 002_task_events\.sql, which has its number$/)
  assert.equal(written, [])
  assert.is(read(migrations, '002_task_events.sql'), '-- ran already\n')
})

test.run()
