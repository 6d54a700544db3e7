// Projects logic: plain functions over the store, and the unit's existence-check dependency.
import { depends, NotFound } from 'trefoil'
import { ProjectParams, type ProjectIn, type ProjectOut } from './schemas.js'

interface ProjectRow extends ProjectOut {
  createdBy: string
}

// The store stays in memory until the database plugin lands; the functions keep their shape.
const rows = new Map<number, ProjectRow>()
let nextId = 1

/** Every project, newest first. */
export async function listProjects(): Promise<ProjectRow[]> {
  return [...rows.values()].sort((a, b) => b.id - a.id)
}

/** Creates a project. */
export async function createProject(input: ProjectIn): Promise<ProjectRow> {
  const row = { id: nextId++, ...input, createdBy: 'example' }
  rows.set(row.id, row)
  return row
}

/** The project named by `:projectId`, or 404. Cached for the rest of the request. */
export const project = depends({ params: ProjectParams, errors: [404] }, async function project({ params }) {
  const row = rows.get(params.projectId)
  if (!row) throw new NotFound(`Project ${params.projectId} not found`)
  return row
})
