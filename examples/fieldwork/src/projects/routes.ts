// Projects: JSON for API clients, HTML (full pages or htmx fragments) for browsers, same routes.
import { created, defineUnit, html, t } from 'trefoil'
import { createProject, listProjects, project } from './logic.js'
import { ProjectIn, ProjectOut } from './schemas.js'

export default defineUnit('projects', { prefix: '/v1/projects' }, (r) => {
  r.get('/', { response: t.Array(ProjectOut), view: 'projects/list', summary: 'List projects' }, () => listProjects())

  r.get('/:projectId', { use: { project }, response: ProjectOut, view: 'projects/show', summary: 'Get a project' }, ({ project }) => project)

  r.post('/', { body: ProjectIn, response: { 201: ProjectOut }, summary: 'Create a project' }, async ({ body, ctx }) => {
    const row = await createProject(body)
    // htmx posts the form and swaps the new row into the list
    if (ctx.get('HX-Request') === 'true') return html({ view: 'projects/row', data: { project: row } }, { status: 201 })
    return created(row, { location: `/v1/projects/${row.id}` })
  })
})
