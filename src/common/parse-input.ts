import type { z } from 'zod';
import { TandemError } from './errors.js';

/** Narrows `value` with `schema`, or throws `InvalidRequest` naming the first bad path (`$.a.b`). */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = ['$', ...(issue?.path ?? []).map(String)].join('.');
  const problem = issue?.message ?? 'invalid';
  throw new TandemError('InvalidRequest', `Invalid ${where} at ${path}: ${problem}`, { path, problem });
}
