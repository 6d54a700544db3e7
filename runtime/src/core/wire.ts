// A schema's type as a client receives it. For plain schemas it is TypeBox's `Static`; a model
// with computed fields or serializers (see `model()`) types the handler's value with `Static` and
// what is sent with its own wire type, found here inside lists, objects and unions.
import type { Static, TArray, TObject, TOptional, TProperties, TSchema, TUnion } from 'typebox'

declare const WIRE: unique symbol

/** Phantom mark of a model whose JSON differs from its handler's value: `W` is what is sent. */
export interface WireMark<W> {
  readonly [WIRE]?: W
}

type Evaluate<T> = { [K in keyof T]: T[K] } & {}

type ObjectWire<P extends TProperties> = Evaluate<
  { [K in keyof P as P[K] extends TOptional<TSchema> ? K : never]?: Wire<P[K]> } & { [K in keyof P as P[K] extends TOptional<TSchema> ? never : K]: Wire<P[K]> }
>

/** The JSON a schema's value is sent as: `Static<S>`, with each model's wire type in place of its value type. */
export type Wire<S> = typeof WIRE extends keyof S
  ? Exclude<S[typeof WIRE & keyof S], undefined>
  : S extends TArray<infer Items>
    ? Wire<Items>[]
    : S extends TUnion<infer Types>
      ? Wire<Types[number]>
      : S extends TObject<infer P>
        ? ObjectWire<P>
        : S extends TSchema
          ? Static<S>
          : unknown
