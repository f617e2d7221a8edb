/**
 * A real Prometheus (Debian's prometheus package, its own process on a free port, 1 s scrape interval) scrapes
 * test pages from a server on port 0, and its verdict (target health, the scrape error, the samples scraped
 * and stored) is compared with golive's `metrics` check on the same pages:
 * - a correct page (text and OpenMetrics): Prometheus up, golive pass;
 * - a syntax error (text) and an OpenMetrics page without `# EOF`: Prometheus down with a parse error, golive
 *   METRICS_SYNTAX;
 * - a series given twice with two values: Prometheus up, reads two samples and stores one series with the first
 *   value, the second lost without an error; golive METRICS_DUPLICATE_SERIES;
 * - histogram buckets that are not cumulative: Prometheus up and stores them as they are (a deliberate
 *   difference: golive fails the page, since histogram_quantile over those buckets gives wrong answers).
 * Prometheus missing: the test skips, except with CI=true, where it fails (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { metricsCheck } from '../../src/checks/metrics.ts';
import { serverPool } from '../helpers/check-servers.ts';
import { codes, runKind } from '../helpers/context.ts';

const PROMETHEUS = '/usr/bin/prometheus';
const CI = process.env.CI === 'true';
const present = existsSync(PROMETHEUS);
const skip = !present && !CI ? `${PROMETHEUS} is not installed (apt-get install prometheus; set CI=true to make this a failure)` : false;

const TEXT = 'text/plain; version=0.0.4; charset=utf-8';
const OM = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

const HIST = (b1: number): string =>
  `# HELP t_seconds T.\n# TYPE t_seconds histogram\nt_seconds_bucket{le="0.1"} 5\nt_seconds_bucket{le="1"} ${b1}\nt_seconds_bucket{le="+Inf"} 6\nt_seconds_sum 1\nt_seconds_count 6\n`;

/** Page per job: content type, body, golive's finding codes, and whether Prometheus scrapes it up. */
const PAGES: Record<string, { type: string; body: string; golive: string[]; up: boolean; promError?: RegExp }> = {
  good_text: { type: TEXT, body: `# HELP ok_total Ok.\n# TYPE ok_total counter\nok_total{a="1"} 3\n${HIST(6)}`, golive: [], up: true },
  good_om: { type: OM, body: '# TYPE ok counter\n# HELP ok Ok.\nok_total{a="1"} 3 # {trace_id="x"} 1\n# EOF\n', golive: [], up: true },
  syntax: { type: TEXT, body: '# HELP ok_total Ok.\n# TYPE ok_total counter\nok_total{a="1" 3\n', golive: ['METRICS_SYNTAX'], up: false, promError: /expected|unexpected|invalid/i },
  om_no_eof: { type: OM, body: '# TYPE ok counter\n# HELP ok Ok.\nok_total 3\n', golive: ['METRICS_SYNTAX'], up: false, promError: /EOF/ },
  duplicate: { type: TEXT, body: '# HELP d_total D.\n# TYPE d_total counter\nd_total{a="1"} 1\nd_total{a="1"} 2\n', golive: ['METRICS_DUPLICATE_SERIES'], up: true },
  histogram: { type: TEXT, body: HIST(2), golive: ['METRICS_HISTOGRAM'], up: true },
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

type Target = { labels: { job: string }; health: string; lastError: string };

describe('metrics: a real Prometheus scraping the same pages agrees with golive', { skip, timeout: 90_000 }, () => {
  const pool = serverPool();
  let base: string;
  let dir: string;
  let prom: ChildProcess | undefined;
  let promUrl: string;
  let output = '';

  before(async () => {
    if (!present) return;
    base = await pool.serve((req, res) => {
      const job = (req.url ?? '').slice(1);
      const p = PAGES[job];
      if (!p) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': p.type });
      res.end(p.body);
    });
    dir = await mkdtemp(join(tmpdir(), 'golive-prometheus-'));
    const target = new URL(base).host;
    const jobs = Object.keys(PAGES)
      .map((job) => `  - job_name: ${job}\n    metrics_path: /${job}\n    static_configs:\n      - targets: ['${target}']\n`)
      .join('');
    await writeFile(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n${jobs}`);
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prom = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prom.stdout?.on('data', (b: Buffer) => {
      output = (output + b.toString()).slice(-20_000);
    });
    prom.stderr?.on('data', (b: Buffer) => {
      output = (output + b.toString()).slice(-20_000);
    });
  });

  after(async () => {
    if (prom && prom.exitCode === null && prom.signalCode === null) {
      const exited = new Promise<void>((resolve) => prom?.once('exit', () => resolve()));
      prom.kill('SIGTERM');
      const timer = setTimeout(() => prom?.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function api<T>(path: string): Promise<T> {
    const res = await fetch(`${promUrl}${path}`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { status: string; data: T };
    assert.equal(body.status, 'success');
    return body.data;
  }

  /** Waits (bounded) until every job has been scraped at least twice, and returns the targets. */
  async function scraped(): Promise<Target[]> {
    const deadline = Date.now() + 45_000;
    const firstSeen = new Map<string, number>();
    while (Date.now() < deadline) {
      assert.equal(prom?.exitCode ?? null, null, `prometheus exited: ${output}`);
      try {
        const data = await api<{ activeTargets: Array<Target & { lastScrape: string }> }>('/api/v1/targets');
        const done = data.activeTargets.filter((t) => t.health !== 'unknown');
        for (const t of done) if (!firstSeen.has(t.labels.job)) firstSeen.set(t.labels.job, Date.now());
        if (done.length === Object.keys(PAGES).length && [...firstSeen.values()].every((t) => Date.now() - t > 2500)) return data.activeTargets;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.fail(`Prometheus did not scrape every page within 45 s: ${output.slice(-2000)}`);
  }

  it('Prometheus is installed', () => {
    assert.ok(present, `${PROMETHEUS} is required when CI=true (Debian package prometheus)`);
  });

  it('gives each page the verdict golive gives it', async () => {
    const targets = await scraped();
    for (const [job, page] of Object.entries(PAGES)) {
      const t = targets.find((x) => x.labels.job === job);
      assert.ok(t, job);
      assert.equal(t.health === 'up', page.up, `${job}: Prometheus says ${t.health} (${t.lastError})`);
      if (page.promError) assert.match(t.lastError, page.promError, job);
      const out = await runKind(metricsCheck, base, { path: `/${job}`, lint: 'off' });
      assert.deepEqual(codes(out), page.golive, `${job}: ${out.observations.map((o) => o.message).join('; ')}`);
    }
    // The duplicate series: Prometheus 2.42 reads both samples (scrape_samples_scraped 2) but stores one series
    // with the first value, dropping the second without an error or a counter: the page loses data silently.
    const scrapedSamples = await api<{ result: Array<{ value: [number, string] }> }>(`/api/v1/query?query=${encodeURIComponent('scrape_samples_scraped{job="duplicate"}')}`);
    assert.equal(scrapedSamples.result[0]?.value[1], '2');
    const stored = await api<{ result: Array<{ value: [number, string] }> }>('/api/v1/query?query=d_total');
    assert.equal(stored.result.length, 1);
    assert.equal(stored.result[0]?.value[1], '1');
  });
});
