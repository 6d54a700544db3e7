// A worker-pool task: the checks of an area that cost more than its size in time (self-crossing
// compares segments that overlap east-west), so they never run on the event loop.
import { area as surface } from '@turf/area'
import { firstCrossing } from './crossing.js'
import type { ValidationIssue } from 'trefoil'
import type { Area } from './schemas.js'

/** The largest area a project may cover, in km²: a district, not a country. */
export const MAX_AREA_KM2 = 5_000

/** What is wrong with a closed area (empty when nothing is), located under `loc`. */
export default function checkArea(input: { area: Area; loc: (string | number)[] }): ValidationIssue[] {
  const { area, loc } = input
  const crossing = firstCrossing(area)
  if (crossing) {
    const [lon, lat] = crossing
    return [{ loc: [...loc, 'coordinates'], msg: `The area crosses itself (or its rings touch) at [${round(lon)}, ${round(lat)}]`, type: 'value_error' }]
  }
  const km2 = surface(area) / 1e6
  if (km2 > MAX_AREA_KM2) return [{ loc, msg: `The area covers ${Math.round(km2)} km²: at most ${MAX_AREA_KM2} km² are allowed`, type: 'value_error' }]
  if (!(km2 > 0)) return [{ loc, msg: 'The area has no surface', type: 'value_error' }]
  return []
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6
}
