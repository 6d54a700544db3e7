// Sign-in attempt limits held in PostgreSQL: two apps sharing one database count together, the
// answer is a 429 with Retry-After, a success clears the account's count but not the address's,
// and a client address from X-Forwarded-For is believed only behind a trusted proxy.
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ATTEMPTS_TABLE_SQL, attemptLimiter, createApp, defineDatabase, defineUnit, startEmbeddedDatabase, t, Unauthorized, type App } from 'trefoil'

let stop: (() => Promise<void>) | undefined
let dir = ''
const apps: App<unknown>[] = []

function signInApp(url: string, proxy: boolean): App<unknown> {
  const { plugin, db: database } = defineDatabase()
  const attempts = attemptLimiter({ db: database, perAccount: 3, perAddress: 5, window: 60 })
  const unit = defineUnit('auth', (r) => {
    r.post('/sign-in', { body: t.Object({ email: t.String(), password: t.String() }), use: { attempts } }, async ({ body, attempts }) => {
      await attempts.account(body.email)
      if (body.password !== 'right') throw new Unauthorized('Incorrect email or password')
      await attempts.succeeded(body.email)
      return { ok: true }
    })
    r.post('/setup', { use: { db: database } }, async ({ db }) => {
      await db.none(ATTEMPTS_TABLE_SQL)
      return { ok: true }
    })
  })
  return createApp({ settings: { DATABASE_URL: url }, proxy, plugins: [plugin, unit], logger: false })
}

const signIn = (app: App<unknown>, email: string, password: string, address: string) =>
  app.inject({ method: 'POST', url: '/sign-in', headers: { 'x-forwarded-for': address }, body: { email, password } })

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trefoil-attempts-'))
  // the embedded server runs as another user when the tests run as root: it must reach the folder
  await chmod(dir, 0o755)
  const embedded = await startEmbeddedDatabase({ dataDir: join(dir, 'pgdata') })
  stop = embedded.stop
  for (const proxy of [true, true, false]) {
    const app = signInApp(embedded.connectionString, proxy)
    await app.start()
    apps.push(app)
  }
  assert.is((await apps[0]!.inject({ method: 'POST', url: '/setup' })).status, 200)
})

test.after(async () => {
  for (const app of apps) await app.close()
  await stop?.()
  await rm(dir, { recursive: true, force: true })
})

test('wrong passwords on one account, spread over two apps: the 4th is a 429 with Retry-After', async () => {
  const [a, b] = [apps[0]!, apps[1]!]
  assert.is((await signIn(a, 'x@example.org', 'wrong', '10.0.0.1')).status, 401)
  assert.is((await signIn(b, 'x@example.org', 'wrong', '10.0.0.2')).status, 401)
  assert.is((await signIn(a, 'x@example.org', 'wrong', '10.0.0.3')).status, 401)
  const limited = await signIn(b, 'X@example.org', 'right', '10.0.0.4')
  assert.is(limited.status, 429)
  const retry = Number(limited.headers['retry-after'])
  assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`)
  assert.match(limited.json().detail, /Too many attempts: try again in \d+ s/)
  assert.is(limited.json().code, 'too_many_attempts')
})

test('a success clears the account count but not the address count (5 per address, across apps)', async () => {
  const [a, b] = [apps[0]!, apps[1]!]
  assert.is((await signIn(a, 'y@example.org', 'wrong', '10.1.0.1')).status, 401)
  assert.is((await signIn(b, 'y@example.org', 'wrong', '10.1.0.1')).status, 401)
  assert.is((await signIn(a, 'y@example.org', 'right', '10.1.0.1')).status, 200)
  // the account count is back to zero, the address has used 3 of 5
  assert.is((await signIn(b, 'y@example.org', 'right', '10.1.0.1')).status, 200)
  assert.is((await signIn(a, 'z@example.org', 'wrong', '10.1.0.1')).status, 401)
  const sixth = await signIn(b, 'other@example.org', 'right', '10.1.0.1')
  assert.is(sixth.status, 429)
  assert.ok(Number(sixth.headers['retry-after']) >= 1)
  // another address is not affected
  assert.is((await signIn(b, 'other@example.org', 'right', '10.1.0.9')).status, 200)
})

test('without a trusted proxy, X-Forwarded-For does not give a fresh address per request', async () => {
  const direct = apps[2]!
  const statuses: number[] = []
  for (let i = 0; i < 6; i++) statuses.push((await signIn(direct, `p${i}@example.org`, 'right', `10.2.0.${i}`)).status)
  assert.equal(statuses, [200, 200, 200, 200, 200, 429])
})

test.run()
