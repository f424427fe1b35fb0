/** What the controller asks the executor to run for one order. */
export interface JobSpec {
  readonly orderId: string;
  /** Run as `shell -c script`. */
  readonly script: string;
  /** Added to the minimal base environment (PATH, HOME, LANG of the controller). */
  readonly env: Readonly<Record<string, string>>;
  /** After this, the job's process group gets SIGTERM, then SIGKILL. */
  readonly timeoutMs?: number;
}

/** How a job ended. Output has been delivered in full before this is known. */
export interface JobExit {
  /** The shell's exit code; null when it died of a signal or never started. */
  readonly returnCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The job ran past its `timeoutMs` and was signalled for it. */
  readonly timedOut: boolean;
  /** `kill()` was called (by the controller, or by the executor closing). */
  readonly killed: boolean;
  /** Why the job could not be started (or tracked); absent when it ran. */
  readonly error?: string;
}

/** A started job. */
export interface JobRun {
  /** Undefined when the process could not be spawned. */
  readonly pid: number | undefined;
  /** Resolves once the process group has ended and all output is delivered; never rejects. */
  readonly done: Promise<JobExit>;
  /** SIGTERM to the process group, SIGKILL after the executor's delay if still alive. */
  kill(reason: string): void;
}

export type OutputStream = 'stdout' | 'stderr';

/** A job that was running under a controller process that died. */
export interface OrphanedJob {
  readonly orderId: string;
  readonly pid: number;
  /** True when its process group was still running and has been SIGKILLed. */
  readonly killed: boolean;
}

/**
 * Runs `fn` after `ms` on the executor's clock unless `signal` aborts first.
 * The executor supervises the wait, so no promise floats.
 */
export type Scheduler = (name: string, ms: number, signal: AbortSignal, fn: () => void) => void;
