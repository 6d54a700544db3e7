// Declaring jobs: mistakes fail at definition (or, for a payload schema, when the app starts, by
// the app's compiler), naming the job, before any database is involved.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, defineDatabase, defineJob, defineJobs, definePlugin, t, type DatabaseHandle } from 'trefoil'

const { plugin: database } = defineDatabase({ health: false })
const ok = defineJob('ok', t.Object({ n: t.Integer() }), () => undefined)

function message(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    return (error as Error).message
  }
  return 'no error'
}

test('defineJob refuses a name pg-boss cannot use, a missing handler, a bad concurrency', () => {
  assert.is(message(() => defineJob('send report', t.Object({}), () => undefined)), 'Cannot define job "send report": a name is letters, digits, "_", "-" and "."')
  assert.is(message(() => defineJob('x', t.Object({}), undefined as never)), 'Cannot define job "x": it needs a handler function')
  assert.is(message(() => defineJob('x', t.Object({}), () => undefined, { concurrency: 0 })), 'Cannot define job "x": concurrency must be an integer of at least 1')
})

test('defineJob fills in the retry defaults', () => {
  assert.equal(ok.options, { retryLimit: 2, retryDelay: 5, retryBackoff: true, expireInSeconds: 900, concurrency: 1 })
  assert.equal(defineJob('y', t.Object({}), () => undefined, { retryLimit: 5, retryDelay: undefined }).options.retryDelay, 5)
})

test('defineJobs refuses two jobs of one name, and working on a job it does not list', () => {
  assert.is(message(() => defineJobs({ database, jobs: [ok, defineJob('ok', t.Object({}), () => undefined)] })), 'Cannot register job "ok": a job with this name is already registered')
  assert.is(message(() => defineJobs({ database, jobs: [ok], work: ['other'] })), 'Cannot work on job "other": it is not in defineJobs({ jobs })')
})

test("a payload schema that does not compile stops the app's start, naming the job, before the database is used", async () => {
  // a stand-in for the database plugin: the payloads are compiled before the jobs plugin reads it
  const stand = definePlugin<DatabaseHandle>({ name: 'database', setup: () => ({ value: {} as DatabaseHandle }) })
  const broken = defineJob('x', { type: 'nope' } as never, () => undefined)
  const app = createApp({ logger: false, plugins: [stand, defineJobs({ database: stand, jobs: [broken] })] })
  const error = (await app.start().catch((e: unknown) => e)) as { code?: string; message?: string }
  assert.is(error.code, 'TREFOIL_SCHEMA_INVALID')
  assert.match(error.message ?? '', /Cannot register job "x": its payload schema does not compile: /)
})

test.run()
