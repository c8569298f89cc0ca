// End-to-end run of the dashboard in Debian's Chromium, driven by
// playwright-core, against a real `decnet up` that the Go test
// (internal/app/webui_e2e_test.go) started. The Go side talks to this
// script over stdio: when the dashboard's live feed is connected it prints
// READY_FOR_SSH, makes an SSH login to a decky and answers "SSH_DONE <ip>".
//
// Env: DECNET_E2E_URL (dashboard URL), DECNET_E2E_PASSWORD (the generated
// admin password), DECNET_E2E_NEW_PASSWORD, DECNET_E2E_ATTACKER_IP,
// DECNET_E2E_TECHNIQUE (a technique the attacker was tagged with),
// DECNET_E2E_EVIDENCE (text the inspector must show), CHROMIUM (default
// /usr/bin/chromium), DECNET_E2E_SCREENSHOTS (default web/e2e/screenshots).
import { createInterface } from 'node:readline';
import { mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const env = (k, d) => {
  const v = process.env[k] ?? d;
  if (v === undefined) throw new Error(`${k} is required`);
  return v;
};
const base = env('DECNET_E2E_URL').replace(/\/$/, '');
const password = env('DECNET_E2E_PASSWORD');
const newPassword = env('DECNET_E2E_NEW_PASSWORD');
const attackerIP = env('DECNET_E2E_ATTACKER_IP');
const technique = env('DECNET_E2E_TECHNIQUE');
const evidence = env('DECNET_E2E_EVIDENCE');
const shots = env('DECNET_E2E_SCREENSHOTS', join(dirname(fileURLToPath(import.meta.url)), 'screenshots'));
mkdirSync(shots, { recursive: true });

const lines = createInterface({ input: process.stdin });
const waiting = [];
lines.on('line', (l) => waiting.shift()?.(l));
const nextLine = () => new Promise((resolve) => waiting.push(resolve));

const step = (name) => console.log(`STEP ${name}`);
const errors = [];
const timings = {};

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

const browser = await chromium.launch({
  executablePath: env('CHROMIUM', '/usr/bin/chromium'),
  headless: true,
  // Playwright gives every launch a fresh temporary profile (its own
  // --user-data-dir). The background-networking flags keep Chromium from
  // calling out of this machine's closed network.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));

  // First page's JavaScript, as the browser receives it.
  const js = [];
  const onResponse = async (r) => {
    if (r.url().endsWith('.js') && r.ok()) js.push(await r.body());
  };
  page.on('response', onResponse);

  step('login with the generated password');
  await page.goto(base + '/');
  await page.getByLabel('ACCESS KEY').fill(password);
  await page.screenshot({ path: join(shots, 'login.png') });
  await page.getByRole('button', { name: 'ESTABLISH CONNECTION' }).click();
  await page.getByText('MANDATORY SECURITY UPDATE').waitFor();
  step('forced password change');
  await page.getByLabel('NEW ACCESS KEY').fill(newPassword);
  await page.getByLabel('CONFIRM KEY').fill(newPassword);
  await page.screenshot({ path: join(shots, 'password-change.png') });
  await page.getByRole('button', { name: 'UPDATE SECURE KEY' }).click();
  await page.getByRole('heading', { name: 'DASHBOARD' }).waitFor();
  page.off('response', onResponse);
  const raw = js.reduce((n, b) => n + b.length, 0);
  const gz = js.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0);
  console.log(`FIRST_PAGE_JS ${JSON.stringify({ files: js.length, raw_bytes: raw, gzip_bytes: gz })}`);

  step('dashboard live feed shows an SSH login made now');
  await page.locator('[data-testid=conn-state][data-state=live]').waitFor();
  console.log('READY_FOR_SSH');
  const done = await nextLine();
  const sshIP = done.replace(/^SSH_DONE\s+/, '').trim();
  check(sshIP, `expected "SSH_DONE <ip>", got ${JSON.stringify(done)}`);
  await page.getByTestId('live-feed').getByText(sshIP).first().waitFor({ timeout: 30_000 });
  await page.screenshot({ path: join(shots, 'dashboard.png') });

  // Render timings on the demo data: navigation start to the page's
  // content drawn, median of 3 loads. name may be a function called after
  // the loads, for a page that may be empty on the demo data: its key
  // then says which state was timed.
  const measure = async (name, path, ready) => {
    const runs = [];
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      await page.goto(base + path);
      await ready();
      runs.push(Date.now() - t0);
    }
    runs.sort((a, b) => a - b);
    timings[typeof name === 'function' ? await name() : name] = runs[1];
  };
  step('render timings');
  await measure('dashboard', '/', () => page.locator('[data-testid=kpi-total]:not(:text("…"))').waitFor());
  await measure('live_logs', '/live-logs', () => page.locator('.data-table tbody tr').first().waitFor());
  await page.screenshot({ path: join(shots, 'live-logs.png') });
  await measure('attackers', '/attackers', () => page.getByRole('row', { name: `Open attacker ${attackerIP}` }).waitFor());
  await page.screenshot({ path: join(shots, 'attackers.png') });

  await page.getByRole('row', { name: `Open attacker ${attackerIP}` }).click();
  await page.locator(`[data-technique="${technique}"]`).waitFor();
  const detailPath = new URL(page.url()).pathname;
  await measure('attacker_detail', detailPath, () => page.locator(`[data-technique="${technique}"]`).waitFor());
  await page.screenshot({ path: join(shots, 'attacker-detail.png'), fullPage: true });

  step('render timings of the intelligence, fleet and admin pages');
  // The SSH attackers are clustered into an identity (they share a HASSH).
  const identityRow = page.getByRole('row', { name: /^Open identity / }).first();
  await measure('identities', '/identities', () => identityRow.waitFor());
  await identityRow.locator('td').first().click(); // a row may carry a campaign link
  await page.waitForURL((u) => /^\/identities\/[^/]+$/.test(u.pathname));
  const identityPath = new URL(page.url()).pathname;
  await measure('identity_detail', identityPath, () => page.getByRole('row', { name: /^Open attacker / }).first().waitFor());
  // Campaigns and bounties may be empty on the demo data: then the timing
  // is of the settled empty state (shown once the first page has loaded).
  const campaignRow = page.getByRole('row', { name: /^Open campaign / }).first();
  const noCampaigns = page.getByText('NO CAMPAIGNS YET', { exact: true });
  await measure(async () => ((await noCampaigns.isVisible()) ? 'campaigns_empty' : 'campaigns'), '/campaigns', () => campaignRow.or(noCampaigns).first().waitFor());
  await measure('credentials', '/credentials', () => page.getByRole('row', { name: /^Inspect credential #/ }).first().waitFor());
  const bountyRow = page.getByRole('row', { name: /^Inspect bounty #/ }).first();
  const noBounties = page.getByText('NO BOUNTIES YET', { exact: true });
  await measure(async () => ((await noBounties.isVisible()) ? 'bounty_empty' : 'bounty'), '/bounty', () => bountyRow.or(noBounties).first().waitFor());
  await measure('fleet', '/fleet', () => page.getByRole('row', { name: 'Inspect decky linux-server-01' }).waitFor());
  await measure('system', '/config', () => page.locator('section[aria-label="WORKERS"] .data-table tbody tr').first().waitFor());
  await measure('ttp_rules', '/ttp/rules', () => page.getByRole('row', { name: /^Inspect rule / }).first().waitFor());
  console.log(`TIMINGS ${JSON.stringify(timings)}`);

  step('attacker detail by mouse: click a technique, inspector shows evidence, Escape restores focus');
  await page.goto(base + detailPath);
  await page.locator(`[data-technique="${technique}"]`).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  check((await dialog.getAttribute('aria-modal')) === 'true', 'inspector is not aria-modal');
  const title = await dialog.getAttribute('aria-labelledby');
  check((await page.locator(`[id="${title}"]`).innerText()).startsWith(technique), 'inspector is not labelled by its technique');
  await dialog.getByTestId('ttp-tag').getByText(evidence, { exact: false }).first().waitFor();
  await page.waitForTimeout(300); // let the 0.2 s slide-in finish before the picture
  await page.screenshot({ path: join(shots, 'ttp-inspector.png') });
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  check(await page.evaluate((t) => document.activeElement?.getAttribute('data-technique') === t, technique), 'focus did not return to the technique row');

  step('keyboard only: G A, Tab to the attacker, Enter, Tab to the technique, Enter, Escape');
  await page.goto(base + '/');
  await page.getByRole('heading', { name: 'DASHBOARD' }).waitFor();
  await page.keyboard.press('g');
  await page.keyboard.press('a');
  await page.getByRole('heading', { name: 'ATTACKERS' }).waitFor();
  const tabTo = async (matches, what) => {
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(matches)) return;
    }
    throw new Error(`Tab never reached ${what}`);
  };
  await page.getByRole('row', { name: `Open attacker ${attackerIP}` }).waitFor();
  await tabTo(`document.activeElement?.getAttribute('aria-label') === ${JSON.stringify(`Open attacker ${attackerIP}`)}`, 'the attacker row');
  await page.keyboard.press('Enter');
  await page.locator(`[data-technique="${technique}"]`).waitFor();
  await tabTo(`document.activeElement?.getAttribute('data-technique') === ${JSON.stringify(technique)}`, 'the technique row');
  await page.keyboard.press('Enter');
  await dialog.getByTestId('ttp-tag').getByText(evidence, { exact: false }).first().waitFor();
  // Tab stays inside the open dialog.
  for (let i = 0; i < 5; i++) {
    await page.keyboard.press('Tab');
    check(await page.evaluate(() => !!document.activeElement?.closest('[role=dialog]')), 'Tab left the open inspector');
  }
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  check(await page.evaluate((t) => document.activeElement?.getAttribute('data-technique') === t, technique), 'focus did not return after the keyboard path');
  await page.keyboard.press(' ');
  await dialog.waitFor();
  await page.keyboard.press('Escape');

  step('command palette and light theme');
  await page.keyboard.press('Alt+k');
  await page.getByRole('textbox', { name: 'Command', exact: true }).fill('theme');
  await page.keyboard.press('Enter');
  await page.locator('html[data-theme=light]').waitFor();
  await page.screenshot({ path: join(shots, 'attacker-detail-light.png') });

  step('intelligence, fleet and admin pages render without errors');
  for (const [path, heading] of [
    ['/identities', 'IDENTITY RESOLUTION'],
    ['/campaigns', 'CAMPAIGN CLUSTERING'],
    ['/credentials', 'CREDENTIAL VAULT'],
    ['/bounty', 'BOUNTY VAULT'],
    ['/fleet', 'DECOY FLEET'],
    ['/ttp/rules', 'TTP RULES'],
    ['/config', 'SYSTEM'],
    ['/webhooks', 'WEBHOOKS'],
  ]) {
    await page.goto(base + path);
    await page.getByRole('heading', { name: heading }).waitFor();
    await page.locator('.data-table, .empty-state').first().waitFor();
    await page.screenshot({ path: join(shots, `${path.slice(1).replaceAll('/', '-')}.png`) });
  }
  // The SSH attacker's login attempt is in the vault: its inspector opens and closes.
  const credRow = page.getByRole('row', { name: /^Inspect credential #/ }).first();
  await page.goto(base + '/credentials');
  await credRow.waitFor();
  await credRow.locator('td').first().click(); // the row's centre is the attacker link
  await page.getByRole('dialog', { name: /^CREDENTIAL #/ }).waitFor();
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  check(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')?.startsWith('Inspect credential #') === true), 'focus did not return to the credential row');

  if (errors.length) throw new Error(`console errors during the run:\n${errors.join('\n')}`);
  console.log('E2E PASS');
} catch (e) {
  failed = true;
  console.error(`E2E FAIL: ${e.stack ?? e}`);
  if (errors.length) console.error(errors.join('\n'));
} finally {
  await browser.close();
  lines.close();
}
process.exit(failed ? 1 : 0);
