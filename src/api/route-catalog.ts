interface Entry {
  readonly methods: Set<string>;
  readonly pattern: RegExp;
}

function patternToRegExp(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      if (segment.startsWith(':')) return '[^/]+';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}/?$`);
}

/**
 * The registered routes by pattern, so an unmatched request can be told apart:
 * a path that exists under another method is a 405 with an `Allow` header, not
 * a 404. fastify's router answers both as "not found".
 */
export class RouteCatalog {
  readonly #entries = new Map<string, Entry>();

  add(method: string | readonly string[], url: string): void {
    let entry = this.#entries.get(url);
    if (entry === undefined) {
      entry = { methods: new Set(), pattern: patternToRegExp(url) };
      this.#entries.set(url, entry);
    }
    for (const m of typeof method === 'string' ? [method] : method) entry.methods.add(m.toUpperCase());
  }

  /** Methods any route accepts for this path (without query), sorted; empty when no route matches. */
  allowedMethods(path: string): string[] {
    const methods = new Set<string>();
    for (const entry of this.#entries.values()) {
      if (entry.pattern.test(path)) for (const m of entry.methods) methods.add(m);
    }
    return [...methods].sort();
  }
}
