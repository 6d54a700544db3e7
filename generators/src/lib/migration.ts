// The next migration of a unit whose fields changed: the ALTER statements that take its table
// from the old field list to the new one, keeping the rows. Migrations that exist are never
// rewritten (they may have run already); a change is always a new file.
import type { EnumSpec, Field } from './fields.js'
import { camel, NameError, words } from './names.js'

/** What `--rename` and `--fill` say about a change of fields. */
export interface ChangeHints {
  /** `--rename "title:name"`: old field name → new field name (camelCase). */
  renames?: ReadonlyMap<string, string>
  /** `--fill "status=open"`: the value rows already there get for a new required field, by field name. */
  fills?: ReadonlyMap<string, string>
}

/** The statements of one migration, and what they do in words. */
export interface Alteration {
  /** SQL statements, in the order they run. */
  sql: string[]
  /** One line per change: `add column due_date`. */
  summary: string[]
  /** The changes that lose data or can fail on rows already there (they need `--allow-drop`). */
  destructive: string[]
}

const fieldName = (raw: string): string => camel(words(raw))

/**
 * Reads `--rename "old:new, other:next"`; throws a {@link NameError} for a malformed entry.
 * @example parseRenames('title:name').get('title') // 'name'
 */
export function parseRenames(spec: string | undefined): Map<string, string> {
  const renames = new Map<string, string>()
  for (const entry of (spec ?? '').split(',').map((part) => part.trim()).filter(Boolean)) {
    const match = /^([A-Za-z][A-Za-z0-9_]*)\s*:\s*([A-Za-z][A-Za-z0-9_]*)$/.exec(entry)
    if (!match) throw new NameError(`Cannot read --rename "${entry}": write old:new, e.g. --rename title:name`)
    renames.set(fieldName(match[1]!), fieldName(match[2]!))
  }
  return renames
}

/**
 * Reads `--fill "status=open, priority=3"`; throws a {@link NameError} for a malformed entry.
 * @example parseFills('status=open').get('status') // 'open'
 */
export function parseFills(spec: string | undefined): Map<string, string> {
  const fills = new Map<string, string>()
  for (const entry of (spec ?? '').split(',').map((part) => part.trim()).filter(Boolean)) {
    const match = /^([A-Za-z][A-Za-z0-9_]*)\s*=(.*)$/.exec(entry)
    if (!match) throw new NameError(`Cannot read --fill "${entry}": write field=value, e.g. --fill status=open`)
    fills.set(fieldName(match[1]!), match[2]!.trim())
  }
  return fills
}

const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`
const enumValues = (spec: EnumSpec): string => spec.values.map(quote).join(', ')

/** `value` as an SQL literal of the field's type; throws a {@link NameError} when it is not one. */
function literal(field: Field, value: string): string {
  const wrong = (what: string): never => {
    throw new NameError(`Cannot use --fill ${field.name}=${value}: ${what}`)
  }
  switch (field.kind) {
    case 'integer':
      if (!/^-?\d{1,10}$/.test(value) || Math.abs(Number(value)) > 2147483647) wrong('give a whole number')
      return value
    case 'number':
      if (value === '' || !Number.isFinite(Number(value))) wrong('give a number')
      return String(Number(value))
    case 'boolean':
      if (value !== 'true' && value !== 'false') wrong('give true or false')
      return value
    case 'date':
      if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) wrong('give a date as 2024-05-01')
      return `${quote(value)}::date`
    case 'datetime':
      if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(Date.parse(value))) wrong('give a date and time as 2024-05-01T10:30:00Z')
      return `${quote(value)}::timestamptz`
    case 'uuid':
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) wrong('give a UUID')
      return `${quote(value)}::uuid`
    case 'enum':
      if (!field.enum!.values.includes(value)) wrong(`give one of ${field.enum!.values.join(', ')}`)
      return `${quote(value)}::${field.sql}`
    default:
      if (field.kind === 'string' && value === '') wrong('give a value that is not empty')
      return quote(value)
  }
}

/** Whether every value of type `from` becomes a `to` without loss or failure. */
function widens(from: Field, to: Field): boolean {
  return to.sql === 'text' || (from.kind === 'integer' && to.kind === 'number')
}

/**
 * The statements that take `table` from the fields `before` to the fields `after`: dropped,
 * renamed, retyped (with a `USING` cast), made required or optional, and added columns, and their
 * enum types. A required column added to a table, or an optional one made required, needs a
 * value for the rows already there (`fills`). Throws a {@link NameError} for a rename or fill that
 * names no field, and for a required column with no fill.
 * @example alterTable('tasks', parseFields('title:string', n), parseFields('title:string, due:date?', n)).sql
 * // ['ALTER TABLE tasks ADD COLUMN due date;']
 */
export function alterTable(table: string, before: readonly Field[], after: readonly Field[], hints: ChangeHints = {}): Alteration {
  const renames = hints.renames ?? new Map<string, string>()
  const fills = hints.fills ?? new Map<string, string>()
  const old = new Map(before.map((field) => [field.name, field]))
  const next = new Map(after.map((field) => [field.name, field]))
  const names = (fields: ReadonlyMap<string, Field>): string => [...fields.keys()].join(', ')
  for (const [from, to] of renames) {
    if (!old.has(from)) throw new NameError(`Cannot rename "${from}": the unit has no such field (it has ${names(old)})`)
    if (!next.has(to)) throw new NameError(`Cannot rename "${from}" to "${to}": list "${to}" in --fields`)
    if (old.has(to) && !renames.has(to)) throw new NameError(`Cannot rename "${from}" to "${to}": the unit has a field "${to}" already`)
  }
  for (const name of fills.keys()) if (!next.has(name)) throw new NameError(`Cannot use --fill ${name}=…: "${name}" is not in --fields`)
  const renamedFrom = new Map([...renames].map(([from, to]) => [to, from]))
  const pairs: [Field, Field][] = []
  const added: Field[] = []
  for (const field of after) {
    const was = old.get(renamedFrom.get(field.name) ?? (renames.has(field.name) ? '' : field.name))
    if (was) pairs.push([was, field])
    else added.push(field)
  }
  const kept = new Set(pairs.map(([was]) => was.name))
  const dropped = before.filter((field) => !kept.has(field.name))

  const out: Alteration = { sql: [], summary: [], destructive: [] }
  /** The fill of `field` as SQL; `doing` says what needs it, for the refusal when there is none. */
  const fill = (field: Field, doing: string): string => {
    const value = fills.get(field.name)
    if (value === undefined) throw new NameError(`Cannot ${doing}: rows already there need a value; give one with --fill ${field.name}=<value>, or make the field optional (${field.name}?)`)
    return literal(field, value)
  }

  for (const field of dropped) {
    out.sql.push(`ALTER TABLE ${table} DROP COLUMN ${field.column};`)
    if (field.enum) out.sql.push(`DROP TYPE ${field.enum.sqlType};`)
    out.summary.push(`drop column ${field.column}`)
    out.destructive.push(`drops the column ${table}.${field.column} and its data`)
  }
  for (const [was, field] of pairs) {
    if (was.column !== field.column) {
      out.sql.push(`ALTER TABLE ${table} RENAME COLUMN ${was.column} TO ${field.column};`)
      out.summary.push(`rename column ${was.column} to ${field.column}`)
    }
    if (was.enum && field.enum) {
      if (was.enum.sqlType !== field.enum.sqlType) out.sql.push(`ALTER TYPE ${was.enum.sqlType} RENAME TO ${field.enum.sqlType};`)
      const gone = was.enum.values.filter((value) => !field.enum!.values.includes(value))
      const fresh = field.enum.values.filter((value) => !was.enum!.values.includes(value))
      if (gone.length === 0) {
        for (const value of fresh) out.sql.push(`ALTER TYPE ${field.enum.sqlType} ADD VALUE ${quote(value)};`)
        if (fresh.length > 0) out.summary.push(`add ${fresh.join(', ')} to ${field.enum.sqlType}`)
      } else {
        // PostgreSQL cannot take a value out of an enum: a new type replaces it, rows cast over
        const value = fills.has(field.name) ? fill(field, '') : undefined
        const cast = value === undefined ? `${field.column}::text::${field.enum.sqlType}` : `CASE WHEN ${field.column}::text IN (${enumValues(field.enum)}) THEN ${field.column}::text::${field.enum.sqlType} ELSE ${value} END`
        out.sql.push(
          `ALTER TYPE ${field.enum.sqlType} RENAME TO ${field.enum.sqlType}_old;`,
          `CREATE TYPE ${field.enum.sqlType} AS ENUM (${enumValues(field.enum)});`,
          `ALTER TABLE ${table} ALTER COLUMN ${field.column} TYPE ${field.enum.sqlType} USING ${cast};`,
          `DROP TYPE ${field.enum.sqlType}_old;`,
        )
        out.summary.push(`take ${gone.join(', ')} out of ${field.enum.sqlType}`)
        if (value === undefined) out.destructive.push(`takes ${gone.join(', ')} out of ${field.enum.sqlType} (rows holding them fail the migration; --fill ${field.name}=<value> replaces them)`)
      }
    } else if (was.sql !== field.sql) {
      if (field.enum) out.sql.push(`CREATE TYPE ${field.enum.sqlType} AS ENUM (${enumValues(field.enum)});`)
      const using = was.enum || field.enum ? `${field.column}::text${field.sql === 'text' ? '' : `::${field.sql}`}` : `${field.column}::${field.sql}`
      out.sql.push(`ALTER TABLE ${table} ALTER COLUMN ${field.column} TYPE ${field.sql} USING ${using};`)
      if (was.enum) out.sql.push(`DROP TYPE ${was.enum.sqlType};`)
      out.summary.push(`change ${field.column} from ${was.sql} to ${field.sql}`)
      if (!widens(was, field)) out.destructive.push(`changes ${table}.${field.column} from ${was.sql} to ${field.sql} (values that do not convert fail the migration or lose precision)`)
    }
    if (was.optional && !field.optional) {
      out.sql.push(`UPDATE ${table} SET ${field.column} = ${fill(field, `make "${field.name}" required on ${table}`)} WHERE ${field.column} IS NULL;`, `ALTER TABLE ${table} ALTER COLUMN ${field.column} SET NOT NULL;`)
      out.summary.push(`make ${field.column} required`)
    } else if (!was.optional && field.optional) {
      out.sql.push(`ALTER TABLE ${table} ALTER COLUMN ${field.column} DROP NOT NULL;`)
      out.summary.push(`make ${field.column} optional`)
    }
  }
  for (const field of added) {
    if (field.enum) out.sql.push(`CREATE TYPE ${field.enum.sqlType} AS ENUM (${enumValues(field.enum)});`)
    if (field.optional) {
      out.sql.push(`ALTER TABLE ${table} ADD COLUMN ${field.column} ${field.sql};`)
    } else {
      // the default only fills the rows already there; new rows must still send a value
      out.sql.push(`ALTER TABLE ${table} ADD COLUMN ${field.column} ${field.sql} NOT NULL DEFAULT ${fill(field, `add the required field "${field.name}" to ${table}`)};`, `ALTER TABLE ${table} ALTER COLUMN ${field.column} DROP DEFAULT;`)
    }
    out.summary.push(`add column ${field.column}`)
  }
  return out
}
