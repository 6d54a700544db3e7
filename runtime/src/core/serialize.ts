// Response models: a serializer compiled from the response schema writes only the schema's
// fields (private ones never leave), and in development the output is checked against it.
import build from 'fast-json-stringify'
import type { TSchema } from 'typebox'
import { toIssues, type SchemaCompiler, type Validator } from './validation.js'
import { compileExactFit } from './exact-fit.js'
import { shaperFor } from './shape.js'
import { TrefoilError } from './trefoil-error.js'

/** Writes a value as JSON text. */
export type Serializer = (value: unknown) => string

const serializers = new WeakMap<object, Serializer>()
// Schemas built inside a handler (`t.Array(TaskOut)` per request) are new objects each time: a
// second cache keyed by the schema's JSON text lets them share one compiled serializer instead of
// compiling (slow, and growing memory) on every request.
const serializersByShape = new Map<string, Serializer>()
// Output checks belong to a compiler, as the formats they check do: an app's own formats check its
// responses, and another app's schema of the same structure gets its own check.
const checksOf = new WeakMap<SchemaCompiler, { bySchema: WeakMap<object, Validator>; byShape: Map<string, Validator> }>()

/** The schema's JSON text: equal for schemas of the same structure, whatever their identity. */
function shapeOf(schema: TSchema): string {
  return JSON.stringify(schema)
}

/**
 * The serializer compiled from `schema`: compiled on first use, then shared by every route and by
 * every schema of the same structure.
 */
export function serializerFor(schema: TSchema): Serializer {
  let serializer = serializers.get(schema)
  if (serializer) return serializer
  // a model that cannot be shaped is refused with its serializer, at start-up
  shaperFor(schema)
  const shape = shapeOf(schema)
  serializer = serializersByShape.get(shape)
  if (!serializer) {
    let compiled: Serializer
    try {
      // unions are serialized by validating which branch fits: their validators are compiled here,
      // not by the first request that reaches one
      // (without ajv's optimising pass, as for every validator: see validation.ts)
      compiled = build(schema as never, { compileValidators: true, ajv: { code: { optimize: false } } }) as Serializer
    } catch (error) {
      throw new TrefoilError('TREFOIL_SCHEMA_INVALID', `Cannot compile response schema: ${(error as Error).message}`, { cause: error })
    }
    // lists that already have the model's exact shape: the native stringify writes one flat
    // string; single objects are faster through the compiled serializer
    const fits = (schema as { type?: unknown }).type === 'array' ? compileExactFit(schema) : undefined
    serializer = fits ? (value) => (fits(value) ? JSON.stringify(value) : compiled(value)) : compiled
    serializersByShape.set(shape, serializer)
  }
  serializers.set(schema, serializer)
  return serializer
}

/** `JSON.stringify` for routes without a response schema; `undefined` becomes `null`. */
export const plainJson: Serializer = (value) => JSON.stringify(value) ?? 'null'

/**
 * Checks a response value against its schema as a client would read it (dates as strings, no
 * `undefined`); returns a description of the first mismatch, or undefined when it fits.
 */
export function responseMismatch(schema: TSchema, value: unknown, compiler: SchemaCompiler): string | undefined {
  const check = checkFor(schema, compiler)
  const asSent = value === undefined ? null : JSON.parse(JSON.stringify(value))
  if (check(asSent)) return undefined
  const [issue] = toIssues(check.errors, 'response')
  if (!issue) return 'does not match its schema'
  const field = issue.loc.slice(1).join('.') || '(root)'
  return `field "${field}": ${issue.msg}`
}

/**
 * The output check compiled from `schema` by `compiler` (the app's, with its formats): compiled
 * once (routes prime it at start-up), then shared by every schema of the same structure.
 */
export function checkFor(schema: TSchema, compiler: SchemaCompiler): Validator {
  let cache = checksOf.get(compiler)
  if (!cache) checksOf.set(compiler, (cache = { bySchema: new WeakMap(), byShape: new Map() }))
  let check = cache.bySchema.get(schema)
  if (!check) {
    const shape = shapeOf(schema)
    check = cache.byShape.get(shape) ?? compiler.compileCheck(schema)
    cache.byShape.set(shape, check)
    cache.bySchema.set(schema, check)
  }
  return check
}

/**
 * The fields of `value` a response model leaves out (`items.title` for a list's items), so that
 * development can say what the client never sees. Only objects with declared properties are
 * looked into; a model that allows extra properties drops nothing.
 */
export function droppedFields(schema: TSchema, value: unknown, path = ''): string[] {
  const node = schema as { type?: unknown; properties?: Record<string, TSchema>; items?: unknown; additionalProperties?: unknown }
  if (Array.isArray(value) && node.type === 'array' && node.items && typeof node.items === 'object' && !Array.isArray(node.items)) {
    const found = new Set<string>()
    for (const item of value) for (const field of droppedFields(node.items as TSchema, item, path ? `${path}.items` : 'items')) found.add(field)
    return [...found]
  }
  if (node.type !== 'object' || !node.properties || typeof value !== 'object' || value === null || Array.isArray(value)) return []
  if (node.additionalProperties !== undefined && node.additionalProperties !== false) return []
  const found: string[] = []
  for (const [key, field] of Object.entries(value)) {
    const name = path ? `${path}.${key}` : key
    const declared = node.properties[key]
    if (!declared) {
      if (field !== undefined) found.push(name)
    } else found.push(...droppedFields(declared, field, name))
  }
  return found
}
