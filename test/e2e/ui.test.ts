// The inspection UI in headless Chromium (Debian's `chromium`, driven by playwright-core) against a
// real local cluster: open /ui, start a job, watch the page draw its machine with `finished`
// highlighted, and keep a screenshot under test-artifacts/.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium, type Page } from 'playwright-core';
import { createBucket, putObj, startObjCluster } from '../support/obj-helpers.ts';
import { http } from '../support/cluster-helpers.ts';

const CHROMIUM = process.env.SHOAL_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Bound on the page reaching a state (the job itself takes well under a second). */
const UI_WAIT_MS = 30_000;
const OBJECTS = 20;
const SCREENSHOT = 'test-artifacts/ui-job-finished.png';
const SCREENSHOT_STOPPED = 'test-artifacts/ui-job-stopped.png';

/** Submits one of the page's job forms and returns the job id the page reports. */
async function submitAndReadXid(page: Page, button: string, what: RegExp): Promise<string> {
  const before = await page.locator('#ctlmsg').textContent();
  await page.locator(button).click();
  await page.waitForFunction(`document.getElementById('ctlmsg').textContent !== ${JSON.stringify(before)}`, undefined, { timeout: UI_WAIT_MS });
  const msg = (await page.locator('#ctlmsg').textContent()) ?? '';
  assert.match(msg, what);
  const m = /job ([A-Za-z0-9_-]{9})$/.exec(msg);
  assert.ok(m, `no job id in "${msg}"`);
  return m[1]!;
}

test('jobs are started, watched and stopped in the UI', { skip: existsSync(CHROMIUM) ? false : `no chromium binary at ${CHROMIUM} (apt-get install chromium)` }, async () => {
  const c = await startObjCluster({ proxies: 1, targets: 3, testJobs: true });
  const profile = await mkdtemp(join(tmpdir(), 'shoal-chromium-'));
  // a fresh profile per run (playwright wants it as the persistent context's dir, not as a flag)
  const browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, viewport: { width: 1400, height: 900 } });
  try {
    await createBucket(c.proxyUrl, 'ui-src');
    for (let i = 0; i < OBJECTS; i++) {
      const res = await putObj(c.proxyUrl, 'ui-src', `obj-${String(i).padStart(3, '0')}`, Buffer.alloc(1024 + i, i));
      assert.equal(res.status, 200);
    }
    const page = await browser.newPage();
    await page.goto(`${c.proxyUrl}/ui`);
    await page.locator('#conn.live').waitFor({ timeout: UI_WAIT_MS });
    // the cluster map and every node's supervisor tree come from /v1/inspect
    await page.locator('.node.primary').waitFor({ timeout: UI_WAIT_MS });
    assert.equal(await page.locator('.node.target').count(), 3);
    await page.locator('#trees [data-path$="/root/jobs"]').first().waitFor({ timeout: UI_WAIT_MS });

    // start a copy-bck from the page's form, then watch it reach finished
    await page.locator('#cpsrc').fill('ui-src');
    await page.locator('#cpdst').fill('ui-dst');
    const xid = await submitAndReadXid(page, '#cpgo', /^copy ui-src → ui-dst: job /);
    const kind = 'copy-bck';
    const card = page.locator(`.job[data-xid="${xid}"]`);
    await page.locator(`.job[data-xid="${xid}"][data-state="finished"] svg .st.current[data-name="finished"]`).waitFor({ timeout: UI_WAIT_MS });
    assert.equal(await card.getAttribute('data-kind'), kind);
    // drawn from the machine's definition: every lifecycle state is a box
    for (const st of ['pending', 'running', 'paused', 'finishing', 'finished', 'aborted']) {
      assert.equal(await card.locator(`svg .st[data-name="${st}"]`).count(), 1, st);
    }
    // one row per target plus the header (a target's row may be drawn a poll after the state settled)
    await card.locator('tr').nth(3).waitFor({ timeout: UI_WAIT_MS });
    assert.equal(await card.locator('tr').count(), 4);
    await mkdir('test-artifacts', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    const listed = await http(`${c.proxyUrl}/v1/buckets/ui-dst`, { body: { action: 'list', value: { props: 'name' } } });
    assert.equal((JSON.parse(listed.text) as { entries: unknown[] }).entries.length, OBJECTS, 'the copy landed');

    // a job that runs until stopped: start it from the page, stop it with its Stop button
    await page.locator('#kind').fill('test-sleep');
    const sleepXid = await submitAndReadXid(page, '#startgo', /^start test-sleep: job /);
    const sleeper = page.locator(`.job[data-xid="${sleepXid}"]`);
    await sleeper.locator(`button[data-stop="${sleepXid}"]`).click({ timeout: UI_WAIT_MS });
    await page.locator(`.job[data-xid="${sleepXid}"][data-state="aborted"] svg .st.current[data-name="aborted"]`).waitFor({ timeout: UI_WAIT_MS });
    // a bad kind is reported on the page, not swallowed
    await page.locator('#kind').fill('no-such-kind');
    await page.locator('#startgo').click();
    await page.locator('#ctlmsg.err').waitFor({ timeout: UI_WAIT_MS });
    assert.match((await page.locator('#ctlmsg').textContent()) ?? '', /unknown xaction kind "no-such-kind"/);
    await page.screenshot({ path: SCREENSHOT_STOPPED, fullPage: true });

    // rebalance by hand from the page: a cluster-wide job `g<N>` whose per-target progress is drawn
    const before = await page.locator('#ctlmsg').textContent();
    await page.locator('#kind').fill('rebalance');
    await page.locator('#startgo').click();
    await page.waitForFunction(`document.getElementById('ctlmsg').textContent !== ${JSON.stringify(before)}`, undefined, { timeout: UI_WAIT_MS });
    const rebMsg = (await page.locator('#ctlmsg').textContent()) ?? '';
    const reb = /^start rebalance: job (g\d+)$/.exec(rebMsg);
    assert.ok(reb, `no rebalance id in "${rebMsg}"`);
    const rebCard = page.locator(`.job[data-xid="${reb[1]}"]`);
    await page.locator(`.job[data-xid="${reb[1]}"][data-state="finished"]`).waitFor({ timeout: UI_WAIT_MS });
    assert.equal(await rebCard.getAttribute('data-kind'), 'rebalance');
    await rebCard.locator('tr').nth(3).waitFor({ timeout: UI_WAIT_MS });
    assert.equal(await rebCard.locator('tr').count(), 4, 'one row per target');
    // a target in maintenance is shown so in the cluster map
    const smap = JSON.parse((await http(`${c.proxyUrl}/v1/cluster?what=smap`)).text) as { tmap: Record<string, unknown> };
    const tid = Object.keys(smap.tmap).sort()[0]!;
    const maint = await http(`${c.proxyUrl}/v1/cluster`, { method: 'PUT', body: { action: 'start-maintenance', value: { sid: tid } } });
    assert.equal(maint.status, 200, maint.text);
    // flags 4 (maintenance), then 4|16 once the rebalance moved its objects away
    await page.locator(`.node.target[data-node="${tid}"]`, { hasText: '(maintenance)' }).waitFor({ timeout: UI_WAIT_MS });
    assert.ok(Number(await page.locator(`.node.target[data-node="${tid}"]`).getAttribute('data-flags')) & 4);
  } finally {
    await browser.close();
    await rm(profile, { recursive: true, force: true });
    await c.close();
  }
});
