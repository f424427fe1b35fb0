/**
 * Deeply read-only view of a plain data type. Schemas infer mutable types; the state
 * hands out values that readers may keep (e.g. to serialise later), so the types
 * forbid writing through them.
 */
export type Immutable<T> = T extends string | number | boolean | bigint | symbol | null | undefined
  ? T // also keeps branded primitives (NodeId, EventId) intact instead of mapping their methods
  : T extends readonly (infer U)[]
    ? readonly Immutable<U>[]
    : T extends object
      ? { readonly [K in keyof T]: Immutable<T[K]> }
      : T;
