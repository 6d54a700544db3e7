// An upload is read only once the route's dependencies agreed: a client without the right to
// upload hears 401 / 404 while it is still sending, the connection closes, and nothing lands on
// disk. Bad path params are refused the same way, before the body.
import { mkdtempSync, rmSync } from 'node:fs'
import { request, type IncomingMessage } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, defineUnit, depends, NotFound, t, Unauthorized } from 'trefoil'
import { BOUNDARY, filesUnder } from './fixtures/client.js'

const work = mkdtempSync(join(tmpdir(), 'trefoil-upload-order-'))
const temp = join(work, 'temp')
let handled = 0

const signedIn = depends({ name: 'signedIn', headers: t.Object({ authorization: t.Optional(t.String()) }) }, ({ headers }) => {
  if (headers.authorization !== 'Bearer ok') throw new Unauthorized('Not authenticated', { headers: { 'WWW-Authenticate': 'Bearer' } })
  return { id: 1 }
})
const task = depends({ name: 'task', params: t.Object({ taskId: t.Integer({ minimum: 1 }) }) }, ({ params }) => {
  if (params.taskId !== 7) throw new NotFound('Task not found')
  return { id: params.taskId }
})

const unit = defineUnit('uploads', { prefix: '/v1/tasks' }, (r) => {
  r.post('/:taskId/photos', { use: { user: signedIn, task }, multipart: { files: { photo: { types: ['image/png'] } }, tempDir: temp } }, () => {
    handled++
    return 'stored'
  })
  r.put('/:taskId/raw', { use: { user: signedIn, task }, upload: { tempDir: temp } }, () => {
    handled++
    return 'stored'
  })
})
const app = createApp({ plugins: [unit], logger: false })

test.before(async () => {
  await app.listen({ port: 0 })
})
test.after(async () => {
  await app.close()
  rmSync(work, { recursive: true, force: true })
})

/**
 * Starts an upload that sends its headers and 256 KiB, then waits: the answer must come while the
 * body is still unfinished. Resolves with the response and its body.
 */
function startUpload(method: string, path: string, headers: Record<string, string>): Promise<{ res: IncomingMessage; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${app.url}${path}`, { method, headers: { ...headers, 'content-length': String(64 * 1024 * 1024) } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => {
        req.destroy()
        resolve({ res, body })
      })
    })
    // the server may close the connection while we are still writing: that is the point
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error)
    })
    const head = Buffer.from(`--${BOUNDARY}\r\ncontent-disposition: form-data; name="photo"; filename="a.png"\r\ncontent-type: image/png\r\n\r\n`)
    req.write(Buffer.concat([head, Buffer.alloc(256 * 1024, 7)]))
  })
}

const multipart = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }

test('a client that is not signed in hears 401 before its upload is read; nothing is stored', async () => {
  const { res, body } = await startUpload('POST', '/v1/tasks/7/photos', multipart)
  assert.is(res.statusCode, 401)
  assert.equal(JSON.parse(body), { detail: 'Not authenticated' })
  assert.is(res.headers['www-authenticate'], 'Bearer')
  assert.is(res.headers.connection, 'close')
  assert.equal(await filesUnder(temp), [])
  assert.is(handled, 0)
})

test('an upload for a task that does not exist is a 404 before the body; a raw PUT too', async () => {
  const post = await startUpload('POST', '/v1/tasks/8/photos', { ...multipart, authorization: 'Bearer ok' })
  assert.is(post.res.statusCode, 404)
  assert.equal(JSON.parse(post.body), { detail: 'Task not found' })
  const put = await startUpload('PUT', '/v1/tasks/8/raw', { 'content-type': 'image/png', authorization: 'Bearer ok' })
  assert.is(put.res.statusCode, 404)
  assert.is(put.res.headers.connection, 'close')
  assert.equal(await filesUnder(temp), [])
  assert.is(handled, 0)
})

test('a bad path param is a 422 before the body is read', async () => {
  const { res, body } = await startUpload('POST', '/v1/tasks/zero/photos', { ...multipart, authorization: 'Bearer ok' })
  assert.is(res.statusCode, 422)
  assert.equal(JSON.parse(body).detail[0].loc, ['path', 'taskId'])
  assert.equal(await filesUnder(temp), [])
})

test('with the dependencies satisfied the same upload is read and handled', async () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0])
  const body = Buffer.concat([Buffer.from(`--${BOUNDARY}\r\ncontent-disposition: form-data; name="photo"; filename="a.png"\r\ncontent-type: image/png\r\n\r\n`), png, Buffer.from(`\r\n--${BOUNDARY}--\r\n`)])
  const res = await fetch(`${app.url}/v1/tasks/7/photos`, { method: 'POST', headers: { ...multipart, authorization: 'Bearer ok' }, body })
  assert.is(res.status, 200, await res.clone().text())
  assert.is(await res.json(), 'stored')
  assert.is(handled, 1)
})

test.run()
