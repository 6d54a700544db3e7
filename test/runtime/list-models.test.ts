// Lists through a response model: whichever way the JSON is written (the native stringify for
// rows that already have the model's shape, the compiled serializer otherwise), private fields
// never leave and the client reads the same values.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, defineUnit, t } from 'trefoil'
import { compileExactFit } from '../../runtime/src/core/exact-fit.js'

const Task = t.Object({
  id: t.Integer(),
  name: t.String(),
  lock_holder: t.Union([t.Integer(), t.Null()]),
  note: t.Optional(t.String()),
  area: t.Object({ km2: t.Number() }),
  tags: t.Array(t.String()),
})
const Tasks = t.Array(Task)
const row = (id: number): Record<string, unknown> => ({ id, name: `Task "${id}"\n\u2028`, lock_holder: id % 2 ? null : 7, area: { km2: 1.5 }, tags: ['a', 'ü'] })

let rows: unknown[] = []
const unit = defineUnit('lists', (r) => {
  r.get('/tasks', { response: Tasks }, () => rows as never)
})
// production: output is not checked, so rows that break the model reach the serializer
const app = createApp({ plugins: [unit], logger: false, checkResponses: false })

async function list(): Promise<unknown> {
  const res = await app.inject({ url: '/tasks' })
  assert.is(res.status, 200)
  assert.is(res.headers['content-length'], String(Buffer.byteLength(res.body)))
  return res.json()
}

test('rows of exactly the model shape come out as they are, escapes and optional fields included', async () => {
  rows = [row(1), { ...row(2), note: 'checked' }]
  assert.equal(await list(), rows)
})

test('a private field on one row, or deep inside one, never leaves', async () => {
  rows = [row(1), { ...row(2), password_hash: 'secret' }, { ...row(3), area: { km2: 2, owner_email: 'x@y.org' } }]
  const body = JSON.stringify(await list())
  assert.not.match(body, /secret|owner_email/)
  assert.equal(await list(), [row(1), row(2), { ...row(3), area: { km2: 2 } }])
})

test('values of another type are written as the model says (ids as numbers, dates as strings)', async () => {
  const when = new Date('2026-11-25T10:00:00.000Z')
  rows = [{ ...row(1), id: '5' }]
  assert.equal(((await list()) as { id: unknown }[])[0]!.id, 5)
  const Dated = t.Array(t.Object({ at: t.String({ format: 'date-time' }) }))
  const dated = createApp({ plugins: [defineUnit('dated', (r) => r.get('/d', { response: Dated }, () => [{ at: when }] as never))], logger: false, checkResponses: false })
  assert.equal((await dated.inject({ url: '/d' })).json(), [{ at: when.toISOString() }])
  await dated.close()
})

test('the shape check says yes only for exact fits, and declines schemas it does not cover', () => {
  const fits = compileExactFit(Tasks)!
  assert.ok(fits([row(1)]))
  assert.ok(fits([]))
  assert.not.ok(fits([{ ...row(1), extra: 1 }]), 'an extra field')
  assert.not.ok(fits([{ ...row(1), note: undefined }]), 'a key holding undefined')
  assert.not.ok(fits([{ ...row(1), id: 1.5 }]), 'a float for an integer')
  assert.not.ok(fits([{ ...row(1), area: { km2: Number.NaN } }]), 'NaN')
  assert.not.ok(fits([Object.assign(Object.create({ inherited: 1 }), row(1))]), 'an inherited enumerable key')
  assert.not.ok(fits([{ ...row(1), toJSON: () => 'x' }]))
  assert.not.ok(fits({ 0: row(1) }), 'not an array')
  assert.is(compileExactFit(t.Array(t.Object({ a: t.String() }, { additionalProperties: true }))), undefined)
  assert.is(compileExactFit(t.Array(t.Unsafe({ $ref: '#/x' }))), undefined)
})

test.after(() => app.close())
test.run()
