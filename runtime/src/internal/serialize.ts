// Response models: a serializer compiled from the response schema writes only the schema's
// fields (private ones never leave), and in development the output is checked against it.
import build from 'fast-json-stringify'
import type { TSchema } from 'typebox'
import { compileCheck, toIssues, type Validator } from '../validation.js'

/** Writes a value as JSON text. */
export type Serializer = (value: unknown) => string

const serializers = new WeakMap<object, Serializer>()
const checks = new WeakMap<object, Validator>()

/** The serializer compiled from `schema` (compiled on first use, then shared by every route). */
export function serializerFor(schema: TSchema): Serializer {
  let serializer = serializers.get(schema)
  if (!serializer) {
    try {
      serializer = build(schema as never) as Serializer
    } catch (error) {
      throw new Error(`Cannot compile response schema: ${(error as Error).message}`)
    }
    serializers.set(schema, serializer)
  }
  return serializer
}

/** `JSON.stringify` for routes without a response schema; `undefined` becomes `null`. */
export const plainJson: Serializer = (value) => JSON.stringify(value) ?? 'null'

/**
 * Checks a response value against its schema as a client would read it (dates as strings, no
 * `undefined`); returns a description of the first mismatch, or undefined when it fits.
 */
export function responseMismatch(schema: TSchema, value: unknown): string | undefined {
  let check = checks.get(schema)
  if (!check) {
    check = compileCheck(schema)
    checks.set(schema, check)
  }
  const asSent = value === undefined ? null : JSON.parse(JSON.stringify(value))
  if (check(asSent)) return undefined
  const [issue] = toIssues(check.errors, 'response')
  if (!issue) return 'does not match its schema'
  const field = issue.loc.slice(1).join('.') || '(root)'
  return `field "${field}": ${issue.msg}`
}
