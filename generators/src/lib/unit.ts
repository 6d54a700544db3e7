// Writes one unit into a service through the generator's file system: its triple, its test, its
// migration, its model and enums, and its place in main.ts's plugin list. Both generators use
// it (`yo trefoil` for the first unit). Running it again for the same unit changes nothing.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import ejs from 'ejs'
import { DEFAULT_FIELDS, parseFields, type EnumSpec, type Field } from './fields.js'
import { NameError, unitNames, type UnitNames } from './names.js'
import { templatesOf } from './paths.js'

/** Everything one unit's files are made from. */
export interface UnitPlan {
  names: UnitNames
  fields: Field[]
  /** False for `--no-crud`: an empty triple, no table. */
  crud: boolean
  enums: EnumSpec[]
}

/** The part of a Yeoman generator's mem-fs editor this module uses. */
export interface UnitFs {
  read(path: string, options: { defaults: string }): string | null
  write(path: string, contents: string): string
  exists(path: string): boolean
  store: { get(path: string): object }
}

/** What {@link writeUnit} did. */
export interface UnitOutcome {
  /** Paths (relative to the service) written or changed. */
  changed: string[]
}

/**
 * Plans a unit from its name and options; throws a {@link NameError} for a bad name or field list.
 * @example planUnit('task-event', { fields: 'title:string, done:boolean' }).names.route // '/v1/task-events'
 */
export function planUnit(name: string, options: { fields?: string | undefined; crud?: boolean | undefined } = {}): UnitPlan {
  const names = unitNames(name)
  const crud = options.crud ?? true
  if (!crud) return { names, fields: [], crud, enums: [] }
  const fields = parseFields(options.fields ?? DEFAULT_FIELDS, names)
  return { names, fields, crud, enums: fields.flatMap((field) => (field.enum ? [field.enum] : [])) }
}

const capital = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1)

function render(template: string, plan: UnitPlan): string {
  return ejs.render(readFileSync(join(templatesOf('unit'), template), 'utf8'), { ...plan, capital }, { filename: template })
}

/** The migration file of the unit's table: the existing one, or the next number. */
function migrationName(root: string, table: string): string {
  const folder = join(root, 'src', 'db', 'migrations')
  const names = existsSync(folder) ? readdirSync(folder).filter((name) => name.endsWith('.sql')) : []
  const own = names.find((name) => new RegExp(`^\\d+_${table}\\.sql$`).test(name))
  if (own) return own
  const next = Math.max(0, ...names.map((name) => Number(/^(\d+)_/.exec(name)?.[1] ?? 0))) + 1
  return `${String(next).padStart(3, '0')}_${table}.sql`
}

/**
 * Writes the unit. Files that exist with other contents are a collision (another unit, or the
 * same one with other fields): refused with a {@link NameError} listing them, unless `force`.
 * Existing identical files are left as they are, so a second run changes nothing.
 */
export function writeUnit(fs: UnitFs, root: string, plan: UnitPlan, options: { force?: boolean } = {}): UnitOutcome {
  const { names } = plan
  const mainPath = join(root, 'src', 'main.ts')
  const main = fs.read(mainPath, { defaults: '' })
  if (!main) throw new NameError(`Cannot add a unit here: ${mainPath} is missing; run yo trefoil:unit in a service made by yo trefoil`)

  const files = new Map<string, string>([
    [`src/${names.kebab}/routes.ts`, render('src/unit/routes.ts.ejs', plan)],
    [`src/${names.kebab}/schemas.ts`, render('src/unit/schemas.ts.ejs', plan)],
    [`src/${names.kebab}/logic.ts`, render('src/unit/logic.ts.ejs', plan)],
    [`tests/${names.kebab}.test.ts`, render('tests/unit.test.ts.ejs', plan)],
  ])
  if (plan.crud) files.set(`src/db/migrations/${migrationName(root, names.table)}`, render('src/db/migrations/unit.sql.ejs', plan))

  const collisions: string[] = []
  for (const [path, contents] of files) {
    const existing = fs.exists(join(root, path)) ? fs.read(join(root, path), { defaults: '' }) : null
    if (existing !== null && existing !== contents) collisions.push(`${path} exists with other contents`)
  }
  const unitExists = fs.exists(join(root, 'src', names.kebab, 'routes.ts'))
  const models = fs.read(join(root, 'src', 'db', 'models.ts'), { defaults: '' }) ?? ''
  if (!unitExists && plan.crud && new RegExp(`^export const ${names.camelPlural}\\b`, 'm').test(models)) collisions.push(`src/db/models.ts already has a model named "${names.camelPlural}"`)
  const taken = importedNames(main).get(names.camelPlural)
  if (taken !== undefined && taken !== `./${names.kebab}/routes.js`) collisions.push(`src/main.ts already uses the name "${names.camelPlural}" (from ${taken})`)
  const prefixOwner = routeOwner(root, names.route)
  if (prefixOwner !== undefined && prefixOwner !== names.kebab) collisions.push(`src/${prefixOwner}/routes.ts already serves ${names.route}`)
  if (collisions.length > 0 && !options.force) {
    throw new NameError(`Cannot add unit "${names.kebab}": ${collisions.join('; ')} (run with --force to overwrite)`)
  }

  const changed: string[] = []
  const put = (path: string, contents: string, edit: boolean): void => {
    const absolute = join(root, path)
    const before = fs.exists(absolute) ? fs.read(absolute, { defaults: '' }) : null
    if (before === contents) return
    fs.write(absolute, contents)
    // an edit of an existing shared file is what the user asked for: no conflict prompt
    if (edit && before !== null && existsSync(absolute)) (fs.store.get(absolute) as { conflicter?: string }).conflicter = 'force'
    changed.push(path)
  }
  for (const [path, contents] of files) put(path, contents, false)
  put('src/main.ts', wireUnit(main, names), true)
  if (plan.crud) {
    put('src/db/models.ts', addModel(models, plan, { replace: options.force === true && collisions.length > 0 }), true)
    if (plan.enums.length > 0) put('src/db/enums.ts', addEnums(fs.read(join(root, 'src', 'db', 'enums.ts'), { defaults: '' }) ?? '', plan), true)
  }
  return { changed }
}

/** Identifiers main.ts imports, each with the module it comes from. */
function importedNames(source: string): Map<string, string> {
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

/** The unit folder whose routes.ts declares `prefix`, if any. */
function routeOwner(root: string, prefix: string): string | undefined {
  const src = join(root, 'src')
  if (!existsSync(src)) return undefined
  for (const entry of readdirSync(src, { withFileTypes: true })) {
    const routes = join(src, entry.name, 'routes.ts')
    if (entry.isDirectory() && existsSync(routes) && readFileSync(routes, 'utf8').includes(`prefix: '${prefix}'`)) return entry.name
  }
  return undefined
}

/**
 * Adds `import <unit> from './<unit>/routes.js'` and lists the unit last in `plugins: [...]`;
 * returns the source unchanged when both are there already.
 * @example wireUnit(main, unitNames('tasks')) // ... plugins: [databasePlugin, tasks] ...
 */
export function wireUnit(source: string, names: UnitNames): string {
  const identifier = names.camelPlural
  const statement = `import ${identifier} from './${names.kebab}/routes.js'`
  let out = source
  if (!out.includes(statement)) out = addImport(out, statement)
  const list = /plugins:\s*\[/.exec(out)
  if (!list) throw new NameError(`Cannot list unit "${names.kebab}" in src/main.ts: it has no \`plugins: [...]\`; add ${identifier} to createApp({ plugins }) by hand`)
  const open = list.index + list[0].length
  const close = matchingBracket(out, open - 1)
  const inside = out.slice(open, close)
  if (new RegExp(`(^|[\\s,\\[])${identifier}\\s*(,|$)`).test(inside.trim() + ',')) return out
  if (inside.includes('\n')) {
    // one plugin per line: a new line like the last one
    const lastLineStart = out.lastIndexOf('\n', close - 1)
    const indent = /^\s*/.exec(out.slice(lastLineStart + 1))?.[0] ?? ''
    const items = inside.trimEnd()
    const itemIndent = /\n(\s*)\S/.exec(inside)?.[1] ?? `${indent}  `
    const separator = items.endsWith(',') || items === '' ? '' : ','
    return `${out.slice(0, open)}${items}${separator}\n${itemIndent}${identifier},\n${indent}${out.slice(close)}`
  }
  const items = inside.trim().replace(/,$/, '')
  return `${out.slice(0, open)}${items ? `${items}, ` : ''}${identifier}${out.slice(close)}`
}

/** Index of the `]` closing the `[` at `openIndex`, skipping nested brackets and strings. */
function matchingBracket(source: string, openIndex: number): number {
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
  throw new NameError('Cannot read the plugin list of src/main.ts: its brackets do not match')
}

/** Inserts an import statement after the last one at the top of a module. */
function addImport(source: string, statement: string): string {
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

/** Adds the unit's model (its type import and its table object) to models.ts, once. */
export function addModel(source: string, plan: UnitPlan, options: { replace?: boolean } = {}): string {
  const { names } = plan
  const block = render('src/db/models.ts.ejs', plan)
  if (new RegExp(`^export const ${names.camelPlural}\\b`, 'm').test(source)) {
    if (!options.replace) return source
    // --force with other fields: the model must follow the new schemas
    const start = source.indexOf(`\n// ${names.table} (the ${names.kebab} unit)`)
    const end = source.indexOf('\n}\n', source.indexOf(`export const ${names.camelPlural} = {`))
    if (start < 0 || end < 0) throw new NameError(`Cannot replace the model "${names.camelPlural}" in src/db/models.ts: it was edited; change it by hand`)
    return `${source.slice(0, start)}${block.trimEnd()}${source.slice(end + 2)}`
  }
  const statement = `import type { ${names.pascal}In, ${names.pascal}Out, ${names.pascal}Update } from '../${names.kebab}/schemas.js'`
  const withImport = source.includes(statement) ? source : addImport(source, statement)
  return `${withImport.trimEnd()}\n${block}`
}

/** Adds the unit's enum mirrors to enums.ts, once each. */
export function addEnums(source: string, plan: UnitPlan): string {
  const missing = plan.enums.filter((spec) => !new RegExp(`^export const ${spec.constant}\\b`, 'm').test(source))
  if (missing.length === 0) return source
  let out = source
  if (!/from 'trefoil'/.test(out)) out = addImport(out, "import { t, type Static } from 'trefoil'")
  return `${out.trimEnd()}\n${render('src/db/enums.ts.ejs', { ...plan, enums: missing })}`
}
