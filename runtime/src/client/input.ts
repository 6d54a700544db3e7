// A schema's type as a client sends it: `Static<S>`, except that fields the runtime fills in (a
// default given with `withDefault`) may be left out, inside lists, objects and unions too.
import type { Static, TArray, TObject, TOptional, TProperties, TSchema, TUnion } from 'typebox'

type Evaluate<T> = { [K in keyof T]: T[K] } & {}

type MayOmit<S> = S extends TOptional<TSchema> ? true : S extends { readonly default: unknown } ? true : false

type ObjectInput<P extends TProperties> = Evaluate<
  { [K in keyof P as MayOmit<P[K]> extends true ? K : never]?: Input<P[K]> } & { [K in keyof P as MayOmit<P[K]> extends true ? never : K]: Input<P[K]> }
>

/** What a client may send for a schema: its static type, with defaulted fields optional. */
export type Input<S> = S extends TArray<infer Items>
  ? Input<Items>[]
  : S extends TUnion<infer Types>
    ? Input<Types[number]>
    : S extends TObject<infer P>
      ? ObjectInput<P>
      : S extends TSchema
        ? Static<S>
        : unknown
