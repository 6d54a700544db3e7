// Submissions with attachments over real HTTP (multipart/form-data, as a field app sends them):
// fields and files together, files kept under generated names, downloads, roles and limits.
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { call, signUp, square, startFieldwork, type Account, type Fieldwork } from './fixtures/fieldwork.js'

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]), Buffer.alloc(300_000, 7)])
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0]), Buffer.alloc(2048, 3)])

let fw: Fieldwork
let base: string
let pm: Account
let mapper: Account
let stranger: Account
let tasksUrl: string
let taskId: number

test.before(async () => {
  fw = await startFieldwork()
  await fw.app.listen({ port: 0, host: '127.0.0.1' })
  base = fw.app.url!
  pm = await signUp(fw.app, 'Pat')
  mapper = await signUp(fw.app, 'Mo')
  stranger = await signUp(fw.app, 'Stranger')
  const projectId = (await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Health facilities', area: square(32.5, 0.3, 0.01) })).json().id
  await call(fw.app, 'PUT', `/v1/projects/${projectId}/members/${mapper.id}`, pm, { role: 'mapper' })
  taskId = (await call(fw.app, 'POST', `/v1/projects/${projectId}/tasks`, pm, { cellMetres: 1000 })).json()[0].id
  tasksUrl = `/v1/projects/${projectId}/tasks`
})
test.after(async () => {
  await fw?.close()
})

function form(fields: Record<string, string>, files: { name: string; bytes: Buffer; type: string }[] = []): FormData {
  const body = new FormData()
  for (const [key, value] of Object.entries(fields)) body.append(key, value)
  for (const file of files) body.append('attachments', new Blob([file.bytes], { type: file.type }), file.name)
  return body
}

function send(url: string, who: Account | undefined, body: FormData): Promise<Response> {
  return fetch(`${base}${url}`, { method: 'POST', headers: who ? who.headers : {}, body })
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex')

test('a submission arrives with its fields and files; files are kept under generated names and download as sent', async () => {
  const res = await send(`${tasksUrl}/${taskId}/submissions`, mapper, form({ xml: '<data><building>clinic</building></data>', deviceId: 'collect-42' }, [
    { name: 'front.png', bytes: PNG, type: 'image/png' },
    { name: 'sign.jpg', bytes: JPEG, type: 'image/jpeg' },
  ]))
  assert.is(res.status, 201, await res.clone().text())
  const submission = (await res.json()) as { id: number; taskId: number; user: { name: string }; deviceId: string; xml: string; attachments: { filename: string; mediaType: string; size: number; sha256: string; url: string }[] }
  assert.is(submission.taskId, taskId)
  assert.is(submission.user.name, 'Mo')
  assert.is(submission.deviceId, 'collect-42')
  assert.is(submission.xml, '<data><building>clinic</building></data>')
  assert.equal(
    submission.attachments.map(({ filename, mediaType, size, sha256 }) => ({ filename, mediaType, size, sha256 })),
    [
      { filename: 'front.png', mediaType: 'image/png', size: PNG.length, sha256: sha256(PNG) },
      { filename: 'sign.jpg', mediaType: 'image/jpeg', size: JPEG.length, sha256: sha256(JPEG) },
    ],
  )
  const stored = await readdir(join(fw.dataDir, 'uploads'))
  assert.is(stored.length, 2)
  for (const name of stored) assert.match(name, /^[0-9a-f]{32}\.(png|jpg)$/)
  assert.equal(await readFile(join(fw.dataDir, 'uploads', stored.find((n) => n.endsWith('.png'))!)), PNG)
  const download = await fetch(`${base}${submission.attachments[0]!.url}`, { headers: mapper.headers })
  assert.is(download.status, 200)
  assert.is(download.headers.get('content-type'), 'image/png')
  assert.match(download.headers.get('content-disposition') ?? '', 'attachment; filename="front.png"')
  assert.equal(Buffer.from(await download.arrayBuffer()), PNG)
  const listed = await call(fw.app, 'GET', `${tasksUrl}/${taskId}/submissions`, mapper)
  assert.is(listed.json()[0].id, submission.id)
  assert.equal((await call(fw.app, 'GET', `${tasksUrl}/${taskId}/submissions/${submission.id}`, pm)).json(), submission)
  // the page of Mo's submission, seen by Pat: the layout names the viewer, the body the sender
  const page = await fw.app.inject({ url: `${tasksUrl}/${taskId}/submissions/${submission.id}`, headers: { ...pm.headers, accept: 'text/html' } })
  assert.match(page.body, 'Signed in as Pat</a>')
  assert.match(page.body, '</strong> by Mo on collect-42')
})

test('a submission without attachments is fine; a missing xml is 422 and keeps no file', async () => {
  const plain = await send(`${tasksUrl}/${taskId}/submissions`, mapper, form({ xml: '<data/>' }))
  assert.is(plain.status, 201)
  assert.equal(((await plain.json()) as { attachments: unknown[]; deviceId: unknown }).attachments, [])
  const before = (await readdir(join(fw.dataDir, 'uploads'))).length
  const invalid = await send(`${tasksUrl}/${taskId}/submissions`, mapper, form({ deviceId: 'bad id!' }, [{ name: 'x.png', bytes: PNG, type: 'image/png' }]))
  assert.is(invalid.status, 422)
  const locs = ((await invalid.json()) as { detail: { loc: string[] }[] }).detail.map((issue) => issue.loc.join('.'))
  assert.ok(locs.includes('body.xml') && locs.includes('body.deviceId'), locs.join(', '))
  assert.is((await readdir(join(fw.dataDir, 'uploads'))).length, before)
})

test('the bytes decide the type: text sent as image/png is 415', async () => {
  const res = await send(`${tasksUrl}/${taskId}/submissions`, mapper, form({ xml: '<data/>' }, [{ name: 'photo.png', bytes: Buffer.from('not a picture at all'), type: 'image/png' }]))
  assert.is(res.status, 415)
})

test('a hostile file name is only a label: stored under a generated name, offered back sanitised', async () => {
  const res = await send(`${tasksUrl}/${taskId}/submissions`, mapper, form({ xml: '<data/>' }, [{ name: '../../etc/passwd.png', bytes: PNG, type: 'image/png' }]))
  assert.is(res.status, 201)
  const [attachment] = ((await res.json()) as { attachments: { filename: string; url: string }[] }).attachments
  for (const name of await readdir(join(fw.dataDir, 'uploads'))) assert.match(name, /^[0-9a-f]{32}\.(png|jpg)$/)
  const download = await fetch(`${base}${attachment!.url}`, { headers: mapper.headers })
  assert.is(download.status, 200)
  assert.not.match(download.headers.get('content-disposition') ?? '', '/')
})

test('roles and existence: 401 without a token, 403 without a role, 404 for a missing task or attachment', async () => {
  const url = `${tasksUrl}/${taskId}/submissions`
  assert.is((await send(url, undefined, form({ xml: '<data/>' }))).status, 401)
  const denied = await send(url, stranger, form({ xml: '<data/>' }))
  assert.is(denied.status, 403)
  assert.is((await send(`${tasksUrl}/999999/submissions`, mapper, form({ xml: '<data/>' }))).status, 404)
  assert.is((await call(fw.app, 'GET', `${url}/1/attachments/999999`, mapper)).status, 404)
  assert.is((await call(fw.app, 'GET', `${url}/999999`, mapper)).status, 404)
  assert.is((await call(fw.app, 'GET', url, stranger)).status, 403)
})

test.run()
