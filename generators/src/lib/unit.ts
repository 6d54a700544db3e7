// Writes one unit into a service through the generator's file system: its triple, its test, its
// migration, its model and enums, and its place in main.ts's plugin list. Both generators use
// it (`yo trefoil` for the first unit). Running it again for the same unit changes nothing.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import ejs from 'ejs'
import { DEFAULT_FIELDS, parseFields, type EnumSpec, type Field } from './fields.js'
import { accessRecord, type UnitAccess } from './auth.js'
import type { Alteration } from './migration.js'
import { NameError, unitNames, type UnitNames } from './names.js'
import { pageHelpers, renderPage, writeShell } from './pages.js'
import { writeSignInPages } from './sign-in-pages.js'
import { templatesOf } from './paths.js'
import { addImport, importedNames, wireUnit } from './wiring.js'

export { wireUnit }

/** Everything one unit's files are made from. */
export interface UnitPlan {
  names: UnitNames
  /** The `--fields` list the fields were read from (kept in .yo-rc.json to evolve the unit later). */
  spec: string
  fields: Field[]
  /** False for `--no-crud`: an empty triple, no table. */
  crud: boolean
  enums: EnumSpec[]
  /** `--pages`: the routes also answer browsers and htmx with views (a CRUD unit only). */
  pages: boolean
  /** Who may call its routes: anyone (undefined), or a signed-in user (`--auth`), with a role (`--role`). */
  access: UnitAccess | undefined
}

/** How .yo-rc.json remembers a unit the generator wrote: enough to plan it again. */
export interface UnitRecord {
  fields: string
  crud: boolean
  pages?: boolean
  /** Its routes need a signed-in user (`--auth`)… */
  auth?: true
  /** …holding at least this role (`--role`). */
  role?: string
}

/**
 * The key of the generators' records in a service's .yo-rc.json: named here, because Yeoman's
 * default (the package above the generator) differs between yo and yeoman-test.
 */
export const CONFIG_NAME = 'generator-trefoil'

/** The part of a Yeoman generator's mem-fs editor this module uses. */
export interface UnitFs {
  read(path: string, options: { defaults: string }): string | null
  write(path: string, contents: string): string
  exists(path: string): boolean
  delete(path: string): void
  store: { get(path: string): object }
}

/** What {@link writeUnit} did. */
export interface UnitOutcome {
  /** Paths (relative to the service) written or changed. */
  changed: string[]
  /** The new migration, when the unit's table changed. */
  migration?: string
  /** Whether package.json gained dependencies (the pages' htmx): `npm install` is due. */
  dependencies?: boolean
}

/** How {@link writeUnit} treats what is there already. */
export interface WriteOptions {
  /** Overwrite files edited since the generator wrote them (never a migration). */
  force?: boolean
  /** The unit as the generator last wrote it, when it did: its files are replaced, its table altered. */
  previous?: UnitPlan
  /** The statements from `previous` to the plan ({@link alterTable}); a new migration when not empty. */
  alteration?: Alteration
}

/**
 * Plans a unit from its name and options; throws a {@link NameError} for a bad name or field list.
 * @example planUnit('task-event', { fields: 'title:string, done:boolean' }).names.route // '/v1/task-events'
 */
export function planUnit(name: string, options: { fields?: string | undefined; crud?: boolean | undefined; pages?: boolean | undefined; access?: UnitAccess | undefined } = {}): UnitPlan {
  const names = unitNames(name)
  const crud = options.crud ?? true
  const access = options.access
  if (!crud) return { names, spec: '', fields: [], crud, enums: [], pages: false, access }
  const spec = options.fields ?? DEFAULT_FIELDS
  const fields = parseFields(spec, names)
  return { names, spec, fields, crud, enums: fields.flatMap((field) => (field.enum ? [field.enum] : [])), pages: options.pages ?? false, access }
}

/** What .yo-rc.json keeps of a plan. */
export function recordOf(plan: UnitPlan): UnitRecord {
  return { fields: plan.spec, crud: plan.crud, ...(plan.pages ? { pages: true } : {}), ...accessRecord(plan.access) }
}

const capital = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1)

function render(template: string, plan: UnitPlan): string {
  // the full path: a template's includes are found beside it
  const path = join(templatesOf('unit'), template)
  return ejs.render(readFileSync(path, 'utf8'), { ...plan, capital, page: pageHelpers }, { filename: path })
}

const MIGRATIONS = join('src', 'db', 'migrations')

/** The service's migration files, in name order. */
function migrationFiles(root: string): string[] {
  const folder = join(root, MIGRATIONS)
  return existsSync(folder) ? readdirSync(folder).filter((name) => name.endsWith('.sql')).sort() : []
}

/** The next migration's file name: the next number, then `what`. */
function nextMigration(root: string, what: string): string {
  const next = Math.max(0, ...migrationFiles(root).map((name) => Number(/^(\d+)_/.exec(name)?.[1] ?? 0))) + 1
  return `${String(next).padStart(3, '0')}_${what}.sql`
}

/** The migration that creates the unit's table, if one does: named after it, or holding its CREATE TABLE. */
function creatingMigration(root: string, table: string): string | undefined {
  const files = migrationFiles(root)
  return (
    files.find((name) => new RegExp(`^\\d+_${table}\\.sql$`).test(name)) ??
    files.find((name) => new RegExp(`^\\s*CREATE TABLE (IF NOT EXISTS )?${table}\\b`, 'im').test(readFileSync(join(root, MIGRATIONS, name), 'utf8')))
  )
}

/** The files of a unit's triple and test, by path in the service. */
function unitFiles(plan: UnitPlan): Map<string, string> {
  const { names } = plan
  const files = new Map<string, string>([
    [`src/${names.kebab}/routes.ts`, render(plan.pages ? 'pages/routes.ts.ejs' : 'src/unit/routes.ts.ejs', plan)],
    [`src/${names.kebab}/schemas.ts`, render('src/unit/schemas.ts.ejs', plan)],
    [`src/${names.kebab}/logic.ts`, render('src/unit/logic.ts.ejs', plan)],
    [`tests/${names.kebab}.test.ts`, render('tests/unit.test.ts.ejs', plan)],
  ])
  if (plan.pages) {
    // the views are EJS themselves: their templates use `<$ $>` for the generator's tags
    const data = { ...plan, capital, page: pageHelpers }
    for (const view of ['list', 'show', 'form', 'new', 'edit']) files.set(`views/${names.kebab}/${view}.ejs`, renderPage(`unit/pages/views/${view}.ejs`, data))
    files.set(`tests/${names.kebab}-pages.test.ts`, render('pages/tests/pages.test.ts.ejs', plan))
    files.set(`tests/${names.kebab}-browser.test.ts`, render('pages/tests/browser.test.ts.ejs', plan))
  }
  // who may and who may not call the routes, signing in for real
  if (plan.crud && plan.access) files.set(`tests/${names.kebab}-access.test.ts`, render('tests/auth-access.test.ts.ejs', plan))
  return files
}

/**
 * Writes the unit. A new unit gets its triple, test, model and a migration creating its table.
 * A unit the generator wrote before (`previous`) gets its files replaced and, when its fields
 * changed, the next migration (`alteration`): a migration that exists is never written again,
 * with or without `force`. Files that exist with other contents than the generator wrote (another
 * unit, or edits by hand) are a collision: refused with a {@link NameError} listing them, unless
 * `force`. Files already as they would be written are left alone, so a second run changes nothing.
 */
export function writeUnit(fs: UnitFs, root: string, plan: UnitPlan, options: WriteOptions = {}): UnitOutcome {
  const { names } = plan
  const { previous } = options
  const mainPath = join(root, 'src', 'main.ts')
  const main = fs.read(mainPath, { defaults: '' })
  if (!main) throw new NameError(`Cannot add a unit here: ${mainPath} is missing; run yo trefoil:unit in a service made by yo trefoil`)
  if (previous && previous.crud !== plan.crud) throw new NameError(`Cannot change unit "${names.kebab}" ${plan.crud ? 'to CRUD: it was written with --no-crud' : 'to --no-crud: it has a table'}; write another unit instead`)

  const files = unitFiles(plan)
  const before = previous ? unitFiles(previous) : new Map<string, string>()
  const collisions: string[] = []
  const read = (path: string): string | null => (fs.exists(join(root, path)) ? fs.read(join(root, path), { defaults: '' }) : null)
  for (const [path, contents] of files) {
    const existing = read(path)
    if (existing !== null && existing !== contents && existing !== before.get(path)) collisions.push(`${path} exists with other contents`)
  }
  const models = read('src/db/models.ts') ?? ''
  const enumsPath = 'src/db/enums.ts'
  let migration: [string, string] | undefined
  if (plan.crud && !previous) {
    const creating = creatingMigration(root, names.table)
    const fresh = render('src/db/migrations/unit.sql.ejs', plan)
    if (creating === undefined) migration = [`${MIGRATIONS}/${nextMigration(root, names.table)}`, fresh]
    else if (read(`${MIGRATIONS}/${creating}`) !== fresh) {
      // never rewritten, not even with --force: it may have run, and the table with it
      throw new NameError(`Cannot add unit "${names.kebab}": ${MIGRATIONS}/${creating} creates the table ${names.table} already (migrations are never rewritten); pick another name`)
    }
    const unitExists = fs.exists(join(root, 'src', names.kebab, 'routes.ts'))
    if (!unitExists && new RegExp(`^export const ${names.camelPlural}\\b`, 'm').test(models)) collisions.push(`src/db/models.ts already has a model named "${names.camelPlural}"`)
  }
  if (previous && plan.crud) {
    if (modelBlock(models, names) !== render('src/db/models.ts.ejs', previous).trimEnd()) collisions.push('the model in src/db/models.ts was edited')
    const enums = read(enumsPath) ?? ''
    for (const spec of previous.enums) if (!enums.includes(enumBlock(previous, spec))) collisions.push(`${enumsPath}: ${spec.constant} was edited`)
    if (options.alteration && options.alteration.sql.length > 0) {
      const summary = options.alteration.summary.map((line) => `-- ${line}\n`).join('')
      migration = [`${MIGRATIONS}/${nextMigration(root, `alter_${names.table}`)}`, `-- The ${names.table} table of the ${names.kebab} unit (src/${names.kebab}/), changed:\n${summary}\n${options.alteration.sql.join('\n')}\n`]
    }
  }
  const taken = importedNames(main).get(names.camelPlural)
  if (taken !== undefined && taken !== `./${names.kebab}/routes.js`) collisions.push(`src/main.ts already uses the name "${names.camelPlural}" (from ${taken})`)
  const prefixOwner = routeOwner(root, names.route)
  if (prefixOwner !== undefined && prefixOwner !== names.kebab) collisions.push(`src/${prefixOwner}/routes.ts already serves ${names.route}`)
  if (collisions.length > 0 && !options.force) {
    throw new NameError(`Cannot ${previous ? 'change' : 'add'} unit "${names.kebab}": ${collisions.join('; ')} (run with --force to overwrite; migrations are never rewritten)`)
  }

  const changed: string[] = []
  const put = (path: string, contents: string, edit: boolean): void => {
    const absolute = join(root, path)
    const existing = read(path)
    if (existing === contents) return
    if (path.startsWith(MIGRATIONS) && existing !== null) throw new Error(`Refusing to rewrite the migration ${path}`)
    fs.write(absolute, contents)
    // an edit of an existing shared file is what the user asked for: no conflict prompt
    if (edit && existing !== null && existsSync(absolute)) (fs.store.get(absolute) as { conflicter?: string }).conflicter = 'force'
    changed.push(path)
  }
  for (const [path, contents] of files) put(path, contents, true)
  // a file the unit no longer has (its access test, once it is public again) goes, unless edited since
  for (const [path, contents] of before) {
    if (!files.has(path) && read(path) === contents) {
      fs.delete(join(root, path))
      changed.push(path)
    }
  }
  if (migration) put(migration[0], migration[1], false)
  put('src/main.ts', wireUnit(main, names), true)
  if (plan.crud) {
    put('src/db/models.ts', addModel(models, plan, { replace: previous !== undefined || (options.force === true && collisions.length > 0) }), true)
    let enums = read(enumsPath) ?? ''
    // enums that changed or went away leave; the others keep their place in the file
    for (const spec of previous?.enums ?? []) {
      const block = enumBlock(previous!, spec)
      if (!plan.enums.some((other) => enumBlock(plan, other) === block)) enums = enums.replace(block, '')
    }
    if (plan.enums.length > 0 || previous?.enums.length) put(enumsPath, addEnums(enums, plan), true)
  }
  // the layout, error page and htmx the views need, once per service, and the unit's link
  const shell = plan.pages ? writeShell(fs, root, names) : undefined
  if (shell) changed.push(...shell.changed.filter((path) => !changed.includes(path)))
  // pages that need a sign-in need the page to sign in on
  if (plan.pages && plan.access) changed.push(...writeSignInPages(fs, root).filter((path) => !changed.includes(path)))
  return { changed, ...(migration ? { migration: migration[0] } : {}), ...(shell?.dependencies ? { dependencies: true } : {}) }
}

/** The unit's block in models.ts as it stands, or undefined when it cannot be found. */
function modelBlock(source: string, names: UnitNames): string | undefined {
  const start = source.indexOf(`\n// ${names.table} (the ${names.kebab} unit)`)
  const end = source.indexOf('\n}\n', source.indexOf(`export const ${names.camelPlural} = {`))
  return start < 0 || end < 0 ? undefined : source.slice(start, end + 2)
}

/** The text one enum of a unit adds to enums.ts. */
function enumBlock(plan: UnitPlan, spec: EnumSpec): string {
  return render('src/db/enums.ts.ejs', { ...plan, enums: [spec] })
}

/** The unit folder whose routes.ts declares `prefix`, if any. */
export function routeOwner(root: string, prefix: string): string | undefined {
  const src = join(root, 'src')
  if (!existsSync(src)) return undefined
  for (const entry of readdirSync(src, { withFileTypes: true })) {
    const routes = join(src, entry.name, 'routes.ts')
    if (entry.isDirectory() && existsSync(routes) && readFileSync(routes, 'utf8').includes(`prefix: '${prefix}'`)) return entry.name
  }
  return undefined
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
