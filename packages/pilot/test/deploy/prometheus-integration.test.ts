// A real Prometheus (Debian's, its own process on a free port, its own storage in a temporary directory,
// scrape and rule evaluation every second) scrapes a running pilot with the staging configuration's
// scrape job and evaluates deploy/prometheus's rules on pilot's own series: the reconcile age, the 4xx/5xx
// page alert turning pending, and the drift alert firing on a planted drift of 2 % but not of 0.5 %.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse as parseYaml, stringify } from 'yaml';
import { type Running, startServer } from '../server-process-helpers.ts';
import { freePort, PROMETHEUS, RULES_FILE, readRepo, repoPath, requireTool } from './deploy-helpers.ts';
import { ADMIN_TOKEN } from '../helpers.ts';
import { STARTUP_TIMEOUT_MS, signedIngestRequest, testServerEnv } from './pilot-process.ts';

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

let base = '';

before(async () => {
  if (!existsSync(PROMETHEUS)) return; // the tests below skip (or, under CI=true, fail)
  // Reconcile every second over everything ingested (no allowed lag), so a planted drift shows at once.
  pilot = await startServer(
    testServerEnv({
      RECONCILE_INTERVAL_SEC: '1',
      RECONCILE_LAG_SEC: '0',
      RECONCILE_WINDOW_SEC: '3600',
      ENRICH_POLL_INTERVAL_MS: '100',
      RATE_LIMIT_MAX: '100000',
      // The 401s of the first test must not lock this address out of the second test's ingests.
      AUTH_FAILURE_MAX: '1000000',
    }),
    STARTUP_TIMEOUT_MS,
  );
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
  base = `http://127.0.0.1:${port}`;
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
});

/** An instant query; the first sample's [time, value], or undefined when the result is empty. */
async function query(expr: string, time?: number): Promise<[number, string] | undefined> {
  const q = new URLSearchParams({ query: expr, ...(time !== undefined ? { time: String(time) } : {}) });
  const r = await api<{ result: { value: [number, string] }[] }>(base, `/api/v1/query?${q}`);
  return r.result[0]?.value;
}

/** pilot's own value of a series without labels, from its /metrics. */
async function pilotValue(name: string): Promise<number> {
  const text = await (await fetch(`${pilot!.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} is not exported`);
  return Number(line.slice(name.length + 1));
}

/** Signed ingests of `n` distinct events, 10 at a time. */
async function ingest(n: number, prefix: string): Promise<void> {
  for (let i = 0; i < n; i += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, n - i) }, async (_v, j) => {
        const req = signedIngestRequest({ type: 'drift.test', n: i + j }, `${prefix}-${i + j}`);
        const r = await fetch(`${pilot!.url}/v1/events`, { method: 'POST', headers: req.headers, body: req.body });
        assert.equal(r.status, 201, await r.text());
      }),
    );
  }
}

test('Prometheus scrapes pilot and evaluates the rules on its series', async (t) => {
  if (!requireTool(t, PROMETHEUS)) return;
  const deadline = Date.now() + DEADLINE_MS;

  // The target is up: Prometheus scraped pilot's /metrics.
  await until('pilot target up', deadline, async () => {
    return (await query('up{job="pilot"}'))?.[1] === '1' ? true : undefined;
  });

  // Every rule loaded and evaluates without error; the error-share alert is inactive while pilot answers 2xx.
  const rules = await until('rules evaluated', deadline, async () => {
    const d = await api<{ groups: { rules: RuleState[] }[] }>(base, '/api/v1/rules');
    const all = d.groups.flatMap((g) => g.rules);
    return all.length > 0 && all.every((r) => r.health === 'ok') ? all : undefined;
  });
  const errorAlert = () => rules.find((r) => r.name === 'PilotHttpErrorRateHigh');
  assert.equal(errorAlert()?.state, 'inactive');

  // A recording rule on pilot's own series: the age of the last reconcile run (or, before the first,
  // of the process), computed from pilot's series at one evaluation time.
  // Inputs and output move every second (reconcile, scrape, evaluation): a few tries find a moment when
  // the recorded age and the inputs are within 3 s of each other.
  let seen = '';
  await until('pilot:reconcile_last_run:age_seconds matching its inputs', deadline, async () => {
    const age = await query('pilot:reconcile_last_run:age_seconds');
    if (!age) return undefined;
    const [at] = age;
    const lastRun = Number((await query('max(pilot_reconcile_last_run_timestamp_seconds)', at))?.[1]);
    const started = Number((await query('max(process_start_time_seconds)', at))?.[1]);
    const expectedAge = at - (lastRun > 0 ? lastRun : started);
    seen = `age ${age[1]} s, expected about ${expectedAge} s (last run ${lastRun}, start ${started})`;
    return Math.abs(Number(age[1]) - expectedAge) <= 3 ? true : undefined;
  }).catch((err: Error) => {
    throw new Error(`${seen}\n${err.message}`);
  });

  // pilot answers 4xx (requests without an API key) for a few scrapes (a counter's first sample is no
  // increase to rate()): the error share rises and the page alert turns pending (its `for: 5m` keeps it
  // from firing within the test).
  const ratio = await until('pilot:http_error_responses:ratio_rate5m > 0.02', deadline, async () => {
    for (let i = 0; i < 3; i += 1) {
      const s = (await fetch(`${pilot!.url}/v1/events`)).status;
      assert.ok(s === 401 || s === 429, String(s));
    }
    const v = Number((await query('pilot:http_error_responses:ratio_rate5m'))?.[1]);
    return v > 0.02 ? v : undefined;
  });
  assert.ok(ratio <= 1, String(ratio));
  const pending = await until('PilotHttpErrorRateHigh pending', deadline, async () => {
    const d = await api<{ alerts: { labels: Record<string, string>; state: string }[] }>(base, '/api/v1/alerts');
    return d.alerts.find((a) => a.labels.alertname === 'PilotHttpErrorRateHigh' && a.state === 'pending');
  });
  assert.equal(pending.labels.severity, 'page');
});

test('a planted drift of 0.5 % does not fire PilotReconcileDriftHigh; 2 % does', async (t) => {
  if (!requireTool(t, PROMETHEUS)) return;
  const deadline = Date.now() + DEADLINE_MS;
  const adminPatch = (body: object) =>
    fetch(`${pilot!.url}/admin/config`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const driftAlert = async () => {
    const d = await api<{ groups: { rules: (RuleState & { lastEvaluation: string })[] }[] }>(base, '/api/v1/rules');
    return d.groups.flatMap((g) => g.rules).find((r) => r.name === 'PilotReconcileDriftHigh')!;
  };

  // 199 events, all enriched by pilot's worker.
  await ingest(199, 'drift-a');
  await until('199 events enriched', deadline, async () =>
    (await pilotValue('pilot_enrichment_processed_total')) >= 199 && (await pilotValue('pilot_enrichment_lag_seconds')) === 0
      ? true
      : undefined,
  );
  // Pause enrichment (the runtime flag), then one more event: it stays unenriched. 1 / 200 = 0.5 %.
  assert.equal((await adminPatch({ syncEnabled: false })).status, 200);
  await until('the worker paused', deadline, async () => ((await pilotValue('pilot_sync_enabled')) === 0 ? true : undefined));
  await ingest(1, 'drift-b');
  const seen = await until('drift 0.5 % in Prometheus', deadline, async () => {
    const v = await query('max(pilot_reconcile_drift_ratio)');
    return v && Number(v[1]) === 0.005 ? v[0] : undefined;
  });
  // Evaluations after Prometheus holds the 0.5 % drift: the alert stays inactive.
  const evaluated = await until('the drift alert evaluated on it', deadline, async () => {
    const r = await driftAlert();
    return Date.parse(r.lastEvaluation) / 1000 > seen + 2 ? r : undefined;
  });
  assert.equal(evaluated.health, 'ok');
  assert.equal(evaluated.state, 'inactive');

  // Three more unenriched events: 4 / 203 = 1.97 %. The warn alert fires.
  await ingest(3, 'drift-c');
  const firing = await until('PilotReconcileDriftHigh firing', deadline, async () => {
    const d = await api<{ alerts: { labels: Record<string, string>; annotations: Record<string, string>; state: string }[] }>(
      base,
      '/api/v1/alerts',
    );
    return d.alerts.find((a) => a.labels.alertname === 'PilotReconcileDriftHigh' && a.state === 'firing');
  });
  assert.equal(firing.labels.severity, 'warn');
  assert.match(firing.annotations.description ?? '', /^Drift is 1\.97/);
  assert.equal((await adminPatch({ syncEnabled: true })).status, 200);
});
