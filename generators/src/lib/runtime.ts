// Where a generated service gets `trefoil` from. Until the runtime is on the registry a service
// must still install anywhere, so by default it carries the runtime of the generator that wrote
// it, packed (`vendor/trefoil-<version>.tgz`, a `file:` dependency): the folder can be moved,
// committed and installed by CI with no access to this repository.
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { NameError } from './names.js'
import { packageRoot } from './paths.js'

const run = promisify(execFile)

/** How the service depends on trefoil (`--runtime`). */
export type RuntimeSource =
  /** The generator's runtime, packed into `vendor/` (default). */
  | { kind: 'pack' }
  /** A `file:` link to the generator's runtime folder: for working on trefoil and a service together. */
  | { kind: 'link' }
  /** The registry version, once trefoil is published. */
  | { kind: 'registry' }
  /** A tarball made earlier by `npm pack -w runtime`, copied into `vendor/`. */
  | { kind: 'tarball'; path: string }

/** What `--runtime` accepts, for help texts. */
export const RUNTIME_CHOICES = 'pack (default), link, registry, or the path of a trefoil .tgz'

/** Reads `--runtime`; throws a {@link NameError} for anything else. */
export function parseRuntime(value: string | undefined): RuntimeSource {
  const given = (value ?? 'pack').trim()
  if (given === 'pack' || given === 'link' || given === 'registry') return { kind: given }
  if (given.endsWith('.tgz')) {
    const path = resolve(given)
    if (!existsSync(path)) throw new NameError(`Cannot use --runtime ${given}: no such file`)
    return { kind: 'tarball', path }
  }
  throw new NameError(`Cannot use --runtime ${given}: use ${RUNTIME_CHOICES}`)
}

/** The runtime package folder that ships with this generator. */
export function runtimeFolder(): string {
  return join(packageRoot(), 'runtime')
}

/** The version of the generator's runtime. */
export function runtimeVersion(): string {
  return (JSON.parse(readFileSync(join(runtimeFolder(), 'package.json'), 'utf8')) as { version: string }).version
}

/** The dependency spec to write, and the tarball to place in `vendor/` (by file name), if any. */
export interface RuntimeDependency {
  spec: string
  vendor?: { name: string; contents: Buffer }
}

/**
 * Resolves a {@link RuntimeSource} to a dependency spec. `pack` runs `npm pack` on the runtime
 * (its `prepack` compiles `dist/`, which a service outside this repository imports).
 */
export async function runtimeDependency(source: RuntimeSource): Promise<RuntimeDependency> {
  switch (source.kind) {
    case 'registry':
      return { spec: `^${runtimeVersion()}` }
    case 'link': {
      const folder = runtimeFolder()
      // a service outside this repository resolves trefoil's `default` export condition: dist/
      if (!existsSync(join(folder, 'dist', 'index.js'))) throw new NameError(`Cannot link the runtime: ${folder}/dist is missing; run \`npm run build\` in ${packageRoot()} first`)
      return { spec: `file:${folder}` }
    }
    case 'tarball':
      return vendored(source.path)
    case 'pack': {
      const destination = mkdtempSync(join(tmpdir(), 'trefoil-pack-'))
      try {
        const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', destination], { cwd: runtimeFolder(), maxBuffer: 16 * 1024 * 1024 })
        const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string }[]
        if (!packed) throw new Error('npm pack reported no file')
        return vendored(join(destination, basename(packed.filename)))
      } catch (error) {
        throw new Error(`Cannot pack the trefoil runtime in ${runtimeFolder()}: ${(error as Error).message}`, { cause: error })
      } finally {
        rmSync(destination, { recursive: true, force: true })
      }
    }
  }
}

function vendored(path: string): RuntimeDependency {
  const name = basename(path)
  return { spec: `file:vendor/${name}`, vendor: { name, contents: readFileSync(path) } }
}
