// Downloads of stored files through real HTTP: streamed with type, length and ETag; 304 for a
// copy the client has; single byte ranges (206) for resumable downloads; 416 and 404.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, defineUnit, file, t } from 'trefoil'
import { makeFile, PNG } from './fixtures/client.js'

const work = mkdtempSync(join(tmpdir(), 'trefoil-downloads-test-'))
const MiB = 1024 * 1024
const unit = defineUnit('files', (r) => {
  r.get('/files/:name', { params: t.Object({ name: t.String({ pattern: '^[a-z0-9]+\\.(png|txt)$' }) }) }, ({ params }) => file(join(work, params.name)))
  r.get('/hashed', () => file(join(work, 'photo.png'), { etag: 'abc123', download: 'my photo.png' }))
})
const app = createApp({ plugins: [unit], logger: false })
let photo = Buffer.alloc(0)

test.before(async () => {
  await makeFile(join(work, 'photo.png'), 3 * MiB + 17, PNG)
  photo = readFileSync(join(work, 'photo.png'))
  writeFileSync(join(work, 'empty.txt'), '')
  await app.listen({ port: 0 })
})
test.after(async () => {
  await app.close()
  rmSync(work, { recursive: true, force: true })
})

interface Got {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}
function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request(`${app.url}${path}`, { method, headers }, async (res) => {
      const chunks: Buffer[] = []
      for await (const chunk of res) chunks.push(chunk as Buffer)
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })
    })
    req.on('error', reject)
    req.end()
  })
}

test('a stored file streams with content-type, content-length, ETag, Last-Modified and Accept-Ranges', async () => {
  const res = await get('/files/photo.png')
  assert.is(res.status, 200)
  assert.is(res.headers['content-type'], 'image/png')
  assert.is(res.headers['content-length'], String(photo.length))
  assert.is(res.headers['accept-ranges'], 'bytes')
  assert.match(String(res.headers.etag), /^"[0-9a-f]+-[0-9a-f]+"$/)
  assert.ok(res.headers['last-modified'])
  assert.ok(res.body.equals(photo))
  const head = await get('/files/photo.png', {}, 'HEAD')
  assert.is(head.status, 200)
  assert.is(head.headers['content-length'], String(photo.length))
  assert.is(head.body.length, 0)
})

test('a client with the current copy gets 304, with an old one the file', async () => {
  const { headers } = await get('/files/photo.png')
  const same = await get('/files/photo.png', { 'if-none-match': String(headers.etag) })
  assert.is(same.status, 304)
  assert.is(same.body.length, 0)
  const old = await get('/files/photo.png', { 'if-none-match': '"old"' })
  assert.is(old.status, 200)
})

test('ranges answer 206 with Content-Range: a-b, a- and -n', async () => {
  const size = photo.length
  const first = await get('/files/photo.png', { range: 'bytes=0-99' })
  assert.is(first.status, 206)
  assert.is(first.headers['content-range'], `bytes 0-99/${size}`)
  assert.is(first.headers['content-length'], '100')
  assert.ok(first.body.equals(photo.subarray(0, 100)))
  const rest = await get('/files/photo.png', { range: `bytes=${size - 10}-` })
  assert.is(rest.headers['content-range'], `bytes ${size - 10}-${size - 1}/${size}`)
  assert.ok(rest.body.equals(photo.subarray(size - 10)))
  const suffix = await get('/files/photo.png', { range: 'bytes=-5' })
  assert.ok(suffix.body.equals(photo.subarray(size - 5)))
  const past = await get('/files/photo.png', { range: `bytes=10-${size + 1000}` })
  assert.is(past.status, 206)
  assert.is(past.body.length, size - 10)
})

test('a download interrupted half way resumes with Range and If-Range to the same bytes', async () => {
  const half = Math.floor(photo.length / 2)
  const first = await get('/files/photo.png', { range: `bytes=0-${half - 1}` })
  const etag = String(first.headers.etag)
  const second = await get('/files/photo.png', { range: `bytes=${half}-`, 'if-range': etag })
  assert.is(second.status, 206)
  const whole = Buffer.concat([first.body, second.body])
  assert.is(createHash('sha256').update(whole).digest('hex'), createHash('sha256').update(photo).digest('hex'))
  // the file changed since: If-Range no longer matches, so the whole new file comes back
  const stale = await get('/files/photo.png', { range: `bytes=${half}-`, 'if-range': '"stale"' })
  assert.is(stale.status, 200)
  assert.is(stale.body.length, photo.length)
})

test('an unsatisfiable range is 416 with Content-Range: bytes */size; several or malformed ranges send the whole file', async () => {
  const beyond = await get('/files/photo.png', { range: `bytes=${photo.length}-` })
  assert.is(beyond.status, 416)
  assert.is(beyond.headers['content-range'], `bytes */${photo.length}`)
  assert.is(JSON.parse(beyond.body.toString()).detail, `Range not satisfiable: the file has ${photo.length} bytes`)
  const empty = await get('/files/empty.txt', { range: 'bytes=-1' })
  assert.is(empty.status, 416)
  for (const range of ['bytes=0-1,5-6', 'bytes=5-1', 'items=0-1', 'bytes=x-y']) {
    const res = await get('/files/photo.png', { range })
    assert.is(res.status, 200, range)
    assert.is(res.body.length, photo.length)
  }
})

test('an ETag given by the caller (an upload sha256) and a download name are sent', async () => {
  const res = await get('/hashed')
  assert.is(res.headers.etag, '"abc123"')
  assert.match(String(res.headers['content-disposition']), /^attachment; filename="my photo.png"/)
  const again = await get('/hashed', { 'if-none-match': '"abc123"' })
  assert.is(again.status, 304)
})

test('a missing file is 404', async () => {
  const res = await get('/files/missing.png')
  assert.is(res.status, 404)
  assert.is(JSON.parse(res.body.toString()).detail, 'File not found')
})

test.run()
