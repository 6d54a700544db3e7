// Files on each side of the 512 KiB batch that decides where a file is hashed (the event loop for
// one batch, the upload thread reading back what was written above), and of several batches
// written at once out of order: the same bytes and SHA-256 either way, and `hash: false` for
// routes that never read the hash.
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, defineUnit } from 'trefoil'
import { FileSink } from '../../runtime/src/uploads/sink.js'
import { eventually, filesUnder, makeFile, PNG, postMultipart, send, sha256File } from './fixtures/client.js'

const work = mkdtempSync(join(tmpdir(), 'trefoil-uploads-blocks-'))
const temp = join(work, 'temp')
const keep = join(work, 'keep')
const MiB = 1024 * 1024

const unit = defineUnit('blocks', (r) => {
  r.post('/files', { multipart: { files: { f: { many: 8, maxBytes: 8 * MiB, types: ['image/png'] } }, tempDir: temp } }, async ({ files }) => {
    const out = []
    for (const file of files.f) out.push({ name: file.originalName, size: file.size, sha256: file.sha256, path: await file.saveTo(keep) })
    return out
  })
  r.post('/unhashed', { multipart: { files: { f: { required: true, maxBytes: 8 * MiB } }, tempDir: temp, hash: false } }, async ({ files }) => ({ size: files.f.size, sha256: files.f.sha256, path: await files.f.saveTo(keep) }))
  r.put('/raw', { upload: { maxBytes: 8 * MiB, tempDir: temp, hash: false } }, async ({ upload }) => ({ size: upload.size, sha256: upload.sha256, path: await upload.saveTo(keep) }))
})
const app = createApp({ plugins: [unit], logger: false })

test.before(async () => {
  await app.listen({ port: 0 })
})
test.after(async () => {
  await app.close()
  rmSync(work, { recursive: true, force: true })
})

test('files just under, at and over one batch, and of several batches, arrive whole with their SHA-256', async () => {
  const batch = 512 * 1024
  const sizes = [1, batch - 1, batch, batch + 1, MiB + 1, 3 * MiB + 12345, 7 * MiB]
  const sources = await Promise.all(sizes.map((size, i) => makeFile(join(work, `s${i}.png`), Math.max(size, PNG.length), PNG)))
  const res = await postMultipart(
    `${app.url}/files`,
    sources.map((path, i) => ({ name: 'f', path, filename: `s${i}.png`, type: 'image/png' })),
  )
  assert.is(res.status, 200, res.text)
  const files = res.json<{ name: string; size: number; sha256: string; path: string }[]>()
  assert.equal(files.map((f) => f.name), sources.map((_, i) => `s${i}.png`))
  for (const [i, file] of files.entries()) {
    assert.is(file.sha256, await sha256File(sources[i]!), file.name)
    assert.ok(readFileSync(file.path).equals(readFileSync(sources[i]!)), `${file.name}: stored bytes differ`)
  }
  assert.ok(await eventually(async () => (await filesUnder(temp)).length === 0), 'temp files left')
})

test('hash: false stores the same bytes and leaves sha256 empty, for multipart and raw uploads', async () => {
  const source = await makeFile(join(work, 'unhashed.png'), 2 * MiB + 7, PNG)
  const multi = await postMultipart(`${app.url}/unhashed`, [{ name: 'f', path: source, filename: 'u.png', type: 'image/png' }])
  assert.is(multi.status, 200, multi.text)
  const raw = await send(`${app.url}/raw`, [source], { method: 'PUT', headers: { 'content-type': 'image/png' } })
  assert.is(raw.status, 200, raw.text)
  for (const res of [multi, raw]) {
    const body = res.json<{ size: number; sha256: string; path: string }>()
    assert.is(body.size, 2 * MiB + 7)
    assert.is(body.sha256, '')
    assert.ok(readFileSync(body.path).equals(readFileSync(source)))
  }
})

test('a file fed in uneven chunks, with writes and hashing running behind, is stored and hashed whole', async () => {
  // many small chunks then large ones: batches of several chunks, several writes at once
  const chunks = [...Array.from({ length: 300 }, (_, i) => randomBytes(1 + ((i * 7919) % 9000))), ...Array.from({ length: 12 }, () => randomBytes(MiB + 333))]
  const path = join(work, 'direct.bin')
  const sink = new FileSink(path, { hash: true })
  for (const chunk of chunks) await sink.write(chunk)
  const sha256 = await sink.end()
  const whole = Buffer.concat(chunks)
  assert.is(sha256, createHash('sha256').update(whole).digest('hex'))
  assert.ok(readFileSync(path).equals(whole))
})

test('a file that cannot be created fails its upload, and aborting it settles with nothing on disk', async () => {
  for (const size of [10, 3 * MiB]) {
    const path = join(work, 'no-such-folder', `f${size}.bin`)
    const sink = new FileSink(path, { hash: true })
    const failed = (async () => {
      for (let sent = 0; sent < size; sent += 64 * 1024) await sink.write(randomBytes(64 * 1024))
      return sink.end()
    })()
    const error = await failed.then(() => undefined, (e: NodeJS.ErrnoException) => e)
    assert.is(error?.code, 'ENOENT', `${size} bytes`)
    await sink.abort()
    assert.not.ok(existsSync(path))
  }
})

test('aborting a file mid-way deletes what was written, even with writes and hashing in flight', async () => {
  const path = join(work, 'aborted.bin')
  const sink = new FileSink(path, { hash: true })
  for (let i = 0; i < 24; i++) await sink.write(randomBytes(256 * 1024))
  await sink.abort()
  assert.not.ok(existsSync(path))
  assert.ok(await sink.write(randomBytes(10))?.then(() => false, () => true), 'a write after the abort is refused')
})

test.run()
