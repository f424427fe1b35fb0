import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, normalize, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { loadControllerConfig, loadWatchConfig, type ControllerConfig, type WatchConfig } from '../../src/config/index.js';

/*
 * Reads the Docker packaging (docker/Dockerfile, compose.yaml, the confs, the entrypoint
 * and healthcheck scripts) and lists every way in which its parts disagree. No Docker
 * engine is needed: the confs are loaded with the real loader, each against a stand-in
 * for its container's /run/secrets holding exactly the secrets compose.yaml gives it.
 */

/** dist/test/helpers → the repository root. */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** What init-secrets.sh writes but no container gets: the keys that sign certificates and licences. */
export const KEPT_BACK = ['ca.key', 'licence-issuer.key'];

/** The packaging as texts, so a test can break one part and see the problem reported. */
export interface DockerSetup {
  readonly compose: string;
  readonly dockerfile: string;
  readonly dockerignore: string;
  readonly entrypoint: string;
  readonly healthcheck: string;
  /** Conf files by directory relative to the repo root: `docker/conf/primary` → `{ 'controller.conf': text }`. */
  readonly confs: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Whether a path relative to the repo root exists. */
  readonly exists: (path: string) => boolean;
  /** The directory init-secrets.sh filled, and the names of the files it wrote there. */
  readonly secretsDir: string;
  readonly secretsWritten: readonly string[];
}

/** Runs docker/init-secrets.sh into `dir`; resolves with its output. */
export async function runInitSecrets(dir: string): Promise<string> {
  const { stdout } = await promisify(execFile)('sh', [join(REPO, 'docker/init-secrets.sh'), dir]);
  return stdout;
}

/** Reads the packaging from the repository; `secretsDir` is where init-secrets.sh has run. */
export function readDockerSetup(secretsDir: string): DockerSetup {
  const text = (path: string): string => readFileSync(join(REPO, path), 'utf8');
  const confs: Record<string, Record<string, string>> = {};
  for (const role of readdirSync(join(REPO, 'docker/conf'))) {
    const dir = `docker/conf/${role}`;
    confs[dir] = Object.fromEntries(readdirSync(join(REPO, dir)).filter((f) => f.endsWith('.conf')).map((f) => [f, text(`${dir}/${f}`)]));
  }
  return {
    compose: text('docker/compose.yaml'),
    dockerfile: text('docker/Dockerfile'),
    dockerignore: text('.dockerignore'),
    entrypoint: text('docker/entrypoint.sh'),
    healthcheck: text('docker/healthcheck.mjs'),
    confs,
    exists: (path) => existsSync(join(REPO, path)),
    secretsDir,
    secretsWritten: readdirSync(secretsDir).sort(),
  };
}

const serviceSecret = z.union([z.string(), z.object({ source: z.string(), target: z.string().optional() })]);
const composeService = z.object({
  environment: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
  ports: z.array(z.string()).default([]),
  volumes: z.array(z.string()).default([]),
  secrets: z.array(serviceSecret).default([]),
  healthcheck: z.object({ disable: z.boolean().optional() }).optional(),
});
const composeFile = z.object({
  services: z.record(z.string(), composeService),
  volumes: z.record(z.string(), z.unknown()).default({}),
  secrets: z.record(z.string(), z.object({ file: z.string() })).default({}),
});
type ComposeService = z.output<typeof composeService>;

interface Instruction {
  readonly keyword: string;
  readonly args: string;
  /** 0 for the first FROM's stage. */
  readonly stage: number;
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function dockerInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = -1;
  let current = '';
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw)) continue;
    const line = raw.trimEnd();
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    const m = /^\s*(\w+)\s+(.*)$/s.exec(current);
    current = '';
    if (m === null) continue;
    const keyword = m[1]!.toUpperCase();
    if (keyword === 'FROM') stage++;
    out.push({ keyword, args: m[2]!.trim(), stage });
  }
  return out;
}

/** A HOCON file's text without its `#` comments (quoted strings kept). */
function withoutComments(conf: string): string {
  return conf
    .split('\n')
    .map((line) => {
      let quoted = false;
      for (let i = 0; i < line.length; i++) {
        if (line[i] === '"') quoted = !quoted;
        else if (line[i] === '#' && !quoted) return line.slice(0, i);
      }
      return line;
    })
    .join('\n');
}

function firstMatch(text: string, re: RegExp): string | undefined {
  return re.exec(text)?.[1];
}

/** `.dockerignore` patterns (no `!` exceptions, no `**`) as Docker matches them: against paths from the context root. */
function ignoredBy(dockerignore: string): (path: string) => string | undefined {
  const patterns = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((p) => p.replace(/^\/+|\/+$/g, ''));
  return (path) =>
    patterns.find((p) => {
      const re = new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}(/.*)?$`);
      return re.test(path);
    });
}

/** Where each secret a service gets lands under /run/secrets, and which top-level secret it is. */
function serviceSecrets(service: ComposeService): { source: string; target: string }[] {
  return service.secrets.map((s) => (typeof s === 'string' ? { source: s, target: s } : { source: s.source, target: s.target ?? s.source }));
}

type Loaded = { kind: 'node'; config: ControllerConfig } | { kind: 'watch'; config: WatchConfig };

/**
 * Every disagreement between the parts of the packaging, one line each; [] when they
 * fit. `workDir` is an empty temp dir for the conf copies and the stand-in secrets.
 */
export function dockerSetupProblems(setup: DockerSetup, workDir: string): string[] {
  const problems: string[] = [];
  const problem = (message: string): void => void problems.push(message);

  // --- the Dockerfile ---
  const instructions = dockerInstructions(setup.dockerfile);
  const finalStage = Math.max(...instructions.map((i) => i.stage));
  const final = instructions.filter((i) => i.stage === finalStage);
  const env = new Map<string, string>();
  for (const i of final.filter((x) => x.keyword === 'ENV')) {
    for (const pair of i.args.split(/\s+/)) {
      const [k, v] = pair.split('=', 2);
      if (k !== undefined && v !== undefined) env.set(k, v);
    }
  }
  const imagePort = env.get('TANDEM_HTTPS_PORT');
  if (imagePort === undefined) problem('Dockerfile: the runtime stage sets no ENV TANDEM_HTTPS_PORT');
  const exposed = final.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/).map((p) => p.replace(/\/tcp$/, '')));
  if (imagePort !== undefined && !exposed.includes(imagePort)) problem(`Dockerfile: EXPOSE ${exposed.join(' ')} leaves out the HTTPS port ${imagePort}`);
  const volumes = final.filter((i) => i.keyword === 'VOLUME').flatMap((i) => JSON.parse(i.args) as string[]);
  const users = final.filter((i) => i.keyword === 'USER').map((i) => i.args);
  if (users.length === 0 || ['root', '0'].includes(users.at(-1)!.split(':')[0]!)) problem('Dockerfile: the runtime stage runs as root (no USER)');
  const runtimeInstall = final.find((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
  if (runtimeInstall === undefined || !runtimeInstall.args.includes('--omit=dev') || !runtimeInstall.args.includes('--ignore-scripts')) {
    problem('Dockerfile: the runtime stage must install with npm ci --omit=dev --ignore-scripts (prepare runs tsc, a dev dependency)');
  }

  // COPY sources exist, are sent in the build context, and tell where files land in the image.
  const ignored = ignoredBy(setup.dockerignore);
  const inImage = new Map<string, string>();
  const workdirs = new Map<number, string>();
  for (const i of instructions) {
    if (i.keyword === 'WORKDIR') workdirs.set(i.stage, posix.resolve(workdirs.get(i.stage) ?? '/', i.args));
    if (i.keyword !== 'COPY') continue;
    const words = i.args.split(/\s+/);
    if (words.some((w) => w.startsWith('--from'))) continue;
    const paths = words.filter((w) => !w.startsWith('--'));
    const dest = paths.pop()!;
    for (const src of paths) {
      // static/ (the status page) comes from another change; checked once it is there.
      if (src === 'static' && !setup.exists('static')) continue;
      if (!setup.exists(src)) problem(`Dockerfile: COPY ${src}: no such file in the repository`);
      const excluded = ignored(src);
      if (excluded !== undefined) problem(`.dockerignore: "${excluded}" keeps ${src}, which the Dockerfile copies, out of the build context`);
      const target = posix.resolve(workdirs.get(i.stage) ?? '/', dest);
      if (i.stage === finalStage) inImage.set(dest.endsWith('/') ? posix.join(target, posix.basename(src)) : target, src);
    }
  }
  for (const must of ['docker/secrets', 'node_modules', 'dist', '.git']) {
    if (ignored(must) === undefined) problem(`.dockerignore: ${must} is sent in the build context`);
  }
  const scriptOf = (keyword: string): string | undefined => {
    const args = final.find((i) => i.keyword === keyword)?.args.replace(/^.*?CMD\s+/, '');
    const argv = args === undefined ? [] : (JSON.parse(args) as string[]);
    const script = argv.find((a) => a.startsWith('/'));
    return script === undefined ? undefined : inImage.get(script);
  };
  if (scriptOf('ENTRYPOINT') !== 'docker/entrypoint.sh') problem('Dockerfile: ENTRYPOINT is not docker/entrypoint.sh as copied into the image');
  if (scriptOf('HEALTHCHECK') !== 'docker/healthcheck.mjs') problem('Dockerfile: HEALTHCHECK does not run docker/healthcheck.mjs as copied into the image');

  // --- the scripts ---
  const configDir = firstMatch(setup.entrypoint, /\$\{TANDEM_CONFIG_DIR:-([^}]+)\}/);
  const dataDir = firstMatch(setup.entrypoint, /\$\{TANDEM_DATA_DIR:-([^}]+)\}/);
  const entrypointPort = firstMatch(setup.entrypoint, /\$\{TANDEM_HTTPS_PORT:-(\d+)\}/);
  const roles = [...setup.entrypoint.matchAll(/^\s*([a-z]+)\)\s*$/gm)].map((m) => m[1]!);
  if (configDir === undefined || dataDir === undefined) problem('entrypoint.sh: no default for TANDEM_CONFIG_DIR or TANDEM_DATA_DIR');
  if (entrypointPort !== imagePort) problem(`entrypoint.sh: listens on ${entrypointPort ?? 'no default port'}, the image's TANDEM_HTTPS_PORT is ${imagePort ?? 'unset'}`);
  const sortedVolumes = [...volumes].sort().join(', ');
  if (sortedVolumes !== [configDir, dataDir].sort().join(', ')) {
    problem(`Dockerfile: VOLUME ${sortedVolumes} is not what the entrypoint uses (config ${configDir ?? '?'}, data ${dataDir ?? '?'})`);
  }
  const healthcheckPort = firstMatch(setup.healthcheck, /TANDEM_HTTPS_PORT\s*\?\?\s*'(\d+)'/);
  if (healthcheckPort !== imagePort) problem(`healthcheck.mjs: asks port ${healthcheckPort ?? '?'} by default, the image's TANDEM_HTTPS_PORT is ${imagePort ?? 'unset'}`);
  if (!setup.healthcheck.includes("'/controller/api/health/live'")) problem('healthcheck.mjs: does not ask /controller/api/health/live');

  // --- compose.yaml ---
  const parsed = composeFile.safeParse(parseYaml(setup.compose, { merge: true }));
  if (!parsed.success) return [...problems, `compose.yaml: ${z.prettifyError(parsed.error)}`];
  const compose = parsed.data;
  for (const [name, secret] of Object.entries(compose.secrets)) {
    const m = /^\.\/secrets\/([^/]+)$/.exec(secret.file);
    if (m === null || !setup.secretsWritten.includes(m[1]!)) problem(`compose.yaml: secret ${name} is read from ${secret.file}, a file init-secrets.sh does not write`);
  }
  const mountedFiles = new Set(Object.values(compose.secrets).map((s) => basename(s.file)));
  for (const f of setup.secretsWritten) {
    if (!mountedFiles.has(f) && !KEPT_BACK.includes(f)) problem(`init-secrets.sh writes ${f}, which compose.yaml hands to no container`);
  }

  const loaded = new Map<string, Loaded>();
  const portOf = new Map<string, string>();
  const dataVolumes = new Set<string>();
  for (const [name, service] of Object.entries(compose.services)) {
    const where = `compose.yaml: service ${name}`;
    const role = String(service.environment['TANDEM_ROLE'] ?? 'node');
    if (!roles.includes(role)) problem(`${where}: TANDEM_ROLE ${role} is not a role the entrypoint knows (${roles.join(', ')})`);
    const mounts = service.volumes.map((v) => {
      const [source = '', target = '', mode] = v.split(':');
      return { source, target, mode };
    });

    const confMount = mounts.find((m) => m.target === configDir);
    const confDir = confMount === undefined ? undefined : normalize(join('docker', confMount.source));
    const confFiles = confDir === undefined ? undefined : setup.confs[confDir];
    const mainFile = role === 'watch' ? 'watch.conf' : 'controller.conf';
    if (confMount === undefined || !confMount.source.startsWith('./')) problem(`${where}: no conf directory of the repository mounted at ${configDir ?? '?'}`);
    else if (confFiles === undefined || !setup.exists(confDir!)) problem(`${where}: mounts ${confMount.source}, which is not a conf directory in docker/conf`);
    else if (confFiles[mainFile] === undefined) problem(`${where}: ${confMount.source} has no ${mainFile}`);
    if (confMount !== undefined && confMount.mode !== 'ro') problem(`${where}: its conf directory is not mounted read-only`);
    const dataMount = mounts.find((m) => m.target === dataDir);
    if (dataMount === undefined || !(dataMount.source in compose.volumes)) problem(`${where}: no named volume mounted at the data directory ${dataDir ?? '?'}`);
    else if (dataVolumes.has(dataMount.source)) problem(`${where}: shares the data volume ${dataMount.source} with another service`);
    else dataVolumes.add(dataMount.source);
    for (const m of mounts) {
      if (!volumes.includes(m.target)) problem(`${where}: mounts ${m.target}, which is not a VOLUME of the image`);
    }

    const secrets = serviceSecrets(service);
    for (const s of secrets) if (!(s.source in compose.secrets)) problem(`${where}: secret ${s.source} is not declared under the top-level secrets`);

    if (role === 'node') {
      const port = String(service.environment['TANDEM_HTTPS_PORT'] ?? imagePort);
      portOf.set(name, port);
      const published = service.ports.map((p) => p.split(':').at(-1)!.replace(/\/tcp$/, ''));
      if (published.length === 0) problem(`${where}: publishes no port`);
      for (const p of published) if (p !== port) problem(`${where}: publishes container port ${p}, the node listens on ${port}`);
    } else if (service.healthcheck?.disable !== true) {
      problem(`${where}: the watch serves no HTTP, so the image's healthcheck must be disabled for it`);
    }

    if (confFiles === undefined || confFiles[mainFile] === undefined) continue;
    // The container, outside Docker: the conf dir as mounted, /run/secrets with exactly this service's secrets.
    const conf = join(workDir, `conf-${name}`);
    const runSecrets = join(workDir, `run-secrets-${name}`);
    mkdirSync(conf, { recursive: true });
    mkdirSync(runSecrets, { recursive: true });
    for (const [file, text] of Object.entries(confFiles)) writeFileSync(join(conf, file), text);
    for (const s of secrets) {
      const file = compose.secrets[s.source]?.file;
      const from = file === undefined ? undefined : join(setup.secretsDir, basename(file));
      if (from !== undefined && existsSync(from)) copyFileSync(from, join(runSecrets, s.target));
    }
    const code = withoutComments(Object.values(confFiles).join('\n'));
    if (!/^secrets-dir\s*=\s*"\/run\/secrets"\s*$/m.test(code)) problem(`docker/conf of ${name}: secrets-dir is not "/run/secrets", where Docker mounts the secrets`);
    for (const s of secrets) {
      if (!code.includes(`/${s.target}"`) && !code.includes(`{${s.target}}`) && !code.includes(`{?${s.target}}`)) {
        problem(`${where}: gets the secret ${s.target}, which its conf does not read`);
      }
    }
    const options = { configDir: conf, env: { ...stringEnv(service.environment), TANDEM_SECRETS_DIR: runSecrets }, secretsDir: runSecrets };
    try {
      loaded.set(name, role === 'watch' ? { kind: 'watch', config: loadWatchConfig(options) } : { kind: 'node', config: loadControllerConfig(options) });
    } catch (err) {
      problem(`${where}: its conf does not load with the secrets it gets: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  // --- the confs agree with each other and with compose.yaml ---
  const nodes = [...loaded].flatMap(([name, l]) => (l.kind === 'node' ? [{ name, config: l.config }] : []));
  const watches = [...loaded].flatMap(([name, l]) => (l.kind === 'watch' ? [{ name, config: l.config }] : []));
  for (const { name, config } of nodes) {
    if (name === 'primary' && config.cluster.isBackup) problem('docker/conf of primary: js7.journal.cluster.node.is-backup must be no');
    if (name === 'backup' && !config.cluster.isBackup) problem('docker/conf of backup: js7.journal.cluster.node.is-backup must be yes');
  }
  const primaries = nodes.filter((n) => !n.config.cluster.isBackup);
  if (primaries.length !== 1 || nodes.length - primaries.length !== 1) problem(`compose.yaml: wants one Primary and one Backup, has ${primaries.length} and ${nodes.length - primaries.length}`);
  const appointed = primaries[0]?.config.cluster.nodes;
  if (primaries.length > 0 && appointed === undefined) problem('docker/conf of the Primary: no js7.journal.cluster.nodes to appoint the pair');
  for (const [id, uri] of Object.entries(appointed ?? {})) {
    const url = new URL(uri);
    const target = nodes.find((n) => n.name === url.hostname);
    const where = `js7.journal.cluster.nodes.${id} = ${uri}`;
    if (url.protocol !== 'https:') problem(`${where}: not https`);
    if (target === undefined) {
      problem(`${where}: ${url.hostname} is not a node service of compose.yaml`);
      continue;
    }
    if ((id === 'Backup') !== target.config.cluster.isBackup) problem(`${where}: ${target.name}'s conf says is-backup = ${target.config.cluster.isBackup ? 'yes' : 'no'}`);
    if (url.port !== portOf.get(target.name)) problem(`${where}: ${target.name} listens on ${portOf.get(target.name) ?? '?'}, not ${url.port}`);
    const certificate = target.config.web.https?.certificate;
    if (certificate !== undefined && new X509Certificate(readFileSync(certificate)).checkHost(url.hostname) === undefined) {
      problem(`${where}: ${target.name}'s certificate is not valid for ${url.hostname}`);
    }
  }
  if (watches.length !== 1) problem(`compose.yaml: wants one watch service, has ${watches.length}`);
  for (const { name, config } of watches) {
    const watched = config.clusterNodes.map((n) => n.uri).sort();
    const uris = Object.values(appointed ?? {}).sort();
    if (watched.join(' ') !== uris.join(' ')) problem(`docker/conf of ${name}: watches ${watched.join(' ')}, the pair is ${uris.join(' ')}`);
    for (const n of nodes) {
      if (config.heartbeatMs !== n.config.cluster.heartbeatMs || config.heartbeatTimeoutMs !== n.config.cluster.heartbeatTimeoutMs) {
        problem(`docker/conf of ${name}: heartbeat ${config.heartbeatMs}/${config.heartbeatTimeoutMs} ms differs from ${n.name}'s ${n.config.cluster.heartbeatMs}/${n.config.cluster.heartbeatTimeoutMs} ms`);
      }
      if (config.user !== n.config.controllerId) problem(`docker/conf of ${name}: logs in as ${config.user ?? '(no user)'}, ${n.name}'s controller id is ${n.config.controllerId}`);
    }
  }
  return problems;
}

function stringEnv(environment: Readonly<Record<string, string | number>>): Record<string, string> {
  return Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, String(v)]));
}

/** The mode bits of each file init-secrets.sh wrote, and of the directory. */
export function secretModes(dir: string): { dir: number; files: Record<string, number> } {
  return {
    dir: statSync(dir).mode & 0o777,
    files: Object.fromEntries(readdirSync(dir).map((f) => [f, statSync(join(dir, f)).mode & 0o777])),
  };
}
