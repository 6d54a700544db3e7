// UploadedFile.saveTo: moves into place (a rename on the same disk, a chunked copy across
// disks), never overwrites, and takes a plain name, never a path.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, defineUnit, HttpError, t } from 'trefoil'
import { eventually, filesUnder, makeFile, PNG, postMultipart, sha256File } from './fixtures/client.js'

const work = mkdtempSync(join(tmpdir(), 'trefoil-save-test-'))
const temp = join(work, 'temp')
const keep = join(work, 'keep')
// /dev/shm is a tmpfs: another file system than the temp folder's, so saveTo must copy
const otherDisk = existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(tmpdir()).dev ? mkdtempSync('/dev/shm/trefoil-save-') : undefined

const unit = defineUnit('save', (r) => {
  r.post('/save', { multipart: { fields: t.Object({ to: t.String(), name: t.Optional(t.String()) }), files: { file: { required: true } }, tempDir: temp } }, async ({ fields, files }) => {
    const dir = fields.to === 'other' ? otherDisk! : keep
    try {
      const path = await files.file.saveTo(dir, fields.name === undefined ? {} : { name: fields.name })
      return { path, tempPath: files.file.path, sha256: files.file.sha256 }
    } catch (error) {
      if (error instanceof HttpError) throw error
      return { error: (error as Error).message }
    }
  })
})
const app = createApp({ plugins: [unit], logger: false })
test.before(() => app.listen({ port: 0 }).then(() => undefined))
test.after(async () => {
  await app.close()
  rmSync(work, { recursive: true, force: true })
  if (otherDisk) rmSync(otherDisk, { recursive: true, force: true })
})

const png = Buffer.concat([PNG, Buffer.alloc(1000, 3)])
const save = (to: string, name?: string, bytes: Buffer | string = png) =>
  postMultipart(`${app.url}/save`, [{ name: 'to', value: to }, ...(name === undefined ? [] : [{ name: 'name', value: name }]), { name: 'file', ...(typeof bytes === 'string' ? { path: bytes } : { bytes }), filename: 'x.png', type: 'image/png' }])

test('saveTo with a name puts the file there; a second save to the same name is 409 and keeps the first', async () => {
  const first = await save('keep', 'photo.png')
  assert.is(first.status, 200, first.text)
  assert.is(first.json<{ path: string }>().path, join(keep, 'photo.png'))
  const firstHash = await sha256File(join(keep, 'photo.png'))
  const second = await save('keep', 'photo.png', Buffer.concat([PNG, Buffer.alloc(2000, 9)]))
  assert.is(second.status, 409)
  assert.equal(second.json(), { detail: 'Cannot save the upload: a file named "photo.png" already exists there', code: 'file_exists' })
  assert.is(await sha256File(join(keep, 'photo.png')), firstHash)
  assert.ok(await eventually(async () => (await filesUnder(temp)).length === 0))
})

test('saveTo refuses a name that is a path', async () => {
  for (const name of ['../escape.png', 'a/b.png', 'a\\b.png', '..', '.', 'nul\u0000.png']) {
    const res = await save('keep', name)
    assert.is(res.status, 200)
    assert.match(res.json<{ error: string }>().error, /^Cannot save the upload as ".*": give a plain file name, not a path$/, name)
  }
  assert.not.ok(existsSync(join(work, 'escape.png')))
  assert.ok(readdirSync(keep).every((name) => name === 'photo.png' || /^[0-9a-f]{32}\.png$/.test(name)))
})

test('saveTo across file systems copies in chunks, then removes the temp file', async () => {
  if (!otherDisk) return
  const big = await makeFile(join(work, 'big.png'), 6 * 1024 * 1024, PNG)
  const res = await save('other', undefined, big)
  assert.is(res.status, 200, res.text)
  const { path, tempPath } = res.json<{ path: string; tempPath: string }>()
  assert.ok(path.startsWith(otherDisk))
  assert.is(tempPath, path)
  assert.is(await sha256File(path), await sha256File(big))
  const again = await save('other', path.slice(otherDisk.length + 1))
  assert.is(again.status, 409)
  assert.ok(await eventually(async () => (await filesUnder(temp)).length === 0))
})

test.run()
