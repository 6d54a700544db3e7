import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { created, createApp, defineUnit, fastJson, file, html, json, noContent, redirect, stream, t, text } from 'trefoil'
import { captureLogs } from '../helpers/logs.js'

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url))
const UserOut = t.Object({ id: t.Integer(), email: t.String() })
const TaskOut = t.Object({ id: t.Integer(), name: t.String(), status: t.String(), lock_holder: t.Union([t.Integer(), t.Null()]) })

const { logger, lines } = captureLogs('error')
const unit = defineUnit('replies', (r) => {
  r.get('/users/me', { response: UserOut }, () => ({ id: 1, email: 'a@b.org', passwordHash: '$argon2id$secret', internalId: 'x-9' }))
  r.get('/tasks', { response: t.Array(TaskOut) }, () => Array.from({ length: 3 }, (_, i) => ({ id: i, name: `Task ${i}`, status: 'ready', lock_holder: null, geometry: 'big' })))
  r.get('/fast', () => fastJson([{ id: 1, name: 'a', status: 'ready', lock_holder: null, secret: 1 }], t.Array(TaskOut)))
  // data from outside the type system (a query, a JSON column) that does not fit the model
  r.get('/wrong', { response: UserOut }, () => JSON.parse('{"id": "not-a-number", "email": "a@b.org"}') as { id: number; email: string })
  r.post('/users', { response: { 201: UserOut } }, () => created({ id: 2, email: 'c@d.org', passwordHash: 'x' }, { location: '/users/2' }))
  r.get('/accepted', () => json({ queued: true }, { status: 202, headers: { 'x-queue': 'exports' } }))
  r.get('/gone', () => json({ reason: 'archived' }, { status: 410 }))
  r.get('/no-body', () => json({ ignored: true }, { status: 204 }))
  r.get('/page', () => html('<p>Hello</p>'))
  r.get('/hello.txt', () => text('Hello, World!'))
  r.get('/robots', () => text('User-agent: *\nDisallow: /private', { status: 200, type: 'text/plain', headers: { 'cache-control': 'max-age=3600' } }))
  r.get('/teapot', () => text('short and stout', { status: 418 }))
  r.get('/s3', () => redirect('https://bucket.example/file.zip'))
  r.post('/form', () => redirect('/done', 303))
  r.get('/csv', () => file(`${fixtures}tasks.csv`, { download: 'tasks export.csv' }))
  r.get('/missing-file', () => file(`${fixtures}nope.csv`))
  r.get('/dir-file', () => file(fixtures))
  r.get('/lines', () =>
    stream(
      (async function* () {
        for (let i = 0; i < 3; i++) yield `line ${i}\n`
      })(),
      { type: 'text/plain; charset=utf-8' },
    ),
  )
  r.get('/node-stream', () => stream(Readable.from([Buffer.from('ab'), Buffer.from('cd')])))
  r.delete('/things/:id', () => noContent())
  r.get('/nothing', () => undefined)
})
const app = createApp({ plugins: [unit], logger })

test('a response schema drops fields that are not in it (password hashes never leave)', async () => {
  const res = await app.inject({ url: '/users/me' })
  assert.is(res.status, 200)
  assert.is(res.body, '{"id":1,"email":"a@b.org"}')
  const tasks = await app.inject({ url: '/tasks' })
  assert.equal(tasks.json()[0], { id: 0, name: 'Task 0', status: 'ready', lock_holder: null })
})

test('fastJson() writes with a serializer compiled from the schema it is given', async () => {
  const res = await app.inject({ url: '/fast' })
  assert.is(res.headers['content-type'], 'application/json; charset=utf-8')
  assert.is(res.body, '[{"id":1,"name":"a","status":"ready","lock_holder":null}]')
})

test('output that does not match its schema is a 500 with a log line naming the route and the field', async () => {
  const res = await app.inject({ url: '/wrong' })
  assert.is(res.status, 500)
  assert.equal(res.json(), { detail: 'Internal Server Error' })
  const logged = JSON.stringify(lines.at(-1))
  assert.match(logged, /Response of GET \/wrong does not match its schema: field \\"id\\": Input should be a valid integer/)
})

test('created() answers 201 with Location, shaped by the 201 schema', async () => {
  const res = await app.inject({ method: 'POST', url: '/users' })
  assert.is(res.status, 201)
  assert.is(res.headers.location, '/users/2')
  assert.equal(res.json(), { id: 2, email: 'c@d.org' })
})

test('json() with an error status keeps its body; with 204 it sends none', async () => {
  const gone = await app.inject({ url: '/gone' })
  assert.is(gone.status, 410)
  assert.equal(gone.json(), { reason: 'archived' })
  assert.is(gone.headers['content-length'], String('{"reason":"archived"}'.length))
  const nothing = await app.inject({ url: '/no-body' })
  assert.is(nothing.status, 204)
  assert.is(nothing.body, '')
  assert.is(nothing.headers['content-type'], undefined)
})

test('json() sets status and headers', async () => {
  const res = await app.inject({ url: '/accepted' })
  assert.is(res.status, 202)
  assert.is(res.headers['x-queue'], 'exports')
  assert.equal(res.json(), { queued: true })
})

test('html() sends markup as text/html', async () => {
  const res = await app.inject({ url: '/page' })
  assert.is(res.headers['content-type'], 'text/html; charset=utf-8')
  assert.is(res.body, '<p>Hello</p>')
})

test('text() sends the string as it is, text/plain in UTF-8 unless another type is given', async () => {
  const hello = await app.inject({ url: '/hello.txt' })
  assert.is(hello.status, 200)
  assert.is(hello.headers['content-type'], 'text/plain; charset=utf-8')
  assert.is(hello.headers['content-length'], '13')
  assert.is(hello.body, 'Hello, World!')
  const robots = await app.inject({ url: '/robots' })
  assert.is(robots.headers['content-type'], 'text/plain')
  assert.is(robots.headers['cache-control'], 'max-age=3600')
  assert.is(robots.body, 'User-agent: *\nDisallow: /private')
  const teapot = await app.inject({ url: '/teapot' })
  assert.is(teapot.status, 418)
  assert.is(teapot.body, 'short and stout')
})

test('redirect() is a 307 by default (method kept), 303 when asked', async () => {
  const res = await app.inject({ url: '/s3' })
  assert.is(res.status, 307)
  assert.is(res.headers.location, 'https://bucket.example/file.zip')
  const after = await app.inject({ method: 'POST', url: '/form' })
  assert.is(after.status, 303)
  assert.is(after.headers.location, '/done')
})

test('file() streams a file with its content type, length and download name; 404 when missing', async () => {
  const res = await app.inject({ url: '/csv' })
  assert.is(res.status, 200)
  assert.is(res.body, 'id,name\n1,Roads\n')
  assert.match(String(res.headers['content-type']), /^text\/csv/)
  assert.is(res.headers['content-length'], '16')
  assert.is(res.headers['content-disposition'], 'attachment; filename="tasks export.csv"')
  const missing = await app.inject({ url: '/missing-file' })
  assert.is(missing.status, 404)
  assert.equal(missing.json(), { detail: 'File not found' })
  assert.is((await app.inject({ url: '/dir-file' })).status, 404)
})

test('stream() sends an async iterable or a Node stream', async () => {
  const res = await app.inject({ url: '/lines' })
  assert.is(res.body, 'line 0\nline 1\nline 2\n')
  assert.is(res.headers['content-type'], 'text/plain; charset=utf-8')
  const raw = await app.inject({ url: '/node-stream' })
  assert.is(raw.body, 'abcd')
  assert.is(raw.headers['content-type'], 'application/octet-stream')
})

test('noContent() is a 204 with no body', async () => {
  const res = await app.inject({ method: 'DELETE', url: '/things/3' })
  assert.is(res.status, 204)
  assert.is(res.body, '')
  assert.is(res.headers['content-type'], undefined)
})

test('a handler that returns nothing sends JSON null', async () => {
  const res = await app.inject({ url: '/nothing' })
  assert.is(res.status, 200)
  assert.is(res.body, 'null')
})

test.run()
