// A worker-pool task: splits a project's area into a grid of square cells clipped to the area.
// CPU-bound (cells × ring length), so it runs on a worker thread, never on the event loop.
import type { TaskContext } from 'trefoil'
import type { Polygon } from '../projects/schemas.js'

/** What the task receives. */
export interface SplitAreaInput {
  area: Polygon
  /** The side of a cell, in metres. */
  cellMetres: number
}

type Point = [number, number]

// metres per degree of latitude (and of longitude at the equator), on a spherical Earth: tasks
// are units of work for people, so a grid a few metres off is as good as an exact one
const METRES_PER_DEGREE = 111_320
// a cell keeps its place when at least this share of it lies inside the area; slivers along the
// edge would make tasks nobody can map
const MIN_SHARE = 0.01

/** The grid's cell sizes in degrees, and how many cells cover the area's bounding box. */
export function gridOf(area: Polygon, cellMetres: number): { west: number; south: number; dLon: number; dLat: number; columns: number; rows: number } {
  const ring = area.coordinates[0]!
  let [west, south, east, north] = [Infinity, Infinity, -Infinity, -Infinity]
  for (const [lon, lat] of ring) {
    west = Math.min(west, lon)
    east = Math.max(east, lon)
    south = Math.min(south, lat)
    north = Math.max(north, lat)
  }
  const dLat = cellMetres / METRES_PER_DEGREE
  const dLon = cellMetres / (METRES_PER_DEGREE * Math.max(Math.cos((((south + north) / 2) * Math.PI) / 180), 0.01))
  return { west, south, dLon, dLat, columns: Math.max(1, Math.ceil((east - west) / dLon)), rows: Math.max(1, Math.ceil((north - south) / dLat)) }
}

/** The area's cells, row by row from the south-west corner, each clipped to the area. */
export default function splitArea(input: SplitAreaInput, _ctx?: TaskContext): Polygon[] {
  const ring = input.area.coordinates[0]!.map(([lon, lat]) => [lon, lat] as Point)
  const { west, south, dLon, dLat, columns, rows } = gridOf(input.area, input.cellMetres)
  const cells: Polygon[] = []
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      const x0 = west + column * dLon
      const y0 = south + row * dLat
      const clipped = clipToBox(ring, x0, y0, x0 + dLon, y0 + dLat)
      if (clipped.length < 3 || Math.abs(shoelace(clipped)) < MIN_SHARE * dLon * dLat) continue
      const closed = [...clipped, clipped[0]!].map(([x, y]) => [round(x), round(y)] as Point)
      cells.push({ type: 'Polygon', coordinates: [closed] })
    }
  }
  return cells
}

// Sutherland–Hodgman against the four sides of the cell. The cell is convex, so any area clips
// correctly; a concave area cut in two by a cell comes out as one ring joined along the cell's
// edge (zero-width), which is still the right shape to draw and to map.
function clipToBox(ring: Point[], x0: number, y0: number, x1: number, y1: number): Point[] {
  let points = ring[0]![0] === ring[ring.length - 1]![0] && ring[0]![1] === ring[ring.length - 1]![1] ? ring.slice(0, -1) : ring
  const sides: [(p: Point) => boolean, (a: Point, b: Point) => Point][] = [
    [(p) => p[0] >= x0, (a, b) => atX(a, b, x0)],
    [(p) => p[0] <= x1, (a, b) => atX(a, b, x1)],
    [(p) => p[1] >= y0, (a, b) => atY(a, b, y0)],
    [(p) => p[1] <= y1, (a, b) => atY(a, b, y1)],
  ]
  for (const [inside, cross] of sides) {
    if (points.length === 0) break
    const out: Point[] = []
    for (let i = 0; i < points.length; i++) {
      const current = points[i]!
      const previous = points[(i + points.length - 1) % points.length]!
      if (inside(current)) {
        if (!inside(previous)) out.push(cross(previous, current))
        out.push(current)
      } else if (inside(previous)) out.push(cross(previous, current))
    }
    points = out
  }
  return points
}

function atX(a: Point, b: Point, x: number): Point {
  return [x, a[1] + ((b[1] - a[1]) * (x - a[0])) / (b[0] - a[0])]
}

function atY(a: Point, b: Point, y: number): Point {
  return [a[0] + ((b[0] - a[0]) * (y - a[1])) / (b[1] - a[1]), y]
}

function shoelace(points: Point[]): number {
  let sum = 0
  for (let i = 0; i < points.length; i++) {
    const [x0, y0] = points[i]!
    const [x1, y1] = points[(i + 1) % points.length]!
    sum += x0 * y1 - x1 * y0
  }
  return sum / 2
}

// 7 decimals: about a centimetre, as precise as the map data behind it
function round(value: number): number {
  return Math.round(value * 1e7) / 1e7
}
