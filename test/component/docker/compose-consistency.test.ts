import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, after, describe, test } from 'node:test';
import { dockerSetupProblems, KEPT_BACK, readDockerSetup, runInitSecrets, secretModes, type DockerSetup } from '../../helpers/docker-setup.js';

/*
 * docker/Dockerfile, compose.yaml, the confs, the entrypoint and the healthcheck must fit
 * together: no Docker engine runs here, so this is where a mismatch shows. The second
 * part breaks one thing at a time and sees it reported, so the check cannot pass blindly.
 */

let base: string;
let setup: DockerSetup;
let initOutput: string;

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'tandem-docker-'));
  initOutput = await runInitSecrets(join(base, 'secrets'));
  setup = readDockerSetup(join(base, 'secrets'));
});
after(() => rm(base, { recursive: true, force: true }));

let workDirs = 0;
async function problemsOf(s: DockerSetup): Promise<string[]> {
  const work = await mkdtemp(join(base, `work-${workDirs++}-`));
  return dockerSetupProblems(s, work);
}

describe('docker/: the packaging fits together', () => {
  test('the Dockerfile, compose.yaml, the confs and the scripts agree', async () => {
    assert.deepEqual(await problemsOf(setup), []);
  });

  test('init-secrets.sh keeps its directory private, the files containers read readable to them, and the signing keys private', () => {
    const { dir, files } = secretModes(setup.secretsDir);
    assert.equal(dir, 0o700, 'only the owner enters the secrets directory');
    for (const [file, mode] of Object.entries(files)) {
      if (KEPT_BACK.includes(file)) assert.equal(mode & 0o077, 0, `${file} is private`);
      // Compose bind-mounts secret files with their host permissions; the image's user does not own them.
      else assert.equal(mode & 0o004, 0o004, `${file} is readable by the container's user`);
    }
    assert.match(initOutput, /a production licence replaces licence\.json/);
  });

  test('init-secrets.sh run again keeps every file as it was', async () => {
    const contents = (d: DockerSetup): string[] => d.secretsWritten.map((f) => `${f}:${readFileSync(join(d.secretsDir, f), 'utf8')}`);
    const was = contents(setup);
    const output = await runInitSecrets(setup.secretsDir);
    assert.deepEqual(contents(readDockerSetup(setup.secretsDir)), was);
    assert.doesNotMatch(output, /^wrote /m);
  });
});

/** One way to break the packaging: a text replaced in one of its parts, and what the check must then say. */
interface Breakage {
  readonly what: string;
  readonly part: 'compose' | 'dockerfile' | 'dockerignore' | 'entrypoint' | 'healthcheck' | `docker/conf/${string}`;
  readonly from: string | RegExp;
  readonly to: string;
  readonly reported: RegExp;
}

const breakages: readonly Breakage[] = [
  { what: 'a service names an undeclared secret', part: 'compose', from: '  ca.pem:\n    file: ./secrets/ca.pem\n', to: '', reported: /secret ca\.pem is not declared/ },
  { what: 'a secret file init-secrets.sh does not write', part: 'compose', from: 'file: ./secrets/admin-password', to: 'file: ./secrets/admin.password', reported: /admin\.password, a file init-secrets\.sh does not write/ },
  { what: 'a conf reads a secret its service does not get', part: 'compose', from: '      - primary.key\n', to: '', reported: /service primary: its conf does not load.*primary\.key/s },
  { what: 'a service gets a secret its conf does not read', part: 'compose', from: '      - watch.key\n', to: '      - watch.key\n      - ADMIN_PASSWORD\n', reported: /service watch: gets the secret ADMIN_PASSWORD/ },
  { what: 'a conf directory that does not exist', part: 'compose', from: './conf/backup:', to: './conf/backups:', reported: /service backup: mounts \.\/conf\/backups/ },
  { what: 'a conf directory mounted writable', part: 'compose', from: './conf/watch:/etc/tandem:ro', to: './conf/watch:/etc/tandem', reported: /service watch: its conf directory is not mounted read-only/ },
  { what: 'a published port the node does not listen on', part: 'compose', from: ':-8444}:8443', to: ':-8444}:9443', reported: /service backup: publishes container port 9443/ },
  { what: 'a data volume off the data directory', part: 'compose', from: 'primary-data:/var/lib/tandem', to: 'primary-data:/var/lib/tandem/x', reported: /service primary: no named volume mounted at the data directory/ },
  { what: 'the watch with the image healthcheck', part: 'compose', from: '    healthcheck:\n      disable: true\n', to: '', reported: /service watch: the watch serves no HTTP/ },
  { what: 'a node certificate for another host', part: 'compose', from: 'file: ./secrets/backup.pem', to: 'file: ./secrets/primary.pem', reported: /Backup = https:\/\/backup:8443: backup's certificate is not valid for backup/ },
  { what: 'the Primary appointing a URI on the wrong port', part: 'docker/conf/primary', from: 'Backup = "https://backup:8443"', to: 'Backup = "https://backup:8444"', reported: /backup listens on 8443, not 8444/ },
  { what: 'the Primary appointing a host that is no service', part: 'docker/conf/primary', from: '"https://primary:8443"', to: '"https://primary.example:8443"', reported: /primary\.example is not a node service/ },
  { what: 'the backup conf without is-backup', part: 'docker/conf/backup', from: 'node.is-backup = yes', to: 'node.is-backup = no', reported: /backup: js7\.journal\.cluster\.node\.is-backup must be yes/ },
  { what: 'the primary conf with is-backup', part: 'docker/conf/primary', from: 'node.is-backup = no', to: 'node.is-backup = yes', reported: /primary: js7\.journal\.cluster\.node\.is-backup must be no/ },
  { what: 'a conf with its secrets somewhere else', part: 'docker/conf/watch', from: 'secrets-dir = "/run/secrets"', to: 'secrets-dir = "/secrets"', reported: /secrets-dir is not "\/run\/secrets"/ },
  { what: 'the watch on another heartbeat', part: 'docker/conf/watch', from: 'heartbeat = 500ms', to: 'heartbeat = 1s', reported: /heartbeat 1000\/2500 ms differs/ },
  { what: 'the watch watching another URI', part: 'docker/conf/watch', from: 'uri = "https://backup:8443"', to: 'uri = "https://backup:8444"', reported: /watches .*backup:8444/ },
  { what: 'a VOLUME the entrypoint does not use', part: 'dockerfile', from: 'VOLUME ["/etc/tandem", "/var/lib/tandem"]', to: 'VOLUME ["/etc/tandem", "/data"]', reported: /VOLUME \/data, \/etc\/tandem is not what the entrypoint uses/ },
  { what: 'a COPY of a missing file', part: 'dockerfile', from: 'docker/init-secrets.sh ./docker/', to: 'docker/init-secret.sh ./docker/', reported: /COPY docker\/init-secret\.sh: no such file/ },
  { what: 'a HEALTHCHECK running another script', part: 'dockerfile', from: '"/opt/tandem/docker/healthcheck.mjs"', to: '"/opt/tandem/docker/health.mjs"', reported: /HEALTHCHECK does not run docker\/healthcheck\.mjs/ },
  { what: 'an EXPOSE of another port', part: 'dockerfile', from: 'EXPOSE 8443', to: 'EXPOSE 8080', reported: /EXPOSE 8080 leaves out the HTTPS port 8443/ },
  { what: 'a runtime install that runs the prepare script', part: 'dockerfile', from: 'npm ci --omit=dev --ignore-scripts', to: 'npm ci --omit=dev', reported: /--ignore-scripts/ },
  { what: 'the image running as root', part: 'dockerfile', from: 'USER tandem\n', to: '', reported: /runs as root/ },
  { what: 'a build context without the sources', part: 'dockerignore', from: 'docs\n', to: 'docs\nsrc\n', reported: /"src" keeps src, which the Dockerfile copies, out of the build context/ },
  { what: 'secrets sent in the build context', part: 'dockerignore', from: 'docker/secrets\n', to: '', reported: /docker\/secrets is sent in the build context/ },
  { what: 'the entrypoint on another port', part: 'entrypoint', from: 'TANDEM_HTTPS_PORT:-8443', to: 'TANDEM_HTTPS_PORT:-9443', reported: /entrypoint\.sh: listens on 9443/ },
  { what: 'the healthcheck asking another port', part: 'healthcheck', from: "TANDEM_HTTPS_PORT ?? '8443'", to: "TANDEM_HTTPS_PORT ?? '9443'", reported: /healthcheck\.mjs: asks port 9443/ },
];

function broken(s: DockerSetup, b: Breakage): DockerSetup {
  const replace = (text: string): string => {
    const out = text.replace(b.from, b.to);
    assert.notEqual(out, text, `"${String(b.from)}" is in ${b.part}: the breakage must change something`);
    return out;
  };
  if (b.part.startsWith('docker/conf/')) {
    const files = s.confs[b.part];
    assert.ok(files !== undefined, `${b.part} exists`);
    const [name, text] = Object.entries(files)[0]!;
    return { ...s, confs: { ...s.confs, [b.part]: { ...files, [name]: replace(text) } } };
  }
  const part = b.part as 'compose' | 'dockerfile' | 'dockerignore' | 'entrypoint' | 'healthcheck';
  return { ...s, [part]: replace(s[part]) };
}

describe('docker/: each mismatch is reported', () => {
  for (const b of breakages) {
    test(b.what, async () => {
      const problems = await problemsOf(broken(setup, b));
      assert.ok(problems.some((p) => b.reported.test(p)), `expected ${String(b.reported)} among:\n${problems.join('\n')}`);
    });
  }
});
