// The inspection UI in headless Chromium (Debian's `chromium`, driven by playwright-core) against a
// real local cluster: open /ui, start a job, watch the page draw its machine with `finished`
// highlighted, and keep a screenshot under test-artifacts/.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { createBucket, putObj, startObjCluster } from '../support/obj-helpers.ts';

const CHROMIUM = process.env.SHOAL_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Bound on the page reaching a state (the job itself takes well under a second). */
const UI_WAIT_MS = 30_000;
const OBJECTS = 20;
const SCREENSHOT = 'test-artifacts/ui-job-finished.png';

/** Starts a copy-bck (the issue's job) if this build has it, else a summary-bck; returns its xid. */
async function startJob(proxyUrl: string, src: string, dst: string): Promise<{ kind: string; xid: string }> {
  const copy = await fetch(`${proxyUrl}/v1/buckets/${src}?bck_to=${encodeURIComponent(`ais://${dst}`)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'copy-bck', value: {} }),
  });
  const copyText = (await copy.text()).trim();
  if (copy.status === 200 && copyText !== '') return { kind: 'copy-bck', xid: copyText.replace(/^"|"$/g, '') };
  const sum = await fetch(`${proxyUrl}/v1/buckets/${src}`, {
    method: 'GET',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'summary-bck' }),
  } as RequestInit);
  const xid = (await sum.text()).trim().replace(/^"|"$/g, '');
  assert.equal(sum.status, 202, `summary-bck: ${sum.status} ${xid} (copy-bck answered ${copy.status} ${copyText})`);
  return { kind: 'summary-bck', xid };
}

test('the UI shows a job reaching finished', { skip: existsSync(CHROMIUM) ? false : `no chromium binary at ${CHROMIUM} (apt-get install chromium)` }, async () => {
  const c = await startObjCluster({ proxies: 1, targets: 3 });
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

    const { kind, xid } = await startJob(c.proxyUrl, 'ui-src', 'ui-dst');
    const card = page.locator(`.job[data-xid="${xid}"]`);
    await page.locator(`.job[data-xid="${xid}"][data-state="finished"] svg .st.current[data-name="finished"]`).waitFor({ timeout: UI_WAIT_MS });
    assert.equal(await card.getAttribute('data-kind'), kind);
    // drawn from the machine's definition: every lifecycle state is a box
    for (const st of ['pending', 'running', 'paused', 'finishing', 'finished', 'aborted']) {
      assert.equal(await card.locator(`svg .st[data-name="${st}"]`).count(), 1, st);
    }
    // one row per target plus the header
    assert.equal(await card.locator('tr').count(), 4);
    await mkdir('test-artifacts', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  } finally {
    await browser.close();
    await rm(profile, { recursive: true, force: true });
    await c.close();
  }
});
