// Projects: JSON for API clients, HTML (full pages or htmx fragments) for browsers, same routes.
import { defineUnit, html, jobs, noContent, t, workers } from 'trefoil'
import { database } from '../db/database.js'
import { project, requireRole, signedIn, viewerRole } from '../deps.js'
import { isHtmx } from '../pages.js'
import { createProject, deleteProject, removeMember, setMemberByEmail, listMembers, listProjects, setMember, updateProject, withOutline } from './logic.js'
import { MemberByEmailIn, MemberIn, MemberOut, MemberParams, ProjectIn, ProjectOut, ProjectQuery, ProjectSummary, ProjectUpdate } from './schemas.js'

/** The projects unit: `/v1/projects` (signed-in users; changes by project managers). */
export default defineUnit('projects', { prefix: '/v1/projects', use: { user: signedIn }, description: 'Field-mapping projects, their members and roles' }, (r) => [
  r.get(
    '/',
    { query: ProjectQuery, use: { db: database }, response: t.Array(ProjectSummary), view: 'projects/list', summary: 'List projects: a page of summaries, searched by `q`; the `X-Total-Count` header says how many match', responseHeaders: { 'X-Total-Count': 'How many projects match the search, over all pages' } },
    async ({ query, db, ctx, user }) => {
      const { rows, total } = await listProjects(db, { ...query, viewer: user })
      ctx.set('X-Total-Count', String(total))
      return rows
    },
  ),

  r.get('/new', { summary: 'The new-project page', includeInSchema: false }, () => html({ view: 'projects/new', data: { title: 'New project' } })),

  // htmx posts the new-project page's form, then goes to the project's page
  r.post('/', { body: ProjectIn, use: { db: database, pool: workers }, status: 201, response: { 201: ProjectOut }, view: 'projects/row', errors: [403, 409], summary: 'Create a project (organisation admins; you become its project manager)' }, async ({ body, db, pool, user, ctx }) => {
    const made = await createProject(db, { ...body, creator: user, pool })
    if (isHtmx(ctx)) ctx.set('HX-Redirect', `/v1/projects/${made.id}`)
    return made
  }),

  r.get('/:projectId', { use: { project, role: viewerRole }, response: ProjectOut, view: 'projects/show', summary: 'Get a project, with its area as a GeoJSON Feature (`outline`)' }, ({ project }) => withOutline(project)),

  // the page it answers htmx with keeps its edit forms: the view needs the viewer's role
  r.patch('/:projectId', { body: ProjectUpdate, use: { project, grant: requireRole('project_manager'), role: viewerRole, db: database, pool: workers }, response: ProjectOut, view: 'projects/show', errors: [409], summary: 'Change a project (project managers)' }, ({ body, grant, db, pool }) =>
    updateProject(db, { ...body, projectId: grant.projectId, pool }),
  ),

  r.delete('/:projectId', { use: { project, grant: requireRole('project_manager'), db: database, jobs }, status: 204, summary: 'Delete a project with its tasks and submissions (project managers); their files are deleted by a job' }, async ({ grant, db, jobs }) => {
    await deleteProject(db, grant.projectId, jobs)
    return noContent()
  }),

  r.get('/:projectId/members', { use: { project, role: viewerRole, db: database }, response: t.Array(MemberOut), view: 'projects/members', summary: "List a project's members and their roles" }, ({ project, db }) => listMembers(db, project.id)),

  r.put('/:projectId/members/:userId', { params: MemberParams, body: MemberIn, use: { project, grant: requireRole('project_manager'), db: database }, response: MemberOut, summary: 'Give a user a role in the project (project managers)' }, ({ params, body, db }) =>
    setMember(db, { projectId: params.projectId, userId: params.userId, role: body.role }),
  ),

  r.post(
    '/:projectId/members',
    { body: MemberByEmailIn, use: { project, grant: requireRole('project_manager'), db: database }, response: MemberOut, errors: [422], summary: 'Give the account of an email a role in the project (project managers)' },
    ({ body, grant, db }) => setMemberByEmail(db, { projectId: grant.projectId, email: body.email, role: body.role }),
  ),

  r.delete('/:projectId/members/:userId', { params: MemberParams, use: { project, grant: requireRole('project_manager'), db: database }, status: 204, errors: [409], summary: "Take a user's role in the project away (project managers)" }, async ({ params, db }) => {
    await removeMember(db, { projectId: params.projectId, userId: params.userId })
    return noContent()
  }),
])
