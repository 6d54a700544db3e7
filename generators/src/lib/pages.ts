// `--pages`: what a unit's views need to know of each field (its label, its input, how it reads
// on a page, what a browser test types into it), and the site shell a service with pages has:
// the layout, the error page, the home page, htmx and the pages' script served by the app. The
// shell is written once per service, by `yo trefoil --pages` or by the first unit with pages.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import ejs from 'ejs'
import type { Field } from './fields.js'
import { NameError, type UnitNames } from './names.js'
import { packageRoot, pinnedVersions } from './paths.js'
import { addImport, wirePlugin } from './wiring.js'

/** How one field is shown and edited by the unit's views. */
export interface PageField extends Field {
  /** For people: `dueDate` → `Due date`. */
  label: string
  /** The form control: an `<input type>`, or `textarea`, `checkbox`, `select`. */
  control: 'text' | 'email' | 'url' | 'number' | 'date' | 'datetime-local' | 'textarea' | 'checkbox' | 'select'
  /** Extra attributes of the control (`step`, `maxlength`), as HTML. */
  attributes: string
  /** The values of an enum field. */
  values: string[]
  /** What a browser test types or picks: the sample as a control takes it. */
  typed: string
  /** How the sample reads on the detail page. */
  shown: string
  /** The same of the other sample (what an edit changes it to). */
  typedChanged: string
  shownChanged: string
}

// kinds whose text a search box finds (PostgreSQL's text of the column, case-insensitive)
const SEARCHABLE = new Set(['string', 'text', 'email', 'url', 'uuid', 'enum'])

const CONTROLS: Readonly<Record<string, Pick<PageField, 'control' | 'attributes'>>> = {
  string: { control: 'text', attributes: ' maxlength="200"' },
  text: { control: 'textarea', attributes: ' rows="3" maxlength="10000"' },
  integer: { control: 'number', attributes: ' step="1"' },
  number: { control: 'number', attributes: ' step="any"' },
  boolean: { control: 'checkbox', attributes: '' },
  date: { control: 'date', attributes: '' },
  datetime: { control: 'datetime-local', attributes: '' },
  email: { control: 'email', attributes: ' maxlength="254"' },
  url: { control: 'url', attributes: ' maxlength="2048"' },
  uuid: { control: 'text', attributes: ' maxlength="36"' },
  enum: { control: 'select', attributes: '' },
}

/** A field's sample (a TypeScript literal: `'Example'`, `3`, `true`) as its value. */
function sampleValue(literal: string): string | number | boolean {
  if (literal.startsWith("'")) return literal.slice(1, -1)
  if (literal === 'true' || literal === 'false') return literal === 'true'
  return Number(literal)
}

/** `dueDate` → `Due date`. */
export function label(name: string): string {
  const spaced = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()
  return spaced.charAt(0).toUpperCase() + spaced.slice(1)
}

/** The fields with what the views and the browser test need of each. */
export function pageFields(fields: readonly Field[]): PageField[] {
  return fields.map((field) => {
    const typed = (literal: string): string => {
      const value = sampleValue(literal)
      return field.kind === 'datetime' ? String(value).slice(0, 16) : String(value)
    }
    const shown = (literal: string): string => {
      const value = sampleValue(literal)
      if (field.kind === 'boolean') return value ? 'yes' : 'no'
      return field.kind === 'datetime' ? `${String(value).slice(0, 16).replace('T', ' ')} UTC` : String(value)
    }
    return { ...field, label: label(field.name), ...CONTROLS[field.kind]!, values: field.enum?.values ?? [], typed: typed(field.sample), shown: shown(field.sample), typedChanged: typed(field.changed), shownChanged: shown(field.changed) }
  })
}

/** The fields a list's search box looks in; none means the list has no search box. */
export function searchFields(fields: readonly Field[]): Field[] {
  return fields.filter((field) => SEARCHABLE.has(field.kind))
}

/**
 * The SQL condition of a search over `fields` (pg-promise's `$<q>`, null for no search): the
 * text is looked for in each column, ignoring case, with no wildcard of its own.
 */
export function searchCondition(fields: readonly Field[]): string {
  const columns = fields.map((field) => (field.kind === 'uuid' || field.kind === 'enum' ? `${field.column}::text` : field.column))
  return `($<q> IS NULL OR ${columns.map((column) => `strpos(lower(${column}), lower($<q>)) > 0`).join(' OR ')})`
}

/**
 * The field a browser test refuses first, and what it types there: a required text left empty,
 * else a whole number given a fraction, else an address or id that is none. Undefined when the
 * form has no field a browser can get wrong (only yes/no boxes, free text, optional fields).
 */
export function refusable(fields: readonly PageField[]): { field: PageField; typed: string } | undefined {
  const choices: [(field: PageField) => boolean, string][] = [
    [(field) => field.kind === 'string' && !field.optional, ''],
    [(field) => field.kind === 'integer', '2.5'],
    [(field) => field.kind === 'email', 'not an email'],
    [(field) => field.kind === 'url', 'not a url'],
    [(field) => field.kind === 'uuid', 'not-a-uuid'],
  ]
  for (const [fits, typed] of choices) {
    const field = fields.find(fits)
    if (field) return { field, typed }
  }
  return undefined
}

/**
 * For a test of the search: a field that takes any text, a TypeScript expression of a value no
 * other row has (from `stamp`, a string in scope), and one of the text a search for it sends (in
 * other case). Undefined when the search looks only in enum fields.
 */
export function needle(fields: readonly Field[]): { field: Field; value: string; query: string } | undefined {
  const field = searchFields(fields).find((candidate) => candidate.kind !== 'enum')
  if (!field) return undefined
  switch (field.kind) {
    case 'email':
      return { field, value: '`needle-${stamp}@example.org`', query: '`NEEDLE-${stamp}`' }
    case 'url':
      return { field, value: '`https://example.org/needle-${stamp}`', query: '`NEEDLE-${stamp}`' }
    case 'uuid':
      return { field, value: 'stamp', query: 'stamp.slice(0, 13).toUpperCase()' }
    default:
      return { field, value: '`Needle ${stamp}`', query: '`NEEDLE ${stamp}`' }
  }
}

/** The id of a field's control in the unit's forms: `task-events-due-date`. */
export function controlId(names: UnitNames, field: Field): string {
  return `${names.kebab}-${field.column.replace(/_/g, '-')}`
}

/** What the unit templates get for `--pages`. */
export const pageHelpers = { pageFields, searchFields, searchCondition, refusable, needle, controlId, label }

/** The part of a Yeoman generator's mem-fs editor the shell is written through. */
export interface ShellFs {
  read(path: string, options: { defaults: string }): string | null
  write(path: string, contents: string): string
  exists(path: string): boolean
  store: { get(path: string): object }
}

// the shell's files: template (under templates/app/pages) → path in the service
const SHELL_FILES: readonly [string, string][] = [
  ['views/layout.ejs', 'views/layout.ejs'],
  ['views/error.ejs', 'views/error.ejs'],
  ['views/home.ejs', 'views/home.ejs'],
  ['views/nav.ejs', 'views/nav.ejs'],
  ['static/app.js', 'static/app.js'],
  ['src/site.ts', 'src/site.ts'],
  ['tests/site.test.ts', 'tests/site.test.ts'],
]

const SITE_IMPORT = "import { securityHeaders, site } from './site.js'"
const VIEWS_OPTION = "  views: { dir: fileURLToPath(new URL('../views', import.meta.url)), layout: 'layout' },"

/** Renders a template under `templates/` whose `<$ $>` tags are the generator's: its `<% %>` stay, for the runtime's EJS. */
export function renderPage(template: string, data: object): string {
  const path = join(packageRoot(), 'templates', template)
  return ejs.render(readFileSync(path, 'utf8'), data, { filename: path, delimiter: '$' })
}

/** main.ts with the site's plugins listed (before the units) and the views folder given to createApp. */
export function wireSite(main: string): string {
  let out = wirePlugin(main, 'securityHeaders', SITE_IMPORT)
  out = wirePlugin(out, 'site', SITE_IMPORT)
  if (/^\s*views:/m.test(out)) return out
  if (!/import \{[^}]*\bfileURLToPath\b[^}]*\} from 'node:url'/.test(out)) out = addImport(out, "import { fileURLToPath } from 'node:url'")
  const open = /createApp\(\{\n(\s*settings,\n)?/.exec(out)
  if (!open) throw new NameError("Cannot give the views folder to createApp in src/main.ts: add `views: { dir: fileURLToPath(new URL('../views', import.meta.url)), layout: 'layout' }` to its options by hand")
  const at = open.index + open[0].length
  return `${out.slice(0, at)}${VIEWS_OPTION}\n${out.slice(at)}`
}

/** package.json with htmx (served by the app) and playwright-core (the browser tests drive Chromium with it). */
export function addPageDependencies(manifest: string): string {
  const pkg = JSON.parse(manifest) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> }
  const versions = pinnedVersions()
  const sorted = (deps: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(deps).sort(([a], [b]) => a.localeCompare(b)))
  pkg.dependencies = sorted({ ...pkg.dependencies, 'htmx.org': pkg.dependencies?.['htmx.org'] ?? versions['htmx.org']! })
  pkg.devDependencies = sorted({ ...pkg.devDependencies, 'playwright-core': pkg.devDependencies?.['playwright-core'] ?? versions['playwright-core']! })
  const out = `${JSON.stringify(pkg, null, 2)}\n`
  return JSON.stringify(JSON.parse(manifest)) === JSON.stringify(pkg) ? manifest : out
}

/** `views/nav.ejs` with a link to the unit's list, once. */
export function addNavLink(nav: string, names: UnitNames): string {
  if (nav.includes(`href="${names.route}"`)) return nav
  const text = names.humanPlural.charAt(0).toUpperCase() + names.humanPlural.slice(1)
  return `${nav.trimEnd()}\n<a href="${names.route}">${text}</a>\n`
}

/** What {@link writeShell} did. */
export interface ShellOutcome {
  /** Paths written or changed. */
  changed: string[]
  /** Whether package.json gained dependencies (`npm install` is due). */
  dependencies: boolean
}

/**
 * Writes the site shell into the service at `root` (the files missing, the wiring in main.ts and
 * package.json), and links `unit`'s list from the navigation. Running it again changes nothing.
 */
export function writeShell(fs: ShellFs, root: string, unit?: UnitNames): ShellOutcome {
  const changed: string[] = []
  const read = (path: string): string | null => (fs.exists(join(root, path)) ? fs.read(join(root, path), { defaults: '' }) : null)
  const put = (path: string, contents: string): void => {
    const existing = read(path)
    if (existing === contents) return
    fs.write(join(root, path), contents)
    // an edit of a file the service has on disk is what the command is for: no conflict prompt
    if (existing !== null && existsSync(join(root, path))) (fs.store.get(join(root, path)) as { conflicter?: string }).conflicter = 'force'
    changed.push(path)
  }
  const manifest = read('package.json')
  if (manifest === null) throw new NameError(`Cannot add pages here: ${join(root, 'package.json')} is missing`)
  const name = (JSON.parse(manifest) as { name?: string }).name ?? 'service'
  for (const [template, path] of SHELL_FILES) if (read(path) === null) put(path, renderPage(join('app', 'pages', template), { name }))
  put('src/main.ts', wireSite(read('src/main.ts') ?? ''))
  const withDependencies = addPageDependencies(manifest)
  put('package.json', withDependencies)
  if (unit) put('views/nav.ejs', addNavLink(read('views/nav.ejs') ?? '', unit))
  return { changed, dependencies: withDependencies !== manifest }
}
