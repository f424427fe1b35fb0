import { IDENTIFIER, type ArgumentValue, type Job, type Order } from '../state/index.js';

/** The job's environment, or why it cannot be built (the order then fails with that message). */
export type EnvResolution =
  | { readonly TYPE: 'Resolved'; readonly env: Readonly<Record<string, string>> }
  | { readonly TYPE: 'Unresolved'; readonly message: string };

/** How one env value reads: `$name` names an order argument, `$$…` is a literal `$…`. */
export type EnvValue = { readonly TYPE: 'Literal'; readonly text: string } | { readonly TYPE: 'Argument'; readonly name: string };

/** Classifies an env value; undefined for a lone `$` or `$` followed by something that is no name. */
export function readEnvValue(raw: string): EnvValue | undefined {
  if (raw.startsWith('$$')) return { TYPE: 'Literal', text: raw.slice(1) };
  if (!raw.startsWith('$')) return { TYPE: 'Literal', text: raw };
  const name = raw.slice(1);
  return IDENTIFIER.test(name) ? { TYPE: 'Argument', name } : undefined;
}

/** Resolves the job's env against the order's arguments. */
export function jobEnv(order: Order, job: Job): EnvResolution {
  const env: Record<string, string> = {};
  for (const [key, raw] of Object.entries(job.env ?? {})) {
    const value = readEnvValue(raw);
    if (value === undefined) return { TYPE: 'Unresolved', message: `env ${key}: '${raw}' is neither a literal nor $argumentName` };
    if (value.TYPE === 'Literal') {
      env[key] = value.text;
      continue;
    }
    const arg = Object.hasOwn(order.arguments, value.name) ? order.arguments[value.name] : undefined;
    if (arg === undefined) {
      return { TYPE: 'Unresolved', message: `env ${key} refers to the argument $${value.name}, which order ${order.id} does not have` };
    }
    env[key] = argumentText(arg);
  }
  return { TYPE: 'Resolved', env };
}

function argumentText(v: ArgumentValue): string {
  return typeof v === 'string' ? v : String(v);
}
