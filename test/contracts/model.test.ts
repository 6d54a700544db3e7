// Response models with computed fields and field serializers: the answer carries them (also in
// lists, nested objects and "model or null"), the OpenAPI document shows them (computed fields
// readOnly and required), views get the shaped value, and what cannot be shaped fails the start.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { buildOpenApi, createApp, defineUnit, fastJson, model, t } from 'trefoil'
import { captureLogs } from '../helpers/logs.js'

/** The guide's long date: the weekday, the month's number and the year ("Monday 01 2023"). */
function longDate(date: Date): string {
  const weekday = date.toLocaleDateString('en-GB', { weekday: 'long', timeZone: 'UTC' })
  return `${weekday} ${String(date.getUTCMonth() + 1).padStart(2, '0')} ${date.getUTCFullYear()}`
}

const SurveyOut = model(t.Object({ id: t.Integer(), name: t.String(), startsOn: t.String({ description: 'The first day, as "Monday 01 2023"' }) }), {
  serializers: { startsOn: (date: Date) => longDate(date) },
  computed: { label: { schema: t.String({ description: 'Number and name' }), get: (survey) => `#${survey.id} ${survey.name}` } },
})

// what the database gives: a Date, and a private column the model leaves out
const row = { id: 7, name: 'Roads', startsOn: new Date('2023-01-02T00:00:00Z'), secret: 'hidden' }

const surveys = defineUnit('surveys', { prefix: '/surveys' }, (r) => [
  r.get('/one', { response: SurveyOut, view: 'survey' }, () => row),
  r.get('/list', { response: t.Array(SurveyOut) }, () => [row, { ...row, id: 8, startsOn: new Date('2024-03-05T00:00:00Z') }]),
  r.get('/nested', { response: t.Object({ survey: t.Union([SurveyOut, t.Null()]), previous: t.Union([SurveyOut, t.Null()]) }) }, () => ({ survey: row, previous: null })),
  r.get('/fast', () => fastJson([row], t.Array(SurveyOut))),
])

let views = ''
test.before(async () => {
  views = await mkdtemp(join(tmpdir(), 'trefoil-model-'))
  await writeFile(join(views, 'survey.ejs'), '<p><%= label %>, from <%= startsOn %>; <%= typeof secret %></p>')
})
test.after(() => rm(views, { recursive: true, force: true }))

test('the answer carries the computed field and the serialized field, not what the model leaves out', async () => {
  const app = createApp({ plugins: [surveys], views })
  const res = await app.inject({ url: '/surveys/one' })
  assert.is(res.status, 200, res.body)
  assert.equal(res.json(), { id: 7, name: 'Roads', startsOn: 'Monday 01 2023', label: '#7 Roads' })
})

test('models are shaped inside lists, objects, "model or null" and fastJson', async () => {
  const app = createApp({ plugins: [surveys], views })
  const list = await app.inject({ url: '/surveys/list' })
  assert.equal(
    list.json().map((s: { startsOn: string; label: string }) => [s.startsOn, s.label]),
    [
      ['Monday 01 2023', '#7 Roads'],
      ['Tuesday 03 2024', '#8 Roads'],
    ],
  )
  assert.equal((await app.inject({ url: '/surveys/nested' })).json(), { survey: { id: 7, name: 'Roads', startsOn: 'Monday 01 2023', label: '#7 Roads' }, previous: null })
  assert.equal((await app.inject({ url: '/surveys/fast' })).json(), [{ id: 7, name: 'Roads', startsOn: 'Monday 01 2023', label: '#7 Roads' }])
})

test('a view gets the shaped value: computed and serialized fields, nothing the model leaves out', async () => {
  const app = createApp({ plugins: [surveys], views })
  const page = await app.inject({ url: '/surveys/one', headers: { 'hx-request': 'true' } })
  assert.is(page.status, 200, page.body)
  assert.is(page.body, '<p>#7 Roads, from Monday 01 2023; undefined</p>')
})

test('the OpenAPI document shows the answer: computed fields readOnly and required, serialized fields as sent', () => {
  const app = createApp({ plugins: [surveys], views })
  return app.start().then(() => {
    type Described = { properties: Record<string, Record<string, unknown>>; required: string[] }
    const document = buildOpenApi(app.routes, { title: 'Surveys', version: '1' }) as unknown as { paths: Record<string, { get: { responses: Record<string, { content: Record<string, { schema: { $ref: string } }> }> } }>; components: { schemas: Record<string, Described> } }
    const ref = document.paths['/surveys/one']!.get.responses['200']!.content['application/json']!.schema.$ref
    const schema = document.components.schemas[ref.replace('#/components/schemas/', '')]!
    assert.equal(schema.properties.label, { type: 'string', description: 'Number and name', readOnly: true })
    assert.equal(schema.properties.startsOn, { type: 'string', description: 'The first day, as "Monday 01 2023"' })
    assert.equal([...schema.required].sort(), ['id', 'label', 'name', 'startsOn'])
  })
})

test('in development a computed field that does not fit its schema fails the answer, naming the field', async () => {
  const Bad = model(t.Object({ id: t.Integer() }), { computed: { half: { schema: t.Integer(), get: (v) => v.id / 2 } } })
  const { logger, lines } = captureLogs()
  const app = createApp({ logger, plugins: [defineUnit('bad', (r) => [r.get('/bad', { response: Bad }, () => ({ id: 3 }))])] })
  const res = await app.inject({ url: '/bad' })
  assert.is(res.status, 500)
  // the client learns nothing of it; the developer's log names the route, the field and why
  assert.not.match(res.body, 'half')
  const failed = lines.find((line) => line.msg === 'Request failed')?.err as { code?: string; message?: string } | undefined
  assert.is(failed?.code, 'TREFOIL_RESPONSE_MISMATCH')
  assert.is(failed?.message, 'Response of GET /bad does not match its schema: field "half": Input should be a valid integer')
})

test('a union of two shaped models cannot be shaped: the start fails, naming the route', async () => {
  const Other = model(t.Object({ code: t.String() }), { computed: { upper: { schema: t.String(), get: (v) => v.code.toUpperCase() } } })
  const app = createApp({ plugins: [defineUnit('either', (r) => [r.get('/either', { response: t.Union([SurveyOut, Other]) }, () => ({ code: 'a' }))])] })
  const message = await app.start().then(
    () => 'started',
    (error: Error) => error.message,
  )
  assert.match(message, 'Cannot register route "GET /either"')
  assert.match(message, 'a union of several models')
})

test('serializers and computed fields must name fields the model has, or does not have', () => {
  // @ts-expect-error a serializer for a field the model lacks
  assert.throws(() => model(t.Object({ id: t.Integer() }), { serializers: { name: (v: string) => v } }), /serializer for "name": the model has no such field/)
  assert.throws(() => model(t.Object({ id: t.Integer() }), { computed: { id: { schema: t.Integer(), get: () => 1 } } }), /computed field "id": the model already has a field/)
})

test.run()
