// The demo data `npm start` seeds in development: four accounts with random passwords (an org
// admin, a project manager, a validator, a mapper), members of one demo project, made once.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Db } from 'trefoil'
import { call, startFieldwork, type Fieldwork } from './fixtures/fieldwork.js'

let fw: Fieldwork
let db: Db
let seed: (db: Db) => Promise<{ email: string; password: string; role: string }[] | null>

test.before(async () => {
  // NODE_ENV stays `test` here: the plugin seeds only in development, so this file seeds by hand
  fw = await startFieldwork()
  const { databasePlugin } = await import('../../examples/fieldwork/src/db/database.js')
  db = fw.app.plugin(databasePlugin).db
  seed = (await import('../../examples/fieldwork/src/auth/demo.js')).seedDemoData
})
test.after(async () => {
  await fw?.close()
})

test('outside development the app starts with no account', async () => {
  assert.is((await db.one<{ n: number }>('SELECT count(*)::int AS n FROM users')).n, 0)
})

test('seeding an empty database makes the four demo accounts once, even when two processes start together', async () => {
  const [first, second] = await Promise.all([seed(db), seed(db)])
  const made = (first ?? second)!
  assert.ok(first === null || second === null, 'only one of them seeds')
  assert.equal(made.map((account) => [account.email, account.role]), [
    ['admin@example.org', 'org admin'],
    ['manager@example.org', 'project_manager'],
    ['validator@example.org', 'validator'],
    ['mapper@example.org', 'mapper'],
  ])
  assert.ok(made.every((account) => account.password.length >= 12), 'random passwords of 12 characters')
  assert.is(new Set(made.map((account) => account.password)).size, 4)
  assert.is(await seed(db), null, 'a later start seeds nothing')
  assert.is((await db.one<{ n: number }>('SELECT count(*)::int AS n FROM users')).n, 4)
})

test('the printed passwords sign in; the admin creates projects; each account has its role in the demo project', async () => {
  // the passwords are gone once printed: seed a fresh database of this file's own to read them
  await db.none('TRUNCATE users, projects CASCADE')
  const made = (await seed(db))!
  const tokenOf = async (email: string, password: string): Promise<Record<string, string>> => {
    const res = await call(fw.app, 'POST', '/v1/auth/tokens', undefined, { email, password })
    assert.is(res.status, 200, res.body)
    return { authorization: `Bearer ${res.json().access_token}` }
  }
  const admin = made.find((account) => account.role === 'org admin')!
  const adminAuth = await tokenOf(admin.email, admin.password)
  assert.is((await fw.app.inject({ url: '/v1/users/me', headers: adminAuth })).json().isAdmin, true)
  const projects = (await fw.app.inject({ url: '/v1/projects', headers: adminAuth })).json() as { id: number; name: string; hasArea: boolean }[]
  assert.is(projects.length, 1)
  assert.is(projects[0]!.hasArea, true)
  const members = (await fw.app.inject({ url: `/v1/projects/${projects[0]!.id}/members`, headers: adminAuth })).json() as { name: string; role: string }[]
  assert.equal(members.map((m) => m.role).sort(), ['mapper', 'project_manager', 'project_manager', 'validator'])
  const mapper = made.find((account) => account.role === 'mapper')!
  const mapperAuth = await tokenOf(mapper.email, mapper.password)
  assert.is((await fw.app.inject({ url: '/v1/users/me', headers: mapperAuth })).json().isAdmin, false)
  const wrong = await call(fw.app, 'POST', '/v1/auth/tokens', undefined, { email: mapper.email, password: 'password' })
  assert.is(wrong.status, 401)
})

test('demo:reset gives the demo accounts new passwords (the old ones stop working) and prints them as an aligned block', async () => {
  const { resetDemoAccounts, demoBlock } = await import('../../examples/fieldwork/src/auth/demo.js')
  const before = (await call(fw.app, 'GET', '/v1/projects', undefined)).status
  assert.is(before, 401)
  const old = await resetDemoAccounts(db)
  const fresh = await resetDemoAccounts(db)
  const admin = fresh.find((account) => account.role === 'org admin')!
  const stale = old.find((account) => account.role === 'org admin')!
  assert.is((await call(fw.app, 'POST', '/v1/auth/tokens', undefined, { email: admin.email, password: stale.password })).status, 401, 'the old password is gone')
  const token = await call(fw.app, 'POST', '/v1/auth/tokens', undefined, { email: admin.email, password: admin.password })
  assert.is(token.status, 200)
  assert.is((await fw.app.inject({ url: '/v1/users/me', headers: { authorization: `Bearer ${token.json().access_token}` } })).json().isAdmin, true)
  const block = demoBlock(fresh, 'http://127.0.0.1:8000')
  const lines = block.split('\n').filter((line) => line.includes('@example.org'))
  assert.is(lines.length, 4)
  assert.is(new Set(lines.map((line) => line.indexOf(line.trim().split(/\s+/)[1]!))).size, 1, 'the passwords start in one column')
  assert.match(block, '    manager@example.org    ')
  assert.match(block, 'project manager')
  assert.match(block, 'Sign in at http://127.0.0.1:8000/login')
})

test.run()
