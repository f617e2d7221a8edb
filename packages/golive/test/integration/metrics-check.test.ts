/**
 * The `metrics` kind against real servers on port 0: a correct page passes (text 0.0.4 and OpenMetrics); a page
 * with a syntax error, a duplicate series, a broken histogram or without a required series fails naming what;
 * lint problems only warn; an unreachable, hanging, oversized or garbage target ends in bounded time with
 * evidence; bad options stop at config load naming the field; the gate hooks measure counter deltas and tell a
 * reset by a restart from a counter going down.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { metricsCheck } from '../../src/checks/metrics.ts';
import type { CheckResult } from '../../src/core/result.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { resolveConfig } from '../../src/index.ts';
import { runGate } from '../../src/runner/run-gate.ts';
import { refusedUrl, serverPool } from '../helpers/check-servers.ts';
import { codes, failed, makeContext, runCheck, runKind } from '../helpers/context.ts';

const TEXT = 'text/plain; version=0.0.4; charset=utf-8';
const OM = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

const GOOD = `# HELP http_requests_total Requests handled.
# TYPE http_requests_total counter
http_requests_total{route="/v1/events",code="202"} 7
http_requests_total{route="/health",code="200"} 3
# HELP http_request_duration_seconds Request time.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.1"} 8
http_request_duration_seconds_bucket{le="1"} 10
http_request_duration_seconds_bucket{le="+Inf"} 10
http_request_duration_seconds_sum 1.2
http_request_duration_seconds_count 10
`;
const GOOD_OM = `# TYPE events counter
# HELP events Events ingested.
events_total{route="/v1/events"} 7 # {trace_id="abc"} 1
# EOF
`;

const pages: Record<string, { type: string; body: string | Buffer; status?: number }> = {
  '/metrics': { type: TEXT, body: GOOD },
  '/om': { type: OM, body: GOOD_OM },
  '/syntax': { type: TEXT, body: `${GOOD}broken{a="b" 1\n` },
  '/dup': { type: TEXT, body: `${GOOD}http_requests_total{code="202",route="/v1/events"} 8\n` },
  '/hist': { type: TEXT, body: GOOD.replace('le="1"} 10', 'le="1"} 2') },
  '/lint': { type: TEXT, body: 'requests 1\n' },
  '/error': { type: TEXT, body: 'oops', status: 500 },
  '/garbage': { type: 'application/octet-stream', body: Buffer.from([0x00, 0xff, 0xfe, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x0a]) },
  '/html': { type: 'text/html', body: '<html><body>Bad Gateway</body></html>\n' },
  '/huge': { type: TEXT, body: `# TYPE x gauge\n${'x{a="1"} 1\n'.repeat(20_000)}` },
  '/hostile': { type: TEXT, body: 'evil{a="\u001b[31m\u009b\u202ex"} 1\nevil{a="\u001b[31m\u009b\u202ex"} 1\n' },
};

const pool = serverPool();
let base: string;
const accepts: string[] = [];
// Per-scrape state for the hook tests: the counter moves by `step` on each scrape, the start time by `restart`.
const moving = { value: 100, step: 1, startTime: 1000, restart: 0 };
const appearing = { scrapes: 0 };

before(async () => {
  base = await pool.serve((req, res) => {
    accepts.push(String(req.headers.accept));
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (path === '/hang') return;
    if (path === '/appearing') {
      // A labelled counter has no sample before its first increment: absent at the first scrape, 5 afterwards.
      appearing.scrapes++;
      res.writeHead(200, { 'content-type': TEXT });
      res.end(`# HELP late_total L.\n# TYPE late_total counter\n${appearing.scrapes > 1 ? 'late_total{a="1"} 5\n' : ''}`);
      return;
    }
    if (path === '/moving') {
      moving.value += moving.step;
      moving.startTime += moving.restart;
      res.writeHead(200, { 'content-type': TEXT });
      res.end(`# HELP events_ingested_total E.\n# TYPE events_ingested_total counter\nevents_ingested_total{source="load"} ${moving.value}\n# HELP process_start_time_seconds S.\n# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds ${moving.startTime}\n`);
      return;
    }
    const p = pages[path];
    if (!p) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(p.status ?? 200, { 'content-type': p.type });
    res.end(p.body);
  });
});

const messages = (out: { observations: Array<{ passed: boolean; message: string }> }): string =>
  out.observations
    .filter((o) => !o.passed)
    .map((o) => o.message)
    .join('\n');

describe('metrics: one scrape', () => {
  it('passes a correct text page, asks for OpenMetrics first, and saves the page', async () => {
    const t = await makeContext({ baseUrl: base, id: 'metrics' });
    try {
      const out = await runCheck(metricsCheck, t.ctx, { required: ['http_requests_total{route="/v1/events"}', 'http_request_duration_seconds_count'] });
      assert.equal(failed(out), false, messages(out));
      assert.deepEqual(codes(out), []);
      assert.match(accepts.at(-1) ?? '', /^application\/openmetrics-text;version=1\.0\.0;q=0\.75,text\/plain;version=0\.0\.4/);
      assert.deepEqual(out.artifacts, ['metrics/metrics.txt']);
      assert.equal(await readFile(join(t.dir, 'metrics/metrics.txt'), 'utf8'), GOOD);
      assert.equal(out.data?.samples, 7);
      assert.deepEqual(out.data?.required, [
        { series: 'http_requests_total{route="/v1/events"}', matched: 1, value: 7 },
        { series: 'http_request_duration_seconds_count', matched: 1, value: 10 },
      ]);
      const presentation = metricsCheck.present?.({ data: out.data as never, metrics: {}, status: 'pass' }, metricsCheck.options.parse({}));
      assert.match(presentation?.keyFigure ?? '', /7 samples in 2 families \(text\)/);
      assert.equal(presentation?.tables?.[0]?.id, 'required');
    } finally {
      await t.close();
    }
  });

  it('passes a correct OpenMetrics page with exemplars', async () => {
    const out = await runKind(metricsCheck, base, { path: '/om', required: ['events_total{route="/v1/events"}'] });
    assert.equal(failed(out), false, messages(out));
    assert.equal(out.data?.format, 'openmetrics');
  });

  it('fails a syntax error naming the line', async () => {
    const out = await runKind(metricsCheck, base, { path: '/syntax' });
    assert.deepEqual(codes(out), ['METRICS_SYNTAX']);
    assert.match(messages(out), /line 12: unexpected end of label value "b"/);
  });

  it('fails a duplicate series naming it', async () => {
    const out = await runKind(metricsCheck, base, { path: '/dup' });
    assert.deepEqual(codes(out), ['METRICS_DUPLICATE_SERIES']);
    assert.match(messages(out), /http_requests_total\{code="202",route="\/v1\/events"\} on line 12 repeats line 3/);
  });

  it('fails a histogram whose buckets are not cumulative', async () => {
    const out = await runKind(metricsCheck, base, { path: '/hist' });
    assert.deepEqual(codes(out), ['METRICS_HISTOGRAM']);
    assert.match(messages(out), /http_request_duration_seconds: buckets not cumulative: le=1 has 2 < le=0\.1 8/);
  });

  it('fails a missing required series naming it', async () => {
    const out = await runKind(metricsCheck, base, { required: ['http_requests_total{route="/v2/nothing"}', 'http_requests_total'] });
    assert.deepEqual(codes(out), ['METRICS_REQUIRED_MISSING']);
    assert.match(messages(out), /required series http_requests_total\{route="\/v2\/nothing"\} is not on http:\/\/127\.0\.0\.1:\d+\/metrics/);
  });

  it('reports lint problems as warnings only (and not at all with lint: off)', async () => {
    const out = await runKind(metricsCheck, base, { path: '/lint' });
    assert.equal(failed(out), false);
    const lint = out.observations.find((o) => o.code === 'METRICS_LINT');
    assert.equal(lint?.severity, 'warn');
    assert.match(lint?.message ?? '', /requests counter metrics should have "_total" suffix|requests no help text/);
    const off = await runKind(metricsCheck, base, { path: '/lint', lint: 'off' });
    assert.equal(off.observations.some((o) => o.code === 'METRICS_LINT'), false);
  });
});

describe('metrics: hostile and dead targets end in bounded time with evidence', () => {
  it('an unreachable target', async () => {
    const out = await runKind(metricsCheck, await refusedUrl(), {});
    assert.deepEqual(codes(out), ['METRICS_UNREACHABLE']);
    assert.match(messages(out), /connection refused: GET http:\/\/127\.0\.0\.1:\d+\/metrics/);
  });
  it('a target that never answers', async () => {
    const t0 = Date.now();
    const out = await runKind(metricsCheck, base, { path: '/hang', timeoutMs: 300 });
    assert.deepEqual(codes(out), ['METRICS_TIMEOUT']);
    assert.ok(Date.now() - t0 < 5000);
  });
  it('an error status, garbage bytes, HTML and a page over the byte cap', async () => {
    assert.deepEqual(codes(await runKind(metricsCheck, base, { path: '/error' })), ['METRICS_STATUS']);
    assert.deepEqual(codes(await runKind(metricsCheck, base, { path: '/garbage' })), ['METRICS_SYNTAX']);
    const html = await runKind(metricsCheck, base, { path: '/html' });
    assert.deepEqual(codes(html), ["METRICS_SYNTAX"]);
    const huge = await runKind(metricsCheck, base, { path: '/huge', maxBodyBytes: 10_000 });
    assert.deepEqual(codes(huge), ['METRICS_TOO_LARGE']);
  });
  it('never lets control characters from the page reach a message', async () => {
    const out = await runKind(metricsCheck, base, { path: '/hostile' });
    assert.deepEqual(codes(out), ['METRICS_DUPLICATE_SERIES', 'METRICS_LINT']);
    const text = out.observations.map((o) => `${o.message} ${o.actual}`).join('\n');
    assert.doesNotMatch(text, /[\u001b\u009b\u202e]/);
    assert.match(text, /\\u001b\[31m\\u009b\\u202ex/);
  });
});

describe('metrics: options that cannot work stop at config load', () => {
  const bad: Array<[unknown, string]> = [
    [{ required: ['http_requests_total{route=~"/v1/.*"}'] }, 'checks.m.options.required.0'],
    [{ required: ['9bad'] }, 'checks.m.options.required.0'],
    [{ deltas: [{ series: 'a_total', minIncrease: -1 }] }, 'checks.m.options.deltas.0.minIncrease'],
    [{ deltas: [{ series: 'a{b="c"', minIncrease: 1 }] }, 'checks.m.options.deltas.0.series'],
    [{ format: 'json' }, 'checks.m.options.format'],
  ];
  for (const [options, path] of bad) {
    it(`names ${path}`, () => {
      try {
        resolveConfig({ file: { target: { baseUrl: 'http://127.0.0.1:9' }, checks: { m: { kind: 'metrics', options } } } });
        assert.fail('expected a ConfigError');
      } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        assert.ok(
          err.issues.some((i) => i.path === path),
          JSON.stringify(err.issues),
        );
      }
    });
  }
});

describe('metrics: counter deltas and resets through the gate hooks', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'golive-metrics-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  async function gate(options: Record<string, unknown>): Promise<CheckResult> {
    const resolved = resolveConfig({ file: { target: { baseUrl: base }, checks: { m: { kind: 'metrics', options: { path: '/moving', ...options } } } }, env: {} });
    const report = await runGate(resolved, { env: {}, out: join(dir, 'out') });
    const r = report.stages.flatMap((s) => s.checks).find((c) => c.id === 'm');
    assert.ok(r);
    return r;
  }

  it('passes when the counter rose enough between the start and end scrapes, and fails naming it when not', async () => {
    Object.assign(moving, { step: 1, restart: 0 });
    // Three scrapes (gate start, the check, gate end): the counter rises by 2 from start to end.
    const ok = await gate({ deltas: [{ series: 'events_ingested_total{source="load"}', minIncrease: 2 }] });
    assert.equal(ok.status, 'pass', JSON.stringify(ok.observations));
    const deltas = (ok.data as { deltas: Array<{ increase: number }> }).deltas;
    assert.equal(deltas[0]?.increase, 2);
    const table = ok.presentation?.tables?.find((t) => t.id === 'deltas');
    assert.deepEqual(table?.columns, ['series', 'min increase', 'start', 'end', 'increase']);
    assert.equal(table?.rows[0]?.[0], 'events_ingested_total{source="load"}');
    assert.equal(table?.rows[0]?.[4], 2, 'drawn again after the gate end: the increase is in the table');
    const short = await gate({ deltas: [{ series: 'events_ingested_total{source="load"}', minIncrease: 3 }] });
    assert.equal(short.status, 'fail');
    const o = short.observations.find((x) => x.code === 'METRICS_DELTA');
    assert.match(o?.message ?? '', /events_ingested_total\{source="load"\} rose by 2, less than 3: \d+ → \d+/);
  });

  it('counts a counter absent from a good gate-start scrape from 0', async () => {
    appearing.scrapes = 0;
    const r = await gate({ path: '/appearing', deltas: [{ series: 'late_total', minIncrease: 5 }] });
    assert.equal(r.status, 'pass', JSON.stringify(r.observations));
    assert.ok(r.observations.some((o) => /late_total rose by 5 \(absent at the gate start \(0\) → 5\)/.test(o.message)));
  });

  it('fails a counter that went down while the process start time stayed', async () => {
    Object.assign(moving, { step: -1, restart: 0 });
    const r = await gate({});
    assert.equal(r.status, 'fail');
    assert.ok(r.observations.some((o) => o.code === 'METRICS_COUNTER_DECREASED' && /events_ingested_total\{source="load"\} \d+ → \d+/.test(o.message)));
  });

  it('takes a counter going down as a reset when process_start_time_seconds changed', async () => {
    Object.assign(moving, { step: -1, restart: 5 });
    const r = await gate({ deltas: [{ series: 'events_ingested_total', minIncrease: 1 }] });
    assert.equal(r.status, 'pass', JSON.stringify(r.observations));
    assert.ok(r.observations.some((o) => o.passed && /reset because the process restarted/.test(o.message)));
  });

  it('saves the gate start and end pages beside the check\'s own', async () => {
    Object.assign(moving, { step: 1, restart: 0 });
    const r = await gate({ deltas: [{ series: 'events_ingested_total', minIncrease: 1 }] });
    assert.equal(r.status, 'pass');
    assert.deepEqual(r.artifacts, ['metrics/m.txt']);
    assert.match(String((r.data as Record<string, unknown>).gateEndScrape), /^metrics\/gate-[0-9a-f]{8}-end\.txt$/);
  });
});
