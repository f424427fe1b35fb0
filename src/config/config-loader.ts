import { join, resolve } from 'node:path';
import type { z } from 'zod';
import { configInvalid, problemErrors, schemaErrors, type ConfigErrorEntry } from './config-errors.js';
import { controllerConfigSchema } from './controller-schema.js';
import { deepFreeze, type DeepReadonly } from './deep-freeze.js';
import { mergeObject } from './hocon-merge.js';
import { resolveTree } from './hocon-resolver.js';
import type { HoconProblem, HoconSources, RawObject, ResolvedObject } from './hocon-types.js';
import { sourcesOf, syntaxError, toPlainObject, tryParseUnresolved } from './hocon.js';
import type { SchemaContext } from './schema-kit.js';
import { watchConfigSchema } from './watch-schema.js';

export interface LoadConfigOptions {
  /** The directory holding the main file and private/private.conf; relative paths in the config start here. */
  readonly configDir: string;
  /** For `${VAR}` substitutions and `VAR_FILE` secrets. Defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Docker secrets directory, default /run/secrets. */
  readonly secretsDir?: string;
}

/** The controller's configuration, deeply frozen. */
export type ControllerConfig = DeepReadonly<z.output<ReturnType<typeof controllerConfigSchema>>>;
/** The cluster watch's configuration, deeply frozen. */
export type WatchConfig = DeepReadonly<z.output<ReturnType<typeof watchConfigSchema>>>;

interface LoadedTree {
  readonly root: ResolvedObject;
  readonly problems: readonly HoconProblem[];
  readonly context: SchemaContext;
}

/**
 * Reads `<configDir>/<mainName>` and, when present, `<configDir>/private/private.conf`,
 * whose values override the main file's; then resolves substitutions over both, so
 * either file may refer to the other's values. Syntax errors of both files come at once.
 */
function loadTree(mainName: string, options: LoadConfigOptions): LoadedTree {
  const configDir = resolve(options.configDir);
  const sources: HoconSources = sourcesOf({ env: options.env ?? process.env, ...(options.secretsDir === undefined ? {} : { secretsDir: options.secretsDir }) });
  const mainFile = join(configDir, mainName);
  const mainText = sources.readFile(mainFile);
  if (mainText === undefined) throw configInvalid([{ file: mainFile, path: '', message: 'file not found' }]);
  const privateFile = join(configDir, 'private', 'private.conf');
  const privateText = sources.readFile(privateFile);

  const syntaxProblems: HoconProblem[] = [];
  const parse = (text: string, file: string): RawObject | undefined => {
    const r = tryParseUnresolved(text, file, sources);
    if (r.ok) return r.root;
    syntaxProblems.push(r.problem);
    return undefined;
  };
  const main = parse(mainText, mainFile);
  const secret = privateText === undefined ? undefined : parse(privateText, privateFile);
  if (main === undefined || syntaxProblems.length > 0) throw syntaxError(syntaxProblems);
  if (secret !== undefined) mergeObject(main, secret);

  const { root, problems } = resolveTree(main, sources);
  return { root, problems, context: { configDir, readFile: sources.readFile } };
}

/** Parses the tree with `schema`; throws ConfigInvalid listing every error (file, line, HOCON path). */
function validate<T>(tree: LoadedTree, schema: z.ZodType<T>): T {
  const r = schema.safeParse(toPlainObject(tree.root));
  const errors: ConfigErrorEntry[] = problemErrors(tree.problems);
  if (!r.success) {
    // A value whose substitution failed is already reported; its "not set" would only repeat it.
    const reported = new Set(errors.map((e) => e.path));
    errors.push(...schemaErrors(r.error.issues, tree.root).filter((e) => !reported.has(e.path)));
  }
  if (errors.length > 0 || !r.success) throw configInvalid(errors);
  return r.data;
}

/** Loads controller.conf (+ private/private.conf) into a frozen ControllerConfig. Throws ConfigSyntax or ConfigInvalid. */
export function loadControllerConfig(options: LoadConfigOptions): ControllerConfig {
  const tree = loadTree('controller.conf', options);
  return deepFreeze(validate(tree, controllerConfigSchema(tree.context)));
}

/** Loads watch.conf (+ private/private.conf) into a frozen WatchConfig. Throws ConfigSyntax or ConfigInvalid. */
export function loadWatchConfig(options: LoadConfigOptions): WatchConfig {
  const tree = loadTree('watch.conf', options);
  return deepFreeze(validate(tree, watchConfigSchema(tree.context)));
}
