// The trefoil server's three endpoints as a real app runs them: `security()` headers, CORS,
// `openapi()` (document and docs routes) and a request log line per request (pino at `info`,
// written to a file, as a deployed service would). Compared with bare `trefoil`, it shows what
// the app's plugins cost per request.
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
const trefoil: typeof import('trefoil') = process.env.TREFOIL_ENTRY ? await import(process.env.TREFOIL_ENTRY) : await import('trefoil')
const { cors, createApp, defineUnit, depends, openapi, security, t } = trefoil
import { idCounter, projectOf, tasksOf } from '../shared.js'
import { announce, HOST, PORT } from './serve.js'

// the log goes to a file of its own (the harness reads stdout), removed when the server stops
const logFile = join(tmpdir(), `trefoil-bench-app-${process.pid}.log`)
process.env.LOG_FILE = logFile

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

const app = createApp({
  logger: { level: process.env.BENCH_APP_LOG ?? 'info' },
  plugins: [security(), cors({ origins: ['https://map.example.org'] }), openapi({ title: 'Bench', version: '1.0.0' }), projects],
})
const server = await app.listen({ port: PORT, host: HOST })
announce(server, async () => {
  await app.close()
  rmSync(logFile, { force: true })
})
