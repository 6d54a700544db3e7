// The three endpoints written by hand on Koa 3 + @koa/router, validated with ajv: what trefoil
// must not be slower than.
import Router from '@koa/router'
import { Ajv } from 'ajv'
import Koa from 'koa'
import getRawBody from 'raw-body'
import { AJV_BODY_OPTIONS, AJV_PARAMS_OPTIONS, ID_PARAMS, idCounter, issuesOf, PROJECT_IN, projectOf, tasksOf, type ProjectIn } from '../shared.js'
import { announce, HOST, listening, PORT } from './serve.js'

const validateId = new Ajv(AJV_PARAMS_OPTIONS).compile<{ id: number }>(ID_PARAMS)
const validateProject = new Ajv(AJV_BODY_OPTIONS).compile<ProjectIn>(PROJECT_IN)
const nextId = idCounter()

/** The validated `:id`, or undefined after answering 422. */
function projectId(ctx: Koa.Context & { params: Record<string, string> }): number | undefined {
  const params = { ...ctx.params }
  if (validateId(params)) return (params as { id: number }).id
  ctx.status = 422
  ctx.body = { detail: issuesOf(validateId.errors, 'path') }
  return undefined
}

const router = new Router()
router.get('/v1/projects/:id', (ctx) => {
  const id = projectId(ctx)
  if (id !== undefined) ctx.body = projectOf(id)
})
router.post('/v1/projects', async (ctx) => {
  let body: unknown
  try {
    body = JSON.parse(await getRawBody(ctx.req, { limit: 1024 * 1024, length: ctx.req.headers['content-length'], encoding: 'utf8' }))
  } catch {
    ctx.throw(400, 'Malformed JSON body')
  }
  if (!validateProject(body)) {
    ctx.status = 422
    ctx.body = { detail: issuesOf(validateProject.errors, 'body') }
    return
  }
  ctx.status = 201
  ctx.body = { id: nextId(), name: body.name, priority: body.priority }
})
router.get('/v1/projects/:id/tasks', (ctx) => {
  const id = projectId(ctx)
  if (id !== undefined) ctx.body = tasksOf(id)
})

const app = new Koa()
app.use(router.routes())
app.use(router.allowedMethods())
announce(await listening(app.listen(PORT, HOST)))
