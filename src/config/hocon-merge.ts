import type { Origin, RawArray, RawNode, RawObject } from './hocon-types.js';

/** A fresh empty object node. */
export function emptyObject(origin: Origin): RawObject {
  return { kind: 'object', fields: new Map(), origin };
}

/**
 * Puts `value` under `key`, HOCON style: an object merges into an earlier object
 * (recursively, later keys win), anything else replaces the earlier value. A value
 * still to be resolved keeps the earlier one as its fallback, so `port = 80` then
 * `port = ${?PORT}` keeps 80 when PORT is unset.
 */
export function mergeField(target: RawObject, key: string, value: RawNode): void {
  const previous = target.fields.get(key);
  if (value.kind === 'object' && previous?.kind === 'object') {
    for (const [k, v] of value.fields) mergeField(previous, k, v);
    previous.origin = value.origin;
    return;
  }
  if (value.kind === 'concat' && previous !== undefined) {
    target.fields.set(key, { ...value, fallback: previous });
    return;
  }
  target.fields.set(key, value);
}

/** Merges every field of `source` into `target`, in order. */
export function mergeObject(target: RawObject, source: RawObject): void {
  for (const [k, v] of source.fields) mergeField(target, k, v);
}

/** The object that holds the last element of `path`, creating (or replacing non-objects with) objects on the way. */
function parentOf(root: RawObject, path: readonly string[], origin: Origin): RawObject {
  let obj = root;
  for (const key of path.slice(0, -1)) {
    const next = obj.fields.get(key);
    if (next?.kind === 'object') {
      obj = next;
    } else {
      const created = emptyObject(origin);
      obj.fields.set(key, created);
      obj = created;
    }
  }
  return obj;
}

/** `a.b.c = value`: the same as `a { b { c = value } }`. */
export function assignPath(root: RawObject, path: readonly string[], value: RawNode, origin: Origin): void {
  const key = path[path.length - 1];
  if (key === undefined) throw new Error('assignPath: empty path');
  mergeField(parentOf(root, path, origin), key, value);
}

/** `a += value`: appends to the list at `a`, creating it when missing. */
export function appendPath(root: RawObject, path: readonly string[], value: RawNode, origin: Origin): void {
  const key = path[path.length - 1];
  if (key === undefined) throw new Error('appendPath: empty path');
  const parent = parentOf(root, path, origin);
  const previous = parent.fields.get(key);
  if (previous?.kind === 'array') {
    previous.items.push(value);
    return;
  }
  const list: RawArray = { kind: 'array', items: [value], origin };
  // Whatever stood there must turn out to be a list; the resolver checks once substitutions are known.
  parent.fields.set(key, previous === undefined ? list : { kind: 'concat', parts: [previous, list], origin });
}
