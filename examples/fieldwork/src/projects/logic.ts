// Projects logic: plain functions over the database, the area's checks, and the unit's
// existence-check dependency.
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { area as surface } from '@turf/area'
import { Conflict, defineTask, depends, Forbidden, NotFound, runInWorker, ValidationError, type Db, type ValidationIssue, type WorkerPool } from 'trefoil'
import { settings } from '../config.js'
import { database } from '../db/database.js'
import { members, projects, tasks, type Member, type Project, type ProjectSummary, type User } from '../db/models.js'
import type { ProjectRole } from '../db/enums.js'
import { MAX_VERTICES, ProjectParams, type Area, type Outline, type ProjectIn, type ProjectOut, type ProjectQuery, type ProjectUpdate } from './schemas.js'

/** The worker task that checks an area for self-crossings and size (see check-area.ts). */
export const checkAreaTask = defineTask<typeof import('./check-area.js')>(new URL('./check-area.js', import.meta.url))

/** One page of projects (highest priority first), optionally searched, and how many match in all. */
export function listProjects(db: Db, query: ProjectQuery): Promise<{ rows: ProjectSummary[]; total: number }> {
  return projects.page(db, { search: query.q || undefined, limit: query.limit, offset: query.offset })
}

/**
 * Creates a project; only an organisation admin may, and becomes its project manager (both or
 * neither: pass a transaction).
 */
export async function createProject(db: Db, input: ProjectIn & { creator: User; pool: WorkerPool }): Promise<ProjectOut> {
  if (!input.creator.isAdmin) throw new Forbidden('Only an organisation admin creates projects', { code: 'admin_required' })
  if (input.area) await checkArea(input.pool, input.area)
  const row = await projects.insert(db, { name: input.name, description: input.description, priority: input.priority, area: input.area, createdBy: input.creator.id })
  await members.set(db, { projectId: row.id, userId: input.creator.id, role: 'project_manager' })
  return withOutline(row)
}

/** Changes a project's fields; its area only while it has no tasks (they were cut from the old one). */
export async function updateProject(db: Db, input: ProjectUpdate & { projectId: number; pool: WorkerPool }): Promise<ProjectOut> {
  const { projectId, pool, ...patch } = input
  if (patch.area) {
    await checkArea(pool, patch.area)
    if ((await tasks.count(db, projectId)) > 0) throw new Conflict(`Project ${projectId} has tasks: its area cannot change any more`, { code: 'already_split' })
  }
  const row = await projects.update(db, projectId, patch)
  if (!row) throw new NotFound(`Project ${projectId} not found`)
  return withOutline(row)
}

/**
 * Deletes a project with its tasks, history and submissions, then the files of its attachments
 * (after the commit: a failed delete keeps them).
 */
export async function deleteProject(db: Db, projectId: number): Promise<void> {
  const files = await db.tx('delete-project', (tx) => projects.remove(tx, projectId))
  const uploads = join(settings.DATA_DIR, 'uploads')
  await Promise.all(files.map((name) => rm(join(uploads, name), { force: true })))
}

/** A project as clients see it: its row and its area as a GeoJSON Feature. */
export function withOutline(row: Project): ProjectOut {
  const outline: Outline | null = row.area ? { type: 'Feature', geometry: row.area, properties: { id: row.id, name: row.name, areaKm2: Math.round(surface(row.area) / 1e3) / 1e3 } } : null
  return { ...row, outline }
}

/** The members of a project and their roles. */
export function listMembers(db: Db, projectId: number): Promise<Member[]> {
  return members.list(db, projectId)
}

/** Gives a user a role in a project (422 when no such user exists). */
export function setMember(db: Db, input: { projectId: number; userId: number; role: ProjectRole }): Promise<Member> {
  return members.set(db, input)
}

/** The project named by `:projectId`, or 404. Cached for the rest of the request. */
export const project = depends({ params: ProjectParams, use: { db: database }, errors: [404] }, async function project({ params, db }): Promise<Project> {
  const row = await projects.get(db, params.projectId)
  if (!row) throw new NotFound(`Project ${params.projectId} not found`)
  return row
})

/**
 * Rules across fields the schema cannot say, cheapest first: every ring ends where it starts, a
 * bounded number of positions in all; then, on a worker thread, no self-crossing and a bounded
 * surface. Any failure is a 422 located in the body.
 */
async function checkArea(pool: WorkerPool, area: Area): Promise<void> {
  const polygons = area.type === 'Polygon' ? [area.coordinates] : area.coordinates
  const issues: ValidationIssue[] = []
  let vertices = 0
  polygons.forEach((rings, p) =>
    rings.forEach((ring, r) => {
      vertices += ring.length
      const [first, last] = [ring[0]!, ring[ring.length - 1]!]
      if (first[0] !== last[0] || first[1] !== last[1]) {
        issues.push({ loc: ['body', 'area', 'coordinates', ...(area.type === 'Polygon' ? [] : [p]), r], msg: 'The ring must end at its first position', type: 'value_error' })
      }
    }),
  )
  if (vertices > MAX_VERTICES) issues.push({ loc: ['body', 'area', 'coordinates'], msg: `The area has ${vertices} positions: at most ${MAX_VERTICES} are allowed`, type: 'value_error' })
  if (issues.length === 0) issues.push(...(await runInWorker(pool, checkAreaTask, { area, loc: ['body', 'area'] }, { timeoutMs: 10_000 })))
  if (issues.length > 0) throw new ValidationError(issues)
}
