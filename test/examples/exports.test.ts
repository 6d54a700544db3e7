// Exports of a project's submissions (CSV and GeoJSON), streamed from the embedded database:
// well-formed at 100,000 rows, awkward text quoted right, only for field managers and above.
import { parse } from 'csv-parse/sync'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { call, signUp, signUpAdmin, square, startFieldwork, type Account, type Fieldwork } from './fixtures/fieldwork.js'
import { saw, undocumented } from './fixtures/traffic.js'

let fw: Fieldwork
let pm: Account
let mapper: Account
let projectId: number
let taskIds: number[]
const ROWS = 100_000
const AWKWARD = 'a "quoted", multi-line\r\nvalue\nwith <xml/> & ünïcödé'

test.before(async () => {
  fw = await startFieldwork()
  pm = await signUpAdmin(fw.app, 'Pat')
  mapper = await signUp(fw.app, 'Mo')
  projectId = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Exported', area: square(36.8, -1.3, 0.02) })).json().id
  await call(fw.app, 'PUT', `/v1/projects/${projectId}/members/${mapper.id}`, pm, { role: 'mapper' })
  await call(fw.app, 'POST', `/v1/projects/${projectId}/tasks`, pm, { cellMetres: 1000 })
  // 100,000 submissions in one statement; every 1000th one has text that needs CSV quoting
  const { databasePlugin } = await import('../../examples/fieldwork/src/db/database.js')
  const db = fw.app.plugin(databasePlugin).db
  taskIds = await db.map('SELECT id FROM tasks WHERE project_id = $1', [projectId], (row: { id: number }) => row.id)
  // a name a spreadsheet would split in two if it were not quoted
  await db.none('UPDATE users SET name = $2 WHERE id = $1', [mapper.id, 'Mo, "the mapper"'])
  await db.none(
    `INSERT INTO submissions (task_id, user_id, device_id, xml)
     SELECT ($1::int[])[1 + i % array_length($1::int[], 1)], $2, CASE WHEN i % 2 = 0 THEN 'phone-' || i END,
            CASE WHEN i % 1000 = 0 THEN $3 ELSE '<data><n>' || i || '</n></data>' END
     FROM generate_series(1, $4) AS i`,
    [taskIds, mapper.id, AWKWARD, ROWS],
  )
  // the second one reviewed: exports carry the review state
  await db.none("UPDATE submissions SET review_state = 'approved', reviewed_by = $1, reviewed_at = now() WHERE id = (SELECT min(id) + 1 FROM submissions)", [pm.id])
  // fresh statistics, as autovacuum would have them a minute after a bulk load
  await db.none('ANALYZE submissions')
})
test.after(async () => {
  await fw?.close()
})

test('CSV: 100,000 submissions stream as one well-formed file, quotes, commas and line breaks kept', async () => {
  const res = await call(fw.app, 'GET', `/v1/projects/${projectId}/submissions.csv`, pm)
  assert.is(res.status, 200)
  assert.is(res.headers['content-type'], 'text/csv; charset=utf-8')
  assert.is(res.headers['content-disposition'], `attachment; filename="project-${projectId}-submissions.csv"`)
  assert.is(res.headers['content-length'], undefined, 'streamed, not buffered')
  const records = parse(res.body, { columns: true, relax_quotes: false }) as Record<string, string>[]
  assert.is(records.length, ROWS)
  assert.equal(Object.keys(records[0]!), ['id', 'taskId', 'userId', 'userName', 'deviceId', 'createdAt', 'attachments', 'reviewState', 'xml'])
  const ids = records.map((r) => Number(r.id))
  assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]!), 'in id order, none twice')
  const awkward = records.filter((r) => r.xml === AWKWARD)
  assert.is(awkward.length, ROWS / 1000)
  assert.ok(records.every((r) => r.userName === 'Mo, "the mapper"'))
  assert.equal(records.slice(0, 2).map((r) => [r.deviceId, r.xml, r.attachments, r.reviewState]), [
    ['', '<data><n>1</n></data>', '0', ''],
    ['phone-2', '<data><n>2</n></data>', '0', 'approved'],
  ])
})

test('GeoJSON: 100,000 submissions as one valid FeatureCollection of points at their tasks', async () => {
  const res = await call(fw.app, 'GET', `/v1/projects/${projectId}/submissions.geojson`, pm)
  assert.is(res.status, 200)
  assert.is(res.headers['content-type'], 'application/geo+json')
  const collection = JSON.parse(res.body) as { type: string; features: { type: string; id: number; geometry: { type: string; coordinates: number[] }; properties: { taskId: number; xml: string } }[] }
  assert.is(collection.type, 'FeatureCollection')
  assert.is(collection.features.length, ROWS)
  for (const feature of collection.features) {
    assert.is(feature.geometry.type, 'Point')
    const [lon, lat] = feature.geometry.coordinates as [number, number]
    if (!(lon > 36.8 && lon < 36.82 && lat > -1.3 && lat < -1.28)) assert.unreachable(`a point outside the area: ${lon}, ${lat}`)
  }
  assert.is(collection.features.filter((f) => f.properties.xml === AWKWARD).length, ROWS / 1000)
})

test('an empty project exports a header line and an empty collection', async () => {
  const { id } = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Nothing yet' })).json()
  const csv = await call(fw.app, 'GET', `/v1/projects/${id}/submissions.csv`, pm)
  assert.is(csv.body, 'id,taskId,userId,userName,deviceId,createdAt,attachments,reviewState,xml\r\n')
  const geojson = await call(fw.app, 'GET', `/v1/projects/${id}/submissions.geojson`, pm)
  assert.equal(geojson.json(), { type: 'FeatureCollection', features: [] })
})

test('exports are for field managers and above: 403 for a mapper, 401 without a token, 404 for no project', async () => {
  for (const format of ['csv', 'geojson']) {
    const denied = await call(fw.app, 'GET', `/v1/projects/${projectId}/submissions.${format}`, mapper)
    assert.is(denied.status, 403)
    assert.equal(denied.json(), { detail: `Missing role "field_manager" in project ${projectId}: you are mapper`, code: 'role_required' })
    assert.is((await call(fw.app, 'GET', `/v1/projects/${projectId}/submissions.${format}`)).status, 401)
    assert.is((await call(fw.app, 'GET', `/v1/projects/999999/submissions.${format}`, pm)).status, 404)
  }
  await call(fw.app, 'PUT', `/v1/projects/${projectId}/members/${mapper.id}`, pm, { role: 'field_manager' })
  assert.is((await call(fw.app, 'GET', `/v1/projects/${projectId}/submissions.geojson`, mapper)).status, 200)
})

test('csvField quotes what RFC 4180 says must be quoted, and nothing else', async () => {
  const { csvField } = await import('../../examples/fieldwork/src/exports/logic.js')
  assert.is(csvField('plain'), 'plain')
  assert.is(csvField(42), '42')
  assert.is(csvField(null), '')
  assert.is(csvField('a,b'), '"a,b"')
  assert.is(csvField('say "hi"'), '"say ""hi"""')
  assert.is(csvField('two\nlines'), '"two\nlines"')
  assert.is(csvField('cr\rlf'), '"cr\rlf"')
  assert.is(csvField(' padded'), '" padded"')
})


test('CSV cells a spreadsheet would run as formulas are neutralised: a user named =HYPERLINK(…) stays text', async () => {
  const { csvField } = await import('../../examples/fieldwork/src/exports/logic.js')
  for (const start of ['=', '+', '-', '@', '\t', '\r']) assert.is(csvField(`${start}1+1`).replace(/^"/, '').charAt(0), "'", JSON.stringify(start))
  assert.is(csvField('=1+1'), "'=1+1")
  assert.is(csvField('\tx'), "'\tx")
  assert.is(csvField('=a,b'), `"'=a,b"`, 'and quoted as well when it holds a comma')
  assert.is(csvField(-3), '-3', 'numbers are numbers')
  const who = await signUp(fw.app, 'Formula')
  const { databasePlugin } = await import('../../examples/fieldwork/src/db/database.js')
  const db = fw.app.plugin(databasePlugin).db
  await db.none('UPDATE users SET name = $2 WHERE id = $1', [who.id, '=HYPERLINK("http://evil.example","click")'])
  const { id } = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Formulas', area: square(10, 10, 0.01) })).json()
  await call(fw.app, 'POST', `/v1/projects/${id}/tasks`, pm, { cellMetres: 2000 })
  await db.none("INSERT INTO submissions (task_id, user_id, xml) SELECT id, $2, '<data/>' FROM tasks WHERE project_id = $1 LIMIT 1", [id, who.id])
  const csv = await call(fw.app, 'GET', `/v1/projects/${id}/submissions.csv`, pm)
  const [record] = parse(csv.body, { columns: true }) as Record<string, string>[]
  assert.is(record!.userName, `'=HYPERLINK("http://evil.example","click")`)
})

// last: judges what every test above received
test('every status, media type and header the flows above received is documented for its operation', async () => {
  assert.ok(fw.traffic.length > 0, 'the answers were recorded')
  assert.ok(saw(fw.traffic, 'GET', /\/submissions\.csv$/, { status: 200, type: 'text/csv', header: 'content-disposition' }), 'the CSV')
  assert.ok(saw(fw.traffic, 'GET', /\/submissions\.geojson$/, { status: 200, type: 'application/geo+json' }), 'the GeoJSON')
  assert.equal(await undocumented(fw.app, fw.traffic), [])
})

test.run()
