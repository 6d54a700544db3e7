// Serializers are compiled once per schema structure: a response schema built inside a handler
// (`t.Array(TaskOut)` on every request) reuses the serializer compiled the first time instead of
// compiling a new one per request, and still writes only the model's fields.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, defineUnit, fastJson, t } from 'trefoil'
import { responseMismatch, serializerFor } from '../../runtime/src/core/serialize.js'
import { SchemaCompiler } from '../../runtime/src/core/validation.js'

const TaskOut = t.Object({ id: t.Integer(), title: t.String() })

test('schemas of the same structure share one compiled serializer and check', () => {
  const first = serializerFor(t.Array(TaskOut))
  assert.is(serializerFor(t.Array(TaskOut)), first, 'a rebuilt t.Array(TaskOut) is not compiled again')
  assert.is(serializerFor(t.Array(t.Object({ id: t.Integer(), title: t.String() }))), first)
  assert.is.not(serializerFor(t.Array(t.Object({ id: t.Integer() }))), first, 'another structure gets its own')
  const compiler = new SchemaCompiler()
  assert.is(responseMismatch(t.Array(TaskOut), [{ id: 1, title: 'a' }], compiler), undefined)
  assert.match(responseMismatch(t.Array(TaskOut), [{ id: 'x', title: 'a' }], compiler) ?? '', /id/)
})

test('a schema built per request still shapes the answer (private fields never leave)', async () => {
  const unit = defineUnit('tasks', { prefix: '/v1/tasks' }, (r) => {
    r.get('/', () => fastJson([{ id: 1, title: 'Survey', secret: 'hash' }], t.Array(TaskOut)))
  })
  const app = createApp({ plugins: [unit] })
  await app.start()
  try {
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ url: '/v1/tasks' })
      assert.is(res.status, 200)
      assert.equal(res.json(), [{ id: 1, title: 'Survey' }])
    }
  } finally {
    await app.close()
  }
})

test.run()
