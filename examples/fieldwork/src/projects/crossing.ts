// The first place where an area's outline crosses or touches itself, found without listing every
// crossing: segments sorted by their west end, each compared only with those whose east-west
// extent overlaps it, stopping at the first hit. A star with every vertex joined across answers
// at once; an outline with no crossing costs at most one cheap test per pair of overlapping
// segments, bounded by the schema's position limit.
import type { Area } from './schemas.js'

type Point = readonly [number, number]

interface Segment {
  a: Point
  b: Point
  minX: number
  maxX: number
  ring: number
  index: number
  /** Segments in this segment's ring (to know which two meet at the ring's start). */
  count: number
}

/** The first self-crossing (or touch between rings) of an area, or undefined when there is none. */
export function firstCrossing(area: Area): Point | undefined {
  const segments: Segment[] = []
  const polygons = area.type === 'Polygon' ? [area.coordinates] : area.coordinates
  let ringId = 0
  for (const rings of polygons) {
    for (const ring of rings) {
      // a repeated position is no crossing: drop it so neighbours stay neighbours
      const points: Point[] = []
      for (const [x, y] of ring) {
        const last = points[points.length - 1]
        if (!last || last[0] !== x || last[1] !== y) points.push([x!, y!])
      }
      const count = points.length - 1
      for (let i = 0; i < count; i++) {
        const a = points[i]!
        const b = points[i + 1]!
        segments.push({ a, b, minX: Math.min(a[0], b[0]), maxX: Math.max(a[0], b[0]), ring: ringId, index: i, count })
      }
      ringId++
    }
  }
  segments.sort((s, t) => s.minX - t.minX)
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!
    for (let j = i + 1; j < segments.length; j++) {
      const t = segments[j]!
      if (t.minX > s.maxX) break
      const hit = meet(s, t)
      if (hit) return hit
    }
  }
  return undefined
}

function adjacent(s: Segment, t: Segment): boolean {
  if (s.ring !== t.ring) return false
  const d = Math.abs(s.index - t.index)
  return d === 1 || d === s.count - 1
}

// where two segments meet in a way a simple outline forbids
function meet(s: Segment, t: Segment): Point | undefined {
  if (Math.max(s.a[1], s.b[1]) < Math.min(t.a[1], t.b[1]) || Math.max(t.a[1], t.b[1]) < Math.min(s.a[1], s.b[1])) return undefined
  if (adjacent(s, t)) {
    // neighbours share one end; they are wrong only when they fold back along each other
    const shared = same(s.b, t.a) || same(s.b, t.b) ? s.b : s.a
    const p = same(s.a, shared) ? s.b : s.a
    const q = same(t.a, shared) ? t.b : t.a
    if (orient(shared, p, q) !== 0) return undefined
    return (p[0] - shared[0]) * (q[0] - shared[0]) + (p[1] - shared[1]) * (q[1] - shared[1]) > 0 ? shared : undefined
  }
  const d1 = orient(t.a, t.b, s.a)
  const d2 = orient(t.a, t.b, s.b)
  const d3 = orient(s.a, s.b, t.a)
  const d4 = orient(s.a, s.b, t.b)
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) {
    const [ax, ay] = s.a
    const k = d1 / (d1 - d2)
    return [ax + k * (s.b[0] - ax), ay + k * (s.b[1] - ay)]
  }
  if (d1 === 0 && within(t.a, t.b, s.a)) return s.a
  if (d2 === 0 && within(t.a, t.b, s.b)) return s.b
  if (d3 === 0 && within(s.a, s.b, t.a)) return t.a
  if (d4 === 0 && within(s.a, s.b, t.b)) return t.b
  return undefined
}

function orient(p: Point, q: Point, r: Point): number {
  const v = (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
  return v > 0 ? 1 : v < 0 ? -1 : 0
}

function within(p: Point, q: Point, r: Point): boolean {
  return Math.min(p[0], q[0]) <= r[0] && r[0] <= Math.max(p[0], q[0]) && Math.min(p[1], q[1]) <= r[1] && r[1] <= Math.max(p[1], q[1])
}

function same(p: Point, q: Point): boolean {
  return p[0] === q[0] && p[1] === q[1]
}
