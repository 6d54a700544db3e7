// Sign-in end to end: the real `yo` writes a service with `--auth` (its first unit needing a
// signed-in user), a unit any signed-in user may use (`--auth`) and one that needs the highest
// role (`--role admin`); then `npm install`,
// `tsc --noEmit` and the service's own `npm test` (its 401 / 403 / 2xx tests as written) pass;
// `npm start` documents the security scheme (public operations `security: []`) in a document
// Redocly's recommended rules pass, and over HTTP an account made admin by `set-role.ts` gets in
// where a member gets a 403. Takes a few minutes (it installs a fresh service); prints its timings.
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { lint, problems } from '../helpers/redocly.js'
import { filesOf } from './generate.js'
import { ok, start, workspace } from './real.js'

const space = workspace('trefoil-e2e-auth-')
const service = join(space.work, 'guarded')

test.after(() => space.done())

test('yo trefoil --auth, then a unit with --auth and one with --role admin', async () => {
  await space.prepare()
  const app = await space.yo(['trefoil', 'guarded', '--yes', '--skip-install', '--no-git', '--auth'], space.work)
  ok(app, 'yo trefoil --auth')
  assert.match(app.output, /\/v1\/tasks is its first unit, its routes need a signed-in user\./)
  assert.match(app.output, /Open \/v1\/tasks to anyone: yo trefoil:unit tasks --no-auth/)
  ok(await space.yo(['trefoil:unit', 'report', '--fields', 'title:string, done:boolean', '--auth'], service), 'yo trefoil:unit report --auth')
  const budget = await space.yo(['trefoil:unit', 'budget', '--fields', 'title:string, amount:number', '--role', 'admin'], service)
  ok(budget, 'yo trefoil:unit budget --role admin')
  assert.match(budget.output, /Its routes need a signed-in user holding admin or a higher role/)
  const files = filesOf(service)
  for (const file of ['src/auth/routes.ts', 'src/db/migrations/002_users.sql', 'tests/auth.test.ts', 'tests/tasks-access.test.ts', 'tests/reports-access.test.ts', 'tests/budgets-access.test.ts']) assert.ok(files.includes(file), file)
})

test('a role the service lacks is refused under yo in one line, exit code 1', async () => {
  const ran = await space.yo(['trefoil:unit', 'ledger', '--role', 'emperor'], service)
  assert.is(ran.code, 1)
  assert.is(ran.output, "Cannot use --role emperor: the service's roles are member, editor, admin\n")
})

test('npm install, tsc --noEmit, and the service\'s own npm test are green', async () => {
  ok(await space.run('npm install', 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: service, timeoutMs: 300_000 }), 'npm install')
  // scrypt hashes for every sign-up and sign-in: minutes on a loaded machine, so generous bounds
  ok(await space.run('tsc --noEmit', process.execPath, [join(service, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit'], { cwd: service, timeoutMs: 600_000 }), 'tsc --noEmit')
  const ran = await space.run('npm test', 'npm', ['test'], { cwd: service, timeoutMs: 900_000 })
  ok(ran, 'npm test')
  // auth 14; tasks 13, reports and budgets 12 (no optional field); the access tests 4 each (tasks and reports: a higher role may too; budgets: a 403 below admin)
  assert.match(ran.output, /ℹ pass 63\n/)
  assert.match(ran.output, /ℹ fail 0\n/)
})

interface Operation {
  security?: Record<string, string[]>[]
  responses: Record<string, unknown>
}

test('npm start: the document names the security schemes, public operations say security: [], and Redocly passes it; a member gets 403 where an admin made by set-role.ts gets in', async () => {
  const email = `ada-${Date.now()}@example.org`
  const password = 'correct horse battery'
  const json = { 'content-type': 'application/json' }
  let first = await start(space, service)
  try {
    const document = (await (await fetch(`${first.base}/openapi.json`)).json()) as { components: { securitySchemes?: Record<string, unknown> }; paths: Record<string, Record<string, Operation>> }
    assert.equal(document.components.securitySchemes, {
      bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      cookieAuth: { type: 'apiKey', in: 'cookie', name: 'session', description: 'Session cookie; unsafe methods also need the x-csrf-token header' },
    })
    const signedIn = [{ bearerAuth: [] }, { cookieAuth: [] }]
    for (const [path, method] of [['/v1/auth/users', 'post'], ['/v1/auth/tokens', 'post'], ['/v1/auth/sessions', 'post']] as const) assert.equal(document.paths[path]![method]!.security, [], `${method} ${path}`)
    for (const [path, method] of [['/v1/tasks', 'get'], ['/v1/reports', 'get'], ['/v1/budgets/{budgetId}', 'patch'], ['/v1/auth/me', 'get'], ['/v1/auth/sessions', 'delete']] as const) {
      const operation = document.paths[path]![method]!
      assert.equal(operation.security, signedIn, `${method} ${path}`)
      assert.ok(operation.responses['401'], `${method} ${path} documents its 401`)
    }
    assert.ok(document.paths['/v1/budgets']!.post!.responses['403'], 'the role check documents its 403')
    const result = await lint(document)
    assert.equal(result.totals, { errors: 0, warnings: 0, ignored: 0 }, problems(result))

    assert.is((await fetch(`${first.base}/v1/auth/users`, { method: 'POST', headers: json, body: JSON.stringify({ email, name: 'Ada', password }) })).status, 201)
    const token = ((await (await fetch(`${first.base}/v1/auth/tokens`, { method: 'POST', headers: json, body: JSON.stringify({ email, password }) })).json()) as { access_token: string }).access_token
    assert.is((await fetch(`${first.base}/v1/budgets`, { headers: { authorization: `Bearer ${token}` } })).status, 403)
    assert.is((await fetch(`${first.base}/v1/reports`, { headers: { authorization: `Bearer ${token}` } })).status, 200)
    assert.is((await fetch(`${first.base}/v1/reports`)).status, 401)
    // the first unit too, as yo trefoil --auth writes it
    assert.is((await fetch(`${first.base}/v1/tasks`)).status, 401)
    assert.is((await fetch(`${first.base}/v1/tasks`, { headers: { authorization: `Bearer ${token}` } })).status, 200)
  } finally {
    await first.stop()
  }
  // the embedded database is the service's own: set-role.ts runs while the service is stopped
  const promoted = await space.run('set-role', process.execPath, ['--import', 'tsx', 'src/auth/set-role.ts', email, 'admin'], { cwd: service, env: { LOG_LEVEL: 'silent' } })
  ok(promoted, 'set-role.ts')
  assert.match(promoted.output, new RegExp(`${email} is now admin`))
  first = await start(space, service)
  try {
    const token = ((await (await fetch(`${first.base}/v1/auth/tokens`, { method: 'POST', headers: json, body: JSON.stringify({ email, password }) })).json()) as { access_token: string }).access_token
    const made = await fetch(`${first.base}/v1/budgets`, { method: 'POST', headers: { ...json, authorization: `Bearer ${token}` }, body: JSON.stringify({ title: 'Fuel', amount: 120.5 }) })
    assert.is(made.status, 201)
  } finally {
    await first.stop()
  }
})

test.run()
