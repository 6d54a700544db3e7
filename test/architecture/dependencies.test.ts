// What a generated service installs is the runtime's dependencies (it depends on trefoil, packed):
// a package only the benchmarks use belongs to the repository's devDependencies, never to the
// runtime's. node-worker-threads-pool left the runtime for piscina (README, "Where trefoil departs
// from the first design"); bench/workers.ts still measures it, from the root devDependencies.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

interface Manifest {
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  bundleDependencies?: string[] | boolean
  bundledDependencies?: string[] | boolean
}

const manifest = (path: string): Manifest => JSON.parse(readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8')) as Manifest

/** Every package an install of `m` brings along (devDependencies are not installed by its users). */
function installed(m: Manifest): string[] {
  const bundled = [m.bundleDependencies, m.bundledDependencies].flatMap((list) => (Array.isArray(list) ? list : []))
  return [...Object.keys(m.dependencies ?? {}), ...Object.keys(m.optionalDependencies ?? {}), ...Object.keys(m.peerDependencies ?? {}), ...bundled]
}

// packages the runtime replaced, and what replaced them
const REPLACED: Record<string, string> = { 'node-worker-threads-pool': 'piscina' }

test('the runtime does not depend on a package it replaced (a generated service would install it for nothing)', () => {
  const runtime = installed(manifest('../../runtime/package.json'))
  for (const [name, replacement] of Object.entries(REPLACED)) {
    assert.not.ok(runtime.includes(name), `runtime/package.json lists ${name}; the runtime uses ${replacement}`)
    assert.ok(runtime.includes(replacement), `runtime/package.json lists ${replacement}`)
  }
})

test("a generated service's package.json names no replaced package either", () => {
  const template = readFileSync(fileURLToPath(new URL('../../templates/app/package.json.ejs', import.meta.url)), 'utf8')
  for (const name of Object.keys(REPLACED)) assert.not.ok(template.includes(`"${name}"`), `templates/app/package.json.ejs lists ${name}`)
})

test.run()
