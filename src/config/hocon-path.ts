const BARE = /^[A-Za-z0-9_-]+$/;

/** Writes a path as HOCON would: `a.b`, quoting any element that is not plain (`users."x.y"`). */
export function renderPath(path: readonly (string | number)[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : BARE.test(p) ? p : JSON.stringify(p))).join('.').replace(/\.\[/g, '[');
}
