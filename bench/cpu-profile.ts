/**
 * Summarises a V8 `.cpuprofile` (written by `node --cpu-prof`): self time per
 * function and per code area (a folder of src/, a package, node internals, GC, idle).
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  /** Microseconds on the monotonic clock that process.hrtime uses too. */
  readonly startTime: number;
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  readonly name: string;
  readonly ms: number;
  /** Share of the busy (not idle) time, in percent. */
  readonly percent: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly idleMs: number;
  readonly busyMs: number;
  readonly topFunctions: readonly SelfTime[];
  readonly areas: readonly SelfTime[];
}

/** The code area a script URL belongs to: `src/journal`, `fastify`, `node:internal/fs`, … */
function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1] !== undefined) return pkg[1];
  const own = /\/dist\/(src\/[^/]+)\//.exec(url);
  if (own?.[1] !== undefined) return own[1];
  const internal = /^node:internal\/([^/]+)/.exec(url);
  if (internal?.[1] !== undefined) return `node:internal/${internal[1]}`;
  return url.startsWith('node:') ? url : url.replace(/^.*\//, '');
}

function shortUrl(url: string): string {
  const own = /\/dist\/(src\/.+)$/.exec(url);
  if (own?.[1] !== undefined) return own[1];
  const pkg = /node_modules\/(.+)$/.exec(url);
  if (pkg?.[1] !== undefined) return pkg[1];
  return url;
}

/** Now in microseconds on the clock of the profiles' timestamps (CLOCK_MONOTONIC, shared by all processes). */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * Reads a .cpuprofile and ranks self time of the samples taken within `window`
 * (monotonic µs, see `monotonicMicros`), so start-up and shutdown stay out; `top` functions are listed.
 */
export async function summariseProfile(file: string, window: { from: number; to: number }, top = 15): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMicros = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at < window.from || at > window.to) continue;
    const id = profile.samples[i]!;
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + delta);
  }
  const functions = new Map<string, number>();
  const areas = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, micros] of selfMicros) {
    const frame = byId.get(id)!.callFrame;
    total += micros;
    if (frame.functionName === '(idle)') {
      idle += micros;
      continue;
    }
    const name = frame.url === '' ? frame.functionName : `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + micros);
    const area = areaOf(frame.url, frame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + micros);
  }
  const busy = total - idle;
  const rank = (m: Map<string, number>, n: number): SelfTime[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, micros]) => ({ name, ms: Math.round(micros / 1000), percent: Number(((100 * micros) / Math.max(1, busy)).toFixed(1)) }));
  return { totalMs: Math.round(total / 1000), idleMs: Math.round(idle / 1000), busyMs: Math.round(busy / 1000), topFunctions: rank(functions, top), areas: rank(areas, 12) };
}
