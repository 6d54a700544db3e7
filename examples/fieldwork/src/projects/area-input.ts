// From the area a client sends to the area a project keeps: a Feature's geometry taken out, a
// FeatureCollection's polygons merged into one MultiPolygon, altitudes dropped; an area that
// crosses the antimeridian refused with that reason. Linear in the number of positions.
import type { ValidationIssue } from 'trefoil'
import { MAX_PARTS, type Area, type AreaInput, type GeometryIn, type PositionIn } from './schemas.js'

type Loc = (string | number)[]
type Ring = [number, number][]

/** The area to keep, or what is wrong with the one sent (located under `loc`, e.g. `['body', 'area']`). */
export function toArea(input: AreaInput, loc: Loc): { area: Area; issues: [] } | { area: null; issues: ValidationIssue[] } {
  const parts: { polygon: Ring[]; loc: Loc }[] = []
  const add = (geometry: GeometryIn, at: Loc): void => {
    if (geometry.type === 'Polygon') parts.push({ polygon: geometry.coordinates.map(flat), loc: [...at, 'coordinates'] })
    else geometry.coordinates.forEach((polygon, i) => parts.push({ polygon: polygon.map(flat), loc: [...at, 'coordinates', i] }))
  }
  if (input.type === 'Feature') add(input.geometry, [...loc, 'geometry'])
  else if (input.type === 'FeatureCollection') input.features.forEach((feature, i) => add(feature.geometry, [...loc, 'features', i, 'geometry']))
  else add(input, loc)
  if (parts.length > MAX_PARTS) return { area: null, issues: [{ loc, msg: `The area has ${parts.length} polygons: at most ${MAX_PARTS} are allowed`, type: 'value_error' }] }
  const issues: ValidationIssue[] = []
  for (const part of parts) {
    part.polygon.forEach((ring, r) => {
      const at = crossesAntimeridian(ring)
      if (at >= 0) {
        issues.push({
          loc: [...part.loc, r, at],
          msg: `The area crosses the antimeridian (180° longitude) after this position: split it into one polygon east and one west of it (RFC 7946 §3.1.9)`,
          type: 'value_error',
        })
      }
    })
  }
  if (issues.length > 0) return { area: null, issues }
  const single = input.type !== 'FeatureCollection' && input.type !== 'MultiPolygon' && parts.length === 1
  const area: Area = single ? { type: 'Polygon', coordinates: parts[0]!.polygon } : { type: 'MultiPolygon', coordinates: parts.map((part) => part.polygon) }
  return { area, issues: [] }
}

function flat(ring: PositionIn[]): Ring {
  return ring.map((position) => [position[0], position[1]])
}

// RFC 7946 §3.1.9: a ring whose edge spans more than 180° of longitude is meant to go the short
// way, across the antimeridian; read as written it would circle the world the other way round.
// Answers the index of the position the crossing edge starts from, or -1.
function crossesAntimeridian(ring: Ring): number {
  for (let i = 0; i + 1 < ring.length; i++) {
    if (Math.abs(ring[i + 1]![0] - ring[i]![0]) > 180) return i
  }
  return -1
}
