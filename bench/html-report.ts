// Benchmark: writing the HTML report of a run with a 1 000 000-request load check (budget: under 1 s, file under 2 MB).
// Run: ./node_modules/.bin/node bench/html-report.ts   (HTML_BENCH_REQUESTS=1000000, HTML_BENCH_SECONDS=300 to change the run)
// The load result is made by golive's own recorder fed 1 000 000 completions spread over 300 s (a latency step, a
// 5xx burst and stalls included), so its histogram, per-second bins and timeline are those of a real run of that
// size. Timed: loading the reporter and the load kind's modules (a fresh process pays it once), deriving the load
// check's report data and presentation, rendering and writing report.html. Reference in the same invocation:
// rendering and writing report.json of the same report.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CheckResult, Report } from '../packages/golive/src/core/result.ts';
import { computeTotals } from '../packages/golive/src/core/result.ts';
import { encodeHistogram, summarize } from '../packages/golive/src/load/histogram.ts';
import { RunRecorder } from '../packages/golive/src/load/recorder.ts';
import type { LoadResult } from '../packages/golive/src/load/result.ts';
import { createRandom } from '../packages/golive/src/load/prng.ts';
import { fakeResult } from '../packages/golive/test/unit/load-fixtures.ts';

const REQUESTS = Number(process.env.HTML_BENCH_REQUESTS ?? 1_000_000);
const SECONDS = Number(process.env.HTML_BENCH_SECONDS ?? 300);

// --- The run: 1 000 000 completions through the recorder (not timed) ---
const tBuild = performance.now();
const rec = new RunRecorder({ open: false, keyed: false, onSpike: () => {} });
rec.start(0);
const rnd = createRandom('html-bench');
const c = { scheduledMs: 0, sendMs: 0, endMs: 0, status: 200, replayed: false, bytes: 120, capture: null };
for (let i = 0; i < REQUESTS; i++) {
  const at = (i / REQUESTS) * SECONDS * 1000;
  const slow = at > SECONDS * 600; // a latency step at 60 % of the run
  const ms = (slow ? 40 : 8) * Math.exp(0.6 * Math.sqrt(-2 * Math.log(rnd() || 1e-9)) * Math.cos(2 * Math.PI * rnd()));
  c.scheduledMs = at;
  c.sendMs = at;
  c.endMs = at + ms;
  c.status = at > SECONDS * 300 && at < SECONDS * 310 && rnd() < 0.3 ? 503 : 200;
  rec.recordSend(0, c);
  rec.recordResponse(c);
}
const latency = rec.latency.histogram();
const responses = rec.responses;
const statusCodes: Record<string, number> = {};
for (let code = 100; code < 600; code++) if (rec.statusCounts[code]) statusCodes[String(code)] = rec.statusCounts[code] as number;
// The shared load-result fixture, with every figure taken from the recorder.
const result: LoadResult = fakeResult([], {
  tool: { name: 'golive', version: 'bench' },
  target: 'http://127.0.0.1:8080/v1/events',
  method: 'POST',
  model: { type: 'closed', concurrency: 64, total: REQUESTS, durationMs: null },
  startMs: 0,
  endMs: SECONDS * 1000,
  startedAt: new Date(0).toISOString(),
  finishedAt: new Date(SECONDS * 1000).toISOString(),
  durationMs: SECONDS * 1000,
  requests: { planned: REQUESTS, sent: rec.sent, responses, failed: 0, dropped: 0, queuedMax: 0 },
  statusClasses: { '1xx': 0, '2xx': statusCodes['200'] ?? 0, '3xx': 0, '4xx': 0, '5xx': statusCodes['503'] ?? 0 },
  statusCodes,
  errorRate: (statusCodes['503'] ?? 0) / responses,
  bytes: { received: rec.bytesReceived, sentBody: 0 },
  throughput: { requestsPerSec: responses / SECONDS, bytesPerSec: rec.bytesReceived / SECONDS },
  latency: summarize(latency, null),
  stalls: Array.from({ length: 20 }, (_, i) => ({ atMs: (i + 1) * 14_000, durationMs: 250 })),
  flags: ['STALL'],
  timeline: { bucketMs: 1000, responses: rec.timelineResponses, failed: rec.timelineFailed, status5xx: rec.timeline5xx, latencyBins: rec.timelineLatency.toSparse() },
  errorSamples: [{ status: 503, message: 'HTTP 503: {"error":"overloaded"}' }],
  histograms: { latency: encodeHistogram(latency), uncorrected: null, scheduleLag: null },
  samplesUs: { latency: null, uncorrected: null },
});
const buildMs = performance.now() - tBuild;

const canarySamples = Array.from({ length: 50 }, (_, i) => ({ latencyMs: 5 + (i % 7), status: 200 }));
const base = { level: 'error' as const, stage: 'load', startedAt: new Date(0).toISOString(), durationMs: 1, warnings: [], artifacts: [] };
const dir = mkdtempSync(join(tmpdir(), 'golive-html-bench-'));

// --- Timed: modules, data and presentation, render, write ---
const t0 = performance.now();
const { loadCheck, resultSummaryData } = await import('../packages/golive/src/checks/load.ts');
const { canaryCheck } = await import('../packages/golive/src/checks/canary.ts');
const { loadPlotData } = await import('../packages/golive/src/load/plot-data.ts');
const { renderHtml } = await import('../packages/golive/src/reporters/html.ts');
const tModules = performance.now();
const options = loadCheck.options.parse({ total: REQUESTS, thresholds: ['p95 < 1000', 'p99 < 2000', 'error_rate < 0.01'] });
const data = { ...resultSummaryData(result), plot: loadPlotData(result) } as unknown as Record<string, never>;
const metrics = { p95Ms: result.latency.p95Ms, requestsPerSec: result.throughput.requestsPerSec };
const presentation = loadCheck.present?.({ data, metrics, status: 'pass' }, options) ?? {};
const canaryData = { count: 50, percentile: 95, percentileMs: 11, sloMs: 100, samples: canarySamples } as never;
const canaryPresentation = canaryCheck.present?.({ data: canaryData, metrics: {}, status: 'pass' }, canaryCheck.options.parse({})) ?? {};
const checks: CheckResult[] = [
  { ...base, id: 'canary', kind: 'canary', title: 'Canary', stage: 'smoke', status: 'pass', observations: [], metrics: {}, summary: '50/50 ok', data: canaryData, presentation: canaryPresentation },
  { ...base, id: 'load', kind: 'load', title: 'Load test', status: 'pass', observations: [], metrics, summary: `${REQUESTS} responses`, data, presentation },
];
const report: Report = {
  schemaVersion: '1.1.0',
  tool: { name: 'golive', version: 'bench' },
  runId: 'bench',
  startedAt: new Date(0).toISOString(),
  finishedAt: new Date(SECONDS * 1000).toISOString(),
  durationMs: SECONDS * 1000,
  target: { baseUrl: 'http://127.0.0.1:8080', managed: false },
  source: 'bench',
  label: 'bench',
  release: null,
  verdict: 'GO',
  exitCode: 0,
  totals: computeTotals(checks),
  stages: [
    { name: 'smoke', status: 'pass', failPolicy: 'fail-fast', durationMs: 1, checks: [checks[0] as CheckResult] },
    { name: 'load', status: 'pass', failPolicy: 'fail-fast', durationMs: SECONDS * 1000, checks: [checks[1] as CheckResult] },
  ],
};
const htmlPath = join(dir, 'report.html');
writeFileSync(htmlPath, renderHtml(report));
const t1 = performance.now();

// --- Reference: report.json of the same report ---
const { renderJson } = await import('../packages/golive/src/reporters/json.ts');
const t2 = performance.now();
const jsonPath = join(dir, 'report.json');
writeFileSync(jsonPath, renderJson(report));
const t3 = performance.now();

const htmlMs = t1 - t0;
const jsonMs = t3 - t2;
const htmlBytes = statSync(htmlPath).size;
const jsonBytes = statSync(jsonPath).size;
const plots = (presentation.plots ?? []).map((p) => `${p.id} (${p.series.map((s) => s.points.length).join('+')} points)`);
console.log(`HTML report of a ${REQUESTS.toLocaleString('en')}-request load run over ${SECONDS} s (Node ${process.version}; run built in ${buildMs.toFixed(0)} ms, not timed)`);
console.log(`  plots: ${plots.join(', ')}`);
console.log(`  write report.html: ${htmlMs.toFixed(1)} ms (modules ${(tModules - t0).toFixed(1)} ms)  ratio to the 1 s budget ${(htmlMs / 1000).toFixed(3)}x`);
console.log(`  report.html size: ${(htmlBytes / 1024).toFixed(1)} KiB  ratio to the 2 MB budget ${(htmlBytes / 2_000_000).toFixed(3)}x`);
console.log(`  reference, write report.json of the same run: ${jsonMs.toFixed(1)} ms, ${(jsonBytes / 1024).toFixed(1)} KiB  (HTML without module loading / JSON time ${((t1 - tModules) / Math.max(0.01, jsonMs)).toFixed(1)}x)`);
rmSync(dir, { recursive: true, force: true });

