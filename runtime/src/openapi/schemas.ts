// Schemas as the OpenAPI document shows them: named schemas become components referenced by
// `$ref` (one per schema object, however many routes use it), the rest are inlined.
import type { TSchema } from 'typebox'
import { TrefoilError } from '../core/trefoil-error.js'

/** A JSON object of the document. */
export type JsonObject = { [key: string]: unknown }

// Component names, keyed by the schema object: naming never touches the schema, so ajv and the
// serializer see exactly what they saw before (a `$id` would make ajv reject a schema that
// embeds the same named schema twice).
const names = new WeakMap<object, string>()

const COMPONENT_NAME = /^[A-Za-z0-9._-]+$/

/** Records `name` as the component name of `schema`. */
export function nameSchema(schema: object, name: string): void {
  if (!COMPONENT_NAME.test(name)) throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', `Cannot name a schema "${name}": use letters, digits, ".", "_" or "-"`)
  const previous = names.get(schema)
  if (previous !== undefined && previous !== name) throw new TrefoilError('TREFOIL_OPENAPI_NAME_TAKEN', `Cannot name a schema "${name}": it is already named "${previous}"`)
  names.set(schema, name)
}

/** The component name given to `schema`, if any. */
export function schemaName(schema: object): string | undefined {
  return names.get(schema)
}

// Keywords whose value is a schema, a list of schemas, or a map of names to schemas.
const SCHEMA_KEYWORDS = new Set(['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties', 'contentSchema'])
const SCHEMA_LIST_KEYWORDS = new Set(['anyOf', 'allOf', 'oneOf', 'prefixItems'])
const SCHEMA_MAP_KEYWORDS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'])
// Validator instructions rather than shape (ajv-keywords' `transform`), and identifiers that
// would change how `$ref`s resolve inside the document.
const DROPPED_KEYWORDS = new Set(['transform', '$id', '$schema'])

/** The components of one document, filled while its operations are built. */
export class SchemaRegistry {
  /** `components.schemas` of the document. */
  readonly components: Record<string, JsonObject> = {}
  private readonly byObject = new Map<object, string>()
  private readonly texts = new Map<string, string>()

  /**
   * `schema` as the document shows it: a `$ref` when it is named (or `autoName` is given and it
   * is an object schema, FastAPI's `Body_...` habit), otherwise inline.
   */
  use(schema: TSchema, autoName?: string): JsonObject {
    const name = schemaName(schema) ?? (autoName !== undefined && isObjectSchema(schema) ? autoName : undefined)
    if (name === undefined) return this.convert(schema)
    return { $ref: `#/components/schemas/${this.register(schema, name, schemaName(schema) === undefined)}` }
  }

  private register(schema: object, name: string, automatic: boolean): string {
    const known = this.byObject.get(schema)
    if (known !== undefined) return known
    // reserve the name before converting, so a schema that contains itself ends as a `$ref`
    let chosen = name
    for (let n = 2; automatic && chosen in this.components; n++) chosen = `${name}${n}`
    this.byObject.set(schema, chosen)
    const converted = this.convertSchema(schema, true)
    const text = JSON.stringify(converted)
    const existing = this.texts.get(chosen)
    if (existing !== undefined && existing !== text) {
      throw new TrefoilError('TREFOIL_OPENAPI_NAME_TAKEN', `Cannot describe two different schemas as component "${chosen}": give one of them another name`)
    }
    this.texts.set(chosen, text)
    this.components[chosen] = converted
    return chosen
  }

  /** `schema` inline, with its named parts as `$ref`s. */
  convert(schema: TSchema): JsonObject {
    return this.convertSchema(schema, true)
  }

  private convertSchema(schema: object, root: boolean): JsonObject {
    if (!root) {
      const name = schemaName(schema)
      if (name !== undefined) return { $ref: `#/components/schemas/${this.register(schema, name, false)}` }
    }
    const out: JsonObject = {}
    const tuple = Array.isArray((schema as { items?: unknown }).items)
    for (const [key, value] of Object.entries(schema)) {
      // a draft-07 tuple (TypeBox's `items: [...]` + `additionalItems`) in 2020-12's words, which
      // OpenAPI 3.1 speaks: `prefixItems`, and `items: false` for no more items
      if (tuple && key === 'items') {
        out.prefixItems = (value as object[]).map((item) => (isObject(item) ? this.convertSchema(item, false) : item))
        continue
      }
      if (tuple && key === 'additionalItems') {
        out.items = isObject(value) ? this.convertSchema(value, false) : value
        continue
      }
      if (DROPPED_KEYWORDS.has(key) || key.startsWith('~')) continue
      if (SCHEMA_KEYWORDS.has(key) && isObject(value)) out[key] = this.convertSchema(value, false)
      else if (SCHEMA_LIST_KEYWORDS.has(key) && Array.isArray(value)) out[key] = value.map((item: unknown) => (isObject(item) ? this.convertSchema(item, false) : item))
      else if (SCHEMA_MAP_KEYWORDS.has(key) && isObject(value)) {
        const map: JsonObject = {}
        for (const [property, sub] of Object.entries(value)) map[property] = isObject(sub) ? this.convertSchema(sub, false) : sub
        out[key] = map
      } else out[key] = jsonCopy(value)
    }
    // a property with a default may be left out (the server fills it in), as pydantic documents a
    // field with a default: `required` would make clients send what they need not, and generated
    // clients refuse calls the server accepts. In an answer the field is still always there.
    if (Array.isArray(out.required)) {
      const properties = (schema as { properties?: Record<string, { default?: unknown } | undefined> }).properties ?? {}
      const required = (out.required as unknown[]).filter((name) => typeof name !== 'string' || properties[name]?.default === undefined)
      if (required.length > 0) out.required = required
      else delete out.required
    }
    return out
  }
}

/** Whether `schema` describes an object with properties (worth a component of its own). */
export function isObjectSchema(schema: object): boolean {
  return (schema as { type?: unknown }).type === 'object' && isObject((schema as { properties?: unknown }).properties)
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function jsonCopy(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value))
}
