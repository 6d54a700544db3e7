// Compiled code is made at start-up, never per request: serializers, output checks, body and query
// validators of declared schemas are ready before the first request, and a schema a handler
// builds per call (`fastJson(rows, t.Array(TaskOut))`) is compiled once, not on every request.
// ajv, fast-json-stringify and TypeBox all compile through the global Function constructor, so
// counting its calls counts compilations.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { created, createApp, defineUnit, depends, fastJson, t } from 'trefoil'

const TaskOut = t.Object({ id: t.Integer(), title: t.String(), state: t.Union([t.Literal('ready'), t.Literal('mapped')]) })
const TaskIn = t.Object({ title: t.String({ minLength: 1 }) })
const rows = Array.from({ length: 20 }, (_, i) => ({ id: i + 1, title: `Task ${i + 1}`, state: 'ready' as const, secret: 'never sent' }))

const paging = depends({ query: t.Object({ limit: t.Integer({ minimum: 1, maximum: 100, default: 10 }) }) }, ({ query }) => query.limit)
const tasks = defineUnit('tasks', { prefix: '/tasks' }, (r) => {
  r.get('/', { use: { paging }, response: t.Array(TaskOut) }, ({ paging }) => rows.slice(0, paging))
  r.get('/:taskId', { params: t.Object({ taskId: t.Integer({ minimum: 1 }) }), response: TaskOut }, ({ params }) => rows[params.taskId - 1]!)
  r.post('/', { body: TaskIn, response: { 201: TaskOut } }, ({ body }) => created({ id: 99, title: body.title, state: 'ready' as const }))
  r.get('/built-per-call', {}, () => fastJson(rows, t.Array(TaskOut)))
})

let compilations = 0
const counting = new Proxy(Function, {
  construct(target, args: string[]) {
    compilations++
    return Reflect.construct(target, args)
  },
  apply(target, self, args: string[]) {
    compilations++
    return Reflect.apply(target, self, args)
  },
})

test('after start, 10,000 requests across validated and modelled routes compile nothing new', async () => {
  const app = createApp({ plugins: [tasks], logger: false })
  await app.start()
  const original = globalThis.Function
  globalThis.Function = counting
  try {
    // declared schemas: compiled at start-up, so even the first request compiles nothing
    const first = await app.inject({ url: '/tasks/?limit=3' })
    assert.is(first.status, 200)
    assert.equal(first.json().map((task: { id: number }) => task.id), [1, 2, 3])
    assert.is(compilations, 0, 'the first request compiled a serializer, check or validator')
    // a schema built per call compiles once, on its first use
    assert.is((await app.inject({ url: '/tasks/built-per-call' })).status, 200)
    const afterWarmUp = compilations
    for (let i = 0; i < 2_500; i++) {
      const list = await app.inject({ url: `/tasks/?limit=${1 + (i % 20)}` })
      const one = await app.inject({ url: `/tasks/${1 + (i % 20)}` })
      const made = await app.inject({ method: 'POST', url: '/tasks/', body: { title: `New ${i}` } })
      const built = await app.inject({ url: '/tasks/built-per-call' })
      if (list.status !== 200 || one.status !== 200 || made.status !== 201 || built.status !== 200) assert.unreachable(`request ${i}: ${list.status} ${one.status} ${made.status} ${built.status}`)
      if (built.body.includes('never sent')) assert.unreachable('a private field left')
    }
    assert.is(compilations, afterWarmUp, `10,000 requests compiled ${compilations - afterWarmUp} functions`)
  } finally {
    globalThis.Function = original
    await app.close()
  }
})

test.run()
