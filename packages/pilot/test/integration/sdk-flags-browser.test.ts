// The runtime flags end to end: an operator flips syncEnabled on the admin page in a real browser
// (Debian chromium through playwright-core), and an SDK client that is already running stops syncing
// within its cache time, then resumes when the flag is flipped back. No redeploy, no restart.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { chromium } from 'playwright-core';
import { PilotSdk, parseRemoteFlags } from '../../src/sdk.ts';
import { ADMIN_TOKEN, makeApp } from '../helpers.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CACHE_MS = 1000;
let app: FastifyInstance;
let base: string;

before(async () => {
  app = await makeApp({ ENRICH_WORKER: 'off', RECONCILE_INTERVAL_SEC: '0' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  await app.inject({ method: 'PATCH', url: '/admin/config', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: { syncEnabled: true, minIntervalSec: 1 } });
});
after(async () => {
  await app.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('parseRemoteFlags refuses malformed /config bodies', () => {
  assert.deepEqual(parseRemoteFlags({ syncEnabled: false, minIntervalSec: 5, retryCap: 0 }), { syncEnabled: false, minIntervalSec: 5, retryCap: 0 });
  for (const bad of [null, [], 'x', { syncEnabled: 'no', minIntervalSec: 5, retryCap: 0 }, { syncEnabled: true, minIntervalSec: 0, retryCap: 0 }, { syncEnabled: true, minIntervalSec: 5 }]) {
    assert.equal(typeof parseRemoteFlags(bad), 'string', JSON.stringify(bad));
  }
});

test('the SDK keeps its last flags and does not sync before the first /config answer', async () => {
  let syncs = 0;
  const sdk = new PilotSdk({ baseUrl: 'http://127.0.0.1:9', cacheTtlMs: 200, requestTimeoutMs: 500, sync: () => void syncs++, onError: () => {} });
  await sdk.start();
  await sleep(500);
  sdk.stop();
  assert.equal(syncs, 0);
  assert.equal(sdk.flags, undefined);
});

test('flipping syncEnabled on the admin page stops and resumes a running SDK within its cache time', async (t) => {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing (CI=true: not skipping)`);
    t.skip(`${CHROMIUM} is missing`);
    return;
  }
  const syncs: number[] = [];
  const sdk = new PilotSdk({ baseUrl: base, cacheTtlMs: CACHE_MS, sync: () => void syncs.push(Date.now()) });
  await sdk.start();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    await sleep(2500);
    assert.ok(syncs.length >= 2, `syncing while enabled (${syncs.length})`);
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await page.goto(`${base}/admin`);
    await page.fill('input[name="token"]', ADMIN_TOKEN);
    await Promise.all([page.waitForURL(`${base}/admin`), page.click('button[type="submit"]')]);
    assert.equal(await page.locator('#flags-form').count(), 1, 'signed in (the Secure session cookie was kept)');

    await page.selectOption('select[name="syncEnabled"]', 'false');
    await Promise.all([page.waitForLoadState('load'), page.click('#flags-form button[type="submit"]')]);
    const flippedOff = Date.now();
    assert.equal(await page.locator('select[name="syncEnabled"]').inputValue(), 'false');
    // Within one cache period (plus one sync already running at that moment) the SDK has stopped.
    await sleep(CACHE_MS + 1500);
    const after = syncs.filter((s) => s > flippedOff + CACHE_MS + 200);
    assert.deepEqual(after, [], 'no sync once the cache expired');
    assert.equal(sdk.flags?.syncEnabled, false);
    assert.equal(sdk.scheduled, false);
    const quietCount = syncs.length;
    await sleep(1500);
    assert.equal(syncs.length, quietCount, 'still no sync while disabled');

    await page.selectOption('select[name="syncEnabled"]', 'true');
    await Promise.all([page.waitForLoadState('load'), page.click('#flags-form button[type="submit"]')]);
    const flippedOn = Date.now();
    await sleep(CACHE_MS + 1500);
    const resumed = syncs.filter((s) => s > flippedOn);
    assert.ok(resumed.length >= 1, 'syncing again after the flag came back');
    assert.ok(resumed[0]! - flippedOn <= CACHE_MS + 500, `resumed within the cache time (${resumed[0]! - flippedOn} ms)`);
    assert.deepEqual(violations, [], 'the page needs nothing the CSP forbids');
    const audit = await app.pilot.db.query<{ actor: string }>("SELECT actor FROM feature_flag_audit WHERE actor = 'admin-page'");
    assert.equal(audit.rows.length, 2);
  } finally {
    sdk.stop();
    await browser.close();
  }
});
