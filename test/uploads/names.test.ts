// Hostile file names: whatever the client calls its file, the stored name is generated, the file
// lands only in the request's temp folder (then where the handler saves it), and the original
// name survives only as display data.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { byName, createApp, defineUnit } from 'trefoil'
import { filesUnder, PNG, postMultipart, eventually } from './fixtures/client.js'

const work = mkdtempSync(join(tmpdir(), 'trefoil-names-test-'))
const temp = join(work, 'temp')
const keep = join(work, 'keep')

const unit = defineUnit('names', (r) => {
  r.post('/files', { multipart: { files: { file: { many: 20, types: ['image/png'] } }, tempDir: temp } }, async ({ files }) => {
    const inTemp = files.file.map((f) => f.path.startsWith(`${temp}/`) && !f.path.slice(temp.length + 1).split('/').slice(1).join('/').includes('/'))
    const saved = []
    for (const f of files.file) saved.push(await f.saveTo(keep))
    return { inTemp, saved, files: files.file.map((f) => ({ originalName: f.originalName, storedName: f.storedName })), names: Object.keys(byName(files.file)) }
  })
})
const app = createApp({ plugins: [unit], logger: false })
test.before(() => app.listen({ port: 0 }).then(() => undefined))
test.after(async () => {
  await app.close()
  rmSync(work, { recursive: true, force: true })
})

const png = Buffer.concat([PNG, Buffer.alloc(256, 7)])
const long = `${'a'.repeat(1000)}.png`
const hostile: [label: string, filename: string, shown: string][] = [
  ['parent traversal', '../../etc/passwd', 'passwd'],
  ['absolute path', '/etc/passwd', 'passwd'],
  ['Windows separators', '..\\..\\Windows\\System32\\drivers\\etc\\hosts', 'hosts'],
  ['reserved Windows name', 'CON', 'CON'],
  ['reserved name with extension', 'NUL.png', 'NUL.png'],
  ['dot-dot alone', '..', 'file'],
  ['1000 characters', long, long.slice(0, 255)],
  ['fullwidth dots and solidus', '\uff0e\uff0e\uff0fetc\uff0fpasswd', '\uff0e\uff0e\uff0fetc\uff0fpasswd'],
  ['right-to-left override', 'photo\u202egnp.exe', 'photognp.exe'],
]

for (const [label, filename, shown] of hostile) {
  test(`a file named by ${label} gets a generated stored name and stays in its folders`, async () => {
    const res = await postMultipart(`${app.url}/files`, [{ name: 'file', bytes: png, filename, type: 'image/png' }])
    assert.is(res.status, 200, res.text)
    const body = res.json<{ inTemp: boolean[]; saved: string[]; files: { originalName: string; storedName: string }[] }>()
    const [file] = body.files
    assert.match(file!.storedName, /^[0-9a-f]{32}\.png$/)
    assert.is(file!.originalName, shown)
    assert.equal(body.inTemp, [true])
    assert.equal(body.saved, [join(keep, file!.storedName)])
    assert.ok(readdirSync(keep).every((name) => /^[0-9a-f]{32}\.png$/.test(name)))
    assert.not.ok(existsSync(join(work, 'etc')))
    assert.ok(await eventually(async () => (await filesUnder(temp)).length === 0))
  })
}

test('a name sent as filename* (RFC 5987) with encoded separators is data, not a path', async () => {
  const res = await postMultipart(`${app.url}/files`, [{ name: 'file', bytes: png, filename: '', disposition: `form-data; name="file"; filename*=UTF-8''..%2F..%2Fetc%2Fpasswd`, type: 'image/png' }])
  assert.is(res.status, 200, res.text)
  const [file] = res.json<{ files: { originalName: string; storedName: string }[] }>().files
  assert.match(file!.storedName, /^[0-9a-f]{32}\.png$/)
  assert.not.ok(file!.originalName.includes('/'))
})

test('a NUL byte or a line break in a raw part header is a malformed body: 400, nothing stored', async () => {
  for (const filename of ['evil.png\u0000.sh', 'a\r\nb.png']) {
    const res = await postMultipart(`${app.url}/files`, [{ name: 'file', bytes: png, filename, type: 'image/png' }])
    assert.is(res.status, 400, res.text)
  }
  assert.equal(await filesUnder(temp), [])
})

test('NUL bytes and control characters sent percent-encoded are removed from the display name', async () => {
  const res = await postMultipart(`${app.url}/files`, [{ name: 'file', bytes: png, filename: '', disposition: `form-data; name="file"; filename*=UTF-8''evil.png%00.sh%07%1B%0D%0A%E2%80%AEgpj`, type: 'image/png' }])
  assert.is(res.status, 200, res.text)
  const [file] = res.json<{ files: { originalName: string; storedName: string }[] }>().files
  assert.is(file!.originalName, 'evil.png.shgpj')
  assert.match(file!.storedName, /^[0-9a-f]{32}\.png$/)
})

test('byName keys files by original name, NFC-normalised, with clashes made unique', async () => {
  const names = ['\u00e9t\u00e9.png', 'e\u0301te\u0301.png', '\u00e9t\u00e9.png', '__proto__', 'constructor']
  const res = await postMultipart(
    `${app.url}/files`,
    names.map((filename) => ({ name: 'file', bytes: png, filename, type: 'image/png' })),
  )
  assert.is(res.status, 200, res.text)
  assert.equal(res.json<{ names: string[] }>().names, ['\u00e9t\u00e9.png', '\u00e9t\u00e9 (2).png', '\u00e9t\u00e9 (3).png', '__proto__', 'constructor'])
})

test.run()
