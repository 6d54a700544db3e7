// The three endpoints on bare node:http (routing by hand, ajv, JSON.stringify): the ceiling any
// framework on this machine can reach, for reference.
import { createServer, type ServerResponse } from 'node:http'
import { Ajv } from 'ajv'
import getRawBody from 'raw-body'
import { AJV_BODY_OPTIONS, AJV_PARAMS_OPTIONS, ID_PARAMS, idCounter, issuesOf, PROJECT_IN, projectOf, tasksOf, type ProjectIn } from '../shared.js'
import { announce, HOST, listening, PORT } from './serve.js'

const validateId = new Ajv(AJV_PARAMS_OPTIONS).compile<{ id: number }>(ID_PARAMS)
const validateProject = new Ajv(AJV_BODY_OPTIONS).compile<ProjectIn>(PROJECT_IN)
const nextId = idCounter()
const ROUTE = /^\/v1\/projects(?:\/([^/]+)(\/tasks)?)?\/?$/

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

const server = createServer((req, res) => {
  const match = ROUTE.exec(req.url ?? '')
  if (!match) return sendJson(res, 404, { detail: 'Not Found' })
  const [, rawId, tasks] = match
  if (rawId === undefined) {
    if (req.method !== 'POST') return sendJson(res, 405, { detail: 'Method Not Allowed' })
    getRawBody(req, { limit: 1024 * 1024, length: req.headers['content-length'], encoding: 'utf8' }).then(
      (text) => {
        let body: unknown
        try {
          body = JSON.parse(text)
        } catch {
          return sendJson(res, 400, { detail: 'Malformed JSON body' })
        }
        if (!validateProject(body)) return sendJson(res, 422, { detail: issuesOf(validateProject.errors, 'body') })
        sendJson(res, 201, { id: nextId(), name: body.name, priority: body.priority })
      },
      () => sendJson(res, 400, { detail: 'Cannot read the request body' }),
    )
    return
  }
  if (req.method !== 'GET') return sendJson(res, 405, { detail: 'Method Not Allowed' })
  const params: Record<string, unknown> = { id: decodeURIComponent(rawId) }
  if (!validateId(params)) return sendJson(res, 422, { detail: issuesOf(validateId.errors, 'path') })
  const id = (params as { id: number }).id
  sendJson(res, 200, tasks ? tasksOf(id) : projectOf(id))
})
announce(await listening(server.listen(PORT, HOST)))
