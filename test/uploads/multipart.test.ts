// Multipart uploads through real HTTP: typed fields and files, every limit (stopping the read
// early), media types from the bytes, malformed bodies, aborts, and the temp folder on disk.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { byName, createApp, defineUnit, t } from 'trefoil'
import { eventually, filesUnder, JPEG, makeFile, PDF, PNG, postMultipart, send, sha256File, BOUNDARY } from './fixtures/client.js'

const work = mkdtempSync(join(tmpdir(), 'trefoil-uploads-test-'))
const temp = join(work, 'temp')
const keep = join(work, 'keep')
const MiB = 1024 * 1024
let handled = 0

const SubmissionFields = t.Object({ xml: t.String({ minLength: 1 }), deviceId: t.Optional(t.String({ pattern: '^[a-z0-9-]+$' })), priority: t.Integer({ minimum: 1, default: 3 }) })

const unit = defineUnit('submissions', { prefix: '/v1/tasks' }, (r) => {
  r.post(
    '/:taskId/submissions',
    {
      multipart: {
        fields: SubmissionFields,
        files: { attachments: { many: 3, maxBytes: 8 * MiB, types: ['image/jpeg', 'image/png'] }, report: { maxBytes: MiB, types: ['application/pdf'] } },
        maxFields: 5,
        maxFieldBytes: 1024,
        tempDir: temp,
      },
    },
    async ({ fields, files, params }) => {
      handled++
      const first = files.attachments[0]
      if (fields.xml === 'keep' && first) await first.saveTo(keep)
      return {
        taskId: params.taskId,
        fields,
        names: Object.keys(byName(files.attachments)),
        attachments: files.attachments.map((f) => ({ field: f.field, originalName: f.originalName, storedName: f.storedName, size: f.size, mediaType: f.mediaType, declaredType: f.declaredType, sha256: f.sha256, inTemp: f.path.startsWith(temp + '/'), saved: f.saved, path: f.path })),
        report: files.report ? { size: files.report.size, mediaType: files.report.mediaType } : null,
      }
    },
  )
  r.post('/required', { multipart: { files: { photo: { required: true, types: ['image/png'] } }, tempDir: temp } }, ({ files }) => ({ size: files.photo.size }))
  r.post('/fails', { multipart: { files: { photo: { types: ['image/png'] } }, tempDir: temp } }, () => {
    throw new Error('Handler broke after the upload')
  })
})

const app = createApp({ plugins: [unit], logger: false })
let server: Server
let url = ''

test.before(async () => {
  server = await app.listen({ port: 0 })
  url = `${app.url}/v1/tasks/7`
})
test.after(async () => {
  await app.close()
  rmSync(work, { recursive: true, force: true })
})

const tempEmpty = async (): Promise<boolean> => (await filesUnder(temp)).length === 0
const assertTempEmptySoon = async (): Promise<void> => assert.ok(await eventually(tempEmpty), `temp files left: ${(await filesUnder(temp)).join(', ')}`)

test('fields and files arrive typed; each file has a generated stored name, size, media type and sha256', async () => {
  const photo = await makeFile(join(work, 'photo.png'), 5 * MiB, PNG)
  const res = await postMultipart(`${url}/submissions`, [
    { name: 'xml', value: '<data/>' },
    { name: 'deviceId', value: 'dev-1' },
    { name: 'attachments', path: photo, filename: 'photo.png', type: 'image/png' },
    { name: 'attachments', bytes: Buffer.concat([JPEG, Buffer.alloc(100, 1)]), filename: 'snap.jpg', type: 'image/jpeg' },
  ])
  assert.is(res.status, 200, res.text)
  const body = res.json<{ fields: unknown; names: string[]; attachments: { storedName: string; size: number; sha256: string; mediaType: string; inTemp: boolean; originalName: string }[] }>()
  assert.equal(body.fields, { xml: '<data/>', deviceId: 'dev-1', priority: 3 })
  assert.equal(body.names, ['photo.png', 'snap.jpg'])
  const [png, jpg] = body.attachments
  assert.is(png!.size, 5 * MiB)
  assert.is(png!.sha256, await sha256File(photo))
  assert.is(png!.mediaType, 'image/png')
  assert.match(png!.storedName, /^[0-9a-f]{32}\.png$/)
  assert.ok(png!.inTemp)
  assert.is(jpg!.mediaType, 'image/jpeg')
  assert.match(jpg!.storedName, /^[0-9a-f]{32}\.jpg$/)
  await assertTempEmptySoon()
})

test('saveTo moves a file into place; the files a handler did not keep are deleted after the response', async () => {
  const photo = await makeFile(join(work, 'keep.png'), 3 * MiB, PNG)
  const res = await postMultipart(`${url}/submissions`, [
    { name: 'xml', value: 'keep' },
    { name: 'attachments', path: photo, filename: 'keep.png', type: 'image/png' },
    { name: 'attachments', path: photo, filename: 'other.png', type: 'image/png' },
  ])
  assert.is(res.status, 200, res.text)
  const [kept, other] = res.json<{ attachments: { path: string; saved: boolean; storedName: string }[] }>().attachments
  assert.ok(kept!.saved)
  assert.is(kept!.path, join(keep, kept!.storedName))
  assert.is(await sha256File(kept!.path), await sha256File(photo))
  assert.not.ok(other!.saved)
  assert.ok(await eventually(async () => !existsSync(other!.path)))
  await assertTempEmptySoon()
  assert.ok(existsSync(kept!.path))
})

test('a validation failure answers 422 with every field and file issue and leaves no file behind', async () => {
  const photo = await makeFile(join(work, 'bad-fields.png'), 2 * MiB, PNG)
  const before = handled
  const res = await postMultipart(`${url}/submissions`, [
    { name: 'deviceId', value: 'Not Valid!' },
    { name: 'priority', value: '0' },
    { name: 'attachments', path: photo, filename: 'a.png', type: 'image/png' },
  ])
  assert.is(res.status, 422, res.text)
  const locs = res.json<{ detail: { loc: string[] }[] }>().detail.map((d) => d.loc.join('.'))
  assert.equal(locs.sort(), ['body.deviceId', 'body.priority', 'body.xml'])
  assert.is(handled, before)
  // deleted before the 422 was written, not merely after it
  assert.equal(await filesUnder(temp), [])

  const infinite = await postMultipart(`${url}/submissions`, [
    { name: 'xml', value: '<a/>' },
    { name: 'priority', value: '1e309' },
  ])
  assert.is(infinite.status, 422, infinite.text)
  assert.equal(infinite.json<{ detail: unknown }>().detail, [{ loc: ['body', 'priority'], msg: 'Input should be a finite number', type: 'finite_number' }])

  const missing = await postMultipart(`${app.url}/v1/tasks/required`, [{ name: 'other', value: 'x' }])
  assert.is(missing.status, 422)
  assert.equal(missing.json<{ detail: unknown }>().detail, [{ loc: ['body', 'photo'], msg: 'Field required', type: 'missing' }])
})

test('a file over its size limit answers 413 naming the limit, before the client has sent it all', async () => {
  const big = await makeFile(join(work, 'big.png'), 48 * MiB, PNG)
  const res = await postMultipart(`${url}/submissions`, [
    { name: 'xml', value: 'x' },
    { name: 'attachments', path: big, filename: 'big.png', type: 'image/png' },
  ], { chunked: true })
  assert.is(res.status, 413)
  assert.equal(res.json(), { detail: 'File is larger than the limit for file field "attachments": at most 8388608 bytes', code: 'max_file_bytes' })
  assert.ok(res.sent < res.size / 2, `the server read on: ${res.sent} of ${res.size} bytes sent`)
  // the rest of the body is never read, so the connection cannot carry another request
  assert.is(res.headers.connection, 'close')
  await assertTempEmptySoon()
})

test('the early 413 reaches the client every time (the connection is not reset under it)', async () => {
  const big = await makeFile(join(work, 'big2.png'), 24 * MiB, PNG)
  for (let i = 0; i < 15; i++) {
    const res = await postMultipart(`${url}/submissions`, [{ name: 'xml', value: 'x' }, { name: 'attachments', path: big, filename: 'big.png', type: 'image/png' }], { chunked: i % 2 === 0 })
    assert.is(res.status, 413, `attempt ${i + 1}`)
  }
  await assertTempEmptySoon()
})

test('a body over the request limit is refused from its Content-Length, before any byte is read', async () => {
  const res = await send(`${url}/submissions`, [Buffer.alloc(64 * 1024)], { headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': String(200 * MiB) } })
  assert.is(res.status, 413)
  assert.is(res.json<{ code: string }>().code, 'max_total_bytes')
  assert.match(res.text, /at most \d+ bytes/)
})

test('too many files, a second file for a single field, too many fields, a field too large: 413', async () => {
  const png = { bytes: Buffer.concat([PNG, Buffer.alloc(64)]), type: 'image/png' }
  const many = await postMultipart(`${url}/submissions`, [
    { name: 'xml', value: 'x' },
    ...[1, 2, 3, 4].map((i) => ({ name: 'attachments', filename: `${i}.png`, ...png })),
  ])
  assert.is(many.status, 413)
  assert.equal(many.json(), { detail: 'Too many files in "attachments": at most 3', code: 'max_files' })

  const pdf = { bytes: Buffer.concat([PDF, Buffer.alloc(64, 32)]), type: 'application/pdf' }
  const twice = await postMultipart(`${url}/submissions`, [{ name: 'xml', value: 'x' }, { name: 'report', filename: 'a.pdf', ...pdf }, { name: 'report', filename: 'b.pdf', ...pdf }])
  assert.is(twice.status, 413)
  assert.is(twice.json<{ detail: string }>().detail, 'Too many files in "report": at most 1')

  const fields = await postMultipart(`${url}/submissions`, [1, 2, 3, 4, 5, 6].map((i) => ({ name: `f${i}`, value: 'v' })))
  assert.is(fields.status, 413)
  assert.equal(fields.json(), { detail: 'Too many fields: at most 5 per request', code: 'max_fields' })

  const long = await postMultipart(`${url}/submissions`, [{ name: 'xml', value: 'x'.repeat(5000) }])
  assert.is(long.status, 413)
  assert.equal(long.json(), { detail: 'Field "xml" is larger than the limit: at most 1024 bytes', code: 'max_field_bytes' })
  await assertTempEmptySoon()
})

test('the media type is read from the bytes: a PDF named photo.png is 415, so is a refused declared type', async () => {
  const disguised = await postMultipart(`${url}/submissions`, [
    { name: 'xml', value: 'x' },
    { name: 'attachments', bytes: Buffer.concat([PDF, Buffer.alloc(10 * 1024, 65)]), filename: 'photo.png', type: 'image/png' },
  ])
  assert.is(disguised.status, 415)
  assert.equal(disguised.json(), { detail: 'Unsupported file type for file field "attachments": allowed image/jpeg, image/png', code: 'file_type' })

  const text = await postMultipart(`${url}/submissions`, [{ name: 'xml', value: 'x' }, { name: 'attachments', bytes: Buffer.from('just text'), filename: 'x.png', type: 'application/octet-stream' }])
  assert.is(text.status, 415)

  const declared = await postMultipart(`${url}/submissions`, [{ name: 'xml', value: 'x' }, { name: 'attachments', bytes: Buffer.concat([PNG, Buffer.alloc(64)]), filename: 'x.gif', type: 'image/gif' }])
  assert.is(declared.status, 415)

  // a generic declared type is fine when the bytes are allowed
  const generic = await postMultipart(`${url}/submissions`, [{ name: 'xml', value: 'x' }, { name: 'attachments', bytes: Buffer.concat([PNG, Buffer.alloc(64)]), filename: 'x', type: 'application/octet-stream' }])
  assert.is(generic.status, 200, generic.text)
  assert.is(generic.json<{ attachments: { mediaType: string; declaredType: string }[] }>().attachments[0]!.mediaType, 'image/png')
  await assertTempEmptySoon()
})

test('malformed multipart is 400, another content type 415, an unexpected file field 400', async () => {
  const cut = await send(`${url}/submissions`, [Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="xml"\r\n\r\nabc`)], { headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } })
  assert.is(cut.status, 400)
  assert.match(cut.json<{ detail: string }>().detail, /^Malformed multipart body: /)

  const noBoundary = await send(`${url}/submissions`, [Buffer.from('x')], { headers: { 'content-type': 'multipart/form-data' } })
  assert.is(noBoundary.status, 400)

  const json = await send(`${url}/submissions`, [Buffer.from('{"xml":"x"}')], { headers: { 'content-type': 'application/json' } })
  assert.is(json.status, 415)

  const stray = await postMultipart(`${url}/submissions`, [{ name: 'xml', value: 'x' }, { name: 'other', bytes: Buffer.from('hi'), filename: 'a.txt', type: 'text/plain' }])
  assert.is(stray.status, 400)
  assert.is(stray.json<{ detail: string }>().detail, 'Unexpected file field "other": this route takes files in "attachments", "report"')
  await assertTempEmptySoon()
})

test('a text part named like a file field is a 422 naming the field, not silently dropped', async () => {
  const before = handled
  const res = await postMultipart(`${url}/submissions`, [{ name: 'xml', value: 'x' }, { name: 'report', value: 'not a file' }])
  assert.is(res.status, 422, res.text)
  assert.equal(res.json<{ detail: unknown[] }>().detail, [{ loc: ['body', 'report'], msg: 'Expected a file: this field takes an uploaded file (a part with a filename), not text', type: 'file_expected' }])
  const required = await postMultipart(`${app.url}/v1/tasks/required`, [{ name: 'photo', value: 'photo.png' }])
  assert.is(required.status, 422)
  assert.equal(required.json<{ detail: { loc: string[]; type: string }[] }>().detail.map((issue) => [issue.loc.join('.'), issue.type]), [['body.photo', 'file_expected']])
  assert.is(handled, before, 'the handler never ran')
  await assertTempEmptySoon()
})

test('a client that goes away mid-file leaves nothing on disk, and the server serves the next request', async () => {
  const big = await makeFile(join(work, 'abort.png'), 6 * MiB, PNG)
  const before = handled
  const res = await postMultipart(`${url}/submissions`, [{ name: 'xml', value: 'x' }, { name: 'attachments', path: big, filename: 'abort.png', type: 'image/png' }], { abortAfter: 3 * MiB })
  assert.is(res.status, 0)
  await assertTempEmptySoon()
  assert.is(handled, before)
  const next = await postMultipart(`${url}/submissions`, [{ name: 'xml', value: 'x' }])
  assert.is(next.status, 200)
})

test('a handler that throws after the upload still leaves no temp file', async () => {
  const res = await postMultipart(`${app.url}/v1/tasks/fails`, [{ name: 'photo', bytes: Buffer.concat([PNG, Buffer.alloc(5000)]), filename: 'p.png', type: 'image/png' }])
  assert.is(res.status, 500)
  await assertTempEmptySoon()
})

test('an empty file input (a browser form with no file chosen) reads as no file', async () => {
  const res = await postMultipart(`${url}/submissions`, [{ name: 'xml', value: 'x' }, { name: 'attachments', bytes: Buffer.alloc(0), filename: '', type: 'application/octet-stream' }])
  assert.is(res.status, 200, res.text)
  assert.equal(res.json<{ attachments: unknown[] }>().attachments, [])
})

test.run()
