// A worker-pool task: cuts rows of a project's grid out of its area. The grid is square cells of
// a given side on the ground, from the area's south-west corner; each cell is clipped to the area
// with @turf/intersect. CPU-bound (cells × positions), so it runs on worker threads, a band of
// rows per call, never on the event loop.
import { area as surface } from '@turf/area'
import { bbox } from '@turf/bbox'
import { bboxPolygon } from '@turf/bbox-polygon'
import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon'
import { distance } from '@turf/distance'
import { feature, featureCollection } from '@turf/helpers'
import { intersect } from '@turf/intersect'
import type { Feature, MultiPolygon as GeoMultiPolygon, Polygon as GeoPolygon } from 'geojson'
import type { TaskContext } from 'trefoil'
import type { Area, Polygon } from '../projects/schemas.js'

/** A grid over an area: its south-west corner, a cell's size in degrees, and how many cells. */
export interface Grid {
  west: number
  south: number
  dLon: number
  dLat: number
  columns: number
  rows: number
}

/** What one call receives: the area, its grid, and the rows to cut (`rowStart` ≤ row < `rowEnd`). */
export interface SplitRowsInput {
  area: Area
  grid: Grid
  rowStart: number
  rowEnd: number
}

/** A piece of the area: the cell it lies in (row from the south, column from the west) and its outline. */
export interface Cell {
  row: number
  column: number
  outline: Polygon
}

// a piece keeps its place when it covers at least this share of its cell: slivers along the edge
// would make tasks nobody can map
const MIN_SHARE = 0.01

/** The grid of `cellMetres` squares that covers an area's bounding box, from its south-west corner. */
export function gridOf(area: Area, cellMetres: number): Grid {
  const [west, south, east, north] = bbox(area) as [number, number, number, number]
  const middle = (south + north) / 2
  // metres of one degree here, along a meridian and along the middle parallel (turf's sphere)
  const metresPerLat = distance([west, middle - 0.5], [west, middle + 0.5], { units: 'meters' })
  const metresPerLon = Math.max(distance([west, middle], [west + 1, middle], { units: 'meters' }), 1)
  const dLat = cellMetres / metresPerLat
  const dLon = cellMetres / metresPerLon
  return { west, south, dLon, dLat, columns: Math.max(1, Math.ceil((east - west) / dLon - 1e-9)), rows: Math.max(1, Math.ceil((north - south) / dLat - 1e-9)) }
}

/** The side of square cells that cuts an area into about `taskCount` tasks, in whole metres. */
export function cellMetresFor(area: Area, taskCount: number): number {
  return Math.max(1, Math.round(Math.sqrt(surface(area) / taskCount)))
}

/** The pieces of the area in rows `rowStart`…`rowEnd - 1`, row by row from the south, west to east. */
export default function splitRows(input: SplitRowsInput, _ctx?: TaskContext): Cell[] {
  const cells: Cell[] = []
  cutRows(feature(input.area as GeoPolygon | GeoMultiPolygon), input.grid, input.rowStart, input.rowEnd, cells)
  return cells
}

// Halves the strip of rows, clips the area to each half and goes on in each, down to single rows:
// every clip works on a part of the outline, not the whole of it (n log n, not n × rows).
function cutRows(area: Feature<GeoPolygon | GeoMultiPolygon>, grid: Grid, rowStart: number, rowEnd: number, cells: Cell[]): void {
  const east = grid.west + grid.columns * grid.dLon
  const strip = intersect(featureCollection([area, bboxPolygon([grid.west, grid.south + rowStart * grid.dLat, east, grid.south + rowEnd * grid.dLat])]))
  if (!strip) return
  if (rowEnd - rowStart > 1) {
    const middle = Math.floor((rowStart + rowEnd) / 2)
    cutRows(strip, grid, rowStart, middle, cells)
    cutRows(strip, grid, middle, rowEnd, cells)
    return
  }
  const row = rowStart
  const [y0, y1] = [grid.south + row * grid.dLat, grid.south + (row + 1) * grid.dLat]
  const cellSurface = surface(bboxPolygon([grid.west, y0, grid.west + grid.dLon, y1]))
  // the columns the row's outline passes through: only their cells need clipping; any other cell
  // holds no piece of the outline, so it lies wholly inside the area or wholly outside it
  const edge = edgeColumns(strip.geometry, grid, y0, y1)
  const first = Math.min(...edge.keys())
  const last = Math.max(...edge.keys())
  for (let column = first; column <= last; column++) {
    const x0 = grid.west + column * grid.dLon
    const cell = bboxPolygon([x0, y0, x0 + grid.dLon, y1])
    if (!edge.has(column)) {
      if (booleanPointInPolygon([x0 + grid.dLon / 2, (y0 + y1) / 2], strip)) cells.push({ row, column, outline: { type: 'Polygon', coordinates: rounded(cell.geometry.coordinates) } })
      continue
    }
    for (const part of parts(intersect(featureCollection([strip, cell])))) {
      if (surface({ type: 'Polygon', coordinates: part }) < MIN_SHARE * cellSurface) continue
      cells.push({ row, column, outline: { type: 'Polygon', coordinates: rounded(part) } })
    }
  }
}

// every column a segment of the outline reaches, widened by a hair against rounding; segments
// along the row's own south and north lines are cell edges, they cut no cell
function edgeColumns(outline: GeoPolygon | GeoMultiPolygon, grid: Grid, y0: number, y1: number): Set<number> {
  const onLine = (lat: number) => Math.abs(lat - y0) < grid.dLat * 1e-9 || Math.abs(lat - y1) < grid.dLat * 1e-9
  const columns = new Set<number>()
  const polygons = outline.type === 'Polygon' ? [outline.coordinates] : outline.coordinates
  const columnOf = (lon: number) => Math.min(grid.columns - 1, Math.max(0, Math.floor((lon - grid.west) / grid.dLon)))
  for (const ring of polygons.flat()) {
    for (let i = 0; i + 1 < ring.length; i++) {
      const [a, b] = [ring[i]![0]!, ring[i + 1]![0]!]
      const [ya, yb] = [ring[i]![1]!, ring[i + 1]![1]!]
      if (ya === yb && onLine(ya)) continue
      const slack = grid.dLon * 1e-9
      for (let c = columnOf(Math.min(a, b) - slack); c <= columnOf(Math.max(a, b) + slack); c++) columns.add(c)
    }
  }
  return columns
}

function rounded(rings: GeoPolygon['coordinates']): Polygon['coordinates'] {
  return rings.map((ring) => ring.map(([lon, lat]) => [round(lon!), round(lat!)] as [number, number]))
}

// a cell can cut a concave area in two: each piece becomes a task of its own
function parts(piece: Feature<GeoPolygon | GeoMultiPolygon> | null): GeoPolygon['coordinates'][] {
  if (!piece) return []
  return piece.geometry.type === 'Polygon' ? [piece.geometry.coordinates] : piece.geometry.coordinates
}

// 7 decimals: about a centimetre, as precise as the map data behind it
function round(value: number): number {
  return Math.round(value * 1e7) / 1e7
}
