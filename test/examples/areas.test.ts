// Areas as coordinators have them: a Feature or a FeatureCollection (what geojson.io saves) as
// well as a bare geometry, altitudes accepted and dropped, polygons merged into one MultiPolygon,
// and the refusals that name the field and say why (antimeridian, no polygon, nothing in it).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { call, signUpAdmin, square, startFieldwork, type Account, type Fieldwork } from './fixtures/fieldwork.js'

let fw: Fieldwork
let admin: Account
let n = 0

test.before(async () => {
  fw = await startFieldwork()
  admin = await signUpAdmin(fw.app, 'Area admin')
})
test.after(async () => {
  await fw?.close()
})

function create(area: unknown) {
  return call(fw.app, 'POST', '/v1/projects', admin, { name: `Area ${++n}`, area })
}

const feature = (geometry: unknown) => ({ type: 'Feature', properties: { name: 'from geojson.io' }, geometry })

test('a Feature is taken for its geometry', async () => {
  const res = await create(feature(square(39.27, -6.82, 0.01)))
  assert.is(res.status, 201, res.body)
  assert.equal(res.json().area, square(39.27, -6.82, 0.01))
})

test("a FeatureCollection's polygons are merged into one MultiPolygon (a MultiPolygon's parts too)", async () => {
  const multi = { type: 'MultiPolygon', coordinates: [square(1, 1, 0.01).coordinates, square(2, 2, 0.01).coordinates] }
  const res = await create({ type: 'FeatureCollection', features: [feature(square(0, 0, 0.01)), feature(multi)] })
  assert.is(res.status, 201, res.body)
  assert.equal(res.json().area, { type: 'MultiPolygon', coordinates: [square(0, 0, 0.01).coordinates, square(1, 1, 0.01).coordinates, square(2, 2, 0.01).coordinates] })
  const one = await create({ type: 'FeatureCollection', features: [feature(square(3, 3, 0.01))] })
  assert.equal(one.json().area.type, 'MultiPolygon', 'a collection stays a MultiPolygon, even of one')
})

test('positions with an altitude are accepted; the altitude is dropped', async () => {
  const withAltitude = { type: 'Polygon', coordinates: [square(5, 5, 0.01).coordinates[0]!.map(([lon, lat]) => [lon, lat, 12.5])] }
  const res = await create(withAltitude)
  assert.is(res.status, 201, res.body)
  assert.equal(res.json().area, square(5, 5, 0.01))
  const tooMany = await create({ type: 'Polygon', coordinates: [[[0, 0, 1, 2], [0.01, 0, 1, 2], [0.01, 0.01, 1, 2], [0, 0, 1, 2]]] })
  assert.is(tooMany.status, 422)
})

test('an area crossing the antimeridian is refused, saying so and where', async () => {
  const res = await create({ type: 'Polygon', coordinates: [[[179.99, 0], [-179.99, 0], [-179.99, 0.01], [179.99, 0.01], [179.99, 0]]] })
  assert.is(res.status, 422)
  const [issue] = res.json().detail
  assert.equal(issue.loc, ['body', 'area', 'coordinates', 0, 0])
  assert.match(issue.msg, 'crosses the antimeridian')
  assert.match(issue.msg, 'RFC 7946')
})

test('what is not an area is refused at the field that is wrong', async () => {
  const line = await create({ type: 'FeatureCollection', features: [feature(square(0, 0, 0.01)), feature({ type: 'LineString', coordinates: [[0, 0], [1, 1]] })] })
  assert.is(line.status, 422)
  assert.ok(line.json().detail.some((i: { loc: unknown[] }) => i.loc.join('.') === 'body.area.features.1.geometry.type'), line.body)
  const empty = await create({ type: 'FeatureCollection', features: [] })
  assert.is(empty.status, 422)
  assert.equal(empty.json().detail[0].loc, ['body', 'area', 'features'])
  const point = await create({ type: 'Point', coordinates: [0, 0] })
  assert.is(point.status, 422)
  assert.equal(point.json().detail[0].loc, ['body', 'area', 'type'])
})

test.run()
