/** Fixtures shared by the load unit tests. */
import { createHistogram, encodeHistogram, summarize } from '../../src/load/histogram.ts';
import type { LoadResult } from '../../src/load/result.ts';

/** A minimal closed-model result with the given latencies (µs) and counters. */
export function fakeResult(latUs: number[], over: Partial<LoadResult> = {}): LoadResult {
  const h = createHistogram();
  for (const v of latUs) h.recordValue(v);
  const n = latUs.length;
  return {
    format: 'golive-load-result',
    version: 1,
    tool: { name: 'golive', version: '0.0.0' },
    target: 'http://127.0.0.1:1/x',
    method: 'GET',
    model: { type: 'closed', concurrency: 1, total: n, durationMs: null },
    workers: 1,
    startMs: 1_000,
    endMs: 2_000,
    startedAt: new Date(1000).toISOString(),
    finishedAt: new Date(2000).toISOString(),
    durationMs: 1000,
    requests: { planned: n, sent: n, responses: n, failed: 0, dropped: 0, queuedMax: 0 },
    statusClasses: { '1xx': 0, '2xx': n, '3xx': 0, '4xx': 0, '5xx': 0 },
    statusCodes: { '200': n },
    errors: {},
    errorRate: 0,
    replies: null,
    keys: null,
    bytes: { received: 0, sentBody: 0 },
    throughput: { requestsPerSec: n, bytesPerSec: 0 },
    latency: summarize(h, latUs),
    latencyUncorrected: null,
    scheduleLag: null,
    stalls: [],
    flags: [],
    aborted: null,
    warmup: null,
    timeline: { bucketMs: 1000, responses: [n], failed: [0], status5xx: [0] },
    errorSamples: [],
    dedup: null,
    histograms: { latency: encodeHistogram(h), uncorrected: null, scheduleLag: null },
    samplesUs: { latency: latUs, uncorrected: null },
    ...over,
  };
}

