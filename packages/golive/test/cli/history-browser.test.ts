/**
 * The run history's index.html in a real browser (Debian's chromium driven by playwright-core): a history of
 * runs of the real CLI against a server on port 0, one of them labelled with markup and script. The DOM is
 * checked (one row per label and release, a rerun replacing its row, one SVG per trend plot with a point per
 * run), the page makes no request but its own file, logs no console error and runs no script, and its links,
 * all relative, open the copied reports. A screenshot is kept as a test artifact (GOLIVE_TEST_ARTIFACTS,
 * default test-artifacts/ at the repository root).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { HistoryDocument } from '../../src/history/model.ts';
import { trendPlots } from '../../src/history/model.ts';
import { ARTIFACTS, launchBrowser } from '../helpers/browser.ts';
import { assertBuilt, golive, healthyHandler, serve, type TestServer } from './helpers.ts';

const HOSTILE_LABEL = `</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`;

let browser: Browser;
let dir: string;
let server: TestServer;

before(async () => {
  assertBuilt();
  browser = await launchBrowser();
  dir = await mkdtemp(join(tmpdir(), 'golive-history-browser-'));
  server = await serve(healthyHandler());
  await writeFile(
    join(dir, 'gate.json'),
    JSON.stringify({ checks: { health: { kind: 'health' }, canary: { kind: 'canary', options: { count: 5, intervalMs: 10 } } } }),
  );
});
after(async () => {
  await browser?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('history index in a browser', () => {
  it('shows one row per label and release, a trend SVG per figure, and runs nothing', async () => {
    const runs: Array<[string, string]> = [
      ['nightly', 'v1'],
      ['nightly', 'v2'],
      ['nightly', 'v2'], // a rerun: replaces its row
      [HOSTILE_LABEL, 'v2'],
    ];
    for (const [label, release] of runs) {
      const run = await golive(['run', '-c', 'gate.json', '--url', server.url, '-q', '--history', 'hist', '--label', label, '--release', release], { cwd: dir, killAfterMs: 90_000 });
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    }
    const doc = JSON.parse(await readFile(join(dir, 'hist/history.json'), 'utf8')) as HistoryDocument;
    const plots = trendPlots(doc);
    assert.ok(plots.some((p) => p.id === 'trend-canary-p95Ms'), 'the canary p95 is a trend');

    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    const index = join(dir, 'hist/index.html');
    await page.goto(`file://${index}`);
    await page.waitForLoadState('load');

    assert.equal(await page.locator('h1').textContent(), 'golive run history');
    const rows = await page.locator('table.rows tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent?.trim())));
    assert.deepEqual(rows, [
      [HOSTILE_LABEL, 'v2', 'GO'],
      ['nightly', 'v2', 'GO'],
      ['nightly', 'v1', 'GO'],
    ]);
    assert.equal(await page.locator('table.runs tbody tr').count(), 4, 'every run is listed');

    // One SVG per trend plot, each with a point per run that measured the figure.
    const drawn = await page.locator('figure.plot-figure').evaluateAll((figures) =>
      figures.map((f) => ({ id: f.getAttribute('data-plot'), svgs: f.querySelectorAll('svg').length, points: [...f.querySelectorAll('svg g[data-points]')].map((g) => Number(g.getAttribute('data-points'))) })),
    );
    assert.deepEqual(
      drawn.map((d) => d.id),
      plots.map((p) => p.id),
    );
    for (const [i, d] of drawn.entries()) {
      assert.equal(d.svgs, 1, `${d.id}: one SVG`);
      assert.deepEqual(d.points, plots[i]?.series.map((s) => s.points.length), `${d.id}: points per series`);
    }
    assert.deepEqual(
      drawn.find((d) => d.id === 'trend-canary-p95Ms')?.points,
      [4],
    );

    assert.equal(await page.evaluate('window.__pwned'), undefined, 'no script from a label ran');
    assert.equal(await page.locator('script').count(), 0);
    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [`file://${index}`], 'the page fetched nothing');
    await page.screenshot({ path: join(ARTIFACTS, 'history-index.png'), fullPage: true });

    // Every link is relative and opens: the copied report of the latest run, and a run file.
    const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
    assert.ok(hrefs.length >= 8);
    for (const h of hrefs) assert.doesNotMatch(h, /^(?:[a-z]+:|\/)/i, `${h} is relative`);
    const report = page.locator('table.rows a', { hasText: /^report$/ }).first();
    await report.click();
    await page.waitForLoadState('load');
    assert.match(page.url(), /\/hist\/reports\/[0-9a-f-]+\/report\.html$/);
    assert.match((await page.locator('h1').first().textContent()) ?? '', /golive/);
    await context.close();
  });
});
