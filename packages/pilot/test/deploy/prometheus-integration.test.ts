// A real Prometheus (Debian's, its own process on a free port, its own storage in a temporary directory,
// scrape and rule evaluation every second) scrapes a running pilot with the staging configuration's
// scrape job and evaluates deploy/prometheus's rules on pilot's own series.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse as parseYaml, stringify } from 'yaml';
import { type Running, startServer } from '../server-process-helpers.ts';
import { freePort, PROMETHEUS, RULES_FILE, readRepo, repoPath, requireTool } from './deploy-helpers.ts';
import { STARTUP_TIMEOUT_MS, testServerEnv } from './pilot-process.ts';

const DEADLINE_MS = 60_000;

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  static_configs: { targets: string[] }[];
}

let pilot: Running | undefined;
let prometheus: ChildProcess | undefined;
let dir: string | undefined;
let prometheusLog = '';
after(async () => {
  prometheus?.kill('SIGTERM');
  pilot?.child.kill('SIGTERM');
  await Promise.all([
    pilot?.exited,
    prometheus && prometheus.exitCode === null ? new Promise((r) => prometheus!.once('exit', r)) : undefined,
  ]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** GET on Prometheus's HTTP API; the `data` of a successful answer. */
async function api<T>(base: string, path: string): Promise<T> {
  const r = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5_000) });
  const body = (await r.json()) as { status: string; data: T };
  assert.equal(body.status, 'success', JSON.stringify(body));
  return body.data;
}

/** Polls `probe` until it returns a value (not undefined), or fails after the deadline with `what`. */
async function until<T>(what: string, deadline: number, probe: () => Promise<T | undefined>): Promise<T> {
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what} (last error: ${String(last)})\nprometheus log:\n${prometheusLog.slice(-3000)}`);
}

interface RuleState {
  name: string;
  type: 'alerting' | 'recording';
  state?: 'inactive' | 'pending' | 'firing';
  health: string;
  lastError?: string;
}

test('Prometheus scrapes pilot and evaluates the rules on its series', async (t) => {
  if (!requireTool(t, PROMETHEUS)) return;
  pilot = await startServer(testServerEnv(), STARTUP_TIMEOUT_MS);
  const deadline = Date.now() + DEADLINE_MS;
  const target = new URL(pilot.url).host;

  // The staging configuration's pilot job, pointed at this pilot, every second.
  const staging = parseYaml(readRepo('deploy/prometheus/prometheus.yml')) as { scrape_configs: ScrapeConfig[] };
  const job = staging.scrape_configs.find((s) => s.job_name === 'pilot');
  assert.ok(job, 'deploy/prometheus/prometheus.yml has no pilot job');
  dir = mkdtempSync(join(tmpdir(), 'pilot-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '1s' },
      rule_files: [repoPath(RULES_FILE)],
      scrape_configs: [{ ...job, static_configs: [{ targets: [target] }] }],
    }),
  );
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prometheus.stdout!.on('data', (d: Buffer) => {
    prometheusLog += d.toString();
  });
  prometheus.stderr!.on('data', (d: Buffer) => {
    prometheusLog += d.toString();
  });

  // The target is up: Prometheus scraped pilot's /metrics.
  await until('pilot target up', deadline, async () => {
    const r = await api<{ result: { value: [number, string] }[] }>(base, '/api/v1/query?query=up%7Bjob%3D%22pilot%22%7D');
    return r.result[0]?.value[1] === '1' ? true : undefined;
  });

  // Every rule loaded and evaluates without error; the error-share alert is inactive while pilot answers 2xx.
  const rules = await until('rules evaluated', deadline, async () => {
    const d = await api<{ groups: { rules: RuleState[] }[] }>(base, '/api/v1/rules');
    const all = d.groups.flatMap((g) => g.rules);
    return all.length > 0 && all.every((r) => r.health === 'ok') ? all : undefined;
  });
  const errorAlert = () => rules.find((r) => r.name === 'PilotHttpErrorRateHigh');
  assert.equal(errorAlert()?.state, 'inactive');

  // A recording rule on pilot's own series: the reconcile age counts from pilot's process start
  // (pilot_reconcile_last_run_timestamp_seconds is 0 before a first run).
  const [startText] = await until('process_start_time_seconds', deadline, async () => {
    const r = await api<{ result: { value: [number, string] }[] }>(base, '/api/v1/query?query=process_start_time_seconds');
    return r.result[0] ? [r.result[0].value[1]] : undefined;
  });
  const age = await until('pilot:reconcile_last_run:age_seconds', deadline, async () => {
    const r = await api<{ result: { value: [number, string] }[] }>(
      base,
      '/api/v1/query?query=pilot%3Areconcile_last_run%3Aage_seconds',
    );
    return r.result[0]?.value;
  });
  const expectedAge = age[0] - Number(startText);
  assert.ok(Math.abs(Number(age[1]) - expectedAge) < 3, `age ${age[1]} s, expected about ${expectedAge} s`);

  // pilot answers 4xx (requests without an API key) for a few scrapes (a counter's first sample is no
  // increase to rate()): the error share rises and the page alert turns pending (its `for: 5m` keeps it
  // from firing within the test).
  const ratio = await until('pilot:http_error_responses:ratio_rate5m > 0.02', deadline, async () => {
    for (let i = 0; i < 3; i += 1) {
      const s = (await fetch(`${pilot!.url}/v1/events`)).status;
      assert.ok(s === 401 || s === 429, String(s));
    }
    const r = await api<{ result: { value: [number, string] }[] }>(
      base,
      '/api/v1/query?query=pilot%3Ahttp_error_responses%3Aratio_rate5m',
    );
    const v = Number(r.result[0]?.value[1]);
    return v > 0.02 ? v : undefined;
  });
  assert.ok(ratio <= 1, String(ratio));
  const pending = await until('PilotHttpErrorRateHigh pending', deadline, async () => {
    const d = await api<{ alerts: { labels: Record<string, string>; state: string }[] }>(base, '/api/v1/alerts');
    return d.alerts.find((a) => a.labels.alertname === 'PilotHttpErrorRateHigh' && a.state === 'pending');
  });
  assert.equal(pending.labels.severity, 'page');
});
