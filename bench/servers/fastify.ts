// The three endpoints on Fastify 5 the way its docs advise: params and body schemas (ajv), and
// response schemas (fast-json-stringify). Path params are coerced, bodies are not, like trefoil.
import { Ajv } from 'ajv'
import Fastify, { type FastifyError } from 'fastify'
import { AJV_BODY_OPTIONS, AJV_PARAMS_OPTIONS, ID_PARAMS, idCounter, issuesOf, PROJECT_CREATED, PROJECT_IN, PROJECT_OUT, projectOf, TASKS_OUT, tasksOf, type ProjectIn } from '../shared.js'
import { announce, HOST, PORT } from './serve.js'

const coercing = new Ajv(AJV_PARAMS_OPTIONS)
const strict = new Ajv(AJV_BODY_OPTIONS)
const nextId = idCounter()

const app = Fastify({ logger: false })
app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema))
app.setErrorHandler<FastifyError>((error, _request, reply) => {
  if (error.validation) {
    const loc = error.validationContext === 'params' ? 'path' : (error.validationContext ?? 'body')
    void reply.code(422).send({ detail: issuesOf(error.validation as Parameters<typeof issuesOf>[0], loc) })
    return
  }
  void reply.code(error.statusCode ?? 500).send({ detail: error.statusCode && error.statusCode < 500 ? error.message : 'Internal Server Error' })
})

app.get<{ Params: { id: number } }>('/v1/projects/:id', { schema: { params: ID_PARAMS, response: { 200: PROJECT_OUT } } }, async (request) => projectOf(request.params.id))
app.post<{ Body: ProjectIn }>('/v1/projects', { schema: { body: PROJECT_IN, response: { 201: PROJECT_CREATED } } }, async (request, reply) => {
  void reply.code(201)
  return { id: nextId(), name: request.body.name, priority: request.body.priority }
})
app.get<{ Params: { id: number } }>('/v1/projects/:id/tasks', { schema: { params: ID_PARAMS, response: { 200: TASKS_OUT } } }, async (request) => tasksOf(request.params.id))

await app.listen({ port: PORT, host: HOST })
announce(app.server, () => app.close())
