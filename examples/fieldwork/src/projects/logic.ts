// Projects logic: plain functions over the database and the area's checks (the project a path
// names, and the viewer's role in it, are dependencies in deps.ts).
import { area as surface } from '@turf/area'
import { Conflict, defineTask, Forbidden, NotFound, runInWorker, ValidationError, type Db, type JobQueue, type ValidationIssue, type WorkerPool } from 'trefoil'
import { members, projects, tasks, users, type Member, type Project, type ProjectSummary, type User } from '../db/models.js'
import type { ProjectRole } from '../db/enums.js'
import { deleteFiles } from '../submissions/jobs.js'
import { toArea } from './area-input.js'
import { MAX_VERTICES, type Area, type AreaInput, type Outline, type ProjectIn, type ProjectOut, type ProjectQuery, type ProjectUpdate } from './schemas.js'

/** The worker task that checks an area for self-crossings and size (see check-area.ts). */
export const checkAreaTask = defineTask<typeof import('./check-area.js')>(new URL('./check-area.js', import.meta.url))

/** One page of projects (highest priority first), optionally searched, and how many match in all. */
export function listProjects(db: Db, query: ProjectQuery & { viewer: User }): Promise<{ rows: ProjectSummary[]; total: number }> {
  return projects.page(db, { search: query.q || undefined, limit: query.limit, offset: query.offset, viewer: query.viewer })
}

/**
 * Creates a project; only an organisation admin may, and becomes its project manager. The area is
 * checked on a worker first, with no connection taken; then one statement writes the project and
 * the membership (both or neither), so pass the pool rather than a transaction.
 */
export async function createProject(db: Db, input: ProjectIn & { creator: User; pool: WorkerPool }): Promise<ProjectOut> {
  if (!input.creator.isAdmin) throw new Forbidden('Only an organisation admin creates projects', { code: 'admin_required' })
  const area = input.area ? await checkArea(input.pool, input.area) : undefined
  const row = await projects.create(db, { name: input.name, description: input.description, instructions: input.instructions, priority: input.priority, visibility: input.visibility, area, createdBy: input.creator.id })
  return withOutline(row)
}

/** Changes a project's fields; its area only while it has no tasks (they were cut from the old one). */
export async function updateProject(db: Db, input: ProjectUpdate & { projectId: number; pool: WorkerPool }): Promise<ProjectOut> {
  const { projectId, pool, area: sent, ...patch } = input
  const area = sent ? await checkArea(pool, sent) : undefined
  if (area && (await tasks.count(db, projectId)) > 0) throw new Conflict(`Project ${projectId} has tasks: its area cannot change any more`, { code: 'already_split' })
  const row = await projects.update(db, projectId, { ...patch, area })
  if (!row) throw new NotFound(`Project ${projectId} not found`)
  return withOutline(row)
}

/**
 * Deletes a project with its tasks, history and submissions, and sends the job that deletes the
 * files of its attachments from the storage: in the same transaction, so a failed delete keeps
 * them, and the job runs after the commit on whichever instance takes it.
 */
export async function deleteProject(db: Db, projectId: number, queue: JobQueue): Promise<void> {
  await db.tx('delete-project', async (tx) => {
    const keys = await projects.remove(tx, projectId)
    if (keys.length > 0) await queue.send(deleteFiles, { keys }, { db: tx })
  })
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

/** Gives the account of an email a role in a project (422 on the email when no account has it). */
export async function setMemberByEmail(db: Db, input: { projectId: number; email: string; role: ProjectRole }): Promise<Member> {
  const user = await users.byEmail(db, input.email)
  if (!user) throw new ValidationError([{ loc: ['body', 'email'], msg: `No account has the email ${input.email}: they sign up first`, type: 'value_error' }])
  return members.set(db, { projectId: input.projectId, userId: user.id, role: input.role })
}

/** Takes a user's role in a project away (404 when they had none; 409 for its last project manager). */
export async function removeMember(db: Db, input: { projectId: number; userId: number }): Promise<void> {
  const role = await members.roleIn(db, input.projectId, input.userId)
  if (!role) throw new NotFound(`User ${input.userId} is not a member of project ${input.projectId}`)
  if (role === 'project_manager' && (await members.managers(db, input.projectId)) === 1) {
    throw new Conflict('This is the project’s last project manager: give the role to someone else first', { code: 'last_manager' })
  }
  await members.remove(db, input.projectId, input.userId)
}

/**
 * The area to keep from the one sent (see area-input.ts), after the rules the schema cannot say,
 * cheapest first: every ring ends where it starts, a bounded number of positions in all; then,
 * on a worker thread, no self-crossing and a bounded surface. Any failure is a 422 located in
 * the body (for a merged FeatureCollection, the loc of the merged area).
 */
async function checkArea(pool: WorkerPool, sent: AreaInput): Promise<Area> {
  const made = toArea(sent, ['body', 'area'])
  if (!made.area) throw new ValidationError(made.issues)
  const area = made.area
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
  if (issues.length === 0) issues.push(...(await runInWorker(pool, checkAreaTask, { area, loc: ['body', 'area'] }, { timeoutMs: 10_000, onTimeout: tooCostlyToCheck })))
  if (issues.length > 0) throw new ValidationError(issues)
  return area
}

// the check is bounded by the position limit; past its time budget the area is refused as too
// intricate rather than answered as the server's failure
function tooCostlyToCheck(): ValidationError {
  return new ValidationError([{ loc: ['body', 'area', 'coordinates'], msg: 'The area is too intricate to check in reasonable time: simplify its outline (fewer positions)', type: 'value_error' }])
}
