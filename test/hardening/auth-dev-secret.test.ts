// The development signing key: random, made once in the data folder with owner-only permissions,
// the same on every later start, and one key for processes that start together.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { developmentSecret } from '../../examples/fieldwork/src/auth/dev-secret.js'

test('made once in the data folder (mode 0600), then read back; another folder gets another key', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'trefoil-secret-'))
  try {
    const data = join(dir, 'data')
    const first = developmentSecret(data)
    assert.ok(first.created)
    assert.ok(first.secret.length >= 32)
    assert.is((await stat(first.path)).mode & 0o777, 0o600)
    assert.is((await readFile(first.path, 'utf8')).trim(), first.secret)
    const again = developmentSecret(data)
    assert.not.ok(again.created)
    assert.is(again.secret, first.secret)
    assert.is.not(developmentSecret(join(dir, 'other')).secret, first.secret)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('several processes starting at once agree on one key', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'trefoil-secret-'))
  try {
    const { spawn } = await import('node:child_process')
    const script = `import { developmentSecret } from ${JSON.stringify(new URL('../../examples/fieldwork/src/auth/dev-secret.ts', import.meta.url).href)}; process.stdout.write(developmentSecret(${JSON.stringify(dir)}).secret)`
    const run = () => new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
      let out = ''
      child.stdout.on('data', (chunk: Buffer) => (out += chunk))
      child.on('error', reject)
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))))
    })
    const keys = await Promise.all([run(), run(), run()])
    assert.is(new Set(keys).size, 1)
    assert.is((await readFile(join(dir, 'secret-key'), 'utf8')).trim(), keys[0])
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
