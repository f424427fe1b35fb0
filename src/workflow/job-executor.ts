import { Supervisor, type Clock, type Logger } from '../common/index.js';
import { JobPidDirectory, isSameProcessAlive, readProcessStat } from './job-pid-file.js';
import { JobProcess } from './job-process.js';
import type { JobExit, JobRun, JobSpec, OrphanedJob, OutputStream, Scheduler } from './job-run.js';

export type { JobExit, JobRun, JobSpec, OrphanedJob, OutputStream } from './job-run.js';

export interface JobExecutorOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long a signalled job may take to end after SIGTERM before it gets SIGKILL. */
  readonly sigkillDelayMs: number;
  /** Where running jobs are recorded, so a later controller can reap them. */
  readonly pidDir: string;
  /** Default `/bin/sh`. */
  readonly shell?: string;
  readonly cwd?: string;
  /** Coalesced, UTF-8 decoded output; called before the job's `done` resolves with its last chunk. */
  readonly onOutput: (orderId: string, stream: OutputStream, chunk: string) => void;
}

/** How long `reapOrphans` waits for a SIGKILLed orphan to disappear. */
const REAP_WAIT_MS = 5000;
const REAP_POLL_MS = 10;

// The job sees only these from the controller's environment, so secrets given to the controller do not leak.
const INHERITED_ENV = ['PATH', 'HOME', 'LANG'] as const;

/** Runs jobs as child processes of this controller process. */
export class JobExecutor {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #supervisor: Supervisor;
  readonly #pidDir: JobPidDirectory;
  readonly #options: JobExecutorOptions;
  readonly #baseEnv: Readonly<Record<string, string>>;
  readonly #running = new Set<JobProcess>();
  #closing: Promise<void> | undefined;

  constructor(options: JobExecutorOptions) {
    this.#options = options;
    this.#clock = options.clock;
    this.#logger = options.logger.child({ component: 'job-executor' });
    this.#supervisor = new Supervisor(this.#logger, (name, err) => {
      // A timer callback only signals processes or flushes output; a failure there is a bug to see in the log.
      this.#logger.error({ err, task: name }, 'job executor task failed');
    });
    this.#pidDir = new JobPidDirectory(options.pidDir);
    const baseEnv: Record<string, string> = {};
    for (const name of INHERITED_ENV) {
      const value = process.env[name];
      if (value !== undefined) baseEnv[name] = value;
    }
    this.#baseEnv = baseEnv;
  }

  /** Starts `shell -c script` in its own process group; never throws for a failure to start. */
  start(spec: JobSpec): JobRun {
    if (this.#closing !== undefined) {
      const exit: JobExit = { returnCode: null, signal: null, timedOut: false, killed: false, error: 'the job executor is closed' };
      return { pid: undefined, done: Promise.resolve(exit), kill: () => undefined };
    }
    const job = new JobProcess(spec, {
      shell: this.#options.shell ?? '/bin/sh',
      cwd: this.#options.cwd,
      baseEnv: this.#baseEnv,
      sigkillDelayMs: this.#options.sigkillDelayMs,
      logger: this.#logger,
      pidDir: this.#pidDir,
      schedule: this.#schedule,
      onOutput: this.#options.onOutput,
      onFinished: (finished) => this.#running.delete(finished),
    });
    if (!job.finished) this.#running.add(job);
    this.#logger.info({ orderId: spec.orderId, pid: job.pid }, 'job started');
    return job;
  }

  /**
   * Ends the jobs a previous controller process left running when it died (found by
   * their pid files) and returns every job those files name: each one's outcome is
   * unknown. A pid now held by another process (its start time differs) is left alone.
   */
  async reapOrphans(): Promise<OrphanedJob[]> {
    const own = new Set([...this.#running].map((job) => job.pidFile));
    const orphans: OrphanedJob[] = [];
    for (const entry of await this.#pidDir.list()) {
      if (own.has(entry.path)) continue;
      const { record } = entry;
      if (record === undefined) {
        this.#logger.warn({ pidFile: entry.path, problem: entry.problem }, 'deleting an unreadable job pid file');
        this.#pidDir.remove(entry.path);
        continue;
      }
      const { orderId, pid, pgid, startTime } = record;
      const alive = startTime !== null && isSameProcessAlive(pid, startTime);
      if (alive) {
        this.#logger.warn({ orderId, pid }, 'killing a job left running by a previous controller process');
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch (err) {
          this.#logger.warn({ err, orderId, pid }, 'could not kill the orphaned job');
        }
        await this.#waitGone(pid, startTime);
      } else {
        const stat = readProcessStat(pid);
        if (stat !== undefined && stat.state !== 'Z') {
          this.#logger.info({ orderId, pid }, 'orphaned job has ended; its pid now belongs to another process');
        }
      }
      this.#pidDir.remove(entry.path);
      orphans.push({ orderId, pid, killed: alive });
    }
    return orphans;
  }

  /** The number of jobs whose `done` has not resolved yet. */
  running(): number {
    return this.#running.size;
  }

  /** Kills every running job (SIGTERM, then SIGKILL after the delay) and waits for them. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const jobs = [...this.#running];
      for (const job of jobs) job.kill('the job executor is closing');
      await Promise.all(jobs.map((job) => job.done));
      await this.#supervisor.close();
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  readonly #schedule: Scheduler = (name, ms, signal, fn) => {
    this.#supervisor.spawn(name, async () => {
      try {
        await this.#clock.sleep(ms, signal);
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      }
      fn();
    });
  };

  async #waitGone(pid: number, startTime: number): Promise<void> {
    const deadline = this.#clock.monotonic() + REAP_WAIT_MS;
    while (isSameProcessAlive(pid, startTime)) {
      if (this.#clock.monotonic() >= deadline) {
        this.#logger.error({ pid, waitedMs: REAP_WAIT_MS }, 'orphaned job is still alive after SIGKILL');
        return;
      }
      await this.#clock.sleep(REAP_POLL_MS);
    }
  }
}
