// A default that the types know about. TypeBox keeps a schema's options (`{ default: 5 }`) out of
// its type, so a client could not tell a field with a default from a required one; a schema made
// by `withDefault` carries its default in its type, and the typed client lets callers leave it out.
import type { Static, TSchema } from 'typebox'

/** A schema with a default value, in its type as well as in the schema. */
export type TDefault<S extends TSchema> = S & { readonly default: Static<S> }

/**
 * `schema` with `value` as its default: validation fills it in when the field is absent (the
 * handler always sees a value) and the typed client lets callers leave it out.
 * @example t.Object({ limit: withDefault(t.Integer({ minimum: 1, maximum: 100 }), 50) })
 */
export function withDefault<S extends TSchema>(schema: S, value: Static<S>): TDefault<S> {
  // a copy with every property (TypeBox's hidden `~kind` too): a shared schema keeps no default
  const copy = Object.defineProperties({}, Object.getOwnPropertyDescriptors(schema)) as S & { default: Static<S> }
  copy.default = value
  return copy
}
