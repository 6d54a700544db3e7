// Projects: JSON for API clients, HTML (full pages or htmx fragments) for browsers, same routes.
import { defineUnit, t } from 'trefoil'
import { requireRole, signedIn } from '../auth/logic.js'
import { database, transaction } from '../db/database.js'
import { createProject, listMembers, listProjects, project, setMember, updateProject } from './logic.js'
import { MemberIn, MemberOut, MemberParams, ProjectIn, ProjectOut, ProjectUpdate } from './schemas.js'

/** The projects unit: `/v1/projects` (signed-in users; changes by project managers). */
export default defineUnit('projects', { prefix: '/v1/projects', use: { user: signedIn } }, (r) => {
  r.get('/', { use: { db: database }, response: t.Array(ProjectOut), view: 'projects/list', summary: 'List projects' }, ({ db }) => listProjects(db))

  // htmx posts the form and swaps the returned row into the list
  r.post('/', { body: ProjectIn, use: { tx: transaction }, status: 201, response: { 201: ProjectOut }, view: 'projects/row', errors: [409], summary: 'Create a project (you become its project manager)' }, ({ body, tx, user }) =>
    createProject(tx, { ...body, creator: user }),
  )

  r.get('/:projectId', { use: { project }, response: ProjectOut, view: 'projects/show', summary: 'Get a project' }, ({ project }) => project)

  r.patch('/:projectId', { body: ProjectUpdate, use: { grant: requireRole('project_manager'), db: database }, response: ProjectOut, view: 'projects/show', errors: [409], summary: 'Change a project (project managers)' }, ({ body, grant, db }) =>
    updateProject(db, { ...body, projectId: grant.projectId }),
  )

  r.get('/:projectId/members', { use: { project, db: database }, response: t.Array(MemberOut), view: 'projects/members', summary: "List a project's members and their roles" }, ({ project, db }) => listMembers(db, project.id))

  r.put('/:projectId/members/:userId', { params: MemberParams, body: MemberIn, use: { grant: requireRole('project_manager'), db: database }, response: MemberOut, summary: 'Give a user a role in the project (project managers)' }, ({ params, body, db }) =>
    setMember(db, { projectId: params.projectId, userId: params.userId, role: body.role }),
  )
})
