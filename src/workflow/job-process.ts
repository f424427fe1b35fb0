import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../common/index.js';
import { OUTPUT_FLUSH_INTERVAL_MS, JobStreamOutput } from './job-output.js';
import { readProcessStat, type JobPidDirectory } from './job-pid-file.js';
import type { JobExit, JobRun, JobSpec, OutputStream, Scheduler } from './job-run.js';

/** What a JobProcess needs from its executor. */
export interface JobProcessContext {
  readonly shell: string;
  readonly cwd: string | undefined;
  readonly baseEnv: Readonly<Record<string, string>>;
  readonly sigkillDelayMs: number;
  readonly logger: Logger;
  readonly pidDir: JobPidDirectory;
  readonly schedule: Scheduler;
  readonly onOutput: (orderId: string, stream: OutputStream, chunk: string) => void;
  /** Called just before `done` resolves. */
  readonly onFinished: (job: JobProcess) => void;
}

/**
 * One job: a shell in its own process group (so signals reach every process it
 * starts), its output, its timeout, its kill escalation and its pid file.
 */
export class JobProcess implements JobRun {
  readonly pid: number | undefined;
  readonly done: Promise<JobExit>;
  /** The pid file, so the executor can tell its own jobs from orphans. */
  readonly pidFile: string | undefined;

  readonly #spec: JobSpec;
  readonly #ctx: JobProcessContext;
  readonly #logger: Logger;
  readonly #lifetime = new AbortController();
  readonly #outputs: Record<OutputStream, JobStreamOutput>;
  #child: ChildProcess | undefined;
  #resolve: (exit: JobExit) => void = () => undefined;
  #exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  #error: string | undefined;
  #terminating = false;
  #timedOut = false;
  #killed = false;
  #finished = false;

  constructor(spec: JobSpec, ctx: JobProcessContext) {
    this.#spec = spec;
    this.#ctx = ctx;
    this.#logger = ctx.logger.child({ orderId: spec.orderId });
    this.done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    this.#outputs = { stdout: this.#makeOutput('stdout'), stderr: this.#makeOutput('stderr') };
    this.#child = this.#spawn();
    this.pid = this.#child?.pid;
    this.pidFile = this.#recordPid();
    if (this.pid !== undefined && spec.timeoutMs !== undefined) {
      ctx.schedule('job-timeout', spec.timeoutMs, this.#lifetime.signal, () => {
        this.#timedOut = true;
        this.#logger.info({ timeoutMs: spec.timeoutMs }, 'job timed out; terminating it');
        this.#terminate();
      });
    }
  }

  /** True once `done` has resolved (or is about to). */
  get finished(): boolean {
    return this.#finished;
  }

  kill(reason: string): void {
    if (this.#finished) return;
    this.#logger.info({ reason }, 'killing job');
    this.#killed = true;
    this.#terminate();
  }

  #makeOutput(stream: OutputStream): JobStreamOutput {
    const deliver = (chunk: string): void => {
      try {
        this.#ctx.onOutput(this.#spec.orderId, stream, chunk);
      } catch (err) {
        this.#logger.error({ err, stream }, 'output consumer failed; chunk lost');
      }
    };
    const armTimer = (flush: () => void): void => {
      this.#ctx.schedule('job-output-flush', OUTPUT_FLUSH_INTERVAL_MS, this.#lifetime.signal, flush);
    };
    return new JobStreamOutput(deliver, armTimer);
  }

  #spawn(): ChildProcess | undefined {
    let child: ChildProcess;
    try {
      child = spawn(this.#ctx.shell, ['-c', this.#spec.script], {
        // A new session makes the job a process group leader, so one signal reaches its whole tree.
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...this.#ctx.baseEnv, ...this.#spec.env },
        ...(this.#ctx.cwd === undefined ? {} : { cwd: this.#ctx.cwd }),
      });
    } catch (err) {
      // Invalid arguments (e.g. a NUL byte in the environment) throw instead of emitting 'error'.
      this.#fail(`could not start the job: ${errorText(err)}`);
      return undefined;
    }
    child.stdout?.on('data', (b: Buffer) => this.#outputs.stdout.write(b));
    child.stderr?.on('data', (b: Buffer) => this.#outputs.stderr.write(b));
    child.on('error', (err) => {
      if (child.pid === undefined) {
        this.#error = `could not start the job: ${err.message}`;
        this.#logger.warn({ err }, 'job did not start');
      } else {
        this.#logger.warn({ err }, 'job process error');
      }
    });
    child.on('exit', (code, signal) => {
      this.#exited = { code, signal };
      this.#awaitPipes();
    });
    // 'close' comes after the exit and after every holder of the output pipes is gone.
    child.on('close', () => this.#finish());
    return child;
  }

  #recordPid(): string | undefined {
    const pid = this.pid;
    if (pid === undefined) return undefined;
    try {
      const startTime = readProcessStat(pid)?.startTime ?? null;
      return this.#ctx.pidDir.record({ version: 1, orderId: this.#spec.orderId, pid, pgid: pid, startTime });
    } catch (err) {
      // Untracked, the job could outlive a controller crash unnoticed, so it must not run.
      this.#logger.error({ err }, 'could not write the job pid file; killing the job');
      this.#error = `could not record the job pid file: ${errorText(err)}`;
      this.#signalGroup('SIGKILL');
      return undefined;
    }
  }

  /**
   * The shell has exited, but processes it left in its group may hold the output
   * pipes open. The job is over: give them the kill delay, then end the group.
   */
  #awaitPipes(): void {
    const { sigkillDelayMs } = this.#ctx;
    this.#ctx.schedule('job-linger', sigkillDelayMs, this.#lifetime.signal, () => {
      this.#logger.warn('job exited but left processes holding its output open; killing its process group');
      this.#signalGroup('SIGKILL');
      // A process that left the group (setsid) is out of reach; stop reading its output instead.
      this.#ctx.schedule('job-pipes', sigkillDelayMs, this.#lifetime.signal, () => {
        this.#child?.stdout?.destroy();
        this.#child?.stderr?.destroy();
      });
    });
  }

  #terminate(): void {
    if (this.#terminating || this.#finished) return;
    this.#terminating = true;
    this.#signalGroup('SIGTERM');
    this.#ctx.schedule('job-sigkill', this.#ctx.sigkillDelayMs, this.#lifetime.signal, () => {
      this.#logger.warn({ sigkillDelayMs: this.#ctx.sigkillDelayMs }, 'job outlived SIGTERM; sending SIGKILL');
      this.#signalGroup('SIGKILL');
    });
  }

  #signalGroup(signal: NodeJS.Signals): void {
    if (this.pid === undefined) return;
    try {
      process.kill(-this.pid, signal);
    } catch (err) {
      // ESRCH: the whole group is already gone.
      if (!(err instanceof Error && 'code' in err && err.code === 'ESRCH')) {
        this.#logger.error({ err, signal }, 'could not signal the job process group');
      }
    }
  }

  #fail(message: string): void {
    this.#error = message;
    this.#logger.warn({ error: message }, 'job did not start');
    this.#finish();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#lifetime.abort();
    this.#outputs.stdout.end();
    this.#outputs.stderr.end();
    if (this.pidFile !== undefined) {
      try {
        this.#ctx.pidDir.remove(this.pidFile);
      } catch (err) {
        this.#logger.error({ err, pidFile: this.pidFile }, 'could not delete the job pid file');
      }
    }
    const exit: JobExit = {
      returnCode: this.#exited?.code ?? null,
      signal: this.#exited?.signal ?? null,
      timedOut: this.#timedOut,
      killed: this.#killed,
      ...(this.#error === undefined ? {} : { error: this.#error }),
    };
    this.#logger.debug({ exit }, 'job ended');
    this.#ctx.onFinished(this);
    this.#resolve(exit);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
