// Response models with computed fields and field serializers (pydantic's `computed_field` and
// `field_serializer`), declared next to the schema. The handler returns the value it has (a Date,
// no computed fields); the answer carries what the model says (a formatted string, the computed
// fields), and the OpenAPI document shows the answer's shape, computed fields marked readOnly.
import type { Static, TObject, TProperties, TSchema, TUnsafe } from 'typebox'
import type { WireMark } from './wire.js'
import { TrefoilError } from './trefoil-error.js'

type Evaluate<T> = { [K in keyof T]: T[K] } & {}

/** Serializers of some fields of a model: each takes the handler's value and answers the field's schema type. */
export type FieldSerializers<P extends TProperties> = { readonly [K in keyof P]?: (value: never) => Static<P[K]> }

type SerializedFrom<F> = F extends (value: infer V) => unknown ? V : never

/** What a handler returns for a model: its schema's fields, those with a serializer as the serializer takes them. */
export type ModelInput<P extends TProperties, Ser> = Evaluate<{ [K in keyof Static<TObject<P>>]: K extends keyof Ser ? SerializedFrom<Ser[K]> : Static<TObject<P>>[K] }>

/** What a model's JSON holds: its schema's fields and its computed fields. */
export type ModelOutput<P extends TProperties, C extends Record<string, TSchema>> = Evaluate<Static<TObject<P>> & { [K in keyof C]: Static<C[K]> }>

/** A computed field: its schema (for the docs and the check) and how to get it from the handler's value. */
export interface ComputedField<S extends TSchema, In> {
  readonly schema: S
  readonly get: (value: In) => Static<S>
}

/** Options of {@link model}. */
export interface ModelOptions<P extends TProperties, Ser extends FieldSerializers<P>, C extends Record<string, TSchema>> {
  /** Fields written from another value than the handler's: `{ createdAt: (date: Date) => format(date) }`. */
  serializers?: Ser
  /** Fields that exist only in the answer, computed from the handler's value. */
  computed?: { readonly [K in keyof C]: ComputedField<C[K], ModelInput<P, Ser>> }
}

/**
 * A response model: typed as what handlers return (`Static`), sent as its output; the runtime
 * object is the output's JSON schema, which the docs and the response check use.
 */
export type Model<P extends TProperties, Ser, C extends Record<string, TSchema>> = TUnsafe<ModelInput<P, Ser>> & { readonly '~kind': 'Object' } & WireMark<ModelOutput<P, C>>

/** How a model turns a handler's value into its answer (before the serializer writes JSON). */
export type Shape = (value: unknown) => unknown

const shapes = new WeakMap<object, Shape>()

/** The shaping a model declares, if `schema` is one made by {@link model}. */
export function modelShape(schema: object): Shape | undefined {
  return shapes.get(schema)
}

/**
 * A response model with computed fields and field serializers. Computed fields get the handler's
 * value (before serializers); serializers run on their field when it is present.
 * @example
 * export const ProjectOut = model(t.Object({ id: t.Integer(), name: t.String(), createdAt: t.String() }), {
 *   serializers: { createdAt: (date: Date) => longDate(date) },
 *   computed: { label: { schema: t.String(), get: (p) => `#${p.id} ${p.name}` } },
 * })
 */
export function model<P extends TProperties, Ser extends FieldSerializers<P> = {}, C extends Record<string, TSchema> = {}>(schema: TObject<P>, options: ModelOptions<P, Ser, C>): Model<P, Ser, C> {
  const serializers = Object.entries(options.serializers ?? {}) as [string, (value: unknown) => unknown][]
  const computed = Object.entries(options.computed ?? {}) as [string, ComputedField<TSchema, unknown>][]
  for (const [name] of serializers) {
    if (!(name in schema.properties)) throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', `Cannot declare a serializer for "${name}": the model has no such field`)
  }
  for (const [name, field] of computed) {
    if (name in schema.properties) throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', `Cannot declare computed field "${name}": the model already has a field of this name`)
    if (typeof field?.get !== 'function' || typeof field.schema !== 'object') throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', `Cannot declare computed field "${name}": give it a schema and a get function`)
  }
  // the output: the schema's fields and the computed ones, which clients receive and never send
  const output = Object.defineProperties({}, Object.getOwnPropertyDescriptors(schema)) as { properties: Record<string, TSchema>; required?: string[] }
  output.properties = { ...schema.properties, ...Object.fromEntries(computed.map(([name, field]) => [name, readOnly(field.schema)])) }
  output.required = [...((schema as { required?: string[] }).required ?? []), ...computed.map(([name]) => name)]
  shapes.set(output, (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value
    const shaped: Record<string, unknown> = { ...value }
    for (const [name, field] of computed) shaped[name] = field.get(value)
    for (const [name, serialize] of serializers) {
      if (shaped[name] !== undefined) shaped[name] = serialize(shaped[name])
    }
    return shaped
  })
  return output as unknown as Model<P, Ser, C>
}

function readOnly(schema: TSchema): TSchema {
  const copy = Object.defineProperties({}, Object.getOwnPropertyDescriptors(schema)) as TSchema & { readOnly?: boolean }
  copy.readOnly = true
  return copy
}
