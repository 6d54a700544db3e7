// Costly areas answer for themselves: a star polygon at the position limit is a 422 naming the
// crossing in a few seconds (never a 500, and an ordinary square sent just after is created), and
// a split whose cost (positions × cells) is over the cap is a 422 before any work starts.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { bearerOf, serveFieldwork, timed, type Served } from './client.js'

let fw: Served
let headers: Record<string, string>

test.before(async () => {
  fw = await serveFieldwork()
  headers = await bearerOf(fw.app, true)
})
test.after(async () => {
  await fw?.close()
})

// 9,998 points on a circle, each joined to the one almost opposite: some 5·10⁷ crossings
function star(positions = 9_999): [number, number][] {
  const n = positions - 1
  const ring: [number, number][] = []
  for (let i = 0; i < n; i++) {
    const angle = (2 * Math.PI * ((i * 4_997) % n)) / n
    ring.push([10 + 0.05 * Math.cos(angle), 50 + 0.05 * Math.sin(angle)])
  }
  ring.push(ring[0]!)
  return ring
}

const square: [number, number][] = [[10, 50], [10.01, 50], [10.01, 50.01], [10, 50.01], [10, 50]]

// vertical teeth: every row of cells cuts every tooth
function comb(teeth: number): [number, number][] {
  const ring: [number, number][] = []
  const dx = 0.14 / teeth
  for (let i = 0; i < teeth; i++) {
    const x = 10 + i * dx
    ring.push([x, 50], [x, 50.09], [x + dx / 2, 50.09], [x + dx / 2, 50.001])
  }
  ring.push([10.14, 50.001], [10.14, 49.99], [10, 49.99], [10, 50])
  return ring
}

const create = (name: string, ring: [number, number][]) =>
  timed(`${fw.base}/v1/projects`, { method: 'POST', headers, body: JSON.stringify({ name, area: { type: 'Polygon', coordinates: [ring] } }), timeoutMs: 60_000 })

test('a 9,999-position star polygon is a 422 saying where it crosses, and a square sent 0.5 s later is created', async () => {
  const starred = create('Star', star())
  await new Promise((resolve) => setTimeout(resolve, 500))
  const squared = create('Square', square)
  const [s, q] = await Promise.all([starred, squared])
  console.log(`star polygon: ${s.status} in ${s.ms.toFixed(0)} ms; square sent 0.5 s later: ${q.status} in ${q.ms.toFixed(0)} ms`)
  assert.is(s.status, 422, s.body)
  assert.match(s.body, /crosses itself/)
  assert.ok(s.ms < 5_000, 'in a few seconds')
  assert.is(q.status, 201, q.body)
})

test('a split costing more than the cap is a 422 up front that says how many cells the outline allows', async () => {
  const made = await create('Comb', comb(1_000))
  assert.is(made.status, 201, made.body)
  const { id } = JSON.parse(made.body) as { id: number }
  const split = await timed(`${fw.base}/v1/projects/${id}/task-splits`, { method: 'POST', headers, body: JSON.stringify({ cellMetres: 500 }) })
  assert.is(split.status, 422, split.body)
  assert.match(split.body, /Too costly to split: the area's outline crosses the lines of \d+ cells of 500 m \d+ times, at most 20000 are allowed/)
  assert.ok(split.ms < 1_000, `up front (${split.ms.toFixed(0)} ms)`)
})

test.run()
