import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkResult, parseResultFile, ResultFileError } from '../../src/load/check-result.ts';
import { mergeResults } from '../../src/load/result.ts';
import { parseThreshold } from '../../src/load/thresholds.ts';
import { fakeResult } from './load-fixtures.ts';

const lat = (n: number) => Array.from({ length: n }, (_, i) => 5_000 + i * 10);

function dedupResult(created: number) {
  return fakeResult(lat(1000), {
    keys: { total: 1000, unique: 200, expectedRatio: 0.2 },
    replies: { created, replayed: 1000 - created, conflict: 0, other: 0 },
    dedup: { source: 'GET /v1/events → count', before: 10, after: 10 + created, created, unique: 200, total: 1000, exact: created === 200, ratio: created / 1000, error: null },
  });
}

describe('result file parsing', () => {
  test('a written result round-trips', () => {
    const r = dedupResult(200);
    const back = parseResultFile(JSON.stringify(r));
    assert.equal(back.requests.responses, 1000);
    assert.equal(back.dedup?.created, 200);
  });
  const bad: Array<[string, string, RegExp]> = [
    ['not JSON', '{"format":', /not JSON/],
    ['another format', JSON.stringify({ format: 'k6-summary', metrics: {} }), /not a golive load result/],
    ['a future version', JSON.stringify({ ...dedupResult(200), version: 2 }), /version/],
    ['a missing field', JSON.stringify({ ...dedupResult(200), requests: { sent: 1 } }), /requests\.(planned|responses)/],
    ['a negative count', JSON.stringify({ ...dedupResult(200), requests: { ...dedupResult(200).requests, failed: -1 } }), /requests\.failed/],
  ];
  for (const [name, text, re] of bad) {
    test(`rejects ${name}`, () => {
      assert.throws(() => parseResultFile(text, 'result.json'), (e: unknown) => e instanceof ResultFileError && re.test(e.message));
    });
  }
});

describe('result checker (check-loadtest-result replacement)', () => {
  test('good file: 1000 requests, ratio 0.2, p95 and error rate limits hold', () => {
    const lines = checkResult(dedupResult(200), { total: 1000, ratio: 0.2, p95Ms: 1000, maxErrorRate: 0.01 });
    assert.ok(lines.every((l) => l.passed), JSON.stringify(lines.filter((l) => !l.passed)));
    assert.deepEqual(
      lines.map((l) => l.name),
      ['requests-sent', 'requests-answered', 'dedup-ratio', 'no-5xx', 'p95 < 1000', 'error_rate < 0.01'],
    );
  });

  test('double creates fail the ratio with the counts as evidence', () => {
    const lines = checkResult(dedupResult(213), { total: 1000, ratio: 0.2 });
    const d = lines.find((l) => l.name === 'dedup-ratio');
    assert.equal(d?.passed, false);
    assert.match(d?.actual ?? '', /213 created/);
  });

  test('wrong total, 5xx and network failures fail', () => {
    const r = fakeResult(lat(990), {
      requests: { planned: 1000, sent: 1000, responses: 990, failed: 10, dropped: 0, queuedMax: 0 },
      statusClasses: { '1xx': 0, '2xx': 985, '3xx': 0, '4xx': 0, '5xx': 5 },
      errors: { reset: 10 },
      errorRate: 15 / 1000,
    });
    const lines = checkResult(r, { total: 1000, maxErrorRate: 0.01 });
    const failedNames = lines.filter((l) => !l.passed).map((l) => l.name);
    assert.deepEqual(failedNames, ['requests-answered', 'no-5xx', 'error_rate < 0.01']);
    assert.match(lines.find((l) => l.name === 'requests-answered')?.actual ?? '', /reset 10/);
  });

  test('a p95 limit on 5 samples cannot be judged: inconclusive, never a pass', () => {
    const lines = checkResult(fakeResult(lat(5)), { p95Ms: 1000 });
    const l = lines.find((x) => x.name === 'p95 < 1000');
    assert.equal(l?.passed, false);
    assert.equal(l?.inconclusive, true);
    assert.match(l?.actual ?? '', /nearest rank needs at least 20/);
  });

  test('a percentile outside the summary comes from the histogram', () => {
    const lines = checkResult(fakeResult(lat(1000), { samplesUs: null }), { thresholds: [parseThreshold('p98 < 1000')] });
    assert.equal(lines.at(-1)?.passed, true);
    assert.match(lines.at(-1)?.actual ?? '', /^14\.79\d? ms$/);
  });

  test('merged files are checked as one', () => {
    const a = fakeResult(lat(500), { startMs: 1000, endMs: 2000 });
    const b = fakeResult(lat(500).map((v) => v + 1), { startMs: 1500, endMs: 3000 });
    const m = mergeResults([a, b]);
    assert.equal(m.requests.responses, 1000);
    assert.equal(m.durationMs, 2000);
    assert.equal(m.throughput.requestsPerSec, 500);
    assert.equal(m.latency.source, 'exact');
    assert.ok(checkResult(m, { total: 1000 }).every((l) => l.passed));
  });
});
