import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createPair, pairConf, type Pair, type PairNode } from '../helpers/pair.js';
import { waitFor } from '../helpers/wait.js';

/*
 * The status page in a real browser against a real coupled pair: Debian's Chromium,
 * driven by playwright-core (whose own browser download does not work on the test
 * machines). The page is loaded from the primary over HTTPS with mutual TLS asked
 * for; the browser has no client certificate and logs in through the page's form.
 */

const chromiumPath = '/usr/bin/chromium';
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const ensureChromium = join(repoRoot, 'scripts/ensure-chromium.sh');
const outputDir = join(repoRoot, 'test-output');
// apt-get may have to download ~100 MB on a fresh machine.
const installTimeoutMs = 10 * 60_000;
const uiTimeoutMs = 20_000;
const operator = { user: 'operator', password: 'operator-secret' };
// Without the background-networking flags Chromium calls out to Google's services, which the closed network refuses.
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Runs scripts/ensure-chromium.sh (installs Debian's chromium when missing); fails with its output if it cannot. */
async function ensureChromiumInstalled(): Promise<void> {
  const child = spawn('sh', [ensureChromium], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (output += b.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), installTimeoutMs);
  try {
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    if (code !== 0) {
      const how = signal === null ? `exit code ${code}` : `signal ${signal} (timed out after ${installTimeoutMs} ms?)`;
      throw new Error(`The status page test needs Chromium at ${chromiumPath}; ${ensureChromium} failed with ${how}:\n${output.slice(-4000)}`);
    }
  } finally {
    clearTimeout(timer);
  }
}

const conf = (name: 'Primary' | 'Backup'): string =>
  pairConf(name, `js7.auth.users.${operator.user} { password = "plain:${operator.password}", permissions = [SuperPermission] }`);

let pair: Pair | undefined;
let context: BrowserContext | undefined;
let profileDir: string | undefined;

before(async () => {
  await ensureChromiumInstalled();
  profileDir = await mkdtemp(join(tmpdir(), 'tandem-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 900 },
    timeout: 60_000,
  });
  pair = await createPair({ primaryConf: conf('Primary'), backupConf: conf('Backup') });
  await pair.couple();
});

after(async () => {
  // Each step even if an earlier one failed: no browser or node process may outlive the suite.
  try {
    await context?.close().catch(() => undefined);
    await pair?.cleanup();
  } finally {
    if (profileDir !== undefined) await rm(profileDir, { recursive: true, force: true });
  }
});

async function textOf(page: Page, selector: string): Promise<string | undefined> {
  const locator = page.locator(selector);
  if ((await locator.count()) === 0) return undefined;
  return ((await locator.first().textContent()) ?? '').trim();
}

/** Waits until the element's text is `expected` (or matches it). */
async function waitForText(page: Page, selector: string, expected: string | RegExp, timeoutMs = uiTimeoutMs): Promise<string> {
  let last: string | undefined;
  try {
    return await waitFor(
      `${selector} to read ${String(expected)}`,
      async () => {
        last = await textOf(page, selector);
        if (last === undefined) return undefined;
        const ok = typeof expected === 'string' ? last === expected : expected.test(last);
        return ok ? last : undefined;
      },
      timeoutMs,
      100,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; it read ${JSON.stringify(last)}`, { cause: err });
  }
}

async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(outputDir, { recursive: true });
  const path = join(outputDir, name);
  await page.screenshot({ path, fullPage: true });
  console.log(`status page screenshot: ${path}`);
  return path;
}

async function addOrder(node: PairNode, id: string): Promise<void> {
  const r = await pair!.call(node, 'POST', '/command', { TYPE: 'AddOrder', order: { id, workflowPath: 'status/echo', arguments: { id } } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

test('the status page shows both nodes, follows orders live, and switches over without a reload', async () => {
  const page = await context!.newPage();
  try {
    await statusPageScenario(page);
  } catch (err) {
    // What the page showed when the test failed.
    await screenshot(page, 'status-page-failure.png').catch(() => undefined);
    throw err;
  }
});

async function statusPageScenario(page: Page): Promise<void> {
  const p = pair!;
  const deployed = await p.call(p.primary, 'POST', '/command', {
    TYPE: 'DeployWorkflow',
    workflow: { path: 'status/echo', instructions: [{ TYPE: 'Execute', job: { script: 'echo page-$ID', env: { ID: '$id' } } }] },
  });
  assert.equal(deployed.status, 200, JSON.stringify(deployed.body));

  page.setDefaultTimeout(uiTimeoutMs);
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));

  await page.goto(`${p.primary.uri}/`);
  // The pair's nodes are not public: the page's first API call is answered 401, and the form appears.
  await page.locator('#login').waitFor({ state: 'visible' });
  await page.fill('#login-user', operator.user);
  await page.fill('#login-password', 'wrong-password');
  await page.click('#login-submit');
  await waitForText(page, '#login-error', /^InvalidLogin:/);
  await screenshot(page, 'status-page-login.png');
  await page.fill('#login-password', operator.password);
  await page.click('#login-submit');
  await page.locator('#content').waitFor({ state: 'visible' });
  // Marks this document: if the page reloaded, the mark would be gone.
  await page.evaluate(() => Object.assign(globalThis, { tandemTestMark: 'no reload' }));

  // Both nodes, as the primary sees itself and as the backup answered it.
  await waitForText(page, '[data-node="Primary"] [data-field="role"]', 'active');
  await waitForText(page, '[data-node="Backup"] [data-field="role"]', 'passive');
  await waitForText(page, '[data-node="Primary"] [data-field="cluster-state"]', 'Coupled');
  await waitForText(page, '[data-node="Backup"] [data-field="cluster-state"]', 'Coupled');
  await waitForText(page, '#cluster-state', 'Coupled');
  await waitForText(page, '[data-node="Backup"] [data-field="uri"]', p.backup.uri);
  await waitForText(page, '[data-node="Backup"] [data-field="heartbeat"]', /ago$/);
  await waitForText(page, '[data-node="Primary"] [data-field="watch"]', /^connected/);
  await waitForText(page, '[data-node="Backup"] [data-field="licence"]', /^valid until/);
  await waitForText(page, '[data-node="Backup"] [data-field="lag"]', /behind the active/);
  assert.equal(await page.locator('#switchover').isEnabled(), true, 'the active node offers the switchover');
  assert.equal(await page.locator('#notice').isVisible(), false, 'no passive notice on the active node');

  // An order added elsewhere appears through the event stream, with its state.
  await addOrder(p.primary, 'page-1');
  await waitForText(page, '#events li[data-event-type="OrderAdded"] .detail', /page-1/);
  await waitForText(page, 'tr[data-order-id="page-1"] [data-field="state"]', 'Finished');
  await screenshot(page, 'status-page-coupled.png');

  // Switchover: asks first; Cancel does nothing.
  await page.click('#switchover');
  await page.locator('#switchover-confirm').waitFor({ state: 'visible' });
  await waitForText(page, '#switchover-question', /from Primary to Backup/);
  await page.click('#switchover-no');
  await page.locator('#switchover-confirm').waitFor({ state: 'hidden' });
  assert.equal((await p.call(p.primary, 'GET', '/cluster?return=ClusterNodeState')).body['isActive'], true, 'cancel sent nothing');

  await page.click('#switchover');
  await page.click('#switchover-yes');
  await waitForText(page, '#switchover-result', /^Switchover accepted/);
  await waitForText(page, '[data-node="Backup"] [data-field="role"]', 'active', 30_000);
  await waitForText(page, '[data-node="Primary"] [data-field="role"]', 'passive', 30_000);
  await waitForText(page, '#cluster-state', 'Coupled', 30_000);
  // This node is passive now: the page says so, links the active node, and offers no switchover.
  await waitForText(page, '#notice', /This node \(Primary\) is passive/);
  assert.equal(await page.locator(`#notice a[href="${p.backup.uri}"]`).count(), 1, 'the notice links the active node');
  assert.equal(await page.locator('#switchover').isDisabled(), true);

  // The event stream follows the node through its role change: an order on the new active shows up here.
  await addOrder(p.backup, 'page-2');
  await waitForText(page, 'tr[data-order-id="page-2"] [data-field="state"]', 'Finished', 30_000);
  await waitForText(page, '#events li[data-event-type="OrderAdded"] .detail', /page-2/);

  assert.equal(await page.evaluate(() => (globalThis as { tandemTestMark?: string }).tandemTestMark), 'no reload', 'the page never reloaded');
  await screenshot(page, 'status-page-switched-over.png');
  assert.deepEqual(pageErrors, [], 'the page threw no script errors');
}
