// `--fields "title:string, done:boolean, priority:integer?"`: what each field becomes in the
// TypeBox schemas, the SQL table, the model's column list and the generated tests.
import pluralize from 'pluralize'
import { camel, NameError, snake, words, type UnitNames } from './names.js'

/** One kind of field: its schema, its column type, and values the tests send. */
interface FieldKind {
  /** TypeBox expression of the value a client sends. */
  schema: string
  /** TypeBox expression of the value a client receives (no input-only limits). */
  out: string
  /** PostgreSQL column type. */
  sql: string
  /** How the column is selected so the driver returns what `out` says (`$c` is the column). */
  select?: string
  /** A valid value, another valid value, and one of the wrong type (JSON, as TypeScript text). */
  sample: string
  changed: string
  wrong: string
}

const INT4 = 'minimum: -2147483648, maximum: 2147483647'

// pg returns `date` and `timestamptz` as Date objects: selected as text they match the schemas
// exactly (`2024-05-01`, `2024-05-01T10:30:00.000Z`) and survive JSON unchanged.
const KINDS: Readonly<Record<string, FieldKind>> = {
  string: { schema: "t.String({ minLength: 1, maxLength: 200, transform: ['trim'] })", out: 't.String()', sql: 'text', sample: "'Example'", changed: "'Changed'", wrong: '42' },
  text: { schema: 't.String({ maxLength: 10000 })', out: 't.String()', sql: 'text', sample: "'Some longer text'", changed: "'Other text'", wrong: '42' },
  integer: { schema: `t.Integer({ ${INT4} })`, out: 't.Integer()', sql: 'integer', sample: '3', changed: '4', wrong: "'many'" },
  number: { schema: 't.Number()', out: 't.Number()', sql: 'double precision', sample: '2.5', changed: '3.5', wrong: "'much'" },
  boolean: { schema: 't.Boolean()', out: 't.Boolean()', sql: 'boolean', sample: 'true', changed: 'false', wrong: "'yes'" },
  date: { schema: "t.String({ format: 'date' })", out: "t.String({ format: 'date' })", sql: 'date', select: '$c::text', sample: "'2024-05-01'", changed: "'2024-06-15'", wrong: "'next week'" },
  datetime: {
    schema: "t.String({ format: 'date-time' })",
    out: "t.String({ format: 'date-time' })",
    sql: 'timestamptz',
    select: `to_char($c AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
    sample: "'2024-05-01T10:30:00.000Z'",
    changed: "'2024-06-15T08:00:00.000Z'",
    wrong: "'yesterday'",
  },
  email: { schema: "t.String({ format: 'email', maxLength: 254, transform: ['trim', 'toLowerCase'] })", out: 't.String()', sql: 'text', sample: "'someone@example.org'", changed: "'other@example.org'", wrong: "'not an email'" },
  url: { schema: "t.String({ format: 'uri', maxLength: 2048 })", out: 't.String()', sql: 'text', sample: "'https://example.org/'", changed: "'https://example.org/other'", wrong: "'not a url'" },
  uuid: { schema: "t.String({ format: 'uuid' })", out: 't.String()', sql: 'uuid', sample: "'0b4a8f4e-8d3b-4c1e-9a55-3e2f1f6a7c10'", changed: "'5d0c8a3e-2f6b-4b7a-8c1d-9e0f1a2b3c4d'", wrong: "'not-a-uuid'" },
}

const ALIASES: Readonly<Record<string, string>> = { str: 'string', int: 'integer', float: 'number', double: 'number', bool: 'boolean', timestamp: 'datetime', 'date-time': 'datetime', uri: 'url' }

// PostgreSQL's reserved key words: a column of one of these names would need quoting everywhere.
const SQL_RESERVED = new Set(
  'all analyse analyze and any array as asc asymmetric authorization both case cast check collate column constraint create current_catalog current_date current_role current_time current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign from grant group having in initially intersect into lateral leading limit localtime localtimestamp not null offset on only or order placing primary references returning select session_user some symmetric system_user table then to trailing true union unique user using variadic when where window with'.split(' '),
)

/** The field types `--fields` accepts, for messages and docs. */
export const FIELD_TYPES = [...Object.keys(KINDS), 'a|b|c (one of these values)'] as const

/** A PostgreSQL enum type and its TypeScript mirror in `src/db/enums.ts`. */
export interface EnumSpec {
  /** The values, in order. */
  values: string[]
  /** The SQL type: `task_status`. */
  sqlType: string
  /** The schema and type name: `TaskStatus`. */
  name: string
  /** The list constant: `TASK_STATUSES`. */
  constant: string
}

/** One field of a unit, with everything the templates need. */
export interface Field {
  /** Property name in JSON and TypeScript: `dueDate`. */
  name: string
  /** Column name: `due_date`. */
  column: string
  /** May be left out (and is null when it is). */
  optional: boolean
  /** TypeBox expressions for input and output. */
  schema: string
  out: string
  /** Column type, with `NOT NULL` unless optional. */
  sqlType: string
  /** Column type alone: `integer`, `task_status`. */
  sql: string
  /** The field's kind (`string`, `date`, …; `enum` for a list of values): what a migration compares. */
  kind: string
  /** Select-list entry: `due_date::text AS "dueDate"`. */
  select: string
  sample: string
  changed: string
  wrong: string
  /** Set for a field of one of a list of values. */
  enum?: EnumSpec
}

/** The fields a unit gets when `--fields` is not given. */
export const DEFAULT_FIELDS = 'name:string, description:text?'

/**
 * Parses a `--fields` list: `name:type` pairs separated by commas, `?` after the type (or the
 * name) for an optional field; a type `a|b|c` makes a PostgreSQL enum.
 * Throws a {@link NameError} naming the bad entry.
 * @example parseFields('title:string, done:boolean, priority:integer?', unitNames('tasks'))
 */
export function parseFields(spec: string, unit: UnitNames): Field[] {
  const entries = spec.split(',').map((entry) => entry.trim()).filter(Boolean)
  if (entries.length === 0) throw new NameError(`Cannot read --fields "${spec}": give at least one name:type, e.g. --fields "title:string, done:boolean"`)
  const fields: Field[] = []
  for (const entry of entries) {
    const match = /^([A-Za-z][A-Za-z0-9_]*)(\?)?\s*:\s*([A-Za-z0-9_|-]+)(\?)?$/.exec(entry)
    if (!match) throw new NameError(`Cannot read the field "${entry}": write name:type, e.g. title:string or priority:integer?`)
    const [, rawName, optionalName, rawType, optionalType] = match
    const name = camel(words(rawName!))
    const column = snake(words(rawName!))
    if (SQL_RESERVED.has(column)) throw new NameError(`Cannot use "${rawName}" as a field name: it is a reserved word in SQL; pick another (e.g. ${column}_value)`)
    if (name === 'id') throw new NameError('Cannot add the field "id": every unit has one already (an integer primary key)')
    if (fields.some((field) => field.name === name)) throw new NameError(`Cannot add the field "${rawName}" twice`)
    const optional = Boolean(optionalName ?? optionalType)
    const type = rawType!.toLowerCase()
    let kind: FieldKind
    let kindName = 'enum'
    let enumSpec: EnumSpec | undefined
    if (type.includes('|')) {
      const values = rawType!.split('|').filter(Boolean)
      if (values.length < 2 || values.some((value) => !/^[a-z][a-z0-9_-]*$/.test(value)) || new Set(values).size !== values.length) {
        throw new NameError(`Cannot read the values of "${entry}": list two or more distinct lower-case words, e.g. status:todo|doing|done`)
      }
      const fieldWords = words(rawName!)
      const prefix = words(unit.pascal)
      enumSpec = {
        values,
        sqlType: snake([...prefix, ...fieldWords]),
        name: [...prefix, ...fieldWords].map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join(''),
        constant: snake([...prefix, ...fieldWords.slice(0, -1), pluralize.plural(fieldWords[fieldWords.length - 1]!)]).toUpperCase(),
      }
      kind = { schema: enumSpec.name, out: enumSpec.name, sql: enumSpec.sqlType, sample: `'${values[0]}'`, changed: `'${values[1]}'`, wrong: `'not-a-${column.replace(/_/g, '-')}'` }
    } else {
      const found = KINDS[ALIASES[type] ?? type]
      if (!found) throw new NameError(`Cannot use the type "${rawType}" of the field "${rawName}": use one of ${FIELD_TYPES.join(', ')}`)
      kind = found
      kindName = ALIASES[type] ?? type
    }
    const selected = kind.select ? kind.select.replace('$c', column) : column
    fields.push({
      name,
      column,
      optional,
      schema: optional ? `t.Optional(t.Union([${kind.schema}, t.Null()]))` : kind.schema,
      out: optional ? `t.Union([${kind.out}, t.Null()])` : kind.out,
      sqlType: optional ? kind.sql : `${kind.sql} NOT NULL`,
      sql: kind.sql,
      kind: kindName,
      select: selected === name ? name : `${selected} AS "${name}"`,
      sample: kind.sample,
      changed: kind.changed,
      wrong: kind.wrong,
      ...(enumSpec ? { enum: enumSpec } : {}),
    })
  }
  return fields
}
