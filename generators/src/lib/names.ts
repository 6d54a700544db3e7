// The names one unit name turns into (folder, route, table, identifiers, schema names), and the
// names a unit may not take. `task-event`, `TaskEvent` and `task_events` all name the same unit.
import { realpathSync } from 'node:fs'
import pluralize from 'pluralize'

/** Every spelling of one unit's name that the generated code uses. */
export interface UnitNames {
  /** Folder, unit name and route segment: `task-events`. */
  kebab: string
  /** The route prefix: `/v1/task-events`. */
  route: string
  /** The SQL table: `task_events`. */
  table: string
  /** The routes' default export as `main.ts` imports it, and the model object: `taskEvents`. */
  camelPlural: string
  /** The existence-check dependency: `taskEvent`. */
  camelSingular: string
  /** Prefix of the schema names: `TaskEvent` (→ `TaskEventIn`, `TaskEventOut`). */
  pascal: string
  /** Plural for function names: `TaskEvents` (→ `listTaskEvents`). */
  pascalPlural: string
  /** Prefix of constants: `TASK_EVENT`. */
  constant: string
  /** For messages and docs: `task event`, `task events`. */
  humanSingular: string
  humanPlural: string
  /** The path param naming one row: `taskEventId`. */
  param: string
}

/** Thrown for a name the generators refuse; the message says why and is shown as is. */
export class NameError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'NameError'
  }
}

/** Whether this process is yo's command line (its bin or `node …/yo/lib/cli.js`), not a program using the generators. */
function runByYo(): boolean {
  const main = process.argv[1]
  if (!main) return false
  try {
    return /[\\/]yo[\\/]lib[\\/]cli\.js$/.test(realpathSync(main))
  } catch {
    return false
  }
}

/**
 * Throws `error`; a refusal ({@link NameError}) as a plain message, not a stack trace. Under yo, a
 * refusal is one line on stderr and exit code 1: yo would wrap it in "An error occured while
 * running …" and the command line, and nothing is written yet when a generator refuses.
 */
export function refuse(error: unknown): never {
  if (!(error instanceof NameError)) throw error
  if (runByYo()) {
    process.stderr.write(`${error.message}\n`)
    process.exit(1)
  }
  throw Object.assign(new Error(error.message), { stack: error.message })
}

// Words of JavaScript and TypeScript that cannot name an import or a function.
const JS_RESERVED = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await async arguments eval undefined any boolean number string symbol never unknown object type declare namespace module require'.split(' '),
)

// Names the generated service already uses: the files beside the units, the identifiers main.ts
// and logic.ts declare, the dependency input names the runtime reserves (`use` keys), and the
// paths other plugins serve (`/health`, `/docs`).
const SERVICE_RESERVED = new Set(
  'db database transaction config settings main app tests test src models enums migrations health docs openapi static params query headers header body ctx cleanup t created no-content not-found http version v1 node-modules'.split(' '),
)

// REST names the thing, and the HTTP method is the verb: a unit named for an action
// (`create-project` → /v1/create-projects) is refused, with the noun and the method that does it.
// Only as the first of several words: `updates`, `runs` or `searches` alone are things.
const VERB_METHODS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(['create', 'add', 'make', 'insert', 'submit', 'save', 'new'].map((verb) => [verb, 'POST <route> creates one'])),
  ...Object.fromEntries(['get', 'fetch', 'find', 'retrieve', 'show', 'load', 'read', 'list'].map((verb) => [verb, 'GET <route> lists them, GET <route>/:id reads one'])),
  ...Object.fromEntries(['update', 'edit', 'modify', 'set', 'put', 'patch', 'change', 'upsert'].map((verb) => [verb, 'PATCH <route>/:id changes one'])),
  ...Object.fromEntries(['delete', 'remove', 'destroy', 'del'].map((verb) => [verb, 'DELETE <route>/:id deletes one'])),
  ...Object.fromEntries(['do', 'handle', 'send', 'process', 'run', 'execute', 'perform', 'compute', 'calculate'].map((verb) => [verb, 'an action is a POST to a noun, e.g. POST <route> to record one'])),
}

/** Splits `TaskEvent`, `task-event`, `task_event`, `task event` into lower-case words. */
export function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s_-]+/)
    .filter(Boolean)
    .map((word) => word.toLowerCase())
}

const capital = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1)

/** camelCase of words. */
export function camel(parts: readonly string[]): string {
  return parts.map((word, i) => (i === 0 ? word : capital(word))).join('')
}

/** snake_case of words. */
export function snake(parts: readonly string[]): string {
  return parts.join('_')
}

/**
 * The names of a unit, from what a user typed. The last word is made plural for routes, tables
 * and folders (REST naming: plural nouns) and singular for one row.
 * Throws a {@link NameError} for a name that is empty, starts with a digit, holds other characters
 * than letters, digits, `-`, `_` and spaces, or is reserved.
 * @example unitNames('task-event').route // '/v1/task-events'
 */
export function unitNames(input: string): UnitNames {
  const raw = input.trim()
  if (!raw) throw new NameError('A unit needs a name, e.g. yo trefoil:unit tasks')
  if (!/^[A-Za-z][A-Za-z0-9 _-]*$/.test(raw)) throw new NameError(`Cannot use "${input}" as a unit name: use letters, digits and dashes, starting with a letter (e.g. task-events)`)
  const parts = words(raw)
  const method = parts.length > 1 ? VERB_METHODS[parts[0]!] : undefined
  if (method) {
    const noun = [...parts.slice(1, -1), pluralize.plural(parts[parts.length - 1]!)].join('-')
    throw new NameError(`Cannot use "${input}" as a unit name: it starts with the verb "${parts[0]}", and in REST the HTTP method is the verb; name the thing instead: yo trefoil:unit ${noun} (${method.replace(/<route>/g, `/v1/${noun}`)})`)
  }
  const last = parts[parts.length - 1]!
  const plural = [...parts.slice(0, -1), pluralize.plural(last)]
  const singular = [...parts.slice(0, -1), pluralize.singular(last)]
  const kebab = plural.join('-')
  const names: UnitNames = {
    kebab,
    route: `/v1/${kebab}`,
    table: snake(plural),
    camelPlural: camel(plural),
    camelSingular: camel(singular),
    pascal: singular.map(capital).join(''),
    pascalPlural: plural.map(capital).join(''),
    constant: singular.join('_').toUpperCase(),
    humanSingular: singular.join(' '),
    humanPlural: plural.join(' '),
    param: `${camel(singular)}Id`,
  }
  for (const candidate of new Set([kebab, singular.join('-'), names.camelPlural, names.camelSingular])) {
    if (JS_RESERVED.has(candidate)) throw new NameError(`Cannot use "${input}" as a unit name: "${candidate}" is a reserved word in JavaScript`)
    if (SERVICE_RESERVED.has(candidate)) throw new NameError(`Cannot use "${input}" as a unit name: "${candidate}" is already used by the service (src/, main.ts or a plugin); pick another name`)
  }
  return names
}

/** The spellings of a task's, job's or plugin's name: kept as given (`split-area`), not made plural. */
export interface KindNames {
  /** Folder, job name, plugin name and route segment: `split-area`. */
  kebab: string
  /** The identifier its module exports: `splitArea`. */
  camel: string
  /** Prefix of its type and schema names: `SplitArea`. */
  pascal: string
  /** Prefix of its constants: `SPLIT_AREA`. */
  constant: string
  /** For messages and docs: `split area`. */
  human: string
}

/**
 * The names of a task, job or plugin (`yo trefoil:task split-area`). An action is a fine name
 * here (unlike a unit's): a task or job is something done. Throws a {@link NameError} for a name
 * that is empty, holds other characters than letters, digits, `-`, `_` and spaces, or is reserved.
 * @example kindNames('split_area', 'task').camel // 'splitArea'
 */
export function kindNames(input: string, kind: string): KindNames {
  const raw = input.trim()
  const example = kind === 'plugin' ? 'request-counter' : kind === 'job' ? 'send-report' : 'split-area'
  if (!raw) throw new NameError(`A ${kind} needs a name, e.g. yo trefoil:${kind} ${example}`)
  if (!/^[A-Za-z][A-Za-z0-9 _-]*$/.test(raw)) throw new NameError(`Cannot use "${input}" as a ${kind} name: use letters, digits and dashes, starting with a letter (e.g. ${example})`)
  const parts = words(raw)
  const names: KindNames = { kebab: parts.join('-'), camel: camel(parts), pascal: parts.map(capital).join(''), constant: snake(parts).toUpperCase(), human: parts.join(' ') }
  for (const candidate of new Set([names.kebab, names.camel])) {
    if (JS_RESERVED.has(candidate)) throw new NameError(`Cannot use "${input}" as a ${kind} name: "${candidate}" is a reserved word in JavaScript`)
    if (SERVICE_RESERVED.has(candidate) || KIND_RESERVED.has(candidate)) throw new NameError(`Cannot use "${input}" as a ${kind} name: "${candidate}" is already used by the service (src/, main.ts or a plugin); pick another name`)
  }
  return names
}

// What the task, job and plugin generators write beside the units: src/workers.ts, src/jobs.ts and
// the plugin values main.ts and those files declare.
const KIND_RESERVED = new Set('workers workers-plugin workersPlugin jobs jobs-plugin jobsPlugin storage plugins'.split(' '))

