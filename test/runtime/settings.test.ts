import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { defineSettings, SettingsError, t } from 'trefoil'

const Schema = t.Object({
  SECRET_KEY: t.String({ minLength: 32 }),
  PORT: t.Integer({ default: 8000 }),
  DEBUG: t.Boolean({ default: false }),
  ALLOWED_ORIGINS: t.Array(t.String(), { default: [] }),
  DATABASE_URL: t.Optional(t.String()),
  SENTRY_DSN: t.Union([t.String(), t.Null()], { default: null }),
  ODK_CENTRAL_USER: t.String({ secret: true, default: 'admin' }),
})

const dir = mkdtempSync(join(tmpdir(), 'trefoil-settings-'))
const envFile = join(dir, '.env')
writeFileSync(envFile, 'SECRET_KEY=from-the-file-aaaaaaaaaaaaaaaaaaaaaaaaa\nPORT=9000\nDEBUG=true\n')

test('defineSettings() reads .env, lets real variables win, coerces and applies defaults', () => {
  const settings = defineSettings(Schema, { envFile, env: { PORT: '7050', UNRELATED: 'x' } })
  assert.is(settings.SECRET_KEY, 'from-the-file-aaaaaaaaaaaaaaaaaaaaaaaaa')
  assert.is(settings.PORT, 7050)
  assert.is(settings.DEBUG, true)
  assert.equal(settings.ALLOWED_ORIGINS, [])
  assert.is(settings.SENTRY_DSN, null)
  assert.not.ok('UNRELATED' in settings)
})

test('every missing or invalid variable is reported at once', () => {
  try {
    defineSettings(Schema, { envFile: false, env: { PORT: 'eighty', DEBUG: 'maybe' } })
    assert.unreachable('should throw')
  } catch (error) {
    assert.instance(error, SettingsError)
    const problems = (error as SettingsError).problems
    assert.equal(
      problems.map((p) => p.variable),
      ['SECRET_KEY', 'PORT', 'DEBUG'],
    )
    assert.match((error as Error).message, /^Invalid settings: SECRET_KEY: Field required; PORT: Input should be a valid integer; DEBUG: Input should be a valid boolean$/)
  }
})

test('DATABASE_URL is built from the DB_* parts when not given, each part escaped', () => {
  const settings = defineSettings(Schema, {
    envFile: false,
    env: { SECRET_KEY: 'k'.repeat(32), DB_HOST: 'db.internal', DB_PORT: '5433', DB_USER: 'fmtm', DB_PASSWORD: 'p@ss/word', DB_NAME: 'fmtm' },
  })
  assert.is(settings.DATABASE_URL, 'postgresql://fmtm:p%40ss%2Fword@db.internal:5433/fmtm')
  const given = defineSettings(Schema, { envFile: false, env: { SECRET_KEY: 'k'.repeat(32), DATABASE_URL: 'postgresql://a@b/c', DB_HOST: 'ignored' } })
  assert.is(given.DATABASE_URL, 'postgresql://a@b/c')
})

test('settings are frozen and print with secrets and URL passwords masked', () => {
  const settings = defineSettings(Schema, { envFile: false, env: { SECRET_KEY: 'k'.repeat(32), DATABASE_URL: 'postgresql://fmtm:hunter2@db/fmtm' } })
  assert.ok(Object.isFrozen(settings))
  assert.throws(() => {
    ;(settings as { PORT: number }).PORT = 1
  })
  for (const printed of [JSON.stringify(settings), inspect(settings), String(settings)]) {
    assert.not.match(printed, /kkkk|hunter2/)
    assert.match(printed, /postgresql:\/\/fmtm:\*+@db\/fmtm/)
  }
  assert.match(JSON.stringify(settings), /"ODK_CENTRAL_USER":"\*+"/)
  assert.is(settings.SECRET_KEY, 'k'.repeat(32), 'the value itself is intact')
})

test('an empty variable counts as unset', () => {
  const settings = defineSettings(Schema, { envFile: false, env: { SECRET_KEY: 'k'.repeat(32), PORT: '' } })
  assert.is(settings.PORT, 8000)
})

test.run()
