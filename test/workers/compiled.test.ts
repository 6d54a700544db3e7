// Production: the runtime compiled by tsc, run by plain `node` without tsx. Workers load the
// compiled runner directly and run compiled (JS) task modules.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const root = fileURLToPath(new URL('../..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'trefoil-compiled-'))

test.after(() => rmSync(dir, { recursive: true, force: true }))

test('the compiled runtime runs JS tasks on workers under plain node, without tsx', () => {
  // tsc emits even if another part of the tree has a type error; only this output matters here
  spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'runtime/tsconfig.build.json', '--outDir', join(dir, 'dist')], { cwd: root, stdio: 'ignore' })
  assert.ok(existsSync(join(dir, 'dist/workers/index.js')), 'the runtime compiled')
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'))
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}')
  const run = spawnSync(process.execPath, [fileURLToPath(new URL('./fixtures/production-run.mjs', import.meta.url)), join(dir, 'dist/workers/index.js')], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 60_000 })
  assert.is(run.status, 0, run.stderr)
  const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as {
    value: { doubled: number; canImportTs: boolean }
    error: { name: string; message: string; reason: string; stack: string }
    exited: number
    size: number
  }
  assert.is(result.value.doubled, 42)
  assert.is(result.value.canImportTs, false, 'no tsx in production workers')
  assert.is(result.error.reason, 'error')
  assert.is(result.error.name, 'RangeError')
  assert.is(result.error.message, 'No such area')
  assert.match(result.error.stack, /plain-task\.mjs:\d+/)
  assert.is(result.exited, 2)
  assert.is(result.size, 0)
})

test.run()
