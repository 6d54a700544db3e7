// The three endpoints on Express 5 (its built-in JSON parser, ajv, `res.json`), defaults kept
// (weak ETags, `X-Powered-By`) as an app written from the docs would have them.
import { Ajv } from 'ajv'
import express from 'express'
import { AJV_BODY_OPTIONS, AJV_PARAMS_OPTIONS, ID_PARAMS, idCounter, issuesOf, PROJECT_IN, projectOf, tasksOf } from '../shared.js'
import { announce, HOST, listening, PORT } from './serve.js'

const validateId = new Ajv(AJV_PARAMS_OPTIONS).compile<{ id: number }>(ID_PARAMS)
const validateProject = new Ajv(AJV_BODY_OPTIONS).compile<{ name: string; priority: number }>(PROJECT_IN)
const nextId = idCounter()

/** The validated `:id`, or undefined after answering 422. */
function projectId(req: express.Request, res: express.Response): number | undefined {
  const params: Record<string, unknown> = { ...req.params }
  if (validateId(params)) return (params as { id: number }).id
  res.status(422).json({ detail: issuesOf(validateId.errors, 'path') })
  return undefined
}

const app = express()
app.get('/v1/projects/:id', (req, res) => {
  const id = projectId(req, res)
  if (id !== undefined) res.json(projectOf(id))
})
app.post('/v1/projects', express.json({ limit: '1mb' }), (req, res) => {
  const body: unknown = req.body
  if (!validateProject(body)) {
    res.status(422).json({ detail: issuesOf(validateProject.errors, 'body') })
    return
  }
  res.status(201).json({ id: nextId(), name: body.name, priority: body.priority })
})
app.get('/v1/projects/:id/tasks', (req, res) => {
  const id = projectId(req, res)
  if (id !== undefined) res.json(tasksOf(id))
})

announce(await listening(app.listen(PORT, HOST)))
