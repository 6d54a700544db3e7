// Where the generator's own files are: templates, pinned versions, the runtime it ships with.
// Found by walking up from this module, so the TypeScript sources (tests) and the compiled JS
// (what yo loads) agree although they sit at different depths.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The generator-trefoil package folder (the repository root). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'generator-trefoil') return dir
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`Cannot find the generator-trefoil package above ${fileURLToPath(import.meta.url)}`)
    dir = parent
  }
}

/** `templates/<generator>` of the package. */
export function templatesOf(generator: 'app' | 'unit' | 'task' | 'job' | 'plugin'): string {
  return join(packageRoot(), 'templates', generator)
}

/** Versions of the packages a generated service depends on besides trefoil (one file, pinned). */
export function pinnedVersions(): Readonly<Record<string, string>> {
  return JSON.parse(readFileSync(join(packageRoot(), 'generators', 'versions.json'), 'utf8')) as Record<string, string>
}
