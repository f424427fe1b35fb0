import { DURATION } from '../state/index.js';

const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `500ms`, `30s`, `1.5m`, `2h`, `1d` → milliseconds (rounded); undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text);
  if (match === null) return undefined;
  const [, amount, unit] = match;
  if (amount === undefined || unit === undefined || !isUnit(unit)) return undefined;
  const ms = Math.round(Number(amount) * unitMs[unit]);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

function isUnit(u: string): u is keyof typeof unitMs {
  return Object.hasOwn(unitMs, u);
}
