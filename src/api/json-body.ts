import { TandemError } from '../common/index.js';

/**
 * Finds a key that could poison prototypes once the body is merged into another
 * object: `__proto__` anywhere, or `constructor` holding `prototype`. JSON.parse
 * itself creates them as plain own properties, but a later spread or merge
 * might not. Iterative, so a deeply nested body cannot overflow the stack.
 */
function findPoisonedPath(root: unknown): string | undefined {
  const stack: { value: unknown; path: string }[] = [{ value: root, path: '$' }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, path } = item;
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) {
      value.forEach((v: unknown, i) => stack.push({ value: v, path: `${path}[${i}]` }));
      continue;
    }
    for (const [key, child] of Object.entries(value)) {
      if (key === '__proto__') return `${path}.__proto__`;
      if (key === 'constructor' && typeof child === 'object' && child !== null && Object.hasOwn(child, 'prototype')) {
        return `${path}.constructor.prototype`;
      }
      stack.push({ value: child, path: `${path}.${key}` });
    }
  }
  return undefined;
}

// Keys may be written with \u escapes, which JSON.parse decodes, so a body that
// has any escape is checked too.
const mayHoldPoison = /__proto__|constructor|\\u/;

/** Parses a request body as JSON; throws `InvalidJson` or (for a prototype-poisoning key) `InvalidRequest`. */
export function parseJsonBody(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : 'unparsable';
    throw new TandemError('InvalidJson', `The request body is not valid JSON: ${detail}`, { problem: detail });
  }
  if (mayHoldPoison.test(text)) {
    const path = findPoisonedPath(value);
    if (path !== undefined) {
      throw new TandemError('InvalidRequest', `The request body holds a forbidden key at ${path}.`, {
        path,
        problem: 'forbidden key (prototype poisoning)',
      });
    }
  }
  return value;
}
