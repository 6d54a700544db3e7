// Finds the models with computed fields or serializers inside a response schema (a list of them,
// an object holding one, one or null) and shapes a handler's value by them, once per schema: a
// schema with no such model anywhere costs nothing.
import type { TSchema } from 'typebox'
import { modelShape, type Shape } from './model.js'
import { TrefoilError } from './trefoil-error.js'

const compiled = new WeakMap<object, Shape | null>()

/** How to shape a value for `schema`, or undefined when no part of it declares any shaping. */
export function shaperFor(schema: TSchema): Shape | undefined {
  const known = compiled.get(schema)
  if (known !== undefined) return known ?? undefined
  const shape = compile(schema)
  compiled.set(schema, shape ?? null)
  return shape
}

type Node = { type?: unknown; items?: unknown; properties?: Record<string, TSchema>; anyOf?: TSchema[]; oneOf?: TSchema[] }

function compile(schema: TSchema): Shape | undefined {
  const node = schema as Node
  const own = modelShape(schema)
  const fields = node.properties ? propertyShapes(node.properties) : undefined
  if (own || fields) {
    return (value) => {
      const inner = fields && isRecord(value) ? fields(value) : value
      return own ? own(inner) : inner
    }
  }
  if (node.type === 'array' && node.items && typeof node.items === 'object' && !Array.isArray(node.items)) {
    const item = shaperFor(node.items as TSchema)
    if (item) return (value) => (Array.isArray(value) ? value.map(item) : value)
    return undefined
  }
  const branches = node.anyOf ?? node.oneOf
  if (branches) {
    const shaped = branches.map((branch) => shaperFor(branch)).filter((shape): shape is Shape => shape !== undefined)
    // one model or null (or a scalar): which branch a value takes is plain; among several
    // shaped branches it is not, and guessing would send a value the model did not shape
    if (shaped.length > 1) throw new TrefoilError('TREFOIL_SCHEMA_INVALID', 'Cannot shape a union of several models with computed fields or serializers: give each its own route or status')
    const [only] = shaped
    if (only) return (value) => (typeof value === 'object' && value !== null ? only(value) : value)
  }
  return undefined
}

function propertyShapes(properties: Record<string, TSchema>): ((value: Record<string, unknown>) => Record<string, unknown>) | undefined {
  const shaped = Object.entries(properties)
    .map(([name, schema]) => [name, shaperFor(schema)] as const)
    .filter((entry): entry is readonly [string, Shape] => entry[1] !== undefined)
  if (shaped.length === 0) return undefined
  return (value) => {
    const copy = { ...value }
    for (const [name, shape] of shaped) if (copy[name] !== undefined) copy[name] = shape(copy[name])
    return copy
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
