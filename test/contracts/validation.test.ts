// Refinements, cross-field rules and custom formats: each joins the one 422 list, located at the
// field it is about; a refinement the runtime cannot place is refused at start-up, never ignored.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, defineUnit, depends, rules, t } from 'trefoil'

const Period = rules(
  t.Object({ start: t.String({ format: 'date' }), end: t.String({ format: 'date' }), name: t.String({ minLength: 1 }) }),
  (period) => (period.end < period.start ? { field: 'end', msg: 'End should not be before start', type: 'date_order' } : undefined),
)
const Survey = t.Object({
  // a TypeBox refinement on one field, and one on the whole object
  code: t.Refine(t.String(), (code) => code === code.toUpperCase(), () => 'Code should be upper case'),
  period: Period,
  points: t.Array(t.Refine(t.Object({ lat: t.Number(), lon: t.Number() }), (p) => Math.abs(p.lat) <= 90, () => 'Latitude should be within ±90')),
})

const unit = defineUnit('surveys', { prefix: '/v1/surveys' }, (r) => {
  r.post('/', { body: Survey }, ({ body }) => body)
  r.post('/period', { body: Period }, ({ body }) => body)
  r.get('/by-code/:code', { params: t.Object({ code: t.String({ format: 'project-code' }) }) }, ({ params }) => params)
})
const app = createApp({ formats: { 'project-code': /^[A-Z]{3}-\d{4}$/ }, plugins: [unit] })

const valid = { code: 'ABC', period: { start: '2024-01-01', end: '2024-02-01', name: 'winter' }, points: [{ lat: 10, lon: 20 }] }

test('a body that fits its schema and its refinements is accepted', async () => {
  const res = await app.inject({ method: 'POST', url: '/v1/surveys', body: valid })
  assert.is(res.status, 200)
  assert.equal(res.json(), valid)
})

test('t.Refine on a field is enforced: 422 located at the field', async () => {
  const res = await app.inject({ method: 'POST', url: '/v1/surveys', body: { ...valid, code: 'abc' } })
  assert.is(res.status, 422)
  assert.equal(res.json().detail, [{ loc: ['body', 'code'], msg: 'Code should be upper case', type: 'value_error' }])
})

test('a cross-field rule (end before start) is a 422 at the field it names, not a 200', async () => {
  const res = await app.inject({ method: 'POST', url: '/v1/surveys/period', body: { start: '2024-02-01', end: '2024-01-01', name: 'x' } })
  assert.is(res.status, 422)
  assert.equal(res.json().detail, [{ loc: ['body', 'end'], msg: 'End should not be before start', type: 'date_order' }])
})

test('rule and refinement issues join the schema issues in one list; a field with its own error is not refined', async () => {
  const body = { code: 'abc', period: { start: '2024-02-01', end: '2024-01-01', name: '' }, points: [{ lat: 10, lon: 0 }, { lat: 95, lon: 0 }, { lat: 'north', lon: 0 }] }
  const res = await app.inject({ method: 'POST', url: '/v1/surveys', body })
  assert.is(res.status, 422)
  const detail = res.json().detail as { loc: unknown[]; type: string }[]
  const found = detail.map((issue) => `${issue.loc.join('.')}:${issue.type}`).sort()
  // period has an error of its own (name too short): its cross-field rule does not run on it
  assert.equal(found, ['body.code:value_error', 'body.period.name:string_too_short', 'body.points.1:value_error', 'body.points.2.lat:float_type'].sort())
})

test('createApp({ formats }): a custom format is enforced on coerced input with a 422 naming the format', async () => {
  assert.is((await app.inject({ url: '/v1/surveys/by-code/HOT-2024' })).status, 200)
  const res = await app.inject({ url: '/v1/surveys/by-code/hot-24' })
  assert.is(res.status, 422)
  assert.equal(res.json().detail, [{ loc: ['path', 'code'], msg: 'Input should be a valid project-code', type: 'project_code_format' }])
})

test('a refinement inside a union is refused at start-up, naming the route and the place', async () => {
  const Either = t.Object({ value: t.Union([t.Refine(t.String(), (s) => s.length > 2), t.Integer()]) })
  const broken = createApp({ plugins: [defineUnit('odd', (r) => r.post('/odd', { body: Either }, ({ body }) => body))] })
  try {
    await broken.start()
    assert.unreachable('started')
  } catch (error) {
    const message = (error as Error).message
    assert.match(message, 'Cannot register route "POST /odd"')
    assert.match(message, 'under "anyOf" at /value cannot be enforced')
  }
})

test('a dependency query schema with a refinement is enforced too', async () => {
  const window = depends({ query: rules(t.Object({ from: t.Integer(), to: t.Integer() }), (q) => (q.to < q.from ? { field: 'to', msg: 'Should not be below from' } : undefined)) }, ({ query }) => query)
  const withDep = createApp({ plugins: [defineUnit('w', (r) => r.get('/w', { use: { window } }, ({ window }) => window))] })
  assert.is((await withDep.inject({ url: '/w?from=1&to=2' })).status, 200)
  const res = await withDep.inject({ url: '/w?from=5&to=2' })
  assert.is(res.status, 422)
  assert.equal(res.json().detail, [{ loc: ['query', 'to'], msg: 'Should not be below from', type: 'value_error' }])
})

test.run()
