import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { Agent, request } from 'undici';
import { REPO, runInitSecrets } from '../helpers/docker-setup.js';
import { cliPath } from '../helpers/tandem-process.js';
import { waitFor } from '../helpers/wait.js';

/*
 * The three roles of docker/compose.yaml, started through docker/entrypoint.sh with the
 * repository's docker/conf/<role> as they are, outside Docker: the environment stands in
 * for what Docker provides (the secrets directory, the URIs, the ports).
 */

const entrypoint = join(REPO, 'docker/entrypoint.sh');
const healthcheck = join(REPO, 'docker/healthcheck.mjs');

interface Started {
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<number | string>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Runs the entrypoint as Docker would (the script itself, its own process) and waits until `ready` shows in its output. */
async function startRole(args: readonly string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<Started> {
  const child = spawn(entrypoint, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  child.stdout!.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString('utf8')));
  const started: Started = { child, output: () => out, exited };
  const ended = (): boolean => child.exitCode !== null || child.signalCode !== null;
  await waitFor(`entrypoint.sh ${args.join(' ')} to be ready`, () => (ready.test(out) || ended() ? true : undefined), 30_000);
  if (!ready.test(out)) throw new Error(`entrypoint.sh ${args.join(' ')} exited (${String(await exited)}) before it was ready:\n${out}`);
  return started;
}

/** Runs a short command to its end; resolves with the exit code and what it wrote. */
async function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
  // 'close': only then has all its output been read.
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, out };
}

/** Processes whose command line mentions `text` (Linux /proc). */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(text)) found.push(`${pid}: ${cmdline}`);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

test('docker/entrypoint.sh runs the Primary, the Backup and the watch from docker/conf; they couple, pass the healthcheck and stop cleanly on SIGTERM', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'tandem-docker-it-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const secrets = join(base, 'secrets');
  await runInitSecrets(secrets);
  const ca = await readFile(join(secrets, 'ca.pem'), 'utf8');
  const adminPassword = (await readFile(join(secrets, 'admin-password'), 'utf8')).trim();
  const [primaryPort, backupPort] = [await freePort(), await freePort()];
  const primaryUri = `https://127.0.0.1:${primaryPort}`;
  const backupUri = `https://127.0.0.1:${backupPort}`;

  // What Docker provides: /run/secrets (here TANDEM_SECRETS_DIR and NAME_FILE), the peers' addresses.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`,
    TANDEM_SECRETS_DIR: secrets,
    CLUSTER_PASSWORD_FILE: join(secrets, 'cluster-password'),
    ADMIN_PASSWORD_FILE: join(secrets, 'admin-password'),
    TANDEM_PRIMARY_URI: primaryUri,
    TANDEM_BACKUP_URI: backupUri,
    TANDEM_HOST: '127.0.0.1',
    TANDEM_LOG_LEVEL: process.env['TANDEM_TEST_LOG_LEVEL'] ?? 'warn',
  };
  delete env['TANDEM_ROLE'];
  const role = (name: string, port?: number): NodeJS.ProcessEnv => ({
    ...env,
    TANDEM_CONFIG_DIR: join(REPO, 'docker/conf', name),
    TANDEM_DATA_DIR: join(base, `${name}-data`),
    ...(port === undefined ? {} : { TANDEM_HTTPS_PORT: String(port) }),
  });

  const running: Started[] = [];
  t.after(() => {
    for (const r of running) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  });
  // The role three ways: by default, as the first argument, from TANDEM_ROLE.
  const primary = await startRole([], role('primary', primaryPort), /tandem: serving https:/);
  running.push(primary);
  const backup = await startRole(['node'], role('backup', backupPort), /tandem: serving https:/);
  running.push(backup);
  const watch = await startRole([], { ...role('watch'), TANDEM_ROLE: 'watch' }, /tandem: watching /);
  running.push(watch);
  assert.match(watch.output(), new RegExp(`watching ${primaryUri} and ${backupUri}`));

  // Logged in as the conf's admin user, trusting only the pair's CA.
  const client = new Agent({ connect: { ca } });
  t.after(() => client.close());
  const auth = `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`;
  const clusterState = async (uri: string): Promise<unknown> => {
    const res = await request(`${uri}/controller/api/cluster`, { dispatcher: client, headers: { authorization: auth } });
    return ((await res.body.json()) as { TYPE?: unknown }).TYPE;
  };
  await waitFor('the Primary to say Coupled', async () => ((await clusterState(primaryUri)) === 'Coupled' ? true : undefined), 60_000, 200);
  await waitFor('the Backup to say Coupled', async () => ((await clusterState(backupUri)) === 'Coupled' ? true : undefined), 20_000, 200);

  // The image's HEALTHCHECK, as Docker runs it in each node's container.
  const check = (port: number, caFile = join(secrets, 'ca.pem')) =>
    run(process.execPath, [healthcheck], { ...env, TANDEM_HTTPS_PORT: String(port), TANDEM_HEALTHCHECK_CA: caFile });
  for (const port of [primaryPort, backupPort]) {
    const ok = await check(port);
    assert.equal(ok.code, 0, ok.out);
    assert.equal(ok.out, 'healthy\n');
  }
  const closed = await check(await freePort());
  assert.equal(closed.code, 1, closed.out);
  assert.match(closed.out, /^unhealthy: .*ECONNREFUSED/);
  // A node whose certificate the pair's CA did not issue is not healthy.
  const otherCa = join(base, 'other-ca');
  assert.equal((await run(process.execPath, [cliPath, 'certificates', '--dir', otherCa, '--node', 'x'], env)).code, 0);
  const untrusted = await check(primaryPort, join(otherCa, 'ca.pem'));
  assert.equal(untrusted.code, 1, untrusted.out);
  assert.match(untrusted.out, /^unhealthy: /);

  // Any other first argument goes to the tandem CLI, as `docker run IMAGE cluster status …` does.
  const status = await run(
    entrypoint,
    ['cluster', 'status', '--url', primaryUri, '--url', backupUri, '--user', 'admin', '--ca', join(secrets, 'ca.pem'), '--json'],
    { ...env, TANDEM_PASSWORD: adminPassword },
  );
  assert.equal(status.code, 0, status.out);
  assert.match(status.out, /"Coupled"/);

  // docker compose stop: the watch (it depends on the nodes) first, then both nodes.
  watch.child.kill('SIGTERM');
  assert.equal(await watch.exited, 0, watch.output());
  primary.child.kill('SIGTERM');
  backup.child.kill('SIGTERM');
  assert.equal(await primary.exited, 0, primary.output());
  assert.equal(await backup.exited, 0, backup.output());
  // exec: the entrypoint's process was tandem itself, so nothing of it is left.
  assert.deepEqual(processesMentioning(base), []);
});
