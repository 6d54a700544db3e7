// A cheap check that a value already has exactly the shape of a response schema: the fields it
// names and no others, each of the JSON type it names. Lists that pass are written by the native
// JSON.stringify; the compiled serializer builds its text from thousands of small pieces, and
// flattening that rope for Content-Length costs more than the serializing saved (bench/README.md).
type Schema = Record<string, unknown>

/** Returns true when `value` serializes the same through `JSON.stringify` as through the model. */
export type ExactFit = (value: unknown) => boolean

/**
 * Compiles the check, or returns undefined for schemas it does not cover (references,
 * `allOf`, extra properties allowed, ...): those always take the compiled serializer.
 */
export function compileExactFit(schema: object): ExactFit | undefined {
  const functions: string[] = []
  const name = compileNode(schema as Schema, functions)
  if (name === undefined) return undefined
  return new Function(`'use strict'\n${functions.join('\n')}\nreturn ${name}`)() as ExactFit
}

function compileNode(schema: Schema, functions: string[]): string | undefined {
  const name = `fit${functions.length}`
  functions.push('') // reserve the slot: children get later numbers
  const index = functions.length - 1
  const alternatives = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined
  let body: string | undefined
  if (alternatives) {
    if (hasAny(schema, ['type', 'properties', 'items', 'allOf', '$ref'])) return undefined
    const names = alternatives.map((alternative) => compileNode(alternative, functions))
    if (names.some((n) => n === undefined)) return undefined
    body = `return ${names.map((n) => `${n}(v)`).join(' || ')}`
  } else if (Array.isArray(schema.type)) {
    const names = (schema.type as string[]).map((type) => compileNode({ ...schema, type }, functions))
    if (names.some((n) => n === undefined)) return undefined
    body = `return ${names.map((n) => `${n}(v)`).join(' || ')}`
  } else {
    if (hasAny(schema, ['allOf', '$ref', 'if', 'not', 'patternProperties', 'dependentSchemas'])) return undefined
    body = compileTyped(schema, functions)
  }
  if (body === undefined) return undefined
  functions[index] = `function ${name}(v) { ${body} }`
  return name
}

function compileTyped(schema: Schema, functions: string[]): string | undefined {
  switch (schema.type) {
    case 'string':
      return `return typeof v === 'string'`
    case 'integer':
      return `return Number.isInteger(v)`
    case 'number':
      return `return typeof v === 'number' && Number.isFinite(v)`
    case 'boolean':
      return `return typeof v === 'boolean'`
    case 'null':
      return `return v === null`
    case 'array': {
      if (schema.items === undefined || Array.isArray(schema.items) || schema.prefixItems !== undefined) return undefined
      const item = compileNode(schema.items as Schema, functions)
      if (item === undefined) return undefined
      return `if (!Array.isArray(v)) return false; for (let i = 0; i < v.length; i++) if (!${item}(v[i])) return false; return true`
    }
    case 'object': {
      // extra properties allowed would be written by the serializer too: not worth covering
      if (schema.additionalProperties !== undefined && schema.additionalProperties !== false) return undefined
      const properties = (schema.properties ?? {}) as Record<string, Schema>
      const required = new Set((schema.required ?? []) as string[])
      const checks: string[] = []
      let present = 0
      for (const [key, property] of Object.entries(properties)) {
        const check = compileNode(property, functions)
        if (check === undefined) return undefined
        const field = `v[${JSON.stringify(key)}]`
        if (required.has(key)) {
          checks.push(`if (${field} === undefined || !${check}(${field})) return false`)
          present++
        } else {
          checks.push(`if (${field} !== undefined) { if (!${check}(${field})) return false; n++ }`)
        }
      }
      // every own key must be one of the schema's: as many keys as schema fields present
      return [
        `if (v === null || typeof v !== 'object' || Array.isArray(v) || typeof v.toJSON === 'function') return false`,
        `let n = ${present}`,
        ...checks,
        `let keys = 0; for (const k in v) keys++`,
        `return keys === n`,
      ].join('; ')
    }
    default:
      return undefined
  }
}

function hasAny(schema: Schema, keys: readonly string[]): boolean {
  return keys.some((key) => schema[key] !== undefined)
}
