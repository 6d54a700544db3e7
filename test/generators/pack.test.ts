// generator-trefoil as a user gets it from a registry: `npm pack` of the repository (its
// `prepack` compiles the generators and packs the runtime into generators/vendor/), the tarball
// installed with `yo` into an empty prefix, and `yo trefoil` run from there with nothing of this
// checkout reachable (no NODE_PATH to it, a global prefix of its own). The service it writes
// carries the runtime the generator shipped with and installs and type-checks on its own.
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { filesOf } from './generate.js'
import { ok, repo, workspace } from './real.js'

const space = workspace('trefoil-pack-')
const prefix = join(space.root, 'prefix')
const service = join(space.work, 'field-notes')
let tarball = ''

test.after(() => space.done())

test('npm pack gives a publishable generator-trefoil with its compiled generators, templates and the packed runtime', async () => {
  const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { private?: boolean; dependencies?: Record<string, string> }
  assert.is(manifest.private, undefined, 'the package must not be private')
  assert.ok(manifest.dependencies?.['yeoman-generator'], 'yeoman-generator must be a dependency')
  const packed = await space.run('npm pack', 'npm', ['pack', '--json', '--pack-destination', space.root], { cwd: repo })
  ok(packed, 'npm pack')
  const [entry] = JSON.parse(packed.output.slice(packed.output.search(/^\[/m))) as { filename: string; files: { path: string }[] }[]
  assert.ok(entry, 'npm pack reported a tarball')
  const paths = entry.files.map((file) => file.path)
  for (const path of ['generators/app/index.js', 'generators/unit/index.js', 'generators/task/index.js', 'generators/job/index.js', 'generators/plugin/index.js', 'templates/task/src', 'templates/job/src', 'templates/plugin/src', 'generators/lib/runtime.js', 'generators/versions.json', 'templates/app/package.json.ejs', 'templates/unit/src', 'generators/lib/pages.js', 'templates/app/pages/views', 'templates/unit/pages/views']) {
    assert.ok(paths.some((p) => p === path || p.startsWith(`${path}/`)), `${path} in the tarball`)
  }
  assert.ok(paths.some((p) => /^generators\/vendor\/trefoil-.+\.tgz$/.test(p)), 'the packed runtime in the tarball')
  assert.not.ok(paths.some((p) => p.startsWith('generators/src/') || p.startsWith('runtime/') || p.startsWith('test/')), 'no sources, runtime folder or tests')
  tarball = join(space.root, entry.filename)
})

test('the tarball installs with yo into an empty prefix, and yo trefoil writes a service from there', async () => {
  mkdirSync(prefix, { recursive: true })
  ok(await space.run('npm install tarball', 'npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', tarball, 'yo@^7'], { cwd: space.root, timeoutMs: 600_000 }), 'npm install of the tarball')
  const installed = join(prefix, 'node_modules', 'generator-trefoil')
  assert.not.ok(existsSync(join(installed, 'runtime')), 'no runtime folder in the installed generator')
  const made = await space.run('yo trefoil (installed)', process.execPath, [join(prefix, 'node_modules', 'yo', 'lib', 'cli.js'), 'trefoil', 'field-notes', '--yes', '--skip-install'], {
    cwd: space.work,
    env: {
      HOME: join(space.root, 'home'),
      NODE_PATH: join(prefix, 'node_modules'),
      // yo also looks in the global prefix: one of its own, so no linked checkout is found there
      npm_config_prefix: prefix,
      GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.org', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.org',
    },
  })
  ok(made, 'yo trefoil from the installed package')
  const files = filesOf(service)
  const vendored = files.find((file) => /^vendor\/trefoil-.+\.tgz$/.test(file))
  assert.ok(vendored, `the service carries the shipped runtime:\n${files.join('\n')}`)
  const pkg = JSON.parse(readFileSync(join(service, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  assert.is(pkg.dependencies['trefoil'], `file:${vendored}`)
})

test('the service written by the installed generator installs and type-checks with no checkout around', async () => {
  ok(await space.run('npm install (service)', 'npm', ['install', '--no-audit', '--no-fund'], { cwd: service, timeoutMs: 600_000 }), 'npm install')
  assert.ok(existsSync(join(service, 'node_modules', 'trefoil', 'dist', 'index.js')), 'the runtime installed from the vendored tarball, compiled')
  ok(await space.run('tsc --noEmit', process.execPath, [join(service, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit'], { cwd: service }), 'tsc --noEmit')
})

test.run()
