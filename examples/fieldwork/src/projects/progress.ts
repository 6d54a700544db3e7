// A project's progress over time, for the small chart on its page: the share of its tasks mapped
// and validated after each change of a task's status, replayed from the tasks' history.
import { defineUnit, t, type Db, type Static } from 'trefoil'
import { database } from '../db/database.js'
import { project, signedIn, viewerRole } from '../deps.js'

// a chart of a few hundred pixels shows no more than this many points
const MAX_POINTS = 120

const Point = t.Object({ at: t.String({ format: 'date-time' }), percentMapped: t.Number({ minimum: 0, maximum: 100 }), percentValidated: t.Number({ minimum: 0, maximum: 100 }) })

/** A project's progress now and how it got there. */
export const ProgressOut = t.Object({
  taskCount: t.Integer({ minimum: 0 }),
  percentMapped: t.Integer({ minimum: 0, maximum: 100, description: 'Share of its tasks mapped (mapped, being validated or validated), in %' }),
  percentValidated: t.Integer({ minimum: 0, maximum: 100, description: 'Share of its tasks validated, in %' }),
  points: t.Array(Point, { maxItems: MAX_POINTS + 1, description: `The shares after each change, oldest first (at most ${MAX_POINTS + 1}: spread evenly over the history, the latest always kept)` }),
})
/** {@link ProgressOut} as a type. */
export type ProgressOut = Static<typeof ProgressOut>

type Point = Static<typeof Point>

// each event sets its task's status; what it adds to the counts is the difference from the one
// before it (a task starts ready), summed in history order
const HISTORY = `
  WITH steps AS (
    SELECT e.id, e.created_at, e.status,
      lag(e.status, 1, 'ready') OVER (PARTITION BY e.task_id ORDER BY e.id) AS before
    FROM task_events e JOIN tasks t ON t.id = e.task_id WHERE t.project_id = $1)
  SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at,
    sum((status IN ('mapped', 'locked_for_validation', 'validated'))::int - (before IN ('mapped', 'locked_for_validation', 'validated'))::int) OVER w::int AS mapped,
    sum((status = 'validated')::int - (before = 'validated')::int) OVER w::int AS validated
  FROM steps WINDOW w AS (ORDER BY id) ORDER BY id`

/** Keeps at most `max` points spread evenly over the list, the last one always. */
export function thin<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points]
  const step = points.length / max
  const kept = Array.from({ length: max }, (_, i) => points[Math.floor(i * step)]!)
  kept.push(points[points.length - 1]!)
  return kept
}

/** The progress of a project now and over its history. */
export async function projectProgress(db: Db, projectId: number): Promise<ProgressOut> {
  const { n } = await db.one<{ n: number }>('SELECT count(*)::int AS n FROM tasks WHERE project_id = $1', [projectId])
  const rows = await db.manyOrNone<{ at: string; mapped: number; validated: number }>(HISTORY, [projectId])
  const share = (count: number): number => (n === 0 ? 0 : Math.round((1000 * count) / n) / 10)
  const points: Point[] = rows.map((row) => ({ at: row.at, percentMapped: share(row.mapped), percentValidated: share(row.validated) }))
  const last = rows[rows.length - 1]
  const floorShare = (count: number): number => (n === 0 ? 0 : Math.floor((100 * count) / n))
  return { taskCount: n, percentMapped: floorShare(last?.mapped ?? 0), percentValidated: floorShare(last?.validated ?? 0), points: thin(points, MAX_POINTS) }
}

/** `GET /v1/projects/:projectId/progress`: JSON, or the chart for the project page. */
export default defineUnit('progress', { prefix: '/v1/projects', use: { user: signedIn }, tags: ['projects'] }, (r) => {
  r.get('/:projectId/progress', { use: { project, role: viewerRole, db: database }, response: ProgressOut, view: 'projects/progress', summary: "A project's progress: % mapped and % validated now and after each change" }, ({ project, db }) =>
    projectProgress(db, project.id),
  )
})
