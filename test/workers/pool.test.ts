// The worker pool with real worker threads: every way a task can fail rejects its promise with
// the task's own message and stack, and the pool keeps its size afterwards.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { pino } from 'pino'
import { createApp, createWorkerPool, defineTask, defineUnit, defineWorkers, runInWorker, TaskError, workers, type WorkerPool } from 'trefoil'

const SIZE = 2
const fixture = (name: string): URL => new URL(`./fixtures/${name}.js`, import.meta.url)
const echo = defineTask<typeof import('./fixtures/echo.js')>(fixture('echo'))
const throws = defineTask<typeof import('./fixtures/throws.js')>(fixture('throws'))
const exits = defineTask<typeof import('./fixtures/exits.js')>(fixture('exits'))
const lateError = defineTask<typeof import('./fixtures/late-error.js')>(fixture('late-error'))
const lateErrorAsync = defineTask<typeof import('./fixtures/late-error-async.js')>(fixture('late-error-async'))
const unhandled = defineTask<typeof import('./fixtures/unhandled.js')>(fixture('unhandled'))
const spin = defineTask<typeof import('./fixtures/spin.js')>(fixture('spin'))

const logLines: string[] = []
const log = pino({ level: 'error' }, { write: (line: string) => void logLines.push(line) })
let pool: WorkerPool

test.before(() => {
  pool = createWorkerPool({ size: SIZE, log })
})
test.after(async () => {
  await pool.close()
})

async function until(what: string, condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** The pool has all its workers, and they all take work: SIZE held tasks land on SIZE threads. */
async function assertFullSize(): Promise<void> {
  await until('the pool to regain its size', () => pool.stats().size === SIZE)
  const replies = await Promise.all(Array.from({ length: SIZE }, (_, i) => pool.run(echo, { value: i, holdMs: 150 })))
  assert.equal(replies.map((r) => r.value), Array.from({ length: SIZE }, (_, i) => i))
  assert.is(new Set(replies.map((r) => r.threadId)).size, SIZE, 'every worker answered')
}

async function rejection(promise: Promise<unknown>): Promise<TaskError> {
  try {
    await promise
  } catch (error) {
    assert.instance(error, TaskError)
    return error as TaskError
  }
  throw new Error('Expected the task to fail')
}

test('a task written in TypeScript runs on a worker and can import trefoil', async () => {
  const reply = await pool.run(echo, { value: { a: [1, 2] } })
  assert.equal(reply.value, { a: [1, 2] })
  assert.ok(reply.typebox)
  assert.ok(reply.threadId > 0)
})

test('a thrown error rejects with the task message, name, stack, code and fields', async () => {
  const error = await rejection(pool.run(throws, { message: 'Area too large: 12 km²' }))
  assert.is(error.reason, 'error')
  assert.is(error.message, 'Area too large: 12 km²')
  assert.is(error.name, 'RangeError')
  assert.is(error.code, 'E_AREA')
  assert.is((error as TaskError & { cells?: number }).cells, 42)
  assert.match(error.stack ?? '', /fixtures\/throws\.ts:\d+/)
  await assertFullSize()
})

test('process.exit(0) inside a task rejects with where it was called, and the worker is replaced', async () => {
  const error = await rejection(pool.run(exits, { code: 0 }))
  assert.is(error.reason, 'exit')
  assert.is(error.exitCode, 0)
  assert.is(error.message, 'Task called process.exit(0)')
  assert.match(error.stack ?? '', /fixtures\/exits\.ts:\d+/)
  await assertFullSize()
})

test('process.exit(1) inside a task rejects (never leaves it pending), and the worker is replaced', async () => {
  const error = await rejection(pool.run(exits, { code: 1 }))
  assert.is(error.reason, 'exit')
  assert.is(error.exitCode, 1)
  assert.match(error.stack ?? '', /fixtures\/exits\.ts:\d+/)
  await assertFullSize()
})

test('an error thrown after the task replied is logged with its stack, and does not fail the next task on that worker', async () => {
  // one worker, idle workers blocked (the default): the leftover timer fires during the next task
  const single = createWorkerPool({ size: 1, log })
  logLines.length = 0
  try {
    assert.is(await single.run(lateError, { message: 'Timer fired after the reply', afterMs: 20 }), 'replied')
    const next = await single.run(echo, { value: 'innocent', sleepMs: 100 })
    assert.is(next.value, 'innocent')
    await until('the late error to be reported', () => single.stats().lateErrors === 1)
    const line = logLines.find((l) => l.includes('Timer fired after the reply'))
    assert.ok(line, 'the late error is logged')
    const logged = JSON.parse(line) as { msg: string; task: string; err: { stack: string } }
    assert.is(logged.msg, 'Task failed after it replied')
    assert.match(logged.task, /late-error/)
    assert.match(logged.err.stack, /fixtures\/late-error\.ts:\d+/)
    assert.is(single.stats().size, 1)
    assert.is(single.stats().failed, 0)
  } finally {
    await single.close()
  }
})

test('an error an async task throws after it replied is blamed on that task, not on the async task running then', async () => {
  const single = createWorkerPool({ size: 1, log })
  logLines.length = 0
  try {
    assert.is(await single.run(lateErrorAsync, { message: 'Async leftover', afterMs: 30 }), 'replied')
    const next = await single.run(echo, { value: 'innocent', sleepMs: 150 })
    assert.is(next.value, 'innocent')
    await until('the late error to be reported', () => single.stats().lateErrors === 1)
    const logged = JSON.parse(logLines.find((l) => l.includes('Async leftover'))!) as { task: string; err: { stack: string } }
    assert.match(logged.task, /late-error-async/)
    assert.match(logged.err.stack, /fixtures\/late-error-async\.ts:\d+/)
    assert.is(single.stats().failed, 0)
  } finally {
    await single.close()
  }
})

test("with atomics: 'async', an idle worker reports an error thrown after the reply at once; the main process lives on", async () => {
  const looping = createWorkerPool({ size: 1, log, atomics: 'async' })
  try {
    assert.is(await looping.run(lateError, { message: 'Late while idle', afterMs: 20 }), 'replied')
    await until('the late error to be reported', () => looping.stats().lateErrors === 1)
    assert.is((await looping.run(echo, { value: 2 })).value, 2)
    assert.is(looping.stats().size, 1)
  } finally {
    await looping.close()
  }
})

test('with trackTaskContext: false, an uncaught error fails the task running at the time, and the worker lives on', async () => {
  const untracked = createWorkerPool({ size: 1, log, trackTaskContext: false })
  try {
    const own = await rejection(untracked.run(unhandled, { message: 'Own rejection' }))
    assert.is(own.message, 'Own rejection')
    await untracked.run(echo, { value: 'loads the module' })
    assert.is(await untracked.run(lateError, { message: 'Left behind', afterMs: 20 }), 'replied')
    // the documented cost of not tracking: the next task on that worker takes the blame
    const blamed = await rejection(untracked.run(echo, { value: 'next', sleepMs: 100 }))
    assert.is(blamed.message, 'Left behind')
    assert.match(blamed.stack ?? '', /fixtures\/late-error\.ts:\d+/)
    assert.is((await untracked.run(echo, { value: 'after' })).value, 'after')
    assert.is(untracked.stats().size, 1)
  } finally {
    await untracked.close()
  }
})

test('an unhandled rejection while the task runs rejects that task with its error', async () => {
  const error = await rejection(pool.run(unhandled, { message: 'Nobody awaited me' }))
  assert.is(error.reason, 'error')
  assert.is(error.name, 'TypeError')
  assert.is(error.message, 'Nobody awaited me')
  assert.match(error.stack ?? '', /fixtures\/unhandled\.ts:\d+/)
  await assertFullSize()
})

test('a timeout rejects a task stuck in a CPU loop and its worker is replaced', async () => {
  const error = await rejection(pool.run(spin, { ms: -1 }, { timeoutMs: 100 }))
  assert.is(error.reason, 'timeout')
  assert.match(error.message, /^Task .*spin\.js timed out after 100 ms$/)
  await assertFullSize()
})

test("the pool's default timeout applies to every task; a run's own timeout wins", async () => {
  const timed = createWorkerPool({ size: 1, timeoutMs: 100 })
  try {
    assert.is((await rejection(timed.run(spin, { ms: -1 }))).reason, 'timeout')
    // a fresh worker replaces the timed-out one; this task's clock starts when that worker starts it
    assert.is((await timed.run(echo, { value: 1 }, { timeoutMs: 10_000 })).value, 1)
  } finally {
    await timed.close()
  }
})

test('an abort rejects a running task with the reason as cause, and its worker is replaced', async () => {
  const controller = new AbortController()
  const running = pool.run(spin, { ms: -1 }, { signal: controller.signal })
  setTimeout(() => controller.abort(new Error('Client went away')), 50)
  const error = await rejection(running)
  assert.is(error.reason, 'aborted')
  assert.is((error.cause as Error).message, 'Client went away')
  await assertFullSize()
})

test('an abort rejects a queued task without running it', async () => {
  const busy = Array.from({ length: SIZE }, () => pool.run(spin, { ms: 150 }))
  const controller = new AbortController()
  const queued = pool.run(echo, { value: 'never' }, { signal: controller.signal })
  assert.is(pool.stats().queued, 1)
  controller.abort()
  assert.is((await rejection(queued)).reason, 'aborted')
  await Promise.all(busy)
  await assertFullSize()
})

test('a module without a default export rejects with a message naming it', async () => {
  const error = await rejection(pool.run(fixture('no-default'), {}))
  assert.match(error.message, /no-default\.js has no default export function/)
  const missing = await rejection(pool.run(fixture('does-not-exist'), {}))
  assert.is(missing.reason, 'error')
  assert.match(missing.message, /does-not-exist/)
})

test('workers that cannot start reject the queued tasks instead of leaving them pending', async () => {
  // a TypeScript runner without tsx in the worker: the very failure DESIGN.md measured on Node 20
  const broken = createWorkerPool({ size: 1, typescript: false, log })
  try {
    const first = await rejection(broken.run(echo, { value: 1 }))
    assert.is(first.reason, 'crashed')
    assert.match(first.message, /Unknown file extension "\.ts"/)
    const next = await rejection(broken.run(echo, { value: 2 }))
    assert.is(next.reason, 'crashed')
    assert.match(next.message, /workers cannot start: Unknown file extension/)
  } finally {
    await broken.close()
  }
})

test('past maxQueue waiting tasks, a run rejects at once as queue-full', async () => {
  const small = createWorkerPool({ size: 1, maxQueue: 1 })
  try {
    const running = small.run(spin, { ms: 100 })
    await until('the first task to start', () => small.stats().busy === 1)
    const waiting = small.run(echo, { value: 'queued' })
    const error = await rejection(small.run(echo, { value: 'one too many' }))
    assert.is(error.reason, 'queue-full')
    assert.match(error.message, /1 tasks are already waiting/)
    await running
    assert.is((await waiting).value, 'queued')
  } finally {
    await small.close()
  }
})

test('stats() reads busy, queued, completed and failed', async () => {
  const before = pool.stats()
  const running = Array.from({ length: SIZE + 1 }, () => pool.run(spin, { ms: 100 }))
  const during = pool.stats()
  assert.is(during.busy, SIZE)
  assert.is(during.queued, 1)
  await Promise.all(running)
  await rejection(pool.run(throws, { message: 'x' }))
  const after = pool.stats()
  assert.is(after.completed - before.completed, SIZE + 1)
  assert.is(after.failed - before.failed, 1)
  assert.is(after.busy, 0)
  assert.is(after.queued, 0)
  assert.is(after.size, SIZE)
})

test('a closed pool lets running tasks finish and rejects new ones', async () => {
  const closing = createWorkerPool({ size: 1 })
  const running = closing.run(spin, { ms: 50 })
  const closed = closing.close()
  assert.is((await rejection(closing.run(echo, { value: 1 }))).reason, 'closed')
  assert.type(await running, 'number')
  await closed
  assert.is(closing.stats().size, 0)
})

test('defineWorkers() gives an app a pool, reachable by runInWorker, app.plugin() and the workers dependency', async () => {
  const workersPlugin = defineWorkers({ size: 1 })
  const unit = defineUnit('areas', { prefix: '/areas' }, (r) => {
    r.post('/echo', { use: { workers } }, async ({ workers, app }) => {
      const viaDependency = await workers.run(echo, { value: 'dep' })
      const viaApp = await runInWorker(app, echo, { value: 'app' })
      return { values: [viaDependency.value, viaApp.value] }
    })
  })
  const app = createApp({ plugins: [workersPlugin, unit], logger: false })
  try {
    const res = await app.inject({ method: 'POST', url: '/areas/echo' })
    assert.is(res.status, 200)
    assert.equal(res.json(), { values: ['dep', 'app'] })
    assert.is(app.plugin(workersPlugin).stats().completed, 2)
  } finally {
    await app.close()
  }
  assert.is(app.plugin(workersPlugin).stats().size, 0, 'closing the app closes the pool')
})

test('runInWorker() on an app without the workers plugin names the fix', async () => {
  const app = createApp({ logger: false })
  assert.throws(() => runInWorker(app, echo, { value: 1 }), /list defineWorkers\(\) in createApp/)
})

test('a task reference must be a file URL or an absolute path', async () => {
  const error = await pool.run('./fixtures/echo.js').then(() => undefined, (e: unknown) => e as Error)
  assert.match(error?.message ?? '', /give a file URL/)
})

// Compile-time only (never called): a task's input and output types come from its module.
export function typeChecks(p: WorkerPool): void {
  const reply: Promise<{ value: unknown; threadId: number; typebox: boolean }> = p.run(echo, { value: 1 })
  // @ts-expect-error: echo's input needs `value`
  void p.run(echo, { holdMs: 1 })
  // @ts-expect-error: echo answers an object, not a number
  const wrong: Promise<number> = runInWorker(p, echo, { value: 1 })
  // an untyped reference (URL) gives unknown
  const loose: Promise<unknown> = p.run(fixture('echo'), { anything: true })
  void [reply, wrong, loose]
}

test.run()
