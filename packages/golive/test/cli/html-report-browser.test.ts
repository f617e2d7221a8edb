/**
 * The HTML report in a real browser (Debian's chromium driven by playwright-core): reports of a GO run, a NO-GO
 * run whose target answers with markup and script, and a run with a load check, each written by the real CLI
 * against a real server on port 0. The DOM is checked (verdict, one row per check, one SVG per declared plot with
 * as many points as the report says), the page makes no request but its own file, logs no console error, runs no
 * script from the target, and reads in dark mode and in print. Screenshots are kept as test artifacts
 * (GOLIVE_TEST_ARTIFACTS, default test-artifacts/ at the repository root).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Report } from '../../src/core/result.ts';
import { ARTIFACTS, launchBrowser } from '../helpers/browser.ts';
import { assertBuilt, golive, healthyHandler, serve, type TestServer } from './helpers.ts';


/** Text a hostile target answers with: markup, script, a script-closing tag, quotes, control characters. */
const PAYLOAD = `</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"><svg onload="window.__pwned=3"> "q" 'q' \u0007\u202e`;

let browser: Browser;
let dir: string;
let good: TestServer;
let bad: TestServer;

before(async () => {
  assertBuilt();
  browser = await launchBrowser();
  dir = await mkdtemp(join(tmpdir(), 'golive-html-'));
  good = await serve(healthyHandler());
  bad = await serve(
    healthyHandler({
      '/health': (_req, res) => {
        res.statusCode = 500;
        res.setHeader('content-type', 'text/html');
        res.setHeader('x-evil', PAYLOAD.replace(/[\u0000-\u001f\u202e]/g, ''));
        res.end(PAYLOAD);
      },
    }),
  );
});
after(async () => {
  await browser?.close();
  await good?.close();
  await bad?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI with a config file and returns the output directory and its report.json. */
async function runGate(name: string, config: unknown): Promise<{ out: string; report: Report; code: number | null }> {
  const cwd = join(dir, name);
  await mkdir(cwd, { recursive: true });
  await writeFile(join(cwd, 'golive.config.json'), JSON.stringify(config));
  const out = join(cwd, 'out');
  const run = await golive(['check', '--config', 'golive.config.json', '--out', out, '--quiet'], { cwd, killAfterMs: 90_000 });
  assert.ok(existsSync(join(out, 'report.html')), `report.html written (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as Report;
  return { out, report, code: run.code };
}

/** Opens a report, collecting every request, console message and page error. */
async function open(file: string, options: { colorScheme?: 'light' | 'dark' } = {}) {
  const context = await browser.newContext({ colorScheme: options.colorScheme ?? 'light', viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(`file://${file}`);
  await page.waitForLoadState('load');
  return { page, requests, consoleErrors, close: () => context.close() };
}

/** The checks of a report and the plots each declares. */
function declared(report: Report) {
  const checks = report.stages.flatMap((s) => s.checks);
  const plots = checks.flatMap((c) => (c.presentation?.plots ?? []).map((p) => ({ check: c.id, plot: p })));
  return { checks, plots };
}

/** Every plot the report declares is one SVG on the page, each series with its points drawn. */
async function assertPlots(page: Page, report: Report): Promise<void> {
  const { plots } = declared(report);
  assert.equal(await page.locator('figure.plot-figure > svg.plot').count(), plots.length, 'one SVG per declared plot');
  for (const { check, plot } of plots) {
    const svg = page.locator(`section.check[id="check-${check}"] svg[data-plot="${plot.id}"]`);
    assert.equal(await svg.count(), 1, `${check}/${plot.id} drawn once`);
    assert.equal(await svg.getAttribute('role'), 'img');
    assert.ok(((await svg.locator('title').textContent()) ?? '').length > 0, `${check}/${plot.id} has a title`);
    for (const series of plot.series) {
      const g = svg.locator(`g.series[data-series="${series.name}"]`).first();
      const drawn = Number(await g.getAttribute('data-points'));
      const finite = series.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (plot.x.scale !== 'log' || x > 0) && (plot.y.scale !== 'log' || y > 0)).length;
      assert.equal(drawn, Math.min(finite, 600), `${check}/${plot.id}/${series.name}: points drawn`);
      if (plot.mark === 'point') assert.equal(await g.locator('circle').count(), drawn, `${check}/${plot.id}/${series.name}: one mark per point`);
      if (plot.mark === 'bar') assert.equal(await g.locator('rect').count(), drawn);
      if (plot.mark === 'line' && drawn > 0) assert.equal(await g.locator('path').count(), 1);
      const box = await svg.boundingBox();
      assert.ok(box && box.width > 200 && box.height > 60, `${check}/${plot.id} is visible (${JSON.stringify(box)})`);
    }
  }
}

async function assertCommon(page: Page, report: Report, requests: string[], consoleErrors: string[], file: string): Promise<void> {
  assert.equal(((await page.locator('#verdict').textContent()) ?? '').trim(), report.verdict);
  const { checks } = declared(report);
  assert.equal(await page.locator('tr[data-check]').count(), checks.length, 'one table row per check');
  assert.equal(await page.locator('section.check').count(), checks.length, 'one section per check');
  for (const c of checks) {
    const row = page.locator(`tr[data-check="${c.id}"]`);
    assert.equal(((await row.locator('.status').textContent()) ?? '').trim(), c.status.toUpperCase(), `${c.id} status`);
  }
  assert.deepEqual(requests, [`file://${file}`], 'the page requests nothing but itself');
  assert.deepEqual(consoleErrors, [], 'no console error or warning (a blocked resource would log one)');
  assert.equal(await page.locator('script').count(), 0);
  assert.equal(await page.locator('h1').count(), 1);
}

describe('the HTML report in chromium', () => {
  it('GO run: verdict, rows, plots, no request, no console error; readable in dark mode', async () => {
    const { out, report, code } = await runGate('go', {
      target: { baseUrl: good.url },
      checks: {
        health: { kind: 'health', options: { path: '/health' } },
        canary: { kind: 'canary', options: { path: '/health', count: 12, intervalMs: 0, sloMs: 1000 } },
        headers: { kind: 'security-headers', options: { path: '/' } },
      },
    });
    assert.equal(code, 0);
    assert.equal(report.verdict, 'GO');
    const file = join(out, 'report.html');
    const { page, requests, consoleErrors, close } = await open(file);
    await assertCommon(page, report, requests, consoleErrors, file);
    await assertPlots(page, report);
    assert.ok(declared(report).plots.some((p) => p.plot.id === 'samples'), 'the canary declares its samples plot');
    const canaryPoints = await page.locator('section[id="check-canary"] svg[data-plot="samples"] g.series circle').count();
    assert.equal(canaryPoints, 12, 'every canary sample is a point');
    assert.ok((await page.locator('section[id="check-canary"] svg .rules text').textContent())?.includes('SLO'), 'the SLO is drawn');
    assert.ok((await page.locator('section[id="check-headers"] table[data-table="score"] tbody tr').count()) >= 10, 'the security score table');
    await page.screenshot({ path: join(ARTIFACTS, 'report-go.png'), fullPage: true });
    await close();

    const dark = await open(file, { colorScheme: 'dark' });
    const bg = (await dark.page.evaluate('getComputedStyle(document.body).backgroundColor')) as string;
    const [r, g, b] = (bg.match(/\d+/g) ?? []).map(Number);
    assert.ok((r ?? 255) + (g ?? 255) + (b ?? 255) < 150, `dark background in dark mode (${bg})`);
    await dark.page.screenshot({ path: join(ARTIFACTS, 'report-go-dark.png') });
    await dark.close();
  });

  it('NO-GO run against a target answering with script: the evidence is text, nothing runs, print opens it', async () => {
    const { out, report, code } = await runGate('nogo', {
      target: { baseUrl: bad.url },
      checks: { health: { kind: 'health', options: { path: '/health' } } },
    });
    assert.equal(code, 1);
    assert.equal(report.verdict, 'NO-GO');
    const file = join(out, 'report.html');
    const { page, requests, consoleErrors, close } = await open(file);
    await assertCommon(page, report, requests, consoleErrors, file);
    assert.equal(await page.evaluate('window.__pwned'), undefined, 'no script of the target ran');
    assert.equal(await page.locator('img, iframe, object, embed').count(), 0, 'no element of the target exists');
    assert.equal(await page.locator('svg:not(.plot)').count(), 0);
    const text = (await page.locator('section[id="check-health"]').textContent()) ?? '';
    assert.ok(text.includes('<script>window.__pwned=1</script>'), 'the answer is shown as text');
    assert.ok(/\\(x07|u0007)/.test(text) && text.includes('\\u202e'), `control characters are shown as escapes: ${JSON.stringify(text.slice(0, 400))}`);
    assert.ok(await page.locator('section[id="check-health"] details.evidence-details[open]').isVisible(), 'a failed check opens its evidence');
    await page.screenshot({ path: join(ARTIFACTS, 'report-nogo.png'), fullPage: true });
    await close();

    // Print: folded evidence is printed too.
    const go = await open(join(dir, 'go', 'out', 'report.html'));
    const folded = go.page.locator('section[id="check-health"] details.evidence-details table').first();
    assert.equal(await folded.isVisible(), false, 'folded on screen');
    await go.page.emulateMedia({ media: 'print' });
    assert.equal(await folded.isVisible(), true, 'open in print');
    await go.close();
  });

  it('run with a load check: distribution, throughput and latency timelines drawn from the result', async () => {
    const { out, report, code } = await runGate('load', {
      target: { baseUrl: good.url },
      checks: {
        load: { kind: 'load', options: { request: { path: '/health' }, concurrency: 4, total: 400, warmup: false, thresholds: ['p95 < 2000'] } },
      },
    });
    assert.equal(code, 0);
    const load = report.stages.flatMap((s) => s.checks).find((c) => c.id === 'load');
    assert.deepEqual(
      load?.presentation?.plots?.map((p) => p.id),
      ['latency-distribution', 'throughput', 'latency-timeline'],
    );
    const file = join(out, 'report.html');
    const { page, requests, consoleErrors, close } = await open(file);
    await assertCommon(page, report, requests, consoleErrors, file);
    await assertPlots(page, report);
    const ticks = await page.locator('svg[data-plot="latency-distribution"] .axis text').allTextContents();
    assert.ok(ticks.includes('50%') && ticks.includes('99%'), `percentile ticks: ${ticks.join(' ')}`);
    assert.ok((await page.locator('svg[data-plot="latency-timeline"] .rules text').allTextContents()).includes('p95 < 2000'));
    await page.locator('section[id="check-load"]').screenshot({ path: join(ARTIFACTS, 'report-load.png') });
    await close();
  });
});
