// Projects logic: plain functions over the database, and the unit's existence-check dependency.
import { depends, NotFound, ValidationError, type Db } from 'trefoil'
import { database } from '../db/database.js'
import { members, projects, type Member, type Project, type User } from '../db/models.js'
import type { ProjectRole } from '../db/enums.js'
import { ProjectParams, type Polygon, type ProjectIn, type ProjectUpdate } from './schemas.js'

/** Every project, highest priority first. */
export function listProjects(db: Db): Promise<Project[]> {
  return projects.list(db)
}

/** Creates a project; its creator becomes its project manager (both or neither: pass a transaction). */
export async function createProject(db: Db, input: ProjectIn & { creator: User }): Promise<Project> {
  if (input.area) checkRing(input.area)
  const row = await projects.insert(db, { name: input.name, description: input.description, priority: input.priority, area: input.area, createdBy: input.creator.id })
  await members.set(db, { projectId: row.id, userId: input.creator.id, role: 'project_manager' })
  return row
}

/** Changes a project's fields. */
export async function updateProject(db: Db, input: ProjectUpdate & { projectId: number }): Promise<Project> {
  if (input.area) checkRing(input.area)
  const { projectId, ...patch } = input
  const row = await projects.update(db, projectId, patch)
  if (!row) throw new NotFound(`Project ${projectId} not found`)
  return row
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

// a rule across fields the schema cannot say: a ring ends where it starts
function checkRing(area: Polygon): void {
  const ring = area.coordinates[0]!
  const [first, last] = [ring[0]!, ring[ring.length - 1]!]
  if (first[0] !== last[0] || first[1] !== last[1]) {
    throw new ValidationError([{ loc: ['body', 'area', 'coordinates', 0], msg: 'The ring must end at its first position', type: 'value_error' }])
  }
}
