import { z } from 'zod';

/**
 * Where an order stands in its workflow, JS7 style: `[1]`, `[0, 'then', 2]`,
 * `[2, 'try', 0]`, `[3, 'fork+a', 0]` — an instruction index, then pairs of
 * (branch name, index inside that branch).
 */
export type Position = readonly (number | string)[];

/** The branch names a position may step into. */
export type BranchName = 'then' | 'else' | 'try' | 'catch' | 'retry' | `fork+${string}`;

const FORK_PREFIX = 'fork+';

export function isBranchName(s: string): s is BranchName {
  return s === 'then' || s === 'else' || s === 'try' || s === 'catch' || s === 'retry' || (s.startsWith(FORK_PREFIX) && s.length > FORK_PREFIX.length);
}

/** True for an odd-length array alternating non-negative integers and branch names. */
export function isWellFormedPosition(p: readonly unknown[]): boolean {
  if (p.length % 2 !== 1) return false;
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (i % 2 === 0) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return false;
    } else if (typeof v !== 'string' || !isBranchName(v)) {
      return false;
    }
  }
  return true;
}

// A hand-written check rather than array/union/refine: positions are in most events, and replay speed matters.
export const positionSchema = z.custom<Position>(
  (p) => Array.isArray(p) && isWellFormedPosition(p),
  'not a position: expected [index, branch, index, …]',
);

/** The fork branch id of a `fork+<id>` branch name, else undefined. */
export function forkBranchId(branch: string): string | undefined {
  return branch.startsWith(FORK_PREFIX) ? branch.slice(FORK_PREFIX.length) : undefined;
}

export function forkBranchName(branchId: string): BranchName {
  return `fork+${branchId}`;
}

/** The index within the innermost block (the last element). */
export function indexOf(p: Position): number {
  const last = p[p.length - 1];
  if (typeof last !== 'number') throw new TypeError(`malformed position ${JSON.stringify(p)}`);
  return last;
}

/** The same block, another index. */
export function withIndex(p: Position, index: number): Position {
  return [...p.slice(0, -1), index];
}

/** The first position inside `branch` of the instruction at `p`. */
export function intoBranch(p: Position, branch: BranchName): Position {
  return [...p, branch, 0];
}

/** True when `inner` lies inside the branch `branch` of the instruction at `outer`. */
export function isInside(inner: Position, outer: Position, branch: BranchName): boolean {
  if (inner.length < outer.length + 2) return false;
  for (let i = 0; i < outer.length; i++) if (inner[i] !== outer[i]) return false;
  return inner[outer.length] === branch;
}

export function positionsEqual(a: Position, b: Position): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Readable form for messages: `[0,"then",2]`. */
export function showPosition(p: Position): string {
  return JSON.stringify(p);
}
