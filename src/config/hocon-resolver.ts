import { renderPath } from './hocon-path.js';
import type {
  HoconProblem,
  HoconSources,
  Origin,
  RawConcat,
  RawNode,
  RawObject,
  Resolved,
  ResolvedObject,
  Substitution,
} from './hocon-types.js';
import { lookUpExternal } from './secrets.js';

/** Substitutions that lead through more substitutions than this are refused: it bounds recursion. */
const MAX_CHAIN = 64;

type PathKey = string | number;

export interface ResolveResult {
  readonly root: ResolvedObject;
  /** Every unresolved or ill-typed substitution, all at once. */
  readonly problems: readonly HoconProblem[];
}

/** Resolves every substitution in the merged tree (after all files are merged, as HOCON says). */
export function resolveTree(root: RawObject, sources: HoconSources): ResolveResult {
  const resolver = new Resolver(root, sources);
  const resolved = resolver.node(root, []);
  const rootObject: ResolvedObject = resolved?.kind === 'object' ? resolved : { kind: 'object', fields: new Map(), origin: root.origin };
  return { root: rootObject, problems: resolver.problems };
}

class Resolver {
  readonly problems: HoconProblem[] = [];
  readonly #root: RawObject;
  readonly #sources: HoconSources;
  /** Results by substitution-bearing node, so a value referred to twice is resolved (and reported) once. */
  readonly #memo = new Map<RawConcat, Resolved | undefined>();
  readonly #inProgress = new Set<RawConcat>();
  readonly #reported = new Set<string>();

  constructor(root: RawObject, sources: HoconSources) {
    this.#root = root;
    this.#sources = sources;
  }

  node(node: RawNode, path: readonly PathKey[]): Resolved | undefined {
    switch (node.kind) {
      case 'scalar':
        return node;
      case 'object': {
        const fields = new Map<string, Resolved>();
        for (const [k, v] of node.fields) {
          const r = this.node(v, [...path, k]);
          if (r !== undefined) fields.set(k, r);
        }
        return { kind: 'object', fields, origin: node.origin };
      }
      case 'array': {
        // An undefined ${?x} in a list leaves no element behind.
        const items = node.items.map((item, i) => this.node(item, [...path, i])).filter((r): r is Resolved => r !== undefined);
        return { kind: 'array', items, origin: node.origin };
      }
      case 'concat': {
        if (this.#memo.has(node)) return this.#memo.get(node);
        const result = this.#concat(node, path);
        this.#memo.set(node, result);
        return result;
      }
      default:
        return assertNever(node);
    }
  }

  #concat(node: RawConcat, path: readonly PathKey[]): Resolved | undefined {
    if (this.#inProgress.has(node)) {
      this.#problem(node.origin, path, 'substitution cycle: this value refers back to itself');
      return undefined;
    }
    if (this.#inProgress.size >= MAX_CHAIN) {
      this.#problem(node.origin, path, `substitutions nested more than ${MAX_CHAIN} deep`);
      return undefined;
    }
    this.#inProgress.add(node);
    try {
      const values = node.parts.map((p) => (p.kind === 'gap' ? p : p.kind === 'subst' ? this.#substitution(p, path) : this.node(p, path)));
      const present = values.filter((v): v is Resolved => v !== undefined && v.kind !== 'gap');
      const [first] = present;
      if (first === undefined) return node.fallback === undefined ? undefined : this.node(node.fallback, path);
      if (present.length === 1) return first;
      if (present.every((v) => v.kind === 'array')) {
        return { kind: 'array', items: present.flatMap((v) => (v.kind === 'array' ? v.items : [])), origin: node.origin };
      }
      if (present.every((v) => v.kind === 'object')) {
        return present.reduce((a, b) => (a.kind === 'object' && b.kind === 'object' ? mergeResolved(a, b) : b));
      }
      const odd = present.find((v) => v.kind !== 'scalar');
      if (odd !== undefined) {
        this.#problem(node.origin, path, `cannot join a ${odd.kind === 'array' ? 'list' : 'object'} with other kinds of value in one value (a += needs a list)`);
        return undefined;
      }
      const text = values.map((v) => (v === undefined ? '' : v.kind === 'gap' || v.kind === 'scalar' ? v.text : '')).join('');
      return { kind: 'scalar', value: text, text, origin: node.origin };
    } finally {
      this.#inProgress.delete(node);
    }
  }

  #substitution(sub: Substitution, path: readonly PathKey[]): Resolved | undefined {
    const before = this.problems.length;
    const found = this.#lookUp(sub.lookup);
    if (found !== undefined && found !== 'self') return found;
    // The path exists but failed to resolve: that failure is already reported.
    if (this.problems.length > before) return undefined;
    const name = sub.path.join('.');
    const external = lookUpExternal(name, this.#sources);
    switch (external.kind) {
      case 'found':
        return { kind: 'scalar', value: external.value, text: external.value, origin: sub.origin };
      case 'error':
        this.#problem(sub.origin, path, `substitution \${${renderPath(sub.path)}}: ${external.message}`);
        return undefined;
      case 'missing':
        if (sub.optional) return undefined;
        this.#problem(
          sub.origin,
          path,
          found === 'self'
            ? `substitution cycle: \${${renderPath(sub.path)}} refers back to the value being defined, which has no earlier value`
            : `unresolved substitution \${${renderPath(sub.path)}}: not a configuration path, no environment variable ${name}, no ${name}_FILE and no secret file ${name}`,
        );
        return undefined;
      default:
        return assertNever(external);
    }
  }

  /**
   * Walks the raw tree as far as it can, then the resolved value of whatever needed
   * resolving. A path that leads into the value being resolved means its earlier
   * value (HOCON's self-reference, as in `a = ${?a} [x]`); 'self' when there is none.
   */
  #lookUp(path: readonly string[]): Resolved | 'self' | undefined {
    const walked: string[] = [];
    let raw: RawNode | undefined = this.#root;
    let resolved: Resolved | undefined;
    for (let i = 0; i <= path.length; i++) {
      while (raw?.kind === 'concat' && this.#inProgress.has(raw)) {
        raw = raw.fallback;
        if (raw === undefined) return 'self';
      }
      const key = path[i];
      if (key === undefined) break;
      walked.push(key);
      if (raw?.kind === 'object') {
        raw = raw.fields.get(key);
        if (raw === undefined) return undefined;
        continue;
      }
      if (raw !== undefined) {
        resolved = this.node(raw, walked.slice(0, -1));
        raw = undefined;
      }
      resolved = resolved?.kind === 'object' ? resolved.fields.get(key) : undefined;
      if (resolved === undefined) return undefined;
    }
    return raw === undefined ? resolved : this.node(raw, walked);
  }

  #problem(origin: Origin, path: readonly PathKey[], message: string): void {
    const key = `${origin.file}\0${origin.line}\0${origin.column}\0${message}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.problems.push({ ...origin, path: renderPath(path), message });
  }
}

function mergeResolved(a: ResolvedObject, b: ResolvedObject): ResolvedObject {
  const fields = new Map(a.fields);
  for (const [k, v] of b.fields) {
    const prev = fields.get(k);
    fields.set(k, prev?.kind === 'object' && v.kind === 'object' ? mergeResolved(prev, v) : v);
  }
  return { kind: 'object', fields, origin: b.origin };
}

function assertNever(x: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(x)}`);
}
