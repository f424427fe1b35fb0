/**
 * A PostgreSQL primary with one synchronous standby on loopback, in a temp
 * directory, for the comparison benchmark: initdb, `synchronous_commit = on`,
 * `synchronous_standby_names` naming the standby, `pg_basebackup -R` for the
 * standby, TLS for clients and for replication (the same as Tandem's HTTPS), and
 * pgbench runs whose latencies come from pgbench's own per-transaction log.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';
import { progress, quantile } from './bench-support.js';

const run = promisify(execFile);

export interface PostgresPairOptions {
  /** PEM certificate (SAN 127.0.0.1) and PKCS#8 key for the server's TLS. */
  readonly certificate: string;
  readonly privateKey: string;
  /** Bytes in each inserted row's body. */
  readonly rowBytes: number;
}

export interface PgbenchResult {
  readonly transactions: number;
  /** pgbench's own figure, without the initial connection time. */
  readonly tps: number;
  /** Per-transaction latencies in ms, ascending. */
  readonly latenciesMs: readonly number[];
  readonly failed: number;
}

export interface PostgresPair {
  readonly version: string;
  readonly bin: string;
  readonly dir: string;
  readonly primaryPort: number;
  readonly standbyPort: number;
  /** Runs pgbench with `clients` for `seconds` (log written only when `log`). */
  pgbench(clients: number, seconds: number, log: boolean): Promise<PgbenchResult>;
  /** What pg_stat_replication says about the standby (application_name, sync_state, ssl). */
  replicationState(): Promise<string>;
  /** Stops both servers (immediate) and removes the directory. Idempotent. */
  destroy(): Promise<void>;
}

const standbyName = 'standby1';

/** Where the PostgreSQL binaries are: version 15 preferred, installing Debian's `postgresql` when none is there. */
export async function findPostgres(): Promise<string> {
  const found = await installedBin();
  if (found !== undefined) return found;
  progress('PostgreSQL binaries not found: installing the Debian package postgresql');
  const root = process.getuid?.() === 0;
  const apt = (args: string[]): Promise<unknown> => (root ? run('apt-get', args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }) : run('sudo', ['-E', 'apt-get', ...args], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }));
  try {
    await apt(['install', '-y', 'postgresql']);
  } catch {
    await apt(['update']);
    await apt(['install', '-y', 'postgresql']);
  }
  const after = await installedBin();
  if (after === undefined) throw new Error('apt-get installed postgresql, but no /usr/lib/postgresql/*/bin/initdb is there');
  return after;
}

async function installedBin(): Promise<string | undefined> {
  const base = '/usr/lib/postgresql';
  if (existsSync(join(base, '15/bin/initdb'))) return join(base, '15/bin');
  const versions = existsSync(base) ? (await readdir(base)).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const v = versions.find((x) => existsSync(join(base, x, 'bin/initdb')));
  return v === undefined ? undefined : join(base, v, 'bin');
}

/** A free TCP port on loopback (asked of the OS, then released). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** initdb refuses root: as root the servers run as the package's `postgres` user. */
function asServerUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).trim();
  const [, , uid, gid] = line.split(':');
  if (uid === undefined || gid === undefined) throw new Error('running as root, but there is no postgres user to run the servers as');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Starts the primary and its synchronous standby; call `destroy()` in a finally (and on SIGINT). */
export async function startPostgresPair(options: PostgresPairOptions): Promise<PostgresPair> {
  const bin = await findPostgres();
  const version = (await run(join(bin, 'postgres'), ['--version'])).stdout.trim();
  const owner = asServerUser();
  const dir = await mkdtemp(join(os.tmpdir(), 'tandem-compare-pg-'));
  const primaryDir = join(dir, 'primary');
  const standbyDir = join(dir, 'standby');
  const started: string[] = [];
  const asOwner = async (file: string, args: readonly string[]): Promise<string> => {
    const [cmd, argv] = owner === undefined ? [join(bin, file), [...args]] : ['runuser', ['-u', 'postgres', '--', join(bin, file), ...args]];
    try {
      return (await run(cmd, argv, { cwd: dir, maxBuffer: 16 * 1024 * 1024 })).stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`${file} ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
    }
  };
  let destroyed: Promise<void> | undefined;
  const destroy = (): Promise<void> =>
    (destroyed ??= (async () => {
      for (const data of started.reverse()) await asOwner('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch((err: unknown) => progress(`stopping ${data}: ${String(err)}`));
      await rm(dir, { recursive: true, force: true });
    })());
  try {
    const primaryPort = await freePort();
    const standbyPort = await freePort();
    await mkdir(join(dir, 'tls'));
    await writeFile(join(dir, 'tls/server.crt'), options.certificate);
    await writeFile(join(dir, 'tls/server.key'), options.privateKey, { mode: 0o600 });
    if (owner !== undefined) {
      for (const p of [dir, join(dir, 'tls'), join(dir, 'tls/server.crt'), join(dir, 'tls/server.key')]) await chown(p, owner.uid, owner.gid);
    }
    await chmod(dir, 0o755);
    await asOwner('initdb', ['-D', primaryDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
    await appendFile(
      join(primaryDir, 'postgresql.conf'),
      [
        '',
        '# tandem compare benchmark',
        `port = ${primaryPort}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${dir}'`,
        'fsync = on',
        'synchronous_commit = on',
        `synchronous_standby_names = '${standbyName}'`,
        'ssl = on',
        `ssl_cert_file = '${join(dir, 'tls/server.crt')}'`,
        `ssl_key_file = '${join(dir, 'tls/server.key')}'`,
        'max_connections = 200',
        '',
      ].join('\n'),
    );
    await asOwner('pg_ctl', ['-D', primaryDir, '-l', join(dir, 'primary.log'), '-w', 'start']);
    started.push(primaryDir);
    const conninfo = `host=127.0.0.1 port=${primaryPort} user=postgres sslmode=require application_name=${standbyName}`;
    await asOwner('pg_basebackup', ['-D', standbyDir, '-R', '-X', 'stream', '-c', 'fast', '-d', conninfo]);
    await appendFile(join(standbyDir, 'postgresql.conf'), `\nport = ${standbyPort}\ncluster_name = '${standbyName}'\n`);
    // -R wrote the connection pg_basebackup used; name the standby as synchronous_standby_names does.
    await appendFile(join(standbyDir, 'postgresql.auto.conf'), `primary_conninfo = '${conninfo}'\n`);
    await asOwner('pg_ctl', ['-D', standbyDir, '-l', join(dir, 'standby.log'), '-w', 'start']);
    started.push(standbyDir);
    const psql = (sql: string): Promise<string> => asOwner('psql', ['-h', dir, '-p', String(primaryPort), '-U', 'postgres', '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql]);
    const replicationState = async (): Promise<string> =>
      (await psql('SELECT r.application_name, r.sync_state, s.ssl FROM pg_stat_replication r LEFT JOIN pg_stat_ssl s ON s.pid = r.pid')).trim();
    const deadline = performance.now() + 30_000;
    while (!(await replicationState()).startsWith(`${standbyName}|sync`)) {
      if (performance.now() > deadline) throw new Error(`the standby did not become synchronous: ${await replicationState()}`);
      await delay(100);
    }
    await psql('CREATE SEQUENCE order_ids; CREATE TABLE orders (id text PRIMARY KEY, body text NOT NULL)');
    const script = join(dir, 'add-order.sql');
    await writeFile(script, `INSERT INTO orders (id, body) VALUES ('o-' || nextval('order_ids'), repeat('x', ${options.rowBytes}));\n`);
    let runs = 0;
    return {
      version,
      bin,
      dir,
      primaryPort,
      standbyPort,
      replicationState,
      destroy,
      async pgbench(clients, seconds, log) {
        const logDir = join(dir, `pgbench-${++runs}`);
        await mkdir(logDir);
        const args = ['-n', '-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-c', String(clients), '-j', String(Math.min(clients, 2)), '-T', String(seconds), '-f', script];
        if (log) args.push('--log', `--log-prefix=${join(logDir, 'tx')}`);
        args.push('postgres');
        const out = await runPgbench(join(bin, 'pgbench'), args, logDir);
        const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1] ?? Number.NaN);
        const transactions = Number(/number of transactions actually processed: (\d+)/.exec(out)?.[1] ?? Number.NaN);
        const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0);
        const latenciesMs: number[] = [];
        if (log) {
          for (const name of await readdir(logDir)) {
            const text = await readFile(join(logDir, name), 'utf8');
            for (const line of text.split('\n')) {
              // client_id transaction_no time_us script_no time_epoch time_us_in_second
              const micros = line.split(' ')[2];
              if (micros !== undefined) latenciesMs.push(Number(micros) / 1000);
            }
          }
          latenciesMs.sort((a, b) => a - b);
        }
        await rm(logDir, { recursive: true, force: true });
        // A warm-up may end before 64 TLS connections are up; a measured run must have figures.
        if (log && !(tps > 0)) throw new Error(`pgbench gave no tps:\n${out}`);
        return { transactions, tps, latenciesMs, failed };
      },
    };
  } catch (err) {
    const logs = await Promise.all(['primary.log', 'standby.log'].map((f) => readFile(join(dir, f), 'utf8').catch(() => '')));
    await destroy();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${logs.join('\n')}`);
  }
}

/** pgbench as a client process (any user may run it); resolves with its summary on stdout. */
async function runPgbench(file: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PGSSLMODE: 'require' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`pgbench exited ${String(code)}:\n${err}\n${out}`))));
  });
}

/** p50 and p99 in ms of ascending latencies. */
export function percentiles(sorted: readonly number[]): { p50Ms: number; p99Ms: number } {
  return { p50Ms: Number(quantile(sorted, 0.5).toFixed(2)), p99Ms: Number(quantile(sorted, 0.99).toFixed(2)) };
}
