// Uploads into storage, end to end over HTTP, against both drivers: a multipart file saved with
// `saveTo(storage)` is stored under its key with its sniffed type and the SHA-256 computed on
// arrival, downloads back through `storedFile`, never replaces a key, and leaves the temp folder
// empty. The S3 run uses a real S3 server (s3rver on 127.0.0.1).
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, createStorage, defineUnit, isTrefoilError, storedFile, t, type Storage } from 'trefoil'
import { startS3Server, type S3Server } from '../helpers/s3-server.js'
import { eventually, filesUnder, PNG, postMultipart } from '../uploads/fixtures/client.js'

const work = mkdtempSync(join(tmpdir(), 'trefoil-storage-uploads-'))
let s3: S3Server | undefined

function getBytes(url: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, async (res) => {
      const chunks: Buffer[] = []
      for await (const chunk of res) chunks.push(chunk as Buffer)
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })
    })
    req.on('error', reject)
    req.end()
  })
}

for (const driver of ['local', 's3'] as const) {
  const test = suite(`uploads into storage (${driver})`)
  const temp = join(work, `temp-${driver}`)
  let storage: Storage
  let app: ReturnType<typeof createApp>

  test.before(async () => {
    if (driver === 's3') s3 = await startS3Server()
    storage = driver === 's3' ? createStorage(s3!.settings('app/')) : createStorage({ STORAGE_URL: join(work, 'files') })
    const unit = defineUnit('attachments', (r) => {
      r.post('/attachments', { multipart: { fields: t.Object({ name: t.Optional(t.String()) }), files: { file: { required: true, types: ['image/png'], maxBytes: 20 * 1024 * 1024 } }, tempDir: temp } }, async ({ fields, files }) => {
        let key: string
        try {
          key = await files.file.saveTo(storage, { prefix: 'attachments/', ...(fields.name === undefined ? {} : { name: fields.name }) })
        } catch (error) {
          if (isTrefoilError(error) && error.code === 'TREFOIL_INVALID_ARGUMENT') return { error: error.message }
          throw error
        }
        return { key, fileKey: files.file.key, path: files.file.path, sha256: files.file.sha256, size: files.file.size }
      })
      r.get('/attachments/:name', { params: t.Object({ name: t.String({ pattern: '^[a-z0-9]+\\.png$' }) }) }, ({ params, ctx }) => storedFile(ctx, storage, `attachments/${params.name}`))
    })
    app = createApp({ plugins: [unit], logger: false })
    await app.listen({ port: 0 })
  })
  test.after(async () => {
    await app.close()
    storage.close()
    if (driver === 's3') await s3?.close()
  })

  test('a file saved to storage downloads back whole, typed by its bytes, with its SHA-256', async () => {
    const bytes = Buffer.concat([PNG, Buffer.alloc(7 * 1024 * 1024 + 11, 5)])
    const res = await postMultipart(`${app.url}/attachments`, [{ name: 'file', bytes, filename: 'x.png', type: 'image/png' }])
    assert.is(res.status, 200, res.text)
    const saved = res.json<{ key: string; fileKey: string; path: string; sha256: string; size: number }>()
    assert.match(saved.key, /^attachments\/[0-9a-f]{32}\.png$/)
    assert.is(saved.fileKey, saved.key)
    assert.is(saved.path, '')
    assert.is(saved.sha256, createHash('sha256').update(bytes).digest('hex'))
    const info = await storage.head(saved.key)
    assert.is(info?.size, bytes.length)
    assert.is(info?.contentType, 'image/png')
    const back = await getBytes(`${app.url}/${saved.key}`)
    assert.is(back.status, 200)
    assert.is(back.headers['content-type'], 'image/png')
    assert.ok(back.body.equals(bytes))
    assert.ok(await eventually(async () => (await filesUnder(temp)).length === 0))
  })

  test('saveTo(storage) never replaces a key: the second file is 409 and the first stays', async () => {
    const first = Buffer.concat([PNG, Buffer.alloc(100, 1)])
    const one = await postMultipart(`${app.url}/attachments`, [{ name: 'name', value: 'same.png' }, { name: 'file', bytes: first, filename: 'a.png', type: 'image/png' }])
    assert.is(one.status, 200, one.text)
    const two = await postMultipart(`${app.url}/attachments`, [{ name: 'name', value: 'same.png' }, { name: 'file', bytes: Buffer.concat([PNG, Buffer.alloc(200, 2)]), filename: 'b.png', type: 'image/png' }])
    assert.is(two.status, 409)
    assert.is(two.json<{ code: string }>().code, 'file_exists')
    assert.ok((await getBytes(`${app.url}/attachments/same.png`)).body.equals(first))
    assert.ok(await eventually(async () => (await filesUnder(temp)).length === 0))
  })

  test('saveTo(storage) takes a plain name, never a path', async () => {
    const res = await postMultipart(`${app.url}/attachments`, [{ name: 'name', value: '../../escape.png' }, { name: 'file', bytes: PNG, filename: 'a.png', type: 'image/png' }])
    assert.is(res.status, 200)
    assert.match(res.json<{ error: string }>().error, /give a plain file name, not a path/)
    for await (const object of storage.list('')) assert.not.match(object.key, /escape/)
  })

  test.run()
}

process.on('exit', () => rmSync(work, { recursive: true, force: true }))
