// Submissions with attachments over real HTTP (multipart/form-data, as a field app sends them):
// fields and files together, the XML checked for well-formedness, photos only, limits (413 / 415
// / 422), files kept under generated names, resumable downloads, reviews by validators, roles.
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { call, signUp, signUpAdmin, square, startFieldwork, type Account, type Fieldwork } from './fixtures/fieldwork.js'
import { saw, undocumented } from './fixtures/traffic.js'

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]), Buffer.alloc(300_000, 7)])
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0]), Buffer.alloc(2048, 3)])
const PDF = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n')

let fw: Fieldwork
let base: string
let pm: Account
let validator: Account
let mapper: Account
let stranger: Account
let url: string

test.before(async () => {
  fw = await startFieldwork()
  await fw.app.listen({ port: 0, host: '127.0.0.1' })
  base = fw.app.url!
  pm = await signUpAdmin(fw.app, 'Pat')
  validator = await signUp(fw.app, 'Val')
  mapper = await signUp(fw.app, 'Mo')
  stranger = await signUp(fw.app, 'Stranger')
  const made = await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Health facilities', area: square(32.5, 0.3, 0.01) })
  assert.is(made.status, 201, made.body)
  const projectId = made.json().id as number
  await call(fw.app, 'PUT', `/v1/projects/${projectId}/members/${mapper.id}`, pm, { role: 'mapper' })
  await call(fw.app, 'PUT', `/v1/projects/${projectId}/members/${validator.id}`, pm, { role: 'validator' })
  const split = await call(fw.app, 'POST', `/v1/projects/${projectId}/tasks`, pm, { cellMetres: 1000 })
  assert.is(split.status, 201, split.body)
  url = `/v1/projects/${projectId}/tasks/${split.json()[0].id}/submissions`
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

function send(who: Account | undefined, body: FormData, target = url): Promise<Response> {
  return fetch(`${base}${target}`, { method: 'POST', headers: who ? who.headers : {}, body })
}

async function stored(): Promise<string[]> {
  // the storage's own metadata and temp files are hidden (a leading dot)
  return (await readdir(join(fw.dataDir, 'uploads')).catch(() => [] as string[])).filter((name) => !name.startsWith('.'))
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex')

interface SubmissionJson {
  id: number
  url: string
  taskId: number
  user: { name: string }
  deviceId: string | null
  xml: string
  reviewState: string | null
  reviewComment: string | null
  reviewedBy: { id: number; name: string } | null
  reviewedAt: string | null
  attachments: { filename: string; mediaType: string; size: number; sha256: string; url: string }[]
}

test('a submission arrives with submission_xml, device_id and photos; files are kept under generated names and download as sent', async () => {
  const res = await send(mapper, form({ submission_xml: '<data><building>clinic</building></data>', device_id: 'collect-42' }, [
    { name: 'front.png', bytes: PNG, type: 'image/png' },
    { name: 'sign.jpg', bytes: JPEG, type: 'image/jpeg' },
  ]))
  assert.is(res.status, 201, await res.clone().text())
  const submission = (await res.json()) as SubmissionJson
  assert.is(submission.url, `${url}/${submission.id}`)
  assert.is(submission.user.name, 'Mo')
  assert.is(submission.deviceId, 'collect-42')
  assert.is(submission.xml, '<data><building>clinic</building></data>')
  assert.equal([submission.reviewState, submission.reviewedBy, submission.reviewedAt], [null, null, null], 'not reviewed yet')
  assert.equal(
    submission.attachments.map(({ filename, mediaType, size, sha256 }) => ({ filename, mediaType, size, sha256 })),
    [
      { filename: 'front.png', mediaType: 'image/png', size: PNG.length, sha256: sha256(PNG) },
      { filename: 'sign.jpg', mediaType: 'image/jpeg', size: JPEG.length, sha256: sha256(JPEG) },
    ],
  )
  const names = await stored()
  assert.is(names.length, 2)
  for (const name of names) assert.match(name, /^[0-9a-f]{32}\.(png|jpg)$/)
  assert.equal(await readFile(join(fw.dataDir, 'uploads', names.find((n) => n.endsWith('.png'))!)), PNG)
  const download = await fetch(`${base}${submission.attachments[0]!.url}`, { headers: mapper.headers })
  assert.is(download.status, 200)
  assert.is(download.headers.get('content-type'), 'image/png')
  assert.is(download.headers.get('etag'), `"${sha256(PNG)}"`, 'the content hash is the ETag')
  assert.match(download.headers.get('content-disposition') ?? '', 'attachment; filename="front.png"')
  assert.equal(Buffer.from(await download.arrayBuffer()), PNG)
  assert.is((await call(fw.app, 'GET', url, mapper)).json()[0].id, submission.id)
  assert.equal((await call(fw.app, 'GET', submission.url, pm)).json(), submission)
})

test('a download resumes: Range gives 206 with the asked bytes, If-Range with an old ETag gives the whole file; a current copy gets 304', async () => {
  const res = await send(mapper, form({ submission_xml: '<data/>' }, [{ name: 'big.png', bytes: PNG, type: 'image/png' }]))
  const photo = ((await res.json()) as SubmissionJson).attachments[0]!
  const part = await fetch(`${base}${photo.url}`, { headers: { ...mapper.headers, range: 'bytes=1000-1999' } })
  assert.is(part.status, 206)
  assert.is(part.headers.get('content-range'), `bytes 1000-1999/${PNG.length}`)
  assert.equal(Buffer.from(await part.arrayBuffer()), PNG.subarray(1000, 2000))
  const rest = await fetch(`${base}${photo.url}`, { headers: { ...mapper.headers, range: `bytes=${PNG.length - 10}-`, 'if-range': `"${photo.sha256}"` } })
  assert.is(rest.status, 206)
  assert.equal(Buffer.from(await rest.arrayBuffer()), PNG.subarray(PNG.length - 10))
  const changed = await fetch(`${base}${photo.url}`, { headers: { ...mapper.headers, range: 'bytes=0-9', 'if-range': '"an-older-copy"' } })
  assert.is(changed.status, 200)
  assert.is((await changed.arrayBuffer()).byteLength, PNG.length)
  const beyond = await fetch(`${base}${photo.url}`, { headers: { ...mapper.headers, range: `bytes=${PNG.length + 5}-` } })
  assert.is(beyond.status, 416)
  assert.is(beyond.headers.get('content-range'), `bytes */${PNG.length}`)
  // through inject: fetch adds Cache-Control: no-cache to a conditional request, which rules 304 out
  const current = await fw.app.inject({ url: photo.url, headers: { ...mapper.headers, 'if-none-match': `"${photo.sha256}"` } })
  assert.is(current.status, 304)
  assert.is(current.rawBody.length, 0)
})

test('XML that is not well-formed is a 422 naming the line and column; nothing is kept', async () => {
  const before = await stored()
  const res = await send(mapper, form({ submission_xml: '<data>\n  <building>clinic</data>' }, [{ name: 'x.png', bytes: PNG, type: 'image/png' }]))
  assert.is(res.status, 422)
  const { detail } = (await res.json()) as { detail: { loc: string[]; msg: string; type: string }[] }
  assert.equal(detail[0]!.loc, ['body', 'submission_xml'])
  assert.match(detail[0]!.msg, /^Not well-formed XML at line 2, column \d+: unexpected close tag/)
  assert.equal(await stored(), before)
  for (const bad of ['just text', '<a></b>', '<a/><b/>', '<a>&undefined;</a>', '<a x="1" x="2"/>']) {
    assert.is((await send(mapper, form({ submission_xml: bad }))).status, 422, bad)
  }
})

test('large XML is checked on the worker pool: a well-formed 600 KB form is kept, a broken one is a 422', async () => {
  const items = '<item kind="clinic">Kariakoo health centre</item>'.repeat(12_000)
  const good = await send(mapper, form({ submission_xml: `<data>${items}</data>` }))
  assert.is(good.status, 201)
  assert.is(((await good.json()) as SubmissionJson).xml.length, items.length + 13)
  const broken = await send(mapper, form({ submission_xml: `<data>${items}<oops></data>` }))
  assert.is(broken.status, 422)
  assert.match(((await broken.json()) as { detail: { msg: string }[] }).detail[0]!.msg, 'Not well-formed XML at line 1')
})

test('a text part named like the file field (attachments) is a 422 naming it, and nothing is stored', async () => {
  const before = await stored()
  const misplaced = await send(mapper, form({ submission_xml: '<data/>', attachments: 'photo.png' }))
  assert.is(misplaced.status, 422)
  const detail = ((await misplaced.json()) as { detail: { loc: string[]; type: string }[] }).detail
  assert.equal(detail.map((issue) => [issue.loc.join('.'), issue.type]), [['body.attachments', 'file_expected']])
  assert.equal(await stored(), before)
})

test('the XML limit is inclusive: exactly 1,048,576 bytes are taken, one byte more is a 413', async () => {
  const MIB = 1024 * 1024
  // multi-byte text: the limit counts bytes, not characters
  const fill = (bytes: number) => `<data>${'é'.repeat(Math.floor((bytes - 13) / 2))}${'x'.repeat((bytes - 13) % 2)}</data>`
  assert.is(Buffer.byteLength(fill(MIB)), MIB)
  const exact = await send(mapper, form({ submission_xml: fill(MIB) }))
  assert.is(exact.status, 201, await exact.clone().text())
  assert.is(Buffer.byteLength(((await exact.json()) as { xml: string }).xml), MIB)
  const over = await send(mapper, form({ submission_xml: fill(MIB + 1) }))
  assert.is(over.status, 413)
})

test('limits: XML past 1 MiB and a photo past 20 MiB are 413, a missing submission_xml is 422; no file is kept', async () => {
  const before = await stored()
  const huge = await send(mapper, form({ submission_xml: `<data>${'x'.repeat(1024 * 1024)}</data>` }))
  assert.is(huge.status, 413)
  assert.match(((await huge.json()) as { detail: string }).detail, 'submission_xml')
  const bigPhoto = Buffer.concat([PNG.subarray(0, 16), Buffer.alloc(20 * 1024 * 1024 + 1 - 16)])
  const tooBig = await send(mapper, form({ submission_xml: '<data/>' }, [{ name: 'huge.png', bytes: bigPhoto, type: 'image/png' }]))
  assert.is(tooBig.status, 413)
  const missing = await send(mapper, form({ device_id: 'bad id!' }, [{ name: 'x.png', bytes: PNG, type: 'image/png' }]))
  assert.is(missing.status, 422)
  const locs = ((await missing.json()) as { detail: { loc: string[] }[] }).detail.map((issue) => issue.loc.join('.'))
  assert.ok(locs.includes('body.submission_xml') && locs.includes('body.device_id'), locs.join(', '))
  assert.equal(await stored(), before)
})

test('photos only, told by their bytes: text sent as image/png and a PDF are 415', async () => {
  const text = await send(mapper, form({ submission_xml: '<data/>' }, [{ name: 'photo.png', bytes: Buffer.from('not a picture at all'), type: 'image/png' }]))
  assert.is(text.status, 415)
  assert.ok(((await text.json()) as { detail: string }).detail.length > 0)
  const pdf = await send(mapper, form({ submission_xml: '<data/>' }, [{ name: 'report.pdf', bytes: PDF, type: 'application/pdf' }]))
  assert.is(pdf.status, 415)
})

test('a hostile file name is only a label: stored under a generated name, offered back sanitised', async () => {
  const res = await send(mapper, form({ submission_xml: '<data/>' }, [{ name: '../../etc/passwd.png', bytes: PNG, type: 'image/png' }]))
  assert.is(res.status, 201)
  const [attachment] = ((await res.json()) as SubmissionJson).attachments
  for (const name of await stored()) assert.match(name, /^[0-9a-f]{32}\.(png|jpg)$/)
  const download = await fetch(`${base}${attachment!.url}`, { headers: mapper.headers })
  assert.is(download.status, 200)
  assert.not.match(download.headers.get('content-disposition') ?? '', '/')
})

test('validators review a submission (approved, has_issues, rejected); a mapper gets 403, a bad state 422', async () => {
  const made = (await (await send(mapper, form({ submission_xml: '<data><n>1</n></data>' }))).json()) as SubmissionJson
  const denied = await call(fw.app, 'PATCH', made.url, mapper, { reviewState: 'approved' })
  assert.is(denied.status, 403)
  assert.equal(denied.json(), { detail: `Missing role "validator" in project ${made.url.split('/')[3]}: you are mapper`, code: 'role_required' })
  const issues = await call(fw.app, 'PATCH', made.url, validator, { reviewState: 'has_issues', comment: '  The photo is blurred  ' })
  assert.is(issues.status, 200, issues.body)
  const reviewed = issues.json() as SubmissionJson
  assert.is(reviewed.reviewState, 'has_issues')
  assert.is(reviewed.reviewComment, 'The photo is blurred')
  assert.equal(reviewed.reviewedBy, { id: validator.id, name: 'Val' })
  assert.ok(Date.parse(reviewed.reviewedAt!) > 0)
  const approved = await call(fw.app, 'PATCH', made.url, pm, { reviewState: 'approved' })
  assert.is(approved.json().reviewState, 'approved', 'a project manager may review too, replacing the last review')
  assert.is(approved.json().reviewComment, null)
  assert.is((await call(fw.app, 'GET', made.url, mapper)).json().reviewState, 'approved')
  const bad = await call(fw.app, 'PATCH', made.url, validator, { reviewState: 'maybe' })
  assert.is(bad.status, 422)
  assert.equal(bad.json().detail[0].loc, ['body', 'reviewState'])
  assert.is((await call(fw.app, 'PATCH', made.url, validator, {})).status, 422)
  assert.is((await call(fw.app, 'PATCH', `${url}/999999`, validator, { reviewState: 'rejected' })).status, 404)
  assert.is((await call(fw.app, 'PATCH', made.url, stranger, { reviewState: 'rejected' })).status, 403)
})

test('roles and existence: 401 without a token, 403 without a role, 404 for a missing task or attachment', async () => {
  assert.is((await send(undefined, form({ submission_xml: '<data/>' }))).status, 401)
  const denied = await send(stranger, form({ submission_xml: '<data/>' }))
  assert.is(denied.status, 403)
  assert.ok(typeof ((await denied.json()) as { detail: unknown }).detail === 'string')
  assert.is((await send(mapper, form({ submission_xml: '<data/>' }), url.replace(/tasks\/\d+/, 'tasks/999999'))).status, 404)
  assert.is((await call(fw.app, 'GET', `${url}/1/attachments/999999`, mapper)).status, 404)
  assert.is((await call(fw.app, 'GET', `${url}/999999`, mapper)).status, 404)
  assert.is((await call(fw.app, 'GET', url, stranger)).status, 403)
  for (const id of ['1e309', '99999999999', '0', 'x']) {
    const res = await call(fw.app, 'GET', `${url}/${id}`, mapper)
    assert.is(res.status, 422, `${id}: ${res.body}`)
    assert.equal(res.json().detail[0].loc, ['path', 'submissionId'])
  }
})

test('htmx gets fragments: the new item, the reviewed item with its state, a 403 fragment for a mapper', async () => {
  const made = (await (await send(mapper, form({ submission_xml: '<data/>', device_id: 'collect-9' }))).json()) as SubmissionJson
  const hx = (who: Account) => ({ ...who.headers, 'hx-request': 'true' })
  const list = await fw.app.inject({ url, headers: hx(mapper) })
  assert.match(list.body, `<form id="new-submission" hx-post="${url}" hx-encoding="multipart/form-data"`)
  assert.match(list.body, '<textarea name="submission_xml"')
  assert.match(list.body, '<progress id="upload-progress"')
  assert.not.match(list.body, 'class="review-buttons"', 'a mapper is not offered the review buttons')
  assert.match((await fw.app.inject({ url, headers: hx(validator) })).body, '<div class="review-buttons"', 'a validator is')
  const review = await fw.app.inject({ method: 'PATCH', url: made.url, headers: hx(validator), body: { reviewState: 'rejected', comment: 'Wrong <building>' } })
  assert.is(review.status, 200)
  assert.match(review.body, `<li id="submission-${made.id}" class="submission" data-review="rejected">`)
  assert.match(review.body, 'rejected (Val)')
  assert.match(review.body, '<q>Wrong &lt;building&gt;</q>')
  assert.match(review.body, /<button hx-patch="[^"]+" hx-vals='{&#34;reviewState&#34;:&#34;rejected&#34;}'[^>]*disabled>Reject<\/button>/)
  const denied = await fw.app.inject({ method: 'PATCH', url: made.url, headers: hx(mapper), body: { reviewState: 'approved' } })
  assert.is(denied.status, 403)
  assert.match(denied.body, /^<div class="trefoil-error" role="alert" data-status="403"><p>Missing role &#34;validator&#34;/)
  const page = await fw.app.inject({ url: made.url, headers: { ...pm.headers, accept: 'text/html' } })
  assert.match(page.body, 'Signed in as Pat</a>')
  assert.match(page.body, '</strong></a> by Mo on collect-9')
  assert.match(page.body, '<pre class="xml">&lt;data/&gt;</pre>')
})

// last: judges what every test above received
test('every status, media type and header the flows above received is documented for its operation', async () => {
  assert.ok(fw.traffic.length > 0, 'the answers were recorded')
  const download = /\/attachments\/\d+$/
  for (const status of [200, 206, 304, 416]) assert.ok(saw(fw.traffic, 'GET', download, { status }), `a download answered ${status}`)
  assert.ok(saw(fw.traffic, 'GET', download, { status: 206, type: 'image/png', header: 'content-range' }), 'a range of a photo')
  assert.equal(await undocumented(fw.app, fw.traffic), [])
})

test.run()
