// The runtime's structure, drawn from its own imports: no module reaches itself through others
// (type-only imports included: a cycle of types hides the structure as much as one of values),
// and a capability folder is entered through its index.ts only.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../runtime/src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

// Static `import ... from`, `export ... from` and `import('...')` in types, relative ones only.
const SPECIFIER = /(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)'(\.{1,2}\/[^']+)'/gm

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(SPECIFIER)].map((m) => resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mjs')))
}

const files = sourceFiles(src)
const graph = new Map(files.map((file) => [file, importsOf(file).filter((target) => target.endsWith('.ts'))]))
const name = (file: string) => relative(src, file)

function cycles(): string[][] {
  const found: string[][] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (file: string) => {
    state.set(file, 'open')
    stack.push(file)
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next].map(name))
      else if (!state.has(next)) visit(next)
    }
    stack.pop()
    state.set(file, 'done')
  }
  for (const file of files) if (!state.has(file)) visit(file)
  return found
}

test('no runtime module imports itself through others', () => {
  const found = cycles()
  assert.equal(found.map((cycle) => cycle.join(' → ')), [], 'import cycles')
})

// A capability's types.ts holds only its shapes: other folders may name them without loading the
// capability (uploads' shapes name a Storage without importing storage's plugin and drivers).
test('a capability folder is entered through its index.ts (or its types.ts): other folders import nothing else of it', () => {
  const crossings: string[] = []
  for (const [file, targets] of graph) {
    const from = name(file).split('/')[0]
    for (const target of targets) {
      const parts = name(target).split('/')
      if (parts.length < 2 || parts[0] === from || parts[0] === 'core') continue
      if (parts[1] !== 'index.ts' && parts[1] !== 'types.ts') crossings.push(`${name(file)} → ${name(target)}`)
    }
  }
  assert.equal(crossings, [], 'reached past a capability index')
})

test.run()
