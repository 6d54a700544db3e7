// Tasks of the fieldwork API: splitting an area on the worker pool (waiting, or in the background
// with a status to poll), tasks as a table and as GeoJSON, and the map → validate cycle with its
// locks, roles and conflicts, on the embedded database.
import { area as surfaceOnGround } from '@turf/area'
import { bboxPolygon } from '@turf/bbox-polygon'
import { featureCollection, polygon } from '@turf/helpers'
import { intersect } from '@turf/intersect'
import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { call, signUp, signUpAdmin, square, startFieldwork, type Account, type Fieldwork } from './fixtures/fieldwork.js'
import { saw, undocumented } from './fixtures/traffic.js'

let fw: Fieldwork
let pm: Account
let mapper: Account
let other: Account
let validator: Account
let validator2: Account
let projectId: number
let taskIds: number[]

type Ring = [number, number][]
function surface(ring: Ring): number {
  let sum = 0
  for (let i = 0; i + 1 < ring.length; i++) sum += ring[i]![0] * ring[i + 1]![1] - ring[i + 1]![0] * ring[i]![1]
  return Math.abs(sum / 2)
}

async function event(who: Account, taskId: number, body: Record<string, string>, project = projectId) {
  return call(fw.app, 'POST', `/v1/projects/${project}/tasks/${taskId}/events`, who, body)
}

async function pollDone(url: string, who: Account): Promise<{ status: string; progress: number | null; result: unknown; message: string | null }> {
  for (let i = 0; i < 600; i++) {
    const res = await call(fw.app, 'GET', url, who)
    assert.is(res.status, 200, res.body)
    const status = res.json()
    if (status.status === 'done' || status.status === 'failed') return status
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${url} did not finish`)
}

test.before(async () => {
  fw = await startFieldwork({ WORKER_THREADS: '2' })
  pm = await signUpAdmin(fw.app, 'Pat')
  mapper = await signUp(fw.app, 'Mo')
  other = await signUp(fw.app, 'Olu')
  validator = await signUp(fw.app, 'Val')
  validator2 = await signUp(fw.app, 'Vic')
  projectId = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Dar es Salaam drainage', area: square(39.27, -6.82, 0.02) })).json().id
  for (const [who, role] of [[mapper, 'mapper'], [other, 'mapper'], [validator, 'validator'], [validator2, 'validator']] as const) {
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
  assert.ok(pool.stats().completed > before, 'the cutting ran on worker threads')
  const tasks = res.json() as { id: number; status: string; lockedBy: null; outline: { coordinates: Ring[] } }[]
  // 0.02° is ~2.2 km north-south and ~2.2 km east-west here: a 5 × 5 grid of 500 m cells
  assert.is(tasks.length, 25)
  assert.equal(tasks.map((t) => t.id), Array.from({ length: 25 }, (_, i) => i + 1), 'numbered from 1 within the project')
  assert.ok(tasks.every((t) => t.status === 'ready' && t.lockedBy === null))
  const total = tasks.reduce((sum, t) => sum + surface(t.outline.coordinates[0]!), 0)
  assert.ok(Math.abs(total - 0.02 * 0.02) < 1e-9, `the cells add up to the area: ${total}`)
  const [first] = tasks[0]!.outline.coordinates[0]!
  assert.equal(first, [39.27, -6.82], 'task 1 starts at the south-west corner')
  taskIds = tasks.map((t) => t.id)
  const listed = await call(fw.app, 'GET', `/v1/projects/${projectId}/tasks`, mapper)
  assert.equal(listed.json(), res.json())
})

test('the split clips only the cells the outline crosses: the same pieces as clipping every cell (random areas)', async () => {
  const { default: splitRows, gridOf } = await import('../../examples/fieldwork/src/tasks/split-area.js')
  // star-shaped areas (so never crossing themselves): radii around a centre, at sorted angles
  const star = fc.array(fc.tuple(fc.double({ min: 0, max: 2 * Math.PI, noNaN: true }), fc.double({ min: 0.002, max: 0.012, noNaN: true })), { minLength: 3, maxLength: 40 }).map((spokes) => {
    const ring = [...new Map(spokes.map(([angle, radius]) => [angle.toFixed(6), [angle, radius] as const])).values()]
      .sort(([a], [b]) => a - b)
      .map(([angle, radius]): [number, number] => [30 + radius * Math.cos(angle), 10 + radius * Math.sin(angle)])
    return { type: 'Polygon' as const, coordinates: [[...ring, ring[0]!]] }
  })
  await fc.assert(
    fc.property(star.filter((area) => area.coordinates[0]!.length >= 4 && surfaceOnGround(area) > 1000), fc.integer({ min: 100, max: 500 }), (area, cellMetres) => {
      const grid = gridOf(area, cellMetres)
      const bySplit = new Map<string, number>()
      for (const cell of splitRows({ area, grid, rowStart: 0, rowEnd: grid.rows })) {
        const key = `${cell.row}:${cell.column}`
        bySplit.set(key, (bySplit.get(key) ?? 0) + surfaceOnGround(cell.outline))
      }
      const cellSurface = (row: number) => surfaceOnGround(bboxPolygon([grid.west, grid.south + row * grid.dLat, grid.west + grid.dLon, grid.south + (row + 1) * grid.dLat]))
      for (let row = 0; row < grid.rows; row++) {
        for (let column = 0; column < grid.columns; column++) {
          const x0 = grid.west + column * grid.dLon
          const y0 = grid.south + row * grid.dLat
          const piece = intersect(featureCollection([polygon(area.coordinates), bboxPolygon([x0, y0, x0 + grid.dLon, y0 + grid.dLat])]))
          const expected = piece ? surfaceOnGround(piece) : 0
          const got = bySplit.get(`${row}:${column}`) ?? 0
          // pieces under 1% of a cell are dropped on purpose
          if (Math.abs(got - expected) > 0.011 * cellSurface(row)) throw new Error(`cell ${row}:${column}: ${got} m² split, ${expected} m² by clipping`)
        }
      }
    }),
    { numRuns: 40 },
  )
})

test('tasks as GeoJSON for maps: ?format=geojson or Accept: application/geo+json', async () => {
  const url = `/v1/projects/${projectId}/tasks`
  const table = (await call(fw.app, 'GET', url, mapper)).json() as { id: number; outline: unknown; status: string }[]
  for (const res of [await call(fw.app, 'GET', `${url}?format=geojson`, mapper), await fw.app.inject({ url, headers: { ...mapper.headers, accept: 'application/geo+json' } })]) {
    assert.is(res.status, 200)
    assert.match(String(res.headers['content-type']), /^application\/geo\+json/)
    const collection = res.json()
    assert.is(collection.type, 'FeatureCollection')
    assert.is(collection.features.length, table.length)
    const feature = collection.features[0]
    assert.equal(feature, { type: 'Feature', id: table[0]!.id, geometry: table[0]!.outline, properties: { status: table[0]!.status, lockedBy: null, updatedAt: feature.properties.updatedAt } })
  }
  assert.is((await call(fw.app, 'GET', `${url}?format=kml`, mapper)).status, 422)
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

test('a MultiPolygon area with a hole: tasks on both islands, none in the lake', async () => {
  const west = square(10, 10, 0.01)
  const east = square(10.05, 10, 0.01)
  const lake = [[10.052, 10.002], [10.052, 10.008], [10.058, 10.008], [10.058, 10.002], [10.052, 10.002]]
  const area = { type: 'MultiPolygon', coordinates: [west.coordinates, [...east.coordinates, lake]] }
  const made = await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Two islands', area })
  assert.is(made.status, 201, made.body)
  const res = await call(fw.app, 'POST', `/v1/projects/${made.json().id}/tasks`, pm, { cellMetres: 400 })
  assert.is(res.status, 201, res.body)
  const outlines = (res.json() as { outline: { coordinates: Ring[] } }[]).map((t) => t.outline.coordinates)
  assert.ok(outlines.some((rings) => rings[0]![0]![0] < 10.02) && outlines.some((rings) => rings[0]![0]![0] > 10.04), 'tasks on both islands')
  assert.not.ok(outlines.some((rings) => rings[0]!.every(([lon, lat]) => lon > 10.0521 && lon < 10.0579 && lat > 10.0021 && lat < 10.0079)), 'no task lies in the lake')
  const total = outlines.reduce((sum, rings) => sum + surface(rings[0]!) - rings.slice(1).reduce((holes, ring) => holes + surface(ring), 0), 0)
  const expected = 2 * 0.0001 - 0.006 * 0.006
  assert.ok(Math.abs(total - expected) / expected < 0.01, `the tasks cover the islands less the lake: ${total} vs ${expected}`)
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
  const big = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'A whole district', area: square(30, -10, 0.5) })).json().id
  const tooMany = await call(fw.app, 'POST', `/v1/projects/${big}/tasks`, pm, { cellMetres: 500 })
  assert.is(tooMany.status, 422)
  assert.equal(tooMany.json().detail[0].loc, ['body', 'cellMetres'])
  assert.match(tooMany.json().detail[0].msg, /^Too many tasks: \d+ cells of 500 m cover this area, at most 2500 are allowed$/)
  assert.is((await call(fw.app, 'POST', `/v1/projects/${big}/tasks`, pm, { cellMetres: 10 })).status, 422, 'below the schema minimum')
  const both = await call(fw.app, 'POST', `/v1/projects/${big}/task-splits`, pm, { cellMetres: 1000, taskCount: 10 })
  assert.is(both.status, 422)
  assert.equal(both.json().detail, [{ loc: ['body'], msg: 'Give cellMetres or taskCount, not both', type: 'value_error' }])
  assert.is((await call(fw.app, 'POST', '/v1/projects/999999/tasks', pm, { cellMetres: 500 })).status, 404)
  assert.is((await call(fw.app, 'POST', '/v1/projects/999999/task-splits', pm, { cellMetres: 500 })).status, 404)
})

test('task-splits: 202 at once, then the background task is polled to done with its progress and result', async () => {
  const { id } = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Background split', area: square(36.8, -1.3, 0.05) })).json()
  const res = await call(fw.app, 'POST', `/v1/projects/${id}/task-splits`, pm, { taskCount: 100 })
  assert.is(res.status, 202, res.body)
  const accepted = res.json()
  assert.is(accepted.status, 'pending')
  assert.is(accepted.statusUrl, `/v1/background-tasks/${accepted.id}`)
  assert.is(res.headers.location, accepted.statusUrl)
  // 0.05° ≈ 5.5 km: about 100 tasks means squares of about 550 m
  assert.ok(accepted.cellMetres > 500 && accepted.cellMetres < 600, `${accepted.cellMetres} m`)
  assert.is((await call(fw.app, 'GET', accepted.statusUrl)).status, 401, 'the status needs a sign-in')
  const status = await pollDone(accepted.statusUrl, mapper)
  assert.is(status.status, 'done', status.message ?? '')
  assert.is(status.progress, 100)
  const tasks = (await call(fw.app, 'GET', `/v1/projects/${id}/tasks`, pm)).json() as unknown[]
  assert.equal(status.result, { tasks: tasks.length })
  assert.ok(tasks.length >= 90 && tasks.length <= 121, `about 100 tasks: ${tasks.length}`)
  const again = await call(fw.app, 'POST', `/v1/projects/${id}/task-splits`, pm, { taskCount: 100 })
  assert.is(again.status, 409)
  const missing = await call(fw.app, 'GET', '/v1/background-tasks/00000000-0000-4000-8000-000000000000', pm)
  assert.is(missing.status, 404)
  assert.is((await call(fw.app, 'GET', '/v1/background-tasks/not-a-uuid', pm)).status, 422)
})

test('two background splits of one project at once: one makes the tasks, the other is refused saying why', async () => {
  const { id } = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Split twice in the background', area: square(21, 21, 0.02) })).json()
  const answers = await Promise.all([0, 1].map(() => call(fw.app, 'POST', `/v1/projects/${id}/task-splits`, pm, { cellMetres: 700 })))
  const accepted = answers.filter((a) => a.status === 202)
  const statuses = await Promise.all(accepted.map((a) => pollDone(a.json().statusUrl, pm)))
  const done = statuses.filter((s) => s.status === 'done')
  assert.is(done.length, 1, JSON.stringify(statuses))
  // the second one is refused at once (the first had finished) or fails in the background
  const refused = answers.find((a) => a.status === 409)
  if (refused) assert.is(refused.json().detail, `Project ${id} already has tasks`)
  else assert.is(statuses.find((s) => s.status === 'failed')!.message, `Project ${id} already has tasks`)
  assert.is((await call(fw.app, 'GET', `/v1/projects/${id}/tasks`, pm)).json().length, (done[0]!.result as { tasks: number }).tasks)
})

test('two splits of one project at once: one makes the tasks, the other is a 409', async () => {
  const { id } = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Split twice', area: square(20, 20, 0.02) })).json()
  const answers = await Promise.all([0, 1].map(() => call(fw.app, 'POST', `/v1/projects/${id}/tasks`, pm, { cellMetres: 700 })))
  assert.equal(answers.map((a) => a.status).sort(), [201, 409])
  assert.match(answers.find((a) => a.status === 409)!.json().detail, /already has tasks$/)
  assert.is((await call(fw.app, 'GET', `/v1/projects/${id}/tasks`, pm)).json().length, answers.find((a) => a.status === 201)!.json().length)
})

test('while a heavy split runs on worker threads, the event loop keeps answering other requests', async () => {
  // a circle of 9,000 points cut into ~2,000 cells: hundreds of ms of clipping, none of it on the loop
  const ring: [number, number][] = Array.from({ length: 9000 }, (_, i) => [10 + 0.2 * Math.cos((2 * Math.PI * i) / 9000), 10 + 0.2 * Math.sin((2 * Math.PI * i) / 9000)])
  ring.push(ring[0]!)
  const made = await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Round lake', area: { type: 'Polygon', coordinates: [ring] } })
  assert.is(made.status, 201, made.body)
  let splitDone = 0
  const split = call(fw.app, 'POST', `/v1/projects/${made.json().id}/tasks`, pm, { cellMetres: 900 }).then((res) => {
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

test('one number per task: the one in its URL, in its JSON, on its map, in messages and in its submissions, counted from 1 in each project', async () => {
  // a project split after others: its tasks' rows are far from 1, their numbers are not
  const later = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Numbered later', area: square(39.3, -6.82, 0.01) })).json().id
  const made = (await call(fw.app, 'POST', `/v1/projects/${later}/tasks`, pm, { cellMetres: 500 })).json() as { id: number }[]
  assert.equal(made.map((t) => t.id), made.map((_, i) => i + 1))
  const first = await call(fw.app, 'GET', `/v1/projects/${later}/tasks/1`, pm)
  assert.is(first.status, 200, first.body)
  assert.is(first.json().id, 1)
  assert.is(first.json().index, undefined, 'no second number')
  const map = await call(fw.app, 'GET', `/v1/projects/${later}/tasks?format=geojson`, pm)
  assert.equal(map.json().features.map((f: { id: number }) => f.id), made.map((t) => t.id))
  assert.is((await event(pm, 1, { event: 'map' }, later)).status, 201)
  assert.is((await event(pm, 2, { event: 'map' }, later)).json().detail, 'You already hold task 1 in this project: finish or reset it first')
  const multipart = '--b\r\nContent-Disposition: form-data; name="submission_xml"\r\n\r\n<data/>\r\n--b--\r\n'
  const submission = await fw.app.inject({ method: 'POST', url: `/v1/projects/${later}/tasks/1/submissions`, headers: { ...pm.headers, 'content-type': 'multipart/form-data; boundary=b' }, body: multipart })
  assert.is(submission.status, 201, submission.body)
  assert.is(submission.json().taskId, 1)
  assert.match(submission.json().url, `/v1/projects/${later}/tasks/1/submissions/`)
})

test('the tasks list pages: limit and offset, X-Total-Count; GeoJSON gives them all unless limited', async () => {
  const url = `/v1/projects/${projectId}/tasks`
  const all = (await call(fw.app, 'GET', url, pm)).json() as { id: number }[]
  const page = await call(fw.app, 'GET', `${url}?limit=5&offset=10`, pm)
  assert.is(page.status, 200)
  assert.is(page.headers['x-total-count'], String(all.length))
  assert.equal(page.json().map((t: { id: number }) => t.id), [11, 12, 13, 14, 15])
  const past = await call(fw.app, 'GET', `${url}?offset=2000`, pm)
  assert.equal(past.json(), [])
  assert.is(past.headers['x-total-count'], String(all.length))
  assert.is((await call(fw.app, 'GET', `${url}?limit=0`, pm)).status, 422)
  assert.is((await call(fw.app, 'GET', `${url}?limit=2501`, pm)).status, 422)
  assert.is((await call(fw.app, 'GET', `${url}?format=geojson`, pm)).json().features.length, all.length)
  assert.is((await call(fw.app, 'GET', `${url}?format=geojson&limit=3`, pm)).json().features.length, 3)
})

test('the map → validate cycle: map, 409 for another mapper, finish, validators only, good', async () => {
  const id = taskIds[0]!
  const lock = await event(mapper, id, { event: 'map' })
  assert.is(lock.status, 201)
  assert.is(lock.json().status, 'locked_for_mapping')
  assert.equal(lock.json().lockedBy, { id: mapper.id, name: 'Mo' })
  const taken = await event(other, id, { event: 'map' })
  assert.is(taken.status, 409)
  assert.equal(taken.json(), { detail: 'Task 1 is locked by Mo', code: 'task_locked' })
  assert.is((await event(other, id, { event: 'finish' })).json().detail, 'Task 1 is locked by Mo')
  const mapped = await event(mapper, id, { event: 'finish' })
  assert.is(mapped.json().status, 'mapped')
  assert.is(mapped.json().lockedBy, null)
  assert.is(mapped.json().mappedBy, mapper.id)
  const notValidator = await event(mapper, id, { event: 'validate' })
  assert.is(notValidator.status, 403)
  assert.equal(notValidator.json().detail, `Missing role "validator" in project ${projectId}: you are mapper`)
  assert.is((await event(validator, id, { event: 'validate' })).json().status, 'locked_for_validation')
  const good = await event(validator, id, { event: 'good' })
  assert.is(good.status, 201)
  assert.is(good.json().status, 'validated')
  const twice = await event(validator, id, { event: 'good' })
  assert.is(twice.status, 409)
  assert.equal(twice.json(), { detail: 'Task 1 is validated: cannot mark it good', code: 'invalid_transition' })
  const history = await call(fw.app, 'GET', `/v1/projects/${projectId}/tasks/${id}/events`, pm)
  assert.equal(
    history.json().map((e: { user: { name: string }; event: string; status: string }) => `${e.user.name} ${e.event} ${e.status}`),
    ['Mo map locked_for_mapping', 'Mo finish mapped', 'Val validate locked_for_validation', 'Val good validated'],
    'refused events leave no trace',
  )
})

test('one lock per mapper per project: a second lock is 409 naming the task held; free again after finishing', async () => {
  const [a, b] = [taskIds[20]!, taskIds[21]!]
  assert.is((await event(other, a, { event: 'map' })).status, 201)
  const second = await event(other, b, { event: 'map' })
  assert.is(second.status, 409)
  assert.equal(second.json(), { detail: 'You already hold task 21 in this project: finish or reset it first', code: 'one_lock' })
  // a lock in another project does not count
  const { id: elsewhere } = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Second project', area: square(5, 5, 0.01) })).json()
  await call(fw.app, 'PUT', `/v1/projects/${elsewhere}/members/${other.id}`, pm, { role: 'mapper' })
  const split = (await call(fw.app, 'POST', `/v1/projects/${elsewhere}/tasks`, pm, { cellMetres: 600 })).json() as { id: number }[]
  assert.is((await event(other, split[0]!.id, { event: 'map' }, elsewhere)).status, 201)
  assert.is((await event(other, a, { event: 'finish' })).status, 201)
  assert.is((await event(other, b, { event: 'map' })).status, 201)
  assert.is((await event(other, b, { event: 'reset' })).status, 201)
})

test('one lock per mapper also holds when one mapper asks for two tasks at once', async () => {
  const racer = await signUp(fw.app, 'Rae')
  await call(fw.app, 'PUT', `/v1/projects/${projectId}/members/${racer.id}`, pm, { role: 'mapper' })
  const answers = await Promise.all([taskIds[22]!, taskIds[23]!, taskIds[24]!].map((id) => event(racer, id, { event: 'map' })))
  assert.equal(answers.map((a) => a.status).sort(), [201, 409, 409], answers.map((a) => a.body).join(' / '))
  for (const refused of answers.filter((a) => a.status === 409)) assert.match(refused.json().detail, /^You already hold (task \d+|a task) in this project: finish or reset it first$/)
  const held = answers.find((a) => a.status === 201)!.json().id
  assert.is((await event(racer, held, { event: 'reset' })).json().status, 'ready')
})

test('nobody validates their own mapping, not even a validator; another validator may', async () => {
  const id = taskIds[3]!
  assert.is((await event(validator, id, { event: 'map' })).status, 201)
  assert.is((await event(validator, id, { event: 'finish' })).status, 201)
  const own = await event(validator, id, { event: 'validate' })
  assert.is(own.status, 403)
  assert.equal(own.json(), { detail: 'You mapped task 4: someone else validates it', code: 'own_mapping' })
  assert.is((await event(validator2, id, { event: 'validate' })).json().status, 'locked_for_validation')
  assert.is((await event(validator2, id, { event: 'good' })).json().status, 'validated')
})

test('bad work goes back to mappers; a lock is released by its holder or a validator, not another mapper', async () => {
  const id = taskIds[1]!
  for (const [who, name] of [[mapper, 'map'], [mapper, 'finish'], [validator, 'validate'], [validator, 'bad']] as const) {
    assert.is((await event(who, id, { event: name })).status, 201, name)
  }
  assert.is((await call(fw.app, 'GET', `/v1/projects/${projectId}/tasks/${id}`, other)).json().status, 'invalidated')
  assert.is((await event(mapper, id, { event: 'map' })).json().lockedBy.name, 'Mo')
  const notHolder = await event(other, id, { event: 'reset' })
  assert.is(notHolder.status, 409)
  assert.equal(notHolder.json(), { detail: 'Task 2 is locked by Mo', code: 'task_locked' })
  const released = await event(validator, id, { event: 'reset' })
  assert.is(released.status, 201)
  assert.is(released.json().status, 'ready')
  assert.is(released.json().lockedBy, null)
  const nothing = await event(mapper, id, { event: 'reset' })
  assert.is(nothing.status, 409)
  assert.equal(nothing.json(), { detail: 'Task 2 is ready: cannot release it', code: 'invalid_transition' })
})

test('comments: any member adds one in any status, the history keeps it; a comment event needs its text', async () => {
  const id = taskIds[2]!
  const res = await event(other, id, { event: 'comment', comment: '  The north-east corner is flooded  ' })
  assert.is(res.status, 201)
  assert.is(res.json().status, 'ready', 'a comment changes nothing')
  const history = (await call(fw.app, 'GET', `/v1/projects/${projectId}/tasks/${id}/events`, pm)).json()
  assert.equal(history.map((e: { event: string; comment: string | null; user: { name: string } }) => [e.user.name, e.event, e.comment]), [['Olu', 'comment', 'The north-east corner is flooded']])
  const empty = await event(other, id, { event: 'comment' })
  assert.is(empty.status, 422)
  assert.equal(empty.json().detail, [{ loc: ['body', 'comment'], msg: 'Field required with the comment event', type: 'missing' }])
})

test('roles: a user without a role in the project gets 403, a token-less one 401; bad events are 422', async () => {
  const stranger = await signUp(fw.app, 'Stranger')
  const id = taskIds[2]!
  const denied = await event(stranger, id, { event: 'map' })
  assert.is(denied.status, 403)
  assert.equal(denied.json().detail, `Missing role "mapper" in project ${projectId}: you have no role in this project`)
  assert.is((await call(fw.app, 'POST', `/v1/projects/${projectId}/tasks/${id}/events`, undefined, { event: 'map' })).status, 401)
  const bad = await event(mapper, id, { event: 'take_it' })
  assert.is(bad.status, 422)
  assert.equal(bad.json().detail[0].loc, ['body', 'event'])
})

test('two mappers racing for one task: exactly one gets the lock, the other a 409 naming the winner', async () => {
  for (const id of taskIds.slice(5, 15)) {
    const [a, b] = await Promise.all([event(mapper, id, { event: 'map' }), event(other, id, { event: 'map' })])
    assert.equal([a.status, b.status].sort(), [201, 409], `task ${id}: ${a.body} / ${b.body}`)
    const [winner, loser] = a.status === 201 ? [mapper, other] : [other, mapper]
    assert.is((a.status === 409 ? a : b).json().detail, `Task ${id - taskIds[0]! + 1} is locked by ${winner.name}`)
    assert.is((await event(winner, id, { event: 'reset' })).status, 201, `${loser.name} lost; ${winner.name} releases`)
  }
})

// last: judges what every test above received
test('every status, media type and header the flows above received is documented for its operation', async () => {
  assert.ok(fw.traffic.length > 0, 'the answers were recorded')
  const list = /^\/v1\/projects\/\d+\/tasks$/
  assert.ok(saw(fw.traffic, 'GET', list, { status: 200, type: 'application/json', header: 'x-total-count' }), 'a page of the table')
  assert.ok(saw(fw.traffic, 'GET', list, { status: 200, type: 'application/geo+json' }), 'the GeoJSON')
  assert.ok(saw(fw.traffic, 'POST', /\/tasks\/\d+\/events$/, { status: 409 }), 'a lock refused')
  assert.ok(saw(fw.traffic, 'POST', /\/task-splits$/, { status: 202, header: 'location' }), 'a split in the background')
  assert.equal(await undocumented(fw.app, fw.traffic), [])
})

test.run()
