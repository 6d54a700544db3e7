// Where a generated service gets `trefoil` from. Until the runtime is on the registry a service
// must still install anywhere, so by default it carries the runtime of the generator that wrote
// it, packed (`vendor/trefoil-<version>.tgz`, a `file:` dependency): the folder can be moved,
// committed and installed by CI with no access to this repository. From a checkout the runtime is
// packed from its sources; an installed generator-trefoil ships it packed (`generators/vendor/`,
// made by the package's `prepack`).
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
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

/** The runtime tarball an installed generator ships with, if this is one (no checkout around it). */
export function shippedRuntime(): string | undefined {
  const folder = join(packageRoot(), 'generators', 'vendor')
  const tarball = existsSync(folder) ? readdirSync(folder).find((name) => /^trefoil-.+\.tgz$/.test(name)) : undefined
  return tarball === undefined ? undefined : join(folder, tarball)
}

/** Whether the generator runs from a trefoil checkout (the runtime's sources beside it). */
function inCheckout(): boolean {
  return existsSync(join(runtimeFolder(), 'package.json'))
}

/** The version of the generator's runtime. */
export function runtimeVersion(): string {
  if (inCheckout()) return (JSON.parse(readFileSync(join(runtimeFolder(), 'package.json'), 'utf8')) as { version: string }).version
  const shipped = shippedRuntime()
  const version = shipped === undefined ? undefined : /^trefoil-(.+)\.tgz$/.exec(basename(shipped))?.[1]
  if (version === undefined) throw new Error(`Cannot tell the trefoil version: neither ${runtimeFolder()} nor a packed runtime in ${join(packageRoot(), 'generators', 'vendor')}`)
  return version
}

/** The dependency spec to write, and the tarball to place in `vendor/` (by file name), if any. */
export interface RuntimeDependency {
  spec: string
  vendor?: { name: string; contents: Buffer }
}

/**
 * Resolves a {@link RuntimeSource} to a dependency spec. `pack` builds and packs the runtime
 * (a service outside this repository imports its compiled `dist/`).
 */
export async function runtimeDependency(source: RuntimeSource): Promise<RuntimeDependency> {
  switch (source.kind) {
    case 'registry':
      return { spec: `^${runtimeVersion()}` }
    case 'link': {
      const folder = runtimeFolder()
      if (!inCheckout()) throw new NameError('Cannot use --runtime link: this generator was installed, not run from a trefoil checkout; use --runtime pack (default) or registry')
      // a service outside this repository resolves trefoil's `default` export condition: dist/
      if (!existsSync(join(folder, 'dist', 'index.js'))) throw new NameError(`Cannot link the runtime: ${folder}/dist is missing; run \`npm run build\` in ${packageRoot()} first`)
      return { spec: `file:${folder}` }
    }
    case 'tarball':
      return vendored(source.path)
    case 'pack': {
      if (inCheckout()) return vendored(await packRuntime())
      const shipped = shippedRuntime()
      if (shipped === undefined) throw new Error(`Cannot find the trefoil runtime: ${runtimeFolder()} is missing and the package has no packed runtime in generators/vendor`)
      return vendored(shipped)
    }
  }
}

/**
 * Packs the generator's runtime the way `npm pack -w runtime` does (sources, `bin/`, `dist/`
 * compiled by tsc), but in a staging copy: nothing is written into the runtime folder, so it
 * works when that folder is read-only (yo run as root drops to another user) and never races
 * with whatever reads `runtime/dist` meanwhile. Returns the tarball's contents and name.
 */
export async function packRuntime(): Promise<{ name: string; contents: Buffer }> {
  const staging = mkdtempSync(join(tmpdir(), 'trefoil-pack-'))
  try {
    const folder = runtimeFolder()
    const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { files?: string[] }
    cpSync(join(folder, 'package.json'), join(staging, 'package.json'))
    for (const entry of manifest.files ?? []) {
      if (entry !== 'dist' && existsSync(join(folder, entry))) cpSync(join(folder, entry), join(staging, entry), { recursive: true })
    }
    if (builtFromCurrentSources(folder)) {
      // `npm run build` ran since the sources last changed: its output is what tsc would give
      cpSync(join(folder, 'dist'), join(staging, 'dist'), { recursive: true })
    } else {
      const tsc = join(packageRoot(), 'node_modules', 'typescript', 'bin', 'tsc')
      // compiled where the sources' imports resolve (the repository's node_modules); source maps
      // would point back into this repository, so the tarball goes without them
      await run(process.execPath, [tsc, '-p', join(folder, 'tsconfig.build.json'), '--outDir', join(staging, 'dist'), '--sourceMap', 'false'], { cwd: staging, maxBuffer: 16 * 1024 * 1024 })
    }
    // the staging copy is built already: its `prepack` (tsc again) must not run
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', staging], { cwd: staging, maxBuffer: 16 * 1024 * 1024 })
    const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string }[]
    if (!packed) throw new Error('npm pack reported no file')
    const name = basename(packed.filename)
    return { name, contents: readFileSync(join(staging, name)) }
  } catch (error) {
    const output = (error as { stdout?: string }).stdout?.trim()
    throw new Error(`Cannot pack the trefoil runtime of ${runtimeFolder()}: ${(error as Error).message}${output ? `\n${output}` : ''}`, { cause: error })
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}

function vendored(tarball: string | { name: string; contents: Buffer }): RuntimeDependency {
  const vendor = typeof tarball === 'string' ? { name: basename(tarball), contents: readFileSync(tarball) } : tarball
  return { spec: `file:vendor/${vendor.name}`, vendor }
}

/** Whether `dist/` was built after every change to `src/` and the build config. */
function builtFromCurrentSources(folder: string): boolean {
  const built = join(folder, 'dist', 'index.js')
  if (!existsSync(built)) return false
  const builtAt = statSync(built).mtimeMs
  const newest = (path: string): number => {
    const stat = statSync(path)
    if (!stat.isDirectory()) return stat.mtimeMs
    return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newest(join(path, entry))))
  }
  return newest(join(folder, 'src')) <= builtAt && newest(join(folder, 'tsconfig.build.json')) <= builtAt && newest(join(folder, 'package.json')) <= builtAt
}
