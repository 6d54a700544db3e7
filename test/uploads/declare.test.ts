// Declaring upload routes: mistakes fail at start-up naming the route; the temp folder comes from
// the route, the settings or the OS; a client leaving while the handler runs does not pull the
// files from under it.
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, defineUnit, depends, t, type MultipartSpec } from 'trefoil'
import { BOUNDARY, eventually, filesUnder, PNG, postMultipart, sha256File } from './fixtures/client.js'

const work = mkdtempSync(join(tmpdir(), 'trefoil-declare-test-'))
test.after(() => rmSync(work, { recursive: true, force: true }))

const startFails = async (multipart: MultipartSpec, message: RegExp, extra: Record<string, unknown> = {}) => {
  const unit = defineUnit('bad', (r) => r.post('/x', { multipart, ...extra } as never, () => null))
  const app = createApp({ plugins: [unit], logger: false })
  try {
    await app.start()
    assert.unreachable('the app started')
  } catch (error) {
    assert.match((error as Error).message, message)
  }
}

test('a type whose bytes cannot be checked, a bad limit, a name used twice or body beside multipart fail at start-up', async () => {
  await startFails({ files: { logo: { types: ['image/svg+xml'] } } }, /^Cannot register route "POST \/x" of "bad": its file field "logo" allows "image\/svg\+xml", whose bytes trefoil cannot check: use one of image\/jpeg, /)
  await startFails({ files: { logo: { maxBytes: 0 } } }, /its multipart files\.logo\.maxBytes must be a positive whole number, not 0/)
  await startFails({ fields: t.Object({ logo: t.String() }), files: { logo: {} } }, /its multipart field "logo" is both a text field and a file field/)
  await startFails({ files: { logo: {} } }, /it may declare only one of body, multipart and upload/, { body: t.Object({}) })
  const files = depends(() => 1)
  await startFails({ files: { logo: {} } }, /"files" is the route's upload input and cannot name a dependency/, { use: { files } })
})

test('without a tempDir, files go under the settings\' UPLOAD_TEMP_DIR, one folder per request', async () => {
  const base = join(work, 'from-settings')
  let seen = ''
  const unit = defineUnit('s', (r) =>
    r.post('/x', { multipart: { files: { photo: { types: ['image/png'] } } } }, ({ files }) => {
      seen = files.photo?.path ?? ''
      return null
    }),
  )
  const app = createApp({ plugins: [unit], logger: false, settings: { UPLOAD_TEMP_DIR: base } })
  await app.listen({ port: 0 })
  try {
    const res = await postMultipart(`${app.url}/x`, [{ name: 'photo', bytes: Buffer.concat([PNG, Buffer.alloc(100)]), filename: 'p.png', type: 'image/png' }])
    assert.is(res.status, 200, res.text)
    assert.match(seen, new RegExp(`^${base}/req-[^/]+/[0-9a-f]{32}\\.png$`))
    assert.ok(await eventually(async () => (await filesUnder(base)).length === 0))
  } finally {
    await app.close()
  }
})

test('a client that leaves while the handler runs: the handler can still save its file, the rest is deleted', async () => {
  const temp = join(work, 'slow-temp')
  const keep = join(work, 'slow-keep')
  let saved: Promise<string> | undefined
  const unit = defineUnit('slow', (r) =>
    r.post('/slow', { multipart: { files: { photo: { required: true }, other: {} }, tempDir: temp } }, async ({ files }) => {
      await new Promise((resolve) => setTimeout(resolve, 300))
      saved = files.photo.saveTo(keep)
      await saved
      return null
    }),
  )
  const app = createApp({ plugins: [unit], logger: false })
  await app.listen({ port: 0 })
  try {
    const photo = Buffer.concat([PNG, Buffer.alloc(5000, 1)])
    const body = Buffer.concat([
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="photo"; filename="p.png"\r\nContent-Type: image/png\r\n\r\n`),
      photo,
      Buffer.from(`\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="other"; filename="o.png"\r\nContent-Type: image/png\r\n\r\n`),
      photo,
      Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
    ])
    const req = request(`${app.url}/slow`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': body.length } })
    req.on('error', () => undefined)
    req.end(body)
    await new Promise((resolve) => setTimeout(resolve, 100))
    req.destroy()
    assert.ok(await eventually(async () => saved !== undefined))
    const path = await saved!
    assert.ok(path.startsWith(keep))
    assert.ok((await sha256File(path)).length === 64)
    assert.ok(await eventually(async () => (await filesUnder(temp)).length === 0))
  } finally {
    await app.close()
  }
})

test.run()
