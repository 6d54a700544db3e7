// In development and tests, a field a response model leaves out is named in one log line per
// route and field, so a renamed or forgotten property is seen before a client misses it.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, defineUnit, t } from 'trefoil'
import { captureLogs } from '../helpers/logs.js'

const UserOut = t.Object({ id: t.Integer(), name: t.String() })

test('each dropped field is logged once per route, nested list items included', async () => {
  const { logger, lines } = captureLogs()
  // rows as a database answers them: more columns than the model shows
  const row = { id: 1, name: 'Amina', passwordHash: 'scrypt$…', email: 'a@example.org' }
  const unit = defineUnit('users', { prefix: '/v1/users' }, (r) => {
    r.get('/me', { response: UserOut }, () => ({ id: row.id, name: row.name, passwordHash: row.passwordHash }) as typeof row)
    r.get('/', { response: t.Array(UserOut) }, () => [{ id: row.id, name: row.name, email: row.email }])
    r.get('/clean', { response: UserOut }, () => ({ id: 1, name: 'Amina' }))
  })
  const app = createApp({ plugins: [unit], logger })
  await app.start()
  try {
    for (let i = 0; i < 3; i++) {
      const me = await app.inject({ url: '/v1/users/me' })
      assert.equal(me.json(), { id: 1, name: 'Amina' }, 'the field still never leaves')
      await app.inject({ url: '/v1/users' })
      await app.inject({ url: '/v1/users/clean' })
    }
  } finally {
    await app.close()
  }
  const dropped = lines.filter((line) => line.msg === 'The response model dropped a field').map((line) => `${line.route} ${line.field}`)
  assert.equal(dropped.sort(), ['GET /v1/users items.email', 'GET /v1/users/me passwordHash'])
})

test.run()
