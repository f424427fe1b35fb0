/**
 * A small seeded PRNG (mulberry32) so that a trial's choices depend only on the seed, the
 * trial number and the stream's name: `--seed S` replays the same faults and operations.
 * (The interleaving with the processes' own timing still varies from run to run.)
 */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** An independent stream for `name`, seeded from this stream's seed (not from how far it has run). */
  fork(name: string): Rng;
}

/** FNV-1a over the text: a 32-bit seed from any string. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The stream named `key` (e.g. `"42/7"` for seed 42, trial 7). */
export function createRng(key: string): Rng {
  const next = mulberry32(hash32(key));
  const rng: Rng = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
    fork: (name) => createRng(`${key}/${name}`),
  };
  return rng;
}

/** The root stream of one trial. */
export function trialRng(seed: number, trial: number): Rng {
  return createRng(`${seed}/${trial}`);
}
