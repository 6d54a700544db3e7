// String formats belong to the app that declares them: two apps in one process validate the same
// schema each with its own formats, in what they read, in the responses they check and in the
// token claims defineAuth checks, and a plugin can add one while the app starts. (Job payloads:
// test/db/jobs.test.ts, which needs PostgreSQL.)
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, defineAuth, definePlugin, defineUnit, t } from 'trefoil'
import * as trefoil from 'trefoil'

const Code = t.Object({ code: t.String({ format: 'survey-code' }) })
const surveys = () => defineUnit('surveys', { prefix: '/surveys' }, (r) => r.get('/:code', { params: Code }, ({ params }) => ({ code: params.code })))

test("an app's formats are its own: another app in the process does not get them", async () => {
  const strict = createApp({ formats: { 'survey-code': /^[A-Z]{3}-\d{4}$/ }, plugins: [surveys()] })
  const lenient = createApp({ plugins: [surveys()] })
  const bad = await strict.inject({ url: '/surveys/hot-24' })
  assert.is(bad.status, 422)
  assert.equal(bad.json().detail, [{ loc: ['path', 'code'], msg: 'Input should be a valid survey-code', type: 'survey_code_format' }])
  assert.is((await strict.inject({ url: '/surveys/HOT-2024' })).status, 200)
  // the same schema in an app that declared no such format
  assert.is((await lenient.inject({ url: '/surveys/hot-24' })).status, 200)
  await Promise.all([strict.close(), lenient.close()])
})

test("an app's formats check its responses too: a value its response model's format refuses is the server's error, in that app only", async () => {
  const CodeOut = t.Object({ code: t.String({ format: 'survey-code' }) })
  const echo = () => defineUnit('echo', (r) => r.get('/echo/:code', { response: CodeOut }, ({ params }) => ({ code: params.code })))
  const strict = createApp({ formats: { 'survey-code': /^[A-Z]{3}-\d{4}$/ }, plugins: [echo()], checkResponses: true, logger: false })
  const lenient = createApp({ plugins: [echo()], checkResponses: true, logger: false })
  assert.equal((await strict.inject({ url: '/echo/HOT-2024' })).json(), { code: 'HOT-2024' })
  assert.is((await strict.inject({ url: '/echo/hot-24' })).status, 500, 'the development check knows the app’s format')
  // the same schema in an app that declared no such format: its check is its own
  assert.equal((await lenient.inject({ url: '/echo/hot-24' })).json(), { code: 'hot-24' })
  await Promise.all([strict.close(), lenient.close()])
})

test('a plugin adds a format while the app starts; after start it is refused', async () => {
  const formats = definePlugin({ name: 'formats', setup: (app) => app.addFormat('survey-code', (value) => value.startsWith('S-')) })
  const app = createApp({ plugins: [formats, surveys()] })
  assert.is((await app.inject({ url: '/surveys/X-1' })).status, 422)
  assert.is((await app.inject({ url: '/surveys/S-1' })).status, 200)
  assert.throws(() => app.addFormat('late', /x/), /only a plugin's setup may/)
  await app.close()
})

test("token claims are checked with the app's formats: a signed token whose claims the app's format refuses is a 401, in that app only", async () => {
  const auth = defineAuth({ secret: 'a-secret-of-at-least-thirty-two-bytes!', claims: t.Object({ sub: t.String({ format: 'survey-code' }) }) })
  const me = () => defineUnit('me', (r) => r.get('/me', { use: { user: auth.currentUser } }, ({ user }) => ({ sub: user.sub })))
  const strict = createApp({ formats: { 'survey-code': /^[A-Z]{3}-\d{4}$/ }, plugins: [me()], logger: false })
  const lenient = createApp({ plugins: [me()], logger: false })
  const bearer = async (sub: string) => ({ authorization: `Bearer ${await auth.sign({ sub })}` })
  assert.equal((await strict.inject({ url: '/me', headers: await bearer('HOT-2024') })).json(), { sub: 'HOT-2024' })
  assert.is((await strict.inject({ url: '/me', headers: await bearer('hot-24') })).status, 401)
  assert.equal((await lenient.inject({ url: '/me', headers: await bearer('hot-24') })).json(), { sub: 'hot-24' })
  await Promise.all([strict.close(), lenient.close()])
})

test('claims that do not compile stop the start, naming the dependency', async () => {
  const auth = defineAuth({ secret: 'a-secret-of-at-least-thirty-two-bytes!', claims: { type: 'object', properties: { sub: { type: 'strng' } } } as never })
  const app = createApp({ plugins: [defineUnit('me', (r) => r.get('/me', { use: { user: auth.currentUser } }, () => 'ok'))], logger: false })
  const error = (await app.start().catch((e: unknown) => e)) as { code?: string; message?: string }
  assert.is(error.code, 'TREFOIL_SCHEMA_INVALID')
  assert.match(error.message ?? '', /"bearer"/)
})

test('there is no process-wide format: trefoil exports no addFormat', () => {
  assert.not.ok('addFormat' in trefoil)
})

test.run()
