// Translates PostgreSQL errors into HTTP errors: a duplicate is a 409, a reference to a missing
// row a 422, a row still referenced a 409, an unreachable database a 503 with `Retry-After`.
// Clients see what a constraint means, never the SQL or the values.
import { Conflict, HttpError, ServiceUnavailable, ValidationError } from '../core/errors.js'

/**
 * What a violated constraint means to a client: a message (409 for unique and "still referenced",
 * 422 for a missing reference or a failed check), or the status, the message and the body field.
 */
export type ConstraintMessage = string | { status: 409 | 422; message: string; field?: string }

/** What a 503 tells clients to wait before trying again, in seconds. */
export const RETRY_AFTER_SECONDS = 5

interface PgError {
  code: string
  message?: string
  severity?: string
  constraint?: string
  table?: string
  detail?: string
}

// SQLSTATE classes and codes that mean "the server cannot serve now; try again later"
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', '53400', '08000', '08001', '08003', '08004', '08006'])
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED'])
// node-postgres reports these as plain errors without a code; pg-promise the last one, for a
// request still running while the app closes its pool
const UNAVAILABLE_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout|Connection pool of the database object has been destroyed)/

/** Whether `error` says the database cannot be reached right now (refused, reset, timed out, shutting down). */
export function isUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const { code, message } = error as { code?: unknown; message?: unknown }
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_CODES.has(code))) return true
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true
  // Node's happy-eyeballs connect reports every address it tried
  const nested = (error as { errors?: unknown }).errors
  return Array.isArray(nested) && nested.length > 0 && nested.every(isUnavailable)
}

function isPgError(error: unknown): error is PgError {
  if (typeof error !== 'object' || error === null) return false
  const { code, severity } = error as { code?: unknown; severity?: unknown }
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && typeof severity === 'string'
}

/** Builds the app's error mapper from the constraint messages it declared. */
export function pgErrorMapper(messages: Readonly<Record<string, ConstraintMessage>>, retryAfterSeconds = RETRY_AFTER_SECONDS): (error: unknown) => HttpError | undefined {
  return function mapDatabaseError(error) {
    if (isUnavailable(error)) {
      return new ServiceUnavailable('Database unavailable', { cause: error, headers: { 'Retry-After': String(retryAfterSeconds) }, code: 'database_unavailable' })
    }
    if (!isPgError(error)) return undefined
    const declared = error.constraint ? messages[error.constraint] : undefined
    switch (error.code) {
      case '23505': // unique_violation
        return fromDeclared(declared, error) ?? new Conflict(`Already exists: ${describeKey(error.detail)}`, { cause: error, code: 'unique_violation' })
      case '23503': // foreign_key_violation
        if (/is still referenced/.test(error.detail ?? '')) {
          return fromDeclared(declared, error) ?? new Conflict(`Still in use: ${referencingTable(error.detail)} refer to it`, { cause: error, code: 'still_referenced' })
        }
        return fromDeclared(declared, error, 422) ?? missingReference(error)
      case '23514': // check_violation
        return fromDeclared(declared, error, 422) ?? bodyIssue(error, `Breaks the rule "${error.constraint ?? 'check'}"`, 'check_violation')
      // input that passed its schema but that the column cannot hold: the client's to fix
      case '08P01': // protocol_violation: pg-promise inlines values, and a NUL ends the query text
        return error.message === 'invalid message format' ? unstorableText(error) : undefined
      case '22021': // character_not_in_repertoire
      case '22P05': // untranslatable_character
        return unstorableText(error)
      case '22003': // numeric_value_out_of_range
        return bodyIssue(error, 'A number is out of the range the database can store', 'out_of_range')
      case '22001': // string_data_right_truncation
        return bodyIssue(error, 'A text is longer than the database column allows', 'string_too_long')
      default:
        return undefined
    }
  }
}

/** A 422 about the body as a whole: PostgreSQL does not say which field. */
function bodyIssue(error: PgError, msg: string, type: string): ValidationError {
  return new ValidationError([{ loc: ['body'], msg, type }], { cause: error })
}

function unstorableText(error: PgError): ValidationError {
  return bodyIssue(error, 'Text contains a character the database cannot store (such as NUL)', 'string_unicode')
}

function fromDeclared(declared: ConstraintMessage | undefined, error: PgError, fallbackStatus: 409 | 422 = 409): HttpError | undefined {
  if (declared === undefined) return undefined
  const { status, message, field } = typeof declared === 'string' ? { status: fallbackStatus, message: declared, field: undefined } : declared
  if (status === 422) return new ValidationError([{ loc: field ? ['body', field] : ['body'], msg: message, type: error.code === '23503' ? 'foreign_key_violation' : 'value_error' }], { cause: error })
  return new Conflict(message, { cause: error, code: error.code === '23505' ? 'unique_violation' : 'conflict' })
}

// `Key (owner_id)=(7) is not present in table "users".` → 422 on owner_id, value left out
function missingReference(error: PgError): HttpError {
  const match = /^Key \(([^)]+)\)=.* is not present in table "([^"]+)"/.exec(error.detail ?? '')
  const columns = match?.[1] ?? 'reference'
  const table = match?.[2] ?? 'the referenced table'
  return new ValidationError([{ loc: ['body', ...columns.split(', ').slice(0, 1)], msg: `Refers to a row of "${table}" that does not exist`, type: 'foreign_key_violation' }], { cause: error })
}

// `Key (name)=(Survey) already exists.` → `a row with this name`; the value stays out of the answer
function describeKey(detail: string | undefined): string {
  const columns = /^Key \(([^)]+)\)=/.exec(detail ?? '')?.[1]
  return columns ? `a row with this ${columns.split(', ').join(' and ')}` : 'a row with these values'
}

function referencingTable(detail: string | undefined): string {
  const table = /referenced from table "([^"]+)"/.exec(detail ?? '')?.[1]
  return table ? `rows of "${table}"` : 'other rows'
}
