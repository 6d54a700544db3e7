// Edits of the TypeScript files that list things: an import added after the others, and an
// identifier added to an array literal (`plugins: [...]` in main.ts, `jobs: [...]` in jobs.ts),
// keeping the list's layout (one per line, or all on one line). Each edit leaves a source that has
// it already unchanged, so running a generator twice changes nothing.
import { NameError, type UnitNames } from './names.js'

/** Identifiers a module imports or declares at the top level, each with the module it comes from (`./main.ts` for its own). */
export function importedNames(source: string): Map<string, string> {
  const found = new Map<string, string>()
  for (const match of source.matchAll(/^import\s+(?:type\s+)?([^'"]*?)\s+from\s+['"]([^'"]+)['"]/gm)) {
    const [, clause = '', from = ''] = match
    for (const part of clause.replace(/[{}]/g, ',').split(',')) {
      const local = part.trim().replace(/^type\s+/, '').split(/\s+as\s+/).pop()?.trim()
      if (local) found.set(local, from)
    }
  }
  for (const match of source.matchAll(/^(?:export\s+)?(?:const|let|function|class)\s+([A-Za-z_$][\w$]*)/gm)) found.set(match[1]!, './main.ts')
  return found
}

/** Inserts an import statement after the last one at the top of a module. */
export function addImport(source: string, statement: string): string {
  const lines = source.split('\n')
  let last = -1
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (/^import\s/.test(line)) {
      // a multi-line import ends at its `from '...'`
      let end = i
      while (end < lines.length && !/from\s+['"][^'"]+['"];?\s*$|^import\s+['"]/.test(lines[end]!)) end++
      last = end
      i = end
    } else if (last >= 0 && line.trim() !== '' && !line.startsWith('//')) break
  }
  // no import yet: after the file's opening comment
  const at = last >= 0 ? last + 1 : Math.max(0, lines.findIndex((line) => !line.startsWith('//')))
  lines.splice(at, 0, statement)
  return lines.join('\n')
}

/** Index of the `]` closing the `[` at `openIndex`, skipping nested brackets and strings. */
function matchingBracket(source: string, openIndex: number, file: string): number {
  let depth = 0
  let quote: string | undefined
  for (let i = openIndex; i < source.length; i++) {
    const char = source[i]!
    if (quote) {
      if (char === '\\') i++
      else if (char === quote) quote = undefined
      continue
    }
    if (char === "'" || char === '"' || char === '`') quote = char
    else if (char === '[' || char === '(' || char === '{') depth++
    else if (char === ']' || char === ')' || char === '}') {
      depth--
      if (depth === 0) return i
    }
  }
  throw new NameError(`Cannot read the list of ${file}: its brackets do not match`)
}

/** The top-level items of the array whose `[` is at `open`, each with its offset in `source`. */
function listItems(source: string, open: number, close: number): { text: string; at: number }[] {
  const items: { text: string; at: number }[] = []
  let depth = 0
  let quote: string | undefined
  let start = open + 1
  const push = (end: number): void => {
    const raw = source.slice(start, end)
    const text = raw.trim()
    if (text) items.push({ text, at: start + raw.indexOf(text) })
  }
  for (let i = open + 1; i < close; i++) {
    const char = source[i]!
    if (quote) {
      if (char === '\\') i++
      else if (char === quote) quote = undefined
    } else if (char === "'" || char === '"' || char === '`') quote = char
    else if (char === '[' || char === '(' || char === '{') depth++
    else if (char === ']' || char === ')' || char === '}') depth--
    else if (char === ',' && depth === 0) {
      push(i)
      start = i + 1
    }
  }
  push(close)
  return items
}

/** Where {@link addToList} puts an identifier: last, or before the first item `before` accepts (last when none does). */
export interface ListPlace {
  before?: (item: string) => boolean
}

/**
 * Adds `identifier` to the array after `key:` in `source`, unless it is listed already. Throws a
 * {@link NameError} (with `missing` as its message) when the source has no such array.
 * @example addToList('createApp({ plugins: [db] })', 'plugins', 'tasks', 'no list') // 'createApp({ plugins: [db, tasks] })'
 */
export function addToList(source: string, key: string, identifier: string, missing: string, place: ListPlace = {}): string {
  const list = new RegExp(`${key}:\\s*\\[`).exec(source)
  if (!list) throw new NameError(missing)
  const open = list.index + list[0].length - 1
  const close = matchingBracket(source, open, missing)
  const items = listItems(source, open, close)
  if (items.some((item) => item.text === identifier)) return source
  const inside = source.slice(open + 1, close)
  const next = place.before ? items.find((item) => place.before!(item.text)) : undefined
  if (inside.includes('\n')) {
    // one item per line: a new line like the others
    if (next) {
      const lineStart = source.lastIndexOf('\n', next.at) + 1
      const indent = source.slice(lineStart, next.at)
      return `${source.slice(0, lineStart)}${indent}${identifier},\n${source.slice(lineStart)}`
    }
    const lastLineStart = source.lastIndexOf('\n', close - 1)
    const indent = /^\s*/.exec(source.slice(lastLineStart + 1))?.[0] ?? ''
    const trimmed = inside.trimEnd()
    const itemIndent = /\n(\s*)\S/.exec(inside)?.[1] ?? `${indent}  `
    const separator = trimmed.endsWith(',') || trimmed === '' ? '' : ','
    return `${source.slice(0, open + 1)}${trimmed}${separator}\n${itemIndent}${identifier},\n${indent}${source.slice(close)}`
  }
  const texts = items.map((item) => item.text)
  texts.splice(next ? texts.indexOf(next.text) : texts.length, 0, identifier)
  return `${source.slice(0, open + 1)}${texts.join(', ')}${source.slice(close)}`
}

/**
 * Adds `import <unit> from './<unit>/routes.js'` and lists the unit last in `plugins: [...]`;
 * returns the source unchanged when both are there already.
 * @example wireUnit(main, unitNames('tasks')) // ... plugins: [databasePlugin, tasks] ...
 */
export function wireUnit(source: string, names: UnitNames): string {
  const identifier = names.camelPlural
  const statement = `import ${identifier} from './${names.kebab}/routes.js'`
  const out = source.includes(statement) ? source : addImport(source, statement)
  return addToList(out, 'plugins', identifier, `Cannot list unit "${names.kebab}" in src/main.ts: it has no \`plugins: [...]\`; add ${identifier} to createApp({ plugins }) by hand`)
}

/**
 * Adds `statement` (an import of `identifier`) to main.ts and lists `identifier` in its plugins
 * before the first unit (an import from a `routes.js`), so units that use it find it set up.
 * @example wirePlugin(main, 'workersPlugin', "import { workersPlugin } from './workers.js'")
 */
export function wirePlugin(source: string, identifier: string, statement: string): string {
  const out = source.includes(statement) ? source : addImport(source, statement)
  const imports = importedNames(out)
  const isUnit = (item: string): boolean => /\/routes\.js$/.test(imports.get(item) ?? '')
  return addToList(out, 'plugins', identifier, `Cannot list ${identifier} in src/main.ts: it has no \`plugins: [...]\`; add ${identifier} to createApp({ plugins }) by hand`, { before: isUnit })
}
