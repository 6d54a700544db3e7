// `yo trefoil --auth` and `yo trefoil:unit <name> --auth / --role <role>` run by yeoman-test: the
// sign-in files, migration, models, settings and wiring they write, who a unit lets in, and what
// they refuse (a unit needing sign-in in a service without it, a role the service does not have).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseRoles } from '../../generators/src/lib/auth.js'
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
  // the first unit is public: --auth on a unit asks for sign-in
  assert.match(read(dir, 'src/tasks/routes.ts'), /defineUnit\('tasks', \{ prefix: '\/v1\/tasks', description: 'Tasks: list, create, read, change and delete' \}, \(r\) => \[/)
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

test('a unit cannot have pages and a sign-in together (its pages have no sign-in page yet): refused in one line, nothing written', async () => {
  const dir = await service({ pages: true })
  const before = snapshot(dir)
  assert.is(await failure(runUnit(dir, ['report'], { auth: true })), 'Cannot give unit "reports" both pages and a sign-in: its pages have no sign-in page yet; add it with --no-pages (JSON only) or --no-auth')
  assert.equal(snapshot(dir), before)
  // JSON only, the same unit is let through with its sign-in
  await runUnit(dir, ['report'], { auth: true, pages: false })
  assert.ok(existsSync(join(dir, 'tests/reports-access.test.ts')))
})

test.run()
