// Projects: JSON for API clients, HTML (full pages or htmx fragments) for browsers, same routes.
import { defineUnit, noContent, t, workers } from 'trefoil'
import { requireRole, signedIn } from '../auth/logic.js'
import { database, transaction } from '../db/database.js'
import { createProject, deleteProject, listMembers, listProjects, project, setMember, updateProject, withOutline } from './logic.js'
import { MemberIn, MemberOut, MemberParams, ProjectIn, ProjectOut, ProjectQuery, ProjectSummary, ProjectUpdate } from './schemas.js'

/** The projects unit: `/v1/projects` (signed-in users; changes by project managers). */
export default defineUnit('projects', { prefix: '/v1/projects', use: { user: signedIn }, description: 'Field-mapping projects, their members and roles' }, (r) => {
  r.get(
    '/',
    { query: ProjectQuery, use: { db: database }, response: t.Array(ProjectSummary), view: 'projects/list', summary: 'List projects: a page of summaries, searched by `q`; the `X-Total-Count` header says how many match', responseHeaders: { 'X-Total-Count': 'How many projects match the search, over all pages' } },
    async ({ query, db, ctx }) => {
      const { rows, total } = await listProjects(db, query)
      ctx.set('X-Total-Count', String(total))
      return rows
    },
  )

  // htmx posts the form and swaps the returned row into the list
  r.post('/', { body: ProjectIn, use: { tx: transaction, pool: workers }, status: 201, response: { 201: ProjectOut }, view: 'projects/row', errors: [403, 409], summary: 'Create a project (organisation admins; you become its project manager)' }, ({ body, tx, pool, user }) =>
    createProject(tx, { ...body, creator: user, pool }),
  )

  r.get('/:projectId', { use: { project }, response: ProjectOut, view: 'projects/show', summary: 'Get a project, with its area as a GeoJSON Feature (`outline`)' }, ({ project }) => withOutline(project))

  r.patch('/:projectId', { body: ProjectUpdate, use: { project, grant: requireRole('project_manager'), db: database, pool: workers }, response: ProjectOut, view: 'projects/show', errors: [409], summary: 'Change a project (project managers)' }, ({ body, grant, db, pool }) =>
    updateProject(db, { ...body, projectId: grant.projectId, pool }),
  )

  r.delete('/:projectId', { use: { project, grant: requireRole('project_manager'), db: database }, status: 204, summary: 'Delete a project with its tasks and submissions (project managers)' }, async ({ grant, db }) => {
    await deleteProject(db, grant.projectId)
    return noContent()
  })

  r.get('/:projectId/members', { use: { project, db: database }, response: t.Array(MemberOut), view: 'projects/members', summary: "List a project's members and their roles" }, ({ project, db }) => listMembers(db, project.id))

  r.put('/:projectId/members/:userId', { params: MemberParams, body: MemberIn, use: { project, grant: requireRole('project_manager'), db: database }, response: MemberOut, summary: 'Give a user a role in the project (project managers)' }, ({ params, body, db }) =>
    setMember(db, { projectId: params.projectId, userId: params.userId, role: body.role }),
  )
})
