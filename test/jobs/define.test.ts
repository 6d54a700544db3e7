// Declaring jobs: mistakes fail at definition, naming the job, before any database is involved.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { defineDatabase, defineJob, defineJobs, t } from 'trefoil'

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

test('defineJob refuses a name pg-boss cannot use, a missing handler, a schema that does not compile, a bad concurrency', () => {
  assert.is(message(() => defineJob('send report', t.Object({}), () => undefined)), 'Cannot define job "send report": a name is letters, digits, "_", "-" and "."')
  assert.is(message(() => defineJob('x', t.Object({}), undefined as never)), 'Cannot define job "x": it needs a handler function')
  assert.match(message(() => defineJob('x', { type: 'nope' } as never, () => undefined)), /^Cannot define job "x": its payload schema does not compile: /)
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

test('the payload validator applies defaults and drops unknown fields, like a JSON body', () => {
  const job = defineJob('z', t.Object({ n: t.Integer({ default: 3 }) }), () => undefined)
  const payload: Record<string, unknown> = { extra: true }
  assert.ok(job.validate(payload))
  assert.equal(payload, { n: 3 })
  assert.not.ok(job.validate({ n: '3' }), 'no coercion of JSON payloads')
})

test.run()
