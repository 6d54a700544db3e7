// Start-up sweeps the request temp folders a killed process left behind: only stale `req-*`
// folders of its own temp root, never a fresh one, one still being written, another kind of
// folder, or what a link points to.
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, defineUnit } from 'trefoil'
import { eventually } from './fixtures/client.js'

const work = mkdtempSync(join(tmpdir(), 'trefoil-uploads-sweep-'))
const temp = join(work, 'temp')
const longAgo = new Date(Date.now() - 3 * 60 * 60 * 1000)

/** A request folder with one file, both last changed at `when` (the file only, with `fileWhen`). */
function folder(name: string, when: Date, fileWhen = when, root = temp): string {
  const dir = join(root, name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'a1b2.png'), 'bytes')
  utimesSync(join(dir, 'a1b2.png'), fileWhen, fileWhen)
  utimesSync(dir, when, when)
  return dir
}

test.after(() => rmSync(work, { recursive: true, force: true }))

test('an app with upload routes removes stale request folders of its temp root at start-up, and nothing else', async () => {
  const stale = [folder('req-aB3dE9', longAgo), folder('req-000000', longAgo)]
  const fresh = folder('req-Fresh1', new Date())
  const writing = folder('req-Busy22', longAgo, new Date())
  const other = folder('keep-me', longAgo)
  const outside = folder('req-Outs1d', longAgo, longAgo, work)
  symlinkSync(outside, join(temp, 'req-Link00'))
  writeFileSync(join(temp, 'req-file00'), 'not a folder')
  utimesSync(join(temp, 'req-file00'), longAgo, longAgo)

  const unit = defineUnit('sweep', (r) => {
    r.post('/photos', { multipart: { files: { photo: { types: ['image/png'] } }, tempDir: temp } }, () => ({ ok: true }))
  })
  const app = createApp({ plugins: [unit], logger: false })
  await app.listen({ port: 0 })
  try {
    assert.ok(await eventually(async () => stale.every((dir) => !existsSync(dir))), 'stale request folders are still there')
    for (const dir of [fresh, writing, other, outside, join(temp, 'req-Link00'), join(temp, 'req-file00')]) assert.ok(existsSync(dir), `${dir} was removed`)
    assert.ok(existsSync(join(outside, 'a1b2.png')), 'a link was followed')
  } finally {
    await app.close()
  }
})

test.run()
