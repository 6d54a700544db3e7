// String formats belong to the app that declares them: two apps in one process validate the same
// schema each with its own formats, and a plugin can add one while the app starts.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, definePlugin, defineUnit, t } from 'trefoil'

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

test('a plugin adds a format while the app starts; after start it is refused', async () => {
  const formats = definePlugin({ name: 'formats', setup: (app) => app.addFormat('survey-code', (value) => value.startsWith('S-')) })
  const app = createApp({ plugins: [formats, surveys()] })
  assert.is((await app.inject({ url: '/surveys/X-1' })).status, 422)
  assert.is((await app.inject({ url: '/surveys/S-1' })).status, 200)
  assert.throws(() => app.addFormat('late', /x/), /only a plugin's setup may/)
  await app.close()
})

test.run()
