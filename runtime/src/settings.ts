// Settings from the environment and `.env`, validated once at start-up like pydantic-settings:
// coerced, defaults applied, every problem reported at once, frozen, secrets masked in print.
import { existsSync, readFileSync } from 'node:fs'
import { inspect } from 'node:util'
import { parse as parseDotenv } from 'dotenv'
import type { Static, TSchema } from 'typebox'
import { SchemaCompiler, toIssues } from './core/validation.js'
import { TrefoilError } from './core/trefoil-error.js'

/** Options of {@link defineSettings}. */
export interface SettingsOptions {
  /** The variables to read (default `process.env`); real variables win over the file. */
  env?: Record<string, string | undefined>
  /** A dotenv file to read first (default `.env` in the working folder); `false` for none. */
  envFile?: string | false
}

/** Thrown at start-up when variables are missing or invalid; lists every one of them. */
export class SettingsError extends TrefoilError {
  readonly problems: readonly { variable: string; msg: string }[]

  constructor(problems: { variable: string; msg: string }[]) {
    super('TREFOIL_SETTINGS_INVALID', `Invalid settings: ${problems.map((p) => `${p.variable}: ${p.msg}`).join('; ')}`)
    this.name = 'SettingsError'
    this.problems = problems
  }
}

// Settings are read before any app exists, so they have a compiler of their own: private to this
// module (nobody can add formats to it), knowing the standard formats only.
const settingsCompiler = new SchemaCompiler()

const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|API_?KEY|CREDENTIAL)/i

/**
 * Reads, coerces and validates settings; throws a {@link SettingsError} naming every bad variable.
 * `DATABASE_URL` is built from `DB_HOST`, `DB_PORT`, `DB_USER`, `DB_PASSWORD`, `DB_NAME` when the
 * schema has it and it is not set. Mark a secret with `{ secret: true }` (names like `*_SECRET`,
 * `*_PASSWORD`, `*_TOKEN` are masked anyway). An empty variable counts as unset.
 * @example
 * export const settings = defineSettings(t.Object({
 *   SECRET_KEY: t.String({ minLength: 32 }),
 *   PORT: t.Integer({ default: 8000 }),
 *   DATABASE_URL: t.Optional(t.String()),
 * }))
 */
export function defineSettings<S extends TSchema>(schema: S, options: SettingsOptions = {}): Readonly<Static<S>> {
  const properties = (schema as { properties?: Record<string, TSchema & { secret?: boolean; default?: unknown }> }).properties
  if (!properties) throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', 'defineSettings() needs an object schema (t.Object({...}))')
  const env = { ...readEnvFile(options.envFile ?? '.env'), ...definedOnly(options.env ?? process.env) }
  if ('DATABASE_URL' in properties && env.DATABASE_URL === undefined && env.DB_HOST !== undefined) env.DATABASE_URL = databaseUrlFromParts(env)

  const values: Record<string, unknown> = {}
  for (const key of Object.keys(properties)) if (env[key] !== undefined) values[key] = env[key]
  const validate = settingsCompiler.compileCoercing(schema)
  if (!validate(values)) {
    const problems = toIssues(validate.errors, 'body').map((issue) => ({ variable: String(issue.loc[1] ?? '(settings)'), msg: issue.msg }))
    throw new SettingsError(problems)
  }
  // defaults are taken as written: coercion would turn a `null` default of a nullable string into ""
  for (const [key, property] of Object.entries(properties)) {
    if (env[key] === undefined && 'default' in property) values[key] = structuredClone(property.default)
  }
  const secrets = new Set(Object.keys(properties).filter((key) => properties[key]?.secret === true || SECRET_NAME.test(key)))
  const masked = (): Record<string, unknown> => {
    const shown: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(values)) shown[key] = secrets.has(key) && value !== undefined && value !== null ? '********' : typeof value === 'string' ? maskUrlPassword(value) : value
    return shown
  }
  Object.defineProperties(values, {
    toJSON: { value: masked, enumerable: false },
    toString: { value: () => JSON.stringify(masked()), enumerable: false },
    [inspect.custom]: { value: () => masked(), enumerable: false },
  })
  return Object.freeze(values) as Readonly<Static<S>>
}

function readEnvFile(path: string | false): Record<string, string> {
  // start-up only: reading synchronously keeps `settings` a plain importable constant
  if (path === false || !existsSync(path)) return {}
  return definedOnly(parseDotenv(readFileSync(path)))
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value !== '') out[key] = value
  return out
}

/** `postgresql://user:password@host:port/name` from the `DB_*` variables, each part escaped. */
export function databaseUrlFromParts(env: Record<string, string | undefined>): string {
  const user = encodeURIComponent(env.DB_USER ?? 'postgres')
  const password = env.DB_PASSWORD ? `:${encodeURIComponent(env.DB_PASSWORD)}` : ''
  const host = env.DB_HOST ?? 'localhost'
  const port = env.DB_PORT ? `:${env.DB_PORT}` : ''
  return `postgresql://${user}${password}@${host}${port}/${encodeURIComponent(env.DB_NAME ?? user)}`
}

/** A URL with its password replaced by `********` (for logs); other text is returned as is. */
export function maskUrlPassword(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^@/?#]*@/i, '$1:********@')
}
