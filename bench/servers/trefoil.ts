// The three endpoints as a trefoil unit would declare them: a dependency reads `:id` through its
// own schema, and every route has a response schema (fast-json-stringify writes the JSON).
// $TREFOIL_ENTRY: the runtime compiled by tsc (the harness's default); unset: from source.
const trefoil: typeof import('trefoil') = process.env.TREFOIL_ENTRY ? await import(process.env.TREFOIL_ENTRY) : await import('trefoil')
const { createApp, defineUnit, depends, t } = trefoil
import { idCounter, projectOf, tasksOf } from '../shared.js'
import { announce, HOST, PORT } from './serve.js'

const ProjectIn = t.Object({ name: t.String({ minLength: 1, maxLength: 128 }), priority: t.Integer({ minimum: 0, maximum: 10 }) })
const ProjectOut = t.Object({ id: t.Integer(), name: t.String(), tags: t.Array(t.String()), active: t.Boolean() })
const ProjectCreated = t.Object({ id: t.Integer(), name: t.String(), priority: t.Integer() })
const TaskOut = t.Object({ id: t.Integer(), name: t.String(), status: t.String(), lock_holder: t.Null() })

/** The project named by `:id` (a real unit would look it up, and 404 when it is missing). */
const project = depends({ name: 'project', params: t.Object({ id: t.Integer({ minimum: 1 }) }), errors: [404] }, ({ params }) => projectOf(params.id))

const nextId = idCounter()

const projects = defineUnit('projects', { prefix: '/v1/projects' }, (r) => {
  r.get('/:id', { use: { project }, response: ProjectOut }, ({ project }) => project)
  r.post('/', { body: ProjectIn, status: 201, response: ProjectCreated }, ({ body }) => ({ id: nextId(), name: body.name, priority: body.priority }))
  r.get('/:id/tasks', { use: { project }, response: t.Array(TaskOut) }, ({ project }) => tasksOf(project.id))
})

const app = createApp({ logger: false, plugins: [projects] })
const server = await app.listen({ port: PORT, host: HOST })
announce(server, () => app.close())
