// The Grafana dashboard: every query parses as PromQL and names only series a running pilot exports
// (or that the rules of deploy/prometheus record). The same check covers the rules' own expressions.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { stringify } from 'yaml';
import { type Running, startServer } from '../server-process-helpers.ts';
import {
  exposedSeries,
  loadRules,
  PROMTOOL,
  promqlSeries,
  readRepo,
  requireTool,
  run,
  unknownSeries,
} from './deploy-helpers.ts';
import { STARTUP_TIMEOUT_MS, signedIngestRequest, testServerEnv } from './pilot-process.ts';

const DASHBOARD = 'deploy/grafana/dashboards/pilot.json';
/** Grafana's reference to the dashboard's datasource variable (chosen at import). */
const DATASOURCE_VARIABLE = ['$', '{datasource}'].join('');

interface Panel {
  title?: string;
  type?: string;
  targets?: { expr?: string; refId?: string; datasource?: { type?: string; uid?: string } }[];
  panels?: Panel[];
}
const dashboard = JSON.parse(readRepo(DASHBOARD)) as { uid: string; title: string; panels: Panel[] };

/** Every query of the dashboard, rows' nested panels included, with where it is. */
function dashboardQueries(d: { panels: Panel[] }): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  const stack = [...d.panels];
  while (stack.length > 0) {
    const p = stack.pop()!;
    for (const t of p.targets ?? []) out.push({ where: `panel "${p.title}" query ${t.refId}`, expr: t.expr ?? '' });
    stack.push(...(p.panels ?? []));
  }
  return out;
}
const queries = dashboardQueries(dashboard);
const recorded = new Set(loadRules().flatMap((r) => (r.record ? [r.record] : [])));

let pilot: Running;
let exposed: Set<string>;
before(async () => {
  pilot = await startServer(testServerEnv(), STARTUP_TIMEOUT_MS);
  // Traffic so that series with labels have samples: an ingest, a retry of it (re-signed), a 401.
  const now = Math.floor(Date.now() / 1000);
  for (const t of [now, now - 1]) {
    const ingest = signedIngestRequest({ n: 1 }, 'dash-1', t);
    const r = await fetch(`${pilot.url}/v1/events`, { method: 'POST', headers: ingest.headers, body: ingest.body });
    assert.equal(r.status, 201);
  }
  assert.equal((await fetch(`${pilot.url}/v1/events`)).status, 401);
  const m = await fetch(`${pilot.url}/metrics`);
  assert.equal(m.status, 200);
  exposed = exposedSeries(await m.text());
});
after(async () => {
  pilot?.child.kill('SIGTERM');
  await pilot?.exited;
});

test('the dashboard has queries for every figure the runbooks rely on', () => {
  assert.equal(dashboard.uid, 'pilot-overview');
  assert.ok(queries.length >= 10, `only ${queries.length} queries`);
  const named = new Set(queries.flatMap((q) => promqlSeries(q.expr).names));
  for (const series of [
    'pilot_events_ingested_total', // ingest rate
    'http_request_duration_seconds_bucket', // p95
    'pilot_events_deduplicated_total', // dedup ratio
    'http_requests_total', // 5xx/4xx rate
    'pilot_dead_letter_events', // DLQ
    'pilot_reconcile_drift_ratio', // drift
    'pilot_enrichment_lag_seconds', // sync lag
  ]) {
    assert.ok(named.has(series), `no query on ${series}`);
  }
  for (const q of queries) assert.ok(q.expr.trim() !== '', `${q.where}: empty query`);
});

test('every dashboard query targets the datasource variable', () => {
  const stack = [...dashboard.panels];
  while (stack.length > 0) {
    const p = stack.pop()!;
    for (const t of p.targets ?? []) {
      assert.deepEqual(t.datasource, { type: 'prometheus', uid: DATASOURCE_VARIABLE }, `panel "${p.title}"`);
    }
    stack.push(...(p.panels ?? []));
  }
});

test('every dashboard query parses and names only series a running pilot exports', () => {
  assert.ok(exposed.has('pilot_events_ingested_total'), 'the scrape looks empty');
  assert.deepEqual(unknownSeries(queries, new Set([...exposed, ...recorded])), []);
});

test('a planted unknown series, or a syntax error, fails the check', () => {
  const planted = [
    ...queries,
    { where: 'planted', expr: 'sum(rate(pilot_events_ingestd_total[$__rate_interval]))' },
    { where: 'planted-name', expr: 'max({__name__="pilot_reconcile_drift"})' },
    { where: 'planted-syntax', expr: 'sum(rate(pilot_events_ingested_total[5m])' },
  ];
  const problems = unknownSeries(planted, new Set([...exposed, ...recorded]));
  assert.deepEqual(
    problems.map((p) => p.replace(/ at \d+ in .*/, '')),
    [
      'planted: unknown series pilot_events_ingestd_total',
      'planted-name: unknown series pilot_reconcile_drift',
      'planted-syntax: syntax error',
    ],
  );
});

test('the rules name only series a running pilot exports, or that earlier rules record', () => {
  const exprs = loadRules().map((r) => ({ where: r.record ?? r.alert ?? '?', expr: r.expr }));
  assert.deepEqual(unknownSeries(exprs, new Set([...exposed, ...recorded])), []);
});

test('promtool accepts every dashboard query (wrapped as recording rules)', (t) => {
  if (!requireTool(t, PROMTOOL)) return;
  const dir = mkdtempSync(join(tmpdir(), 'pilot-dash-'));
  try {
    const file = join(dir, 'dashboard-queries.yml');
    const rules = queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: q.expr.replaceAll('$__rate_interval', '5m') }));
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    const r = run(PROMTOOL, ['check', 'rules', file]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, new RegExp(`SUCCESS: ${queries.length} rules found`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
