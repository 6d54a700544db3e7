// The example's submission photos in object storage: with STORAGE_URL=s3://… the upload goes to
// a real S3 server (s3rver, over the wire) and nothing lands in the app's uploads folder, and the
// downloads (whole, resumed, revalidated, inline) are read back from it; photos' thumbnails are
// kept in the bucket too.
import { createHash } from 'node:crypto'
import { request } from 'node:http'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createStorage, type Storage } from '../../runtime/src/index.js'
import { call, signUp, signUpAdmin, square, startFieldwork, type Account, type Fieldwork } from '../examples/fixtures/fieldwork.js'
import { photoJpeg } from '../examples/fixtures/photos.js'
import { startS3Server, type S3Server } from '../helpers/s3-server.js'

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]), Buffer.alloc(300_000, 7)])
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0]), Buffer.alloc(2048, 3)])
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex')

let s3: S3Server
let bucket: Storage
let fw: Fieldwork
let base: string
let mapper: Account
let url: string

test.before(async () => {
  s3 = await startS3Server('fieldwork')
  const settings = s3.settings('photos/')
  bucket = createStorage(settings)
  fw = await startFieldwork(Object.fromEntries(Object.entries(settings).map(([key, value]) => [key, String(value)])))
  await fw.app.listen({ port: 0, host: '127.0.0.1' })
  base = fw.app.url!
  const pm = await signUpAdmin(fw.app, 'Pat')
  mapper = await signUp(fw.app, 'Mo')
  const made = await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Wells', area: square(32.5, 0.3, 0.01) })
  assert.is(made.status, 201, made.body)
  const projectId = made.json().id as number
  await call(fw.app, 'PUT', `/v1/projects/${projectId}/members/${mapper.id}`, pm, { role: 'mapper' })
  const split = await call(fw.app, 'POST', `/v1/projects/${projectId}/tasks`, pm, { cellMetres: 1000 })
  assert.is(split.status, 201, split.body)
  url = `/v1/projects/${projectId}/tasks/${split.json()[0].id}/submissions`
})
test.after(async () => {
  bucket?.close()
  await fw?.close()
  await s3?.close()
})

interface Photo {
  filename: string
  size: number
  sha256: string
  url: string
}

async function submit(files: { name: string; bytes: Buffer; type: string }[]): Promise<Photo[]> {
  const body = new FormData()
  body.append('submission_xml', '<data><well>dry</well></data>')
  for (const file of files) body.append('attachments', new Blob([file.bytes], { type: file.type }), file.name)
  const res = await fetch(`${base}${url}`, { method: 'POST', headers: mapper.headers, body })
  assert.is(res.status, 201, await res.clone().text())
  return ((await res.json()) as { attachments: Photo[] }).attachments
}

test('photos sent with a submission are stored in the bucket, not on the local disk', async () => {
  const photos = await submit([
    { name: 'well.png', bytes: PNG, type: 'image/png' },
    { name: 'pump.jpg', bytes: JPEG, type: 'image/jpeg' },
  ])
  assert.equal(photos.map((p) => [p.filename, p.size, p.sha256]), [['well.png', PNG.length, sha256(PNG)], ['pump.jpg', JPEG.length, sha256(JPEG)]])
  const objects: { key: string; size: number }[] = []
  for await (const object of bucket.list()) objects.push({ key: object.key, size: object.size })
  assert.is(objects.length, 2)
  for (const object of objects) assert.match(object.key, /^[0-9a-f]{32}\.(png|jpg)$/)
  assert.equal(objects.map((o) => o.size).sort((a, b) => a - b), [JPEG.length, PNG.length])
  const local = await readdir(join(fw.dataDir, 'uploads')).catch(() => [] as string[])
  assert.equal(local, [], 'nothing in the local uploads folder')
})

test('a photo downloads from the bucket whole, resumed with Range, revalidated with its ETag, and inline', async () => {
  const [photo] = await submit([{ name: 'trough.png', bytes: PNG, type: 'image/png' }])
  const whole = await fetch(`${base}${photo!.url}`, { headers: mapper.headers })
  assert.is(whole.status, 200)
  assert.is(whole.headers.get('content-type'), 'image/png')
  assert.match(whole.headers.get('content-disposition') ?? '', 'attachment; filename="trough.png"')
  assert.equal(Buffer.from(await whole.arrayBuffer()), PNG)
  const etag = whole.headers.get('etag')!
  assert.ok(etag.startsWith('"'), etag)

  const part = await fetch(`${base}${photo!.url}`, { headers: { ...mapper.headers, range: 'bytes=1000-1999', 'if-range': etag } })
  assert.is(part.status, 206)
  assert.is(part.headers.get('content-range'), `bytes 1000-1999/${PNG.length}`)
  assert.equal(Buffer.from(await part.arrayBuffer()), PNG.subarray(1000, 2000))

  // node:http, not fetch: fetch adds Cache-Control: no-cache to a conditional request
  assert.is(await statusOf(`${base}${photo!.url}`, { ...mapper.headers, 'if-none-match': etag }), 304)

  const inline = await fetch(`${base}${photo!.url}?inline=true`, { headers: mapper.headers })
  assert.is(inline.status, 200)
  assert.is(inline.headers.get('content-disposition'), 'inline', 'a browser shows it in the page')
  assert.equal(Buffer.from(await inline.arrayBuffer()), PNG)
})

test('a photo’s thumbnail is made once, kept in the bucket under the photo’s hash and size, and read from there after', async () => {
  const bytes = await photoJpeg(2000, 1500)
  const [photo] = await submit([{ name: 'borehole.jpg', bytes, type: 'image/jpeg' }])
  const { workersPlugin } = await import('../../examples/fieldwork/src/workers.js')
  const pool = fw.app.plugin(workersPlugin)
  const tasksBefore = pool.stats().completed
  const first = await fetch(`${base}${photo!.url}/thumbnail`, { headers: mapper.headers })
  assert.is(first.status, 200, await first.clone().text())
  assert.is(first.headers.get('content-type'), 'image/jpeg')
  const kept = await bucket.head(`thumbnails/${sha256(bytes)}-320.jpg`)
  assert.ok(kept, 'the thumbnail is an object in the bucket')
  assert.is(first.headers.get('etag'), kept!.etag)
  assert.equal(Buffer.from(await first.arrayBuffer()).length, kept!.size)
  const again = await fetch(`${base}${photo!.url}/thumbnail`, { headers: mapper.headers })
  assert.is(again.headers.get('etag'), kept!.etag)
  await again.arrayBuffer()
  assert.is(await statusOf(`${base}${photo!.url}/thumbnail`, { ...mapper.headers, 'if-none-match': kept!.etag }), 304)
  assert.is(pool.stats().completed, tasksBefore + 1, 'one worker task: the later requests were served from the bucket')
  assert.equal(await readdir(join(fw.dataDir, 'uploads')).catch(() => [] as string[]), [], 'nothing in the local uploads folder')
})

function statusOf(target: string, headers: Record<string, string>): Promise<number> {
  return new Promise((done, fail) => {
    request(target, { headers }, (res) => {
      res.resume()
      res.on('end', () => done(res.statusCode ?? 0))
    }).on('error', fail).end()
  })
}

test.run()
