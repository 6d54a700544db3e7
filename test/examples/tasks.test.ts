// Tasks of the fieldwork API: splitting an area on the worker pool, and the map → validate cycle
// with its locks, roles and conflicts, on the embedded database.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { call, signUp, square, startFieldwork, type Account, type Fieldwork } from './fixtures/fieldwork.js'

let fw: Fieldwork
let pm: Account
let mapper: Account
let other: Account
let validator: Account
let projectId: number
let taskIds: number[]

type Ring = [number, number][]
function surface(ring: Ring): number {
  let sum = 0
  for (let i = 0; i + 1 < ring.length; i++) sum += ring[i]![0] * ring[i + 1]![1] - ring[i + 1]![0] * ring[i]![1]
  return Math.abs(sum / 2)
}

test.before(async () => {
  fw = await startFieldwork({ WORKER_THREADS: '2' })
  pm = await signUp(fw.app, 'Pat')
  mapper = await signUp(fw.app, 'Mo')
  other = await signUp(fw.app, 'Olu')
  validator = await signUp(fw.app, 'Val')
  projectId = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Dar es Salaam drainage', area: square(39.27, -6.82, 0.02) })).json().id
  for (const [who, role] of [[mapper, 'mapper'], [other, 'mapper'], [validator, 'validator']] as const) {
    assert.is((await call(fw.app, 'PUT', `/v1/projects/${projectId}/members/${who.id}`, pm, { role })).status, 200)
  }
})
test.after(async () => {
  await fw?.close()
})

test('splitting runs on the worker pool and covers the area with square tasks, row by row', async () => {
  const { workersPlugin } = await import('../../examples/fieldwork/src/workers.js')
  const pool = fw.app.plugin(workersPlugin)
  const before = pool.stats().completed
  const res = await call(fw.app, 'POST', `/v1/projects/${projectId}/tasks`, pm, { cellMetres: 500 })
  assert.is(res.status, 201, res.body)
  assert.is(pool.stats().completed, before + 1, 'one task ran on a worker thread')
  const tasks = res.json() as { id: number; index: number; status: string; lockedBy: null; outline: { coordinates: Ring[] } }[]
  // 0.02° is ~2.2 km north-south and ~2.2 km east-west here: a 5 × 5 grid of 500 m cells
  assert.is(tasks.length, 25)
  assert.equal(tasks.map((t) => t.index), Array.from({ length: 25 }, (_, i) => i + 1))
  assert.ok(tasks.every((t) => t.status === 'ready' && t.lockedBy === null))
  const total = tasks.reduce((sum, t) => sum + surface(t.outline.coordinates[0]!), 0)
  assert.ok(Math.abs(total - 0.02 * 0.02) < 1e-9, `the cells add up to the area: ${total}`)
  taskIds = tasks.map((t) => t.id)
  const listed = await call(fw.app, 'GET', `/v1/projects/${projectId}/tasks`, mapper)
  assert.equal(listed.json(), res.json())
})

test('a concave area keeps only the cells that lie in it', async () => {
  // an L: the north-east quarter of a 0.02° square is cut out
  const area = { type: 'Polygon', coordinates: [[[0, 0], [0.02, 0], [0.02, 0.01], [0.01, 0.01], [0.01, 0.02], [0, 0.02], [0, 0]]] }
  const { id } = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'L-shaped', area })).json()
  const res = await call(fw.app, 'POST', `/v1/projects/${id}/tasks`, pm, { cellMetres: 1113 })
  assert.is(res.status, 201, res.body)
  const rings = (res.json() as { outline: { coordinates: Ring[] } }[]).map((t) => t.outline.coordinates[0]!)
  const total = rings.reduce((sum, ring) => sum + surface(ring), 0)
  // the grid does not fall exactly on the notch: slivers under 1% of a cell are left out
  assert.ok(Math.abs(total - 0.0003) / 0.0003 < 0.001, `three quarters of the square: ${total}`)
  assert.not.ok(rings.some((ring) => ring.some(([lon, lat]) => lon > 0.0101 && lat > 0.0101)), 'no cell reaches into the cut-out quarter')
})

test('splitting: 409 twice or without an area, 403 below project manager, 422 for too many cells, 404 for no project', async () => {
  const again = await call(fw.app, 'POST', `/v1/projects/${projectId}/tasks`, pm, { cellMetres: 500 })
  assert.is(again.status, 409)
  assert.equal(again.json(), { detail: `Project ${projectId} already has tasks`, code: 'already_split' })
  const bare = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'No area yet' })).json().id
  const noArea = await call(fw.app, 'POST', `/v1/projects/${bare}/tasks`, pm, {})
  assert.is(noArea.status, 409)
  assert.equal(noArea.json().detail, `Project ${bare} has no area to split: set its area first`)
  assert.is((await call(fw.app, 'POST', `/v1/projects/${projectId}/tasks`, mapper, { cellMetres: 500 })).status, 403)
  const big = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'A whole country', area: square(30, -10, 5) })).json().id
  const tooMany = await call(fw.app, 'POST', `/v1/projects/${big}/tasks`, pm, { cellMetres: 1000 })
  assert.is(tooMany.status, 422)
  assert.match(tooMany.json().detail[0].msg, /^Too many tasks: \d+ cells of 1000 m cover this area, at most 2500 are allowed$/)
  assert.is((await call(fw.app, 'POST', `/v1/projects/${big}/tasks`, pm, { cellMetres: 10 })).status, 422, 'below the schema minimum')
  assert.is((await call(fw.app, 'POST', '/v1/projects/999999/tasks', pm, { cellMetres: 500 })).status, 404)
})

test('two splits of one project at once: one makes the tasks, the other is a 409', async () => {
  const { id } = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Split twice', area: square(20, 20, 0.02) })).json()
  const answers = await Promise.all([0, 1].map(() => call(fw.app, 'POST', `/v1/projects/${id}/tasks`, pm, { cellMetres: 700 })))
  assert.equal(answers.map((a) => a.status).sort(), [201, 409])
  assert.match(answers.find((a) => a.status === 409)!.json().detail, /already has tasks$/)
  assert.is((await call(fw.app, 'GET', `/v1/projects/${id}/tasks`, pm)).json().length, answers.find((a) => a.status === 201)!.json().length)
})

test('while a heavy split runs on a worker thread, the event loop keeps answering other requests', async () => {
  // a circle of 9,000 points cut into ~2,000 cells: hundreds of ms of clipping, none of it on the loop
  const ring: [number, number][] = Array.from({ length: 9000 }, (_, i) => [10 + 0.2 * Math.cos((2 * Math.PI * i) / 9000), 10 + 0.2 * Math.sin((2 * Math.PI * i) / 9000)])
  ring.push(ring[0]!)
  const { id } = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Round lake', area: { type: 'Polygon', coordinates: [ring] } })).json()
  let splitDone = 0
  const split = call(fw.app, 'POST', `/v1/projects/${id}/tasks`, pm, { cellMetres: 900 }).then((res) => {
    splitDone = performance.now()
    return res
  })
  const answered: number[] = []
  while (!splitDone && answered.length < 200) {
    const res = await fw.app.inject({ url: '/health' })
    assert.is(res.status, 200)
    answered.push(performance.now())
  }
  const res = await split
  assert.is(res.status, 201, res.body)
  const during = answered.filter((at) => at < splitDone).length
  assert.ok(during >= 3, `${during} requests answered while the split ran`)
})

test('a task is 404 when missing or when it belongs to another project', async () => {
  assert.is((await call(fw.app, 'GET', `/v1/projects/${projectId}/tasks/999999`, mapper)).status, 404)
  const elsewhere = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Elsewhere' })).json().id
  const res = await call(fw.app, 'GET', `/v1/projects/${elsewhere}/tasks/${taskIds[0]}`, pm)
  assert.is(res.status, 404)
  assert.equal(res.json(), { detail: `Task ${taskIds[0]} not found in project ${elsewhere}` })
  assert.is((await call(fw.app, 'GET', `/v1/projects/999999/tasks`, pm)).status, 404)
})

test('the map → validate cycle: lock, 409 for another mapper, mapped, validator only, validated', async () => {
  const url = `/v1/projects/${projectId}/tasks/${taskIds[0]}/events`
  const lock = await call(fw.app, 'POST', url, mapper, { event: 'lock_for_mapping' })
  assert.is(lock.status, 201)
  assert.is(lock.json().status, 'locked_for_mapping')
  assert.equal(lock.json().lockedBy, { id: mapper.id, name: 'Mo' })
  const taken = await call(fw.app, 'POST', url, other, { event: 'lock_for_mapping' })
  assert.is(taken.status, 409)
  assert.equal(taken.json(), { detail: 'Task 1 is locked by Mo', code: 'task_locked' })
  assert.is((await call(fw.app, 'POST', url, other, { event: 'mark_mapped' })).json().detail, 'Task 1 is locked by Mo')
  const mapped = await call(fw.app, 'POST', url, mapper, { event: 'mark_mapped' })
  assert.is(mapped.json().status, 'mapped')
  assert.is(mapped.json().lockedBy, null)
  const notValidator = await call(fw.app, 'POST', url, mapper, { event: 'lock_for_validation' })
  assert.is(notValidator.status, 403)
  assert.equal(notValidator.json().detail, `Missing role "validator" in project ${projectId}: you are mapper`)
  assert.is((await call(fw.app, 'POST', url, validator, { event: 'lock_for_validation' })).json().status, 'locked_for_validation')
  const validated = await call(fw.app, 'POST', url, validator, { event: 'validate' })
  assert.is(validated.status, 201)
  assert.is(validated.json().status, 'validated')
  const twice = await call(fw.app, 'POST', url, validator, { event: 'validate' })
  assert.is(twice.status, 409)
  assert.equal(twice.json(), { detail: 'Task 1 is validated: cannot validate', code: 'invalid_transition' })
  const history = await call(fw.app, 'GET', url, pm)
  assert.equal(
    history.json().map((e: { user: { name: string }; event: string; status: string }) => `${e.user.name} ${e.event} ${e.status}`),
    ['Mo lock_for_mapping locked_for_mapping', 'Mo mark_mapped mapped', 'Val lock_for_validation locked_for_validation', 'Val validate validated'],
    'refused events leave no trace',
  )
})

test('invalidated work goes back to mappers; a lock can be released by its holder or a project manager', async () => {
  const url = `/v1/projects/${projectId}/tasks/${taskIds[1]}/events`
  for (const [who, event] of [[mapper, 'lock_for_mapping'], [mapper, 'mark_mapped'], [validator, 'lock_for_validation'], [validator, 'invalidate']] as const) {
    assert.is((await call(fw.app, 'POST', url, who, { event })).status, 201, event)
  }
  assert.is((await call(fw.app, 'GET', `/v1/projects/${projectId}/tasks/${taskIds[1]}`, other)).json().status, 'invalidated')
  assert.is((await call(fw.app, 'POST', url, other, { event: 'lock_for_mapping' })).json().lockedBy.name, 'Olu')
  assert.is((await call(fw.app, 'POST', url, mapper, { event: 'unlock' })).status, 409, 'not the holder')
  const released = await call(fw.app, 'POST', url, pm, { event: 'unlock' })
  assert.is(released.status, 201)
  assert.is(released.json().status, 'ready')
})

test('roles: a user without a role in the project gets 403, a token-less one 401; bad events are 422', async () => {
  const stranger = await signUp(fw.app, 'Stranger')
  const url = `/v1/projects/${projectId}/tasks/${taskIds[2]}/events`
  const denied = await call(fw.app, 'POST', url, stranger, { event: 'lock_for_mapping' })
  assert.is(denied.status, 403)
  assert.equal(denied.json().detail, `Missing role "mapper" in project ${projectId}: you have no role in this project`)
  assert.is((await call(fw.app, 'POST', url, undefined, { event: 'lock_for_mapping' })).status, 401)
  const bad = await call(fw.app, 'POST', url, mapper, { event: 'take_it' })
  assert.is(bad.status, 422)
  assert.equal(bad.json().detail[0].loc, ['body', 'event'])
})

test('two mappers racing for one task: exactly one gets the lock, the other a 409 naming the winner', async () => {
  for (const id of taskIds.slice(5, 15)) {
    const url = `/v1/projects/${projectId}/tasks/${id}/events`
    const [a, b] = await Promise.all([call(fw.app, 'POST', url, mapper, { event: 'lock_for_mapping' }), call(fw.app, 'POST', url, other, { event: 'lock_for_mapping' })])
    assert.equal([a.status, b.status].sort(), [201, 409], `task ${id}: ${a.body} / ${b.body}`)
    const winner = a.status === 201 ? 'Mo' : 'Olu'
    assert.is((a.status === 409 ? a : b).json().detail, `Task ${id - taskIds[0]! + 1} is locked by ${winner}`)
  }
})

test.run()
