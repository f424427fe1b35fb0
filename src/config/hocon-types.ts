/** Where a piece of configuration was written: 1-based line and column. */
export interface Origin {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A resolved HOCON value as plain data. */
export type HoconValue = string | number | boolean | null | HoconArray | HoconObject;
export type HoconArray = readonly HoconValue[];
export interface HoconObject {
  readonly [key: string]: HoconValue;
}

/** A substitution `${path}` / `${?path}` as written. */
export interface Substitution {
  readonly kind: 'subst';
  /** The path as written, used for the environment and secret fallbacks. */
  readonly path: readonly string[];
  /**
   * The path looked up in the configuration: `path` prefixed with the location of
   * the include that brought it in, so an included file stays relative to where it lands.
   */
  readonly lookup: readonly string[];
  readonly optional: boolean;
  readonly origin: Origin;
}

/** Whitespace between two parts of a concatenation: kept between strings, dropped around lists. */
export interface Gap {
  readonly kind: 'gap';
  readonly text: string;
}

/**
 * The parse tree before substitutions are resolved. Objects are mutable while files
 * are merged into them; nothing outside the parser and merger sees them.
 */
export type RawNode = RawObject | RawArray | RawScalar | RawConcat;

export interface RawObject {
  readonly kind: 'object';
  readonly fields: Map<string, RawNode>;
  origin: Origin;
}

export interface RawArray {
  readonly kind: 'array';
  readonly items: RawNode[];
  readonly origin: Origin;
}

export interface RawScalar {
  readonly kind: 'scalar';
  readonly value: string | number | boolean | null;
  /** The text as written, used when the scalar is part of a string concatenation. */
  readonly text: string;
  readonly origin: Origin;
}

/**
 * A value that needs resolving: a concatenation with a substitution, list or object
 * among its parts, or a `+=`. `fallback` is the value the field had before, used when
 * every part turns out to be an undefined `${?x}`.
 */
export interface RawConcat {
  readonly kind: 'concat';
  readonly parts: readonly (RawNode | Substitution | Gap)[];
  readonly origin: Origin;
  readonly fallback?: RawNode;
}

/** A resolved value that still knows where each piece was written. */
export type Resolved = ResolvedObject | ResolvedArray | ResolvedScalar;

export interface ResolvedObject {
  readonly kind: 'object';
  readonly fields: ReadonlyMap<string, Resolved>;
  readonly origin: Origin;
}

export interface ResolvedArray {
  readonly kind: 'array';
  readonly items: readonly Resolved[];
  readonly origin: Origin;
}

export interface ResolvedScalar {
  readonly kind: 'scalar';
  readonly value: string | number | boolean | null;
  readonly text: string;
  readonly origin: Origin;
}

/** One syntax or resolution error, with its position. */
export interface HoconProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The HOCON path of the value in question, when known (resolution problems). */
  readonly path?: string;
  readonly message: string;
}

/** How the parser reaches files, the environment and Docker secrets. */
export interface HoconSources {
  /** Returns the file's text, or undefined when it does not exist. */
  readonly readFile: (path: string) => string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly secretsDir: string;
}
