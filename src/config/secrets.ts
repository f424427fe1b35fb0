import { join } from 'node:path';
import type { HoconSources } from './hocon-types.js';

/** Names that may be looked up as files in the secrets directory: no separators, no leading dot. */
const SECRET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

/** What a substitution found outside the configuration tree. */
export type ExternalValue =
  | { readonly kind: 'found'; readonly value: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'error'; readonly message: string };

/** Docker writes secrets with a trailing newline that is never part of the password. */
function trimLineBreaks(text: string): string {
  return text.replace(/[\r\n]+$/, '');
}

/**
 * Looks `name` up outside the configuration: the environment variable `name`, else
 * the file named by `${name}_FILE`, else `<secretsDir>/<name>`. A `_FILE` variable
 * that names a missing file is an error: someone meant it to be there.
 */
export function lookUpExternal(name: string, sources: HoconSources): ExternalValue {
  const direct = sources.env[name];
  if (direct !== undefined) return { kind: 'found', value: direct };
  const fileVar = `${name}_FILE`;
  const filePath = sources.env[fileVar];
  if (filePath !== undefined && filePath !== '') {
    const text = sources.readFile(filePath);
    if (text === undefined) return { kind: 'error', message: `${fileVar} names ${filePath}, which does not exist` };
    return { kind: 'found', value: trimLineBreaks(text) };
  }
  if (SECRET_NAME.test(name)) {
    const text = sources.readFile(join(sources.secretsDir, name));
    if (text !== undefined) return { kind: 'found', value: trimLineBreaks(text) };
  }
  return { kind: 'missing' };
}
