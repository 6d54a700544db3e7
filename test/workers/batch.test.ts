// mapConcurrent / settleConcurrent: bounded, ordered, every failure collected with its index.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { BatchError, isTrefoilError, mapConcurrent, settleConcurrent } from 'trefoil'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

test('mapConcurrent() keeps the items order whatever order they finish in', async () => {
  const results = await mapConcurrent([30, 5, 20, 1, 10], 3, async (ms, index) => {
    await sleep(ms)
    return `${index}:${ms}`
  })
  assert.equal(results, ['0:30', '1:5', '2:20', '3:1', '4:10'])
})

test('mapConcurrent() never has more than `limit` calls in flight, and uses all of them', async () => {
  let inFlight = 0
  let peak = 0
  await mapConcurrent(Array.from({ length: 20 }, (_, i) => i), 4, async (i) => {
    inFlight++
    peak = Math.max(peak, inFlight)
    await sleep(2 + (i % 3))
    inFlight--
  })
  assert.is(peak, 4)
})

test('mapConcurrent() runs every item despite failures, then rejects listing each with its index', async () => {
  const ran: number[] = []
  const error = await mapConcurrent([1, 2, 3, 4, 5], 2, async (n) => {
    ran.push(n)
    if (n === 2) throw new Error('two failed')
    if (n === 4) throw new Error('four failed')
    return n * 10
  }).then(() => undefined, (e: unknown) => e)
  assert.instance(error, BatchError)
  assert.instance(error, AggregateError)
  const batch = error as BatchError<number>
  assert.equal(ran.sort(), [1, 2, 3, 4, 5])
  assert.equal(batch.failures.map((f) => [f.index, (f.error as Error).message]), [[1, 'two failed'], [3, 'four failed']])
  assert.equal(batch.errors.map((e: Error) => e.message), ['two failed', 'four failed'])
  assert.equal(batch.results, [10, undefined, 30, undefined, 50])
  assert.is(batch.message, '2 of 5 items failed: item 1: two failed (and 1 more)')
})

test('a synchronous throw in fn is collected like a rejection', async () => {
  const error = (await mapConcurrent(['a'], 1, () => {
    throw new TypeError('sync')
  }).catch((e: unknown) => e)) as BatchError
  assert.is(error.failures[0]?.index, 0)
  assert.instance(error.failures[0]?.error, TypeError)
})

test('settleConcurrent() gives one settled result per item, in order, and never rejects', async () => {
  const outcomes = await settleConcurrent([1, 2, 3], 2, async (n) => {
    if (n === 2) throw new Error('no')
    return n
  })
  assert.equal(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled'])
  assert.equal(outcomes[0], { status: 'fulfilled', value: 1 })
})

test('an aborted signal stops new items from starting; they fail with its reason', async () => {
  const controller = new AbortController()
  const started: number[] = []
  const outcomes = await settleConcurrent([0, 1, 2, 3, 4], 1, async (n) => {
    started.push(n)
    if (n === 1) controller.abort(new Error('Stopped'))
    return n
  }, { signal: controller.signal })
  assert.equal(started, [0, 1])
  assert.equal(outcomes.slice(2).map((o) => (o.status === 'rejected' ? (o.reason as Error).message : 'ran')), ['Stopped', 'Stopped', 'Stopped'])
})

test('an empty batch resolves to an empty list; a bad limit is TREFOIL_INVALID_ARGUMENT', async () => {
  assert.equal(await mapConcurrent([], 3, (x) => x), [])
  for (const limit of [0, -1, 1.5, Number.NaN]) {
    const error = await mapConcurrent([1], limit, (x) => x).catch((e: unknown) => e)
    assert.ok(isTrefoilError(error) && error.code === 'TREFOIL_INVALID_ARGUMENT', String(error))
  }
})

test('mapConcurrent() accepts any iterable', async () => {
  assert.equal(await mapConcurrent(new Set([3, 1, 2]), 2, (x) => x * 2), [6, 2, 4])
})

test.run()
