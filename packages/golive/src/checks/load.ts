/**
 * `load`: a load test as a gate check. Closed model (a total or a duration at a concurrency) or open model
 * (constant arrival rate, latency from each request's scheduled start). A scenario may carry a key pool
 * (`total` requests over `unique` idempotency keys), tenants, random values and timestamped HMAC signatures
 * described by templates (Stripe's, GitHub's, your service's); after the run the created records are read
 * back and must equal the unique keys. Thresholds in the style of k6 (`p95 < 1000`, `error_rate < 0.01`,
 * `dedup == exact`) decide the verdict; too few samples is an error, never a pass; a 5xx spike stops the
 * run early and fails it with the evidence. The full result file (mergeable) is written as an artifact.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CheckError } from '../core/errors.ts';
import type { Json, Observation, Plot } from '../core/result.ts';
import type { Redactor } from '../core/redact.ts';
import type { HttpClient } from '../http/client.ts';
import { describeReadBack, type ReadBackSpec, type ReadResult, readCount, verifyCounts } from '../load/dedup.ts';
import type { ModelOptions } from '../load/engine.ts';
import { formatReplies, resultPercentile } from '../load/check-result.ts';
import type { WarmupSpec } from '../load/warmup.ts';
import type { LoadResult } from '../load/result.ts';
import { runLoad } from '../load/run.ts';
import { resolveEnvPlaceholders, type ScenarioSpec } from '../load/scenario.ts';
import { evaluateThreshold, parseThreshold, type Threshold } from '../load/thresholds.ts';
import { type LoadPlotData, loadPlotData } from '../load/plot-data.ts';
import type { LoadData } from './load.data.ts';
import { GOLIVE_VERSION } from '../core/version.ts';
import { type CheckOutcome, defineCheck, observe, type ProgressEvent } from './types.ts';
import { headerMapSchema } from './util/options.ts';
import { readBackOptionSchema } from './util/read-back-option.ts';
import { signOptionSchema } from './util/sign-option.ts';

const thresholdSchema = z.string().superRefine((s, ctx) => {
  try {
    parseThreshold(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

const requestSchema = z
  .object({
    method: z.string().regex(/^[A-Za-z]+$/).default('GET').describe('HTTP method.'),
    path: z.string().min(1).default('/').describe('Path (with query) relative to the target base URL; may contain {{variables}}.'),
    headers: headerMapSchema().default({}).describe('Headers; values may contain {{variables}} and {{env:NAME}} (secret values are redacted).'),
    body: z
      .union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())])
      .optional()
      .describe('Body: raw text, or a JSON value (serialised once); strings inside may contain {{variables}}.'),
  })
  .strict();

// The read-back of a dedup run: the same option the webhook kind's effect count uses.
const readBackSchema = readBackOptionSchema;

const options = z
  .object({
    request: requestSchema.default({ method: 'GET', path: '/', headers: {} }).describe('The request template.'),
    model: z.enum(['closed', 'open']).default('closed').describe('closed: fixed concurrency; open: constant arrival rate.'),
    concurrency: z.number().int().min(1).max(10_000).default(10).describe('Connections (closed: requests in flight; open: most in flight).'),
    total: z.number().int().min(1).max(100_000_000).optional().describe('Requests to send (default: keys.total when a key pool is set).'),
    durationMs: z.number().int().min(1).max(86_400_000).optional().describe('Run length in ms (instead of, or as well as, a total).'),
    ratePerSec: z.number().positive().max(1_000_000).optional().describe('Open model: requests started per second.'),
    maxQueue: z.number().int().min(0).optional().describe('Open model: due requests waiting beyond this many are dropped (counted).'),
    keys: z
      .object({
        total: z.number().int().min(1).optional().describe('Requests carrying keys (default: total).'),
        unique: z.number().int().min(1).describe('Distinct keys; each is sent total/unique times, shuffled.'),
        prefix: z.string().max(64).optional().describe('Prefix of generated keys (default golive-).'),
        header: z.string().nullable().optional().describe('Header carrying the key (default Idempotency-Key; null: none).'),
      })
      .strict()
      .optional()
      .describe('Key pool of a dedup scenario.'),
    tenants: z.array(z.string()).optional().describe('Values of {{tenant}}, one per key in turn.'),
    vars: z.record(z.string(), z.string()).optional().describe('Extra fixed {{variables}}.'),
    seed: z.union([z.string(), z.number()]).default('golive').describe('Seed of the key order and random values.'),
    sign: signOptionSchema
      .optional()
      .describe('Timestamped HMAC signature of every request, described by templates (docs/load.md#signing).'),
    warmup: z
      .union([
        z.literal(false),
        z
          .object({
            requests: z
              .number()
              .int()
              .min(1)
              .max(10_000)
              .optional()
              .describe('A fixed count, sent at once. Default: adaptive, windows until two window medians agree within 10 % (at most 1000 requests or 3 s).'),
            path: z.string().min(1).optional().describe("A side-effect-free path. Default: the scenario's own path when its method is GET or HEAD, else /."),
            method: z.enum(['GET', 'HEAD']).optional(),
          })
          .strict(),
      ])
      .default({})
      .describe('Requests sent before the timed phase so connections are open (false: none).'),
    verify: readBackSchema.optional().describe('Dedup read-back after the run (a JSON count or a /metrics counter, read before and after).'),
    thresholds: z.array(thresholdSchema).default(['p95 < 1000', 'error_rate < 0.01']).describe('k6-style thresholds, e.g. "p95 < 1000", "error_rate < 1%", "dedup == exact".'),
    minSamples: z.number().int().min(1).default(100).describe('Fewer responses than this: the check is an error (cannot be evaluated), never a pass.'),
    abortOn5xx: z
      .union([
        z.literal(false),
        z
          .object({
            window: z.number().int().min(1).default(100).describe('Most recent requests looked at.'),
            ratio: z.number().min(0).max(1).default(0.5).describe('Fraction of them with a 5xx or network error that stops the run.'),
          })
          .strict(),
      ])
      .default({ window: 100, ratio: 0.5 })
      .describe('Stop early on a 5xx spike (false: never).'),
    maxBodyBytes: z
      .number()
      .int()
      .positive()
      .max(1024 * 1024 * 1024)
      .default(16 * 1024 * 1024)
      .describe('Response body bytes read at most per request; a longer body fails the request (reported, flag BODY_CAP).'),
    timeoutMs: z.number().int().positive().max(600_000).default(10_000).describe('Per-request deadline in ms: the whole exchange, from sending to the last body byte.'),
    workers: z.number().int().min(1).max(64).default(1).describe('Worker threads sharing the load (results merge exactly).'),
    transport: z
      .enum(['native', 'undici'])
      .default('native')
      .describe("HTTP client of the load: golive's own HTTP/1.1 connections (native, about half the CPU per request) or an undici Pool."),
    replayHeader: z.string().default('idempotent-replayed').describe('Header marking a stored replay (value true).'),
    createdStatus: z.array(z.number().int().min(100).max(599)).default([201]).describe('Statuses counted as a first create.'),
    out: z
      .union([z.string().min(1), z.literal(false)])
      .optional()
      .describe('Artifact path of the result file (default load/<check id>.json; false: none).'),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.model === 'open' && o.ratePerSec === undefined) ctx.addIssue({ code: 'custom', path: ['ratePerSec'], message: 'the open model needs ratePerSec' });
    if (o.model === 'closed' && o.ratePerSec !== undefined) ctx.addIssue({ code: 'custom', path: ['ratePerSec'], message: 'ratePerSec is for the open model (set model: "open")' });
    if (o.total === undefined && o.durationMs === undefined && o.keys === undefined) {
      ctx.addIssue({ code: 'custom', path: ['total'], message: 'set total, durationMs or keys' });
    }
    if (o.keys) {
      const total = o.keys.total ?? o.total;
      if (total === undefined) ctx.addIssue({ code: 'custom', path: ['keys', 'total'], message: 'a key pool needs keys.total or total' });
      else {
        if (o.total !== undefined && o.keys.total !== undefined && o.total !== o.keys.total) {
          ctx.addIssue({ code: 'custom', path: ['keys', 'total'], message: `keys.total (${o.keys.total}) differs from total (${o.total})` });
        }
        if (o.keys.unique > total) ctx.addIssue({ code: 'custom', path: ['keys', 'unique'], message: `unique (${o.keys.unique}) is larger than total (${total})` });
        else if (total % o.keys.unique !== 0) {
          ctx.addIssue({ code: 'custom', path: ['keys', 'unique'], message: `total (${total}) must be a multiple of unique (${o.keys.unique})` });
        }
      }
    }
  });

/** Options of the `load` check. */
export type LoadCheckOptions = z.output<typeof options>;

/** Renders a template body: JSON values are serialised once. */
function bodyText(body: LoadCheckOptions['request']['body']): string | undefined {
  if (body === undefined) return undefined;
  return typeof body === 'string' ? body : JSON.stringify(body);
}

/** The model options of the engine from check options. */
export function modelFromOptions(o: Pick<LoadCheckOptions, 'model' | 'concurrency' | 'total' | 'durationMs' | 'ratePerSec' | 'maxQueue' | 'keys'>): ModelOptions {
  const total = o.total ?? o.keys?.total;
  if (o.model === 'open') {
    return {
      type: 'open',
      ratePerSec: o.ratePerSec ?? 1,
      maxInFlight: o.concurrency,
      ...(total !== undefined ? { total } : {}),
      ...(o.durationMs !== undefined ? { durationMs: o.durationMs } : {}),
      ...(o.maxQueue !== undefined ? { maxQueue: o.maxQueue } : {}),
    };
  }
  return {
    type: 'closed',
    concurrency: o.concurrency,
    ...(total !== undefined ? { total } : {}),
    ...(o.durationMs !== undefined ? { durationMs: o.durationMs } : {}),
  };
}

/** The result without histograms and samples, for report data. */
export function resultSummaryData(r: LoadResult): Record<string, Json> {
  const { histograms: _h, samplesUs: _s, timeline: _t, ...rest } = r;
  return JSON.parse(JSON.stringify(rest)) as Record<string, Json>;
}

/** Reads a count, turning an unexpected throw into a failed reading. */
async function safeRead(http: HttpClient, spec: ReadBackSpec): Promise<ReadResult> {
  try {
    return await readCount(http, spec);
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

function fmt(n: number | null | undefined): string {
  return n === null || n === undefined ? 'n/a' : String(n);
}

/** What a load test needs from its surroundings: a check context provides it in a gate, the CLI on its own. */
export interface LoadTestDeps {
  /** Base URL the request paths resolve against. */
  baseUrl: URL;
  /** Client of the dedup read-back (with the target's headers). */
  http: HttpClient;
  /** Environment for `{{env:NAME}}` and `sign.secretEnv`, read once by the caller. */
  env: Readonly<Record<string, string | undefined>>;
  /** Learns every secret the run resolves; redact what you print or write with it. */
  redactor: Redactor;
  /** Cancels the run; what was measured so far is judged (`LOAD_CANCELLED`). */
  signal?: AbortSignal;
  /** Wall-clock milliseconds (signature timestamps, `{{now}}`); default Date.now. */
  now?: () => number;
  /** Headers sent with every load request (the target's auth), below the template's. */
  headers?: Readonly<Record<string, string>>;
  /** TLS trust for an https target (the target's `target.tls`: `--ca`, `--insecure`). */
  tls?: { rejectUnauthorized: boolean; ca?: string | readonly string[] | undefined } | undefined;
  /** Progress while the load runs. */
  onProgress?: (event: ProgressEvent) => void;
  /**
   * Let the run tune V8's heap, process-wide (load/heap.ts). Default: the process default, which is off
   * unless golive's CLI owns the process; a library embedding golive leaves its host's V8 alone.
   */
  tuneHeap?: boolean;
}

/** A load test judged: the result file, the observations, and the verdict taken once from them. */
export interface LoadTestOutcome {
  /**
   * `pass`: every error-severity observation held; `fail`: one did not; `error`: the run cannot be judged
   * (too few responses for `minSamples` or for a percentile threshold), `error` says why.
   */
  status: 'pass' | 'fail' | 'error';
  /** The result file (format golive-load-result v1). Redact it (deps.redactor) before writing it anywhere. */
  result: LoadResult;
  observations: Observation[];
  /** Key figures (the check's metrics). */
  metrics: Record<string, number | string | boolean | null>;
  /** One line: responses, throughput, p95, error rate. */
  summary: string;
  /** With status `error`: GOLIVE_ERR_INSUFFICIENT_SAMPLES and the counts. */
  error?: CheckError;
}

/** The result file's text, as the check's artifact and `golive load --out` write it (before redaction). */
export function resultFileText(result: LoadResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

/**
 * Runs a load test and judges it: the one load API, behind both the `load` check and `golive load`.
 * `options` are the check's options, parsed by its schema (`loadCheck.options`). Throws a CheckError when the
 * run cannot start (a missing secret, a bad template); returns every other outcome, `error` included.
 */
export async function runLoadTest(o: LoadCheckOptions, deps: LoadTestDeps): Promise<LoadTestOutcome> {
  const thresholds = o.thresholds.map((t) => parseThreshold(t));
  const model = modelFromOptions(o);
  // Secrets: resolved from named environment variables only, and taught to the redactor before any output.
  const resolve = (s: string) => resolveEnvPlaceholders(s, deps.env, deps.redactor);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.request.headers)) headers[k] = resolve(v);
  // Plain-text credentials (`-H 'authorization: ...'`) are secrets by their header name (core/redact.ts).
  for (const [k, v] of Object.entries(headers)) deps.redactor.addHeader(k, v);
  const rawBody = bodyText(o.request.body);
  let sign: ScenarioSpec['sign'];
  if (o.sign) {
    const secret = deps.env[o.sign.secretEnv];
    if (!secret) throw new CheckError('GOLIVE_ERR_MISSING_SECRET', `environment variable ${o.sign.secretEnv} (the signing secret) is not set`);
    deps.redactor.add(secret);
    const { secretEnv: _e, ...template } = o.sign;
    sign = { ...template, secret };
  }
  const keysTotal = o.keys ? (o.keys.total ?? o.total) : undefined;
  const scenario: ScenarioSpec = {
    request: { method: o.request.method, path: resolve(o.request.path), headers, ...(rawBody !== undefined ? { body: resolve(rawBody) } : {}) },
    ...(o.keys && keysTotal !== undefined
      ? {
          keys: {
            total: keysTotal,
            unique: o.keys.unique,
            ...(o.keys.prefix !== undefined ? { prefix: o.keys.prefix } : {}),
            ...(o.keys.header !== undefined ? { header: o.keys.header } : {}),
          },
        }
      : {}),
    ...(o.tenants ? { tenants: o.tenants } : {}),
    ...(o.vars ? { vars: o.vars } : {}),
    ...(sign ? { sign } : {}),
    seed: o.seed,
    runId: randomUUID().slice(0, 8),
    nowSec: Math.floor((deps.now ?? Date.now)() / 1000),
    defaultHeaders: { ...deps.headers },
  };

  let verify = o.verify as ReadBackSpec | undefined;
  if (verify?.headers) {
    const vh: Record<string, string> = {};
    for (const [k, v] of Object.entries(verify.headers)) vh[k] = resolve(v);
    verify = { ...verify, headers: vh };
  }
  const before = verify ? await safeRead(deps.http, verify) : null;
  const planned = keysTotal ?? o.total;
  const result = await runLoad({
    baseUrl: deps.baseUrl.href,
    scenario,
    model,
    timeoutMs: o.timeoutMs,
    warmup: o.warmup === false ? null : warmupSpec(o.warmup, o.request.method, scenario.request.path, scenario.request.headers ?? {}),
    abortOnSpike: o.abortOn5xx === false ? null : o.abortOn5xx,
    replayHeader: o.replayHeader,
    createdStatus: o.createdStatus,
    workers: o.workers,
    transport: o.transport,
    maxBodyBytes: o.maxBodyBytes,
    ...(deps.tls ? { tls: deps.tls } : {}),
    ...(deps.signal ? { signal: deps.signal } : {}),
    redactor: deps.redactor,
    ...(deps.tuneHeap !== undefined ? { tuneHeap: deps.tuneHeap } : {}),
    toolVersion: GOLIVE_VERSION,
    onProgress: (p) =>
      deps.onProgress?.({
        ...(p.planned ? { fraction: Math.min(1, p.done / p.planned) } : o.durationMs ? { fraction: Math.min(1, p.elapsedMs / o.durationMs) } : {}),
        message: `${p.done}${planned ? `/${planned}` : ''} req · ${Math.round(p.currentRps)} req/s · p95 ${p.p95Ms === null ? '-' : `${p.p95Ms.toFixed(1)} ms`}${p.failed ? ` · ${p.failed} failed` : ''}${p.queued ? ` · ${p.queued} queued` : ''}`,
      }),
  });
  if (verify && scenario.keys) {
    const after = await safeRead(deps.http, verify);
    result.dedup = verifyCounts(describeReadBack(verify), before, after, scenario.keys.unique, scenario.keys.total);
  }

  const obs: Observation[] = [];
  const lat = result.latency;
  // The one place a load test is judged; the check and `golive load` both take this verdict.
  const judged = (status: LoadTestOutcome['status'], error?: CheckError): LoadTestOutcome => ({
    status,
    result,
    observations: obs,
    metrics: {
      requests: result.requests.sent,
      responses: result.requests.responses,
      failed: result.requests.failed,
      requestsPerSec: Math.round(result.throughput.requestsPerSec * 10) / 10,
      p50Ms: lat.p50Ms,
      p95Ms: lat.p95Ms,
      p99Ms: lat.p99Ms,
      maxMs: lat.maxMs,
      errorRate: Math.round(result.errorRate * 1e6) / 1e6,
      percentileSource: lat.source,
      ...(result.keys ? { unique: result.keys.unique, created: result.dedup?.created ?? result.replies?.created ?? null } : {}),
    },
    summary: `${result.requests.responses} responses · ${Math.round(result.throughput.requestsPerSec)} req/s · p95 ${fmt(lat.p95Ms)} ms · errors ${(result.errorRate * 100).toFixed(2)} %`,
    ...(error ? { error } : {}),
  });
  const evidence = `${result.requests.responses} responses, ${result.requests.failed} network failures in ${(result.durationMs / 1000).toFixed(1)} s (${Math.round(result.throughput.requestsPerSec)} req/s), p50 ${fmt(lat.p50Ms)} ms, p95 ${fmt(lat.p95Ms)} ms, p99 ${fmt(lat.p99Ms)} ms`;
  if (result.aborted?.reason === 'warmup-failed') {
    obs.push(observe('target-reachable', false, 'warm-up requests answered', 'no answer', { code: 'LOAD_TARGET_UNREACHABLE', message: result.aborted.message }));
  } else if (result.aborted?.reason === '5xx-spike') {
    obs.push(
      observe('no-5xx-spike', false, `fewer than ${o.abortOn5xx === false ? '-' : Math.round(o.abortOn5xx.ratio * 100)} % bad answers in a window`, result.aborted.message, {
        code: 'LOAD_5XX_SPIKE',
        message: `stopped early at ${(result.aborted.atMs / 1000).toFixed(1)} s: ${result.aborted.message}; ${evidence}; samples: ${result.errorSamples.map((s) => s.message).join(' | ') || 'none'}`,
      }),
    );
  } else if (result.aborted?.reason === 'cancelled') {
    obs.push(observe('completed', false, 'the run completes', 'cancelled', { code: 'LOAD_CANCELLED', message: `the run was cancelled before the plan was done; ${evidence}` }));
  }
  const failedHard = obs.length > 0;

  if (result.requests.failed > 0) {
    const kinds = Object.entries(result.errors)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    obs.push(
      observe('network-errors', false, 'no network failures', `${result.requests.failed} (${kinds})`, {
        severity: 'warn',
        code: 'LOAD_NETWORK_ERRORS',
        message: `${result.requests.failed} requests ended without a response (${kinds}); first: ${result.errorSamples.find((s) => s.kind)?.message ?? 'n/a'}`,
      }),
    );
  }
  if (!failedHard) {
    if (result.requests.responses < o.minSamples) {
      if (result.requests.failed > 0) {
        obs.push(
          observe('responses', false, `at least ${o.minSamples} responses`, `${result.requests.responses}`, {
            code: 'LOAD_NETWORK_ERRORS',
            message: `only ${result.requests.responses} of ${result.requests.sent} requests got a response; ${result.errorSamples[0]?.message ?? ''}`,
          }),
        );
      } else {
        return judged(
          'error',
          new CheckError(
            'GOLIVE_ERR_INSUFFICIENT_SAMPLES',
            `${result.requests.responses} responses, fewer than minSamples (${o.minSamples}): the load is too small to judge; raise total or durationMs`,
            { details: { responses: result.requests.responses, minSamples: o.minSamples } },
          ),
        );
      }
    }
    for (const t of thresholds) {
      let out: ReturnType<typeof evaluateThreshold>;
      try {
        out = evaluateThreshold(t, result, (p) => resultPercentile(result, p));
      } catch (err) {
        // A percentile the sample count cannot support is never passed: the run cannot be judged.
        if (err instanceof CheckError && err.code === 'GOLIVE_ERR_INSUFFICIENT_SAMPLES') return judged('error', err);
        throw err;
      }
      obs.push(
        observe(`threshold: ${t.source}`, out.passed, t.expected, out.actualText, {
          code: t.metric.kind === 'dedup' ? 'LOAD_DEDUP_MISMATCH' : 'LOAD_THRESHOLD',
          message: out.passed ? `${t.source}: ${out.actualText}` : `${t.source} does not hold: ${out.actualText}; ${evidence}`,
        }),
      );
    }
  }
  if (scenario.keys) {
    const d = result.dedup;
    if (d?.error) {
      obs.push(observe('dedup-read-back', false, `a count from ${d.source}`, 'unreadable', { code: 'LOAD_DEDUP_READBACK_FAILED', message: `dedup read-back failed: ${d.error}` }));
    } else {
      const created = d ? d.created : (result.replies?.created ?? null);
      const via = d ? `read back via ${d.source}` : 'counted from first-create replies (no read-back configured)';
      obs.push(
        observe('dedup', created === scenario.keys.unique, `${scenario.keys.unique} created (one per unique key)`, `${fmt(created)} created`, {
          code: 'LOAD_DEDUP_MISMATCH',
          message: `${fmt(created)} records created for ${scenario.keys.unique} unique keys over ${scenario.keys.total} requests (${via}); replies: ${formatReplies(result)}`,
        }),
      );
    }
  }
  if (result.stalls.length > 0) {
    const worst = result.stalls.reduce((a, s) => (s.durationMs > a.durationMs ? s : a));
    obs.push(
      observe('no-stall', false, 'no pause without completions', `${result.stalls.length} stall(s), longest ${worst.durationMs} ms`, {
        severity: 'warn',
        code: 'LOAD_STALL',
        message: `the target answered nothing for ${worst.durationMs} ms at ${(worst.atMs / 1000).toFixed(1)} s while requests were in flight (${result.stalls.length} stall(s))`,
      }),
    );
  }
  if (result.requests.dropped > 0) {
    obs.push(
      observe('no-drops', false, '0 dropped', `${result.requests.dropped} dropped`, {
        severity: 'warn',
        code: 'LOAD_DROPPED',
        message: `${result.requests.dropped} scheduled requests were never sent (no free connection in time; queue peaked at ${result.requests.queuedMax})`,
      }),
    );
  }

  return judged(obs.some((x) => !x.passed && x.severity !== 'warn') ? 'fail' : 'pass');
}

/**
 * The warm-up of a run: the scenario's own request when it is side-effect free (GET or HEAD, a path without
 * per-request templates), else GET / with a note saying why; a fixed count when the options give one.
 */
export function warmupSpec(
  w: { requests?: number | undefined; path?: string | undefined; method?: 'GET' | 'HEAD' | undefined },
  scenarioMethod: string,
  scenarioPath: string,
  scenarioHeaders: Record<string, string>,
): WarmupSpec {
  const method = scenarioMethod.toUpperCase();
  const fixed = w.requests !== undefined ? { requests: w.requests } : {};
  if (w.path !== undefined) return { ...fixed, path: w.path, method: w.method ?? 'GET' };
  const templated = scenarioPath.includes('{{');
  if ((method === 'GET' || method === 'HEAD') && !templated) {
    // Per-request values (templates) are not sent literally: those headers are left out of the warm-up.
    const headers = Object.fromEntries(Object.entries(scenarioHeaders).filter(([, v]) => !v.includes('{{')));
    return { ...fixed, path: scenarioPath, method, headers };
  }
  const why = templated ? 'its path changes per request' : 'it is not side-effect free';
  return { ...fixed, path: '/', method: w.method ?? 'GET', note: `the scenario's ${method} ${scenarioPath} was not warmed (${why}); GET / was` };
}

/** The load check kind. */
export const loadCheck = defineCheck({
  kind: 'load',
  title: 'Load test',
  description: 'Sends load (closed or open model), records HDR latencies, verifies dedup of keyed requests and applies k6-style thresholds.',
  options,
  defaultTimeoutMs: 600_000,
  metrics: {
    p95Ms: { direction: 'lower', tolerance: 0.2, minDelta: 5, unit: 'ms' },
    p99Ms: { direction: 'lower', tolerance: 0.3, minDelta: 10, unit: 'ms' },
    requestsPerSec: { direction: 'higher', tolerance: 0.2, unit: 'req/s' },
    // 0.1 percentage point: one failed request in a few thousand is not a regression of its own.
    errorRate: { direction: 'lower', tolerance: 0, minDelta: 0.001 },
  },
  // Load against a write route creates records and spends rate budget.
  mutates: (o) => !['GET', 'HEAD', 'OPTIONS'].includes(o.request.method.toUpperCase()),
  async run(ctx, o): Promise<CheckOutcome> {
    const t = await runLoadTest(o, {
      baseUrl: ctx.target.baseUrl,
      http: ctx.http,
      env: ctx.env,
      redactor: ctx.redactor,
      signal: ctx.signal,
      now: () => ctx.clock.now(),
      headers: ctx.target.headers,
      tls: ctx.target.tls,
      onProgress: (e) => ctx.progress(e),
    });
    // Written before judging: a run that cannot be judged still leaves its evidence.
    const artifacts = o.out === false ? [] : [await ctx.artifacts.write(o.out ?? `load/${ctx.id}.json`, resultFileText(t.result))];
    if (t.status === 'error' && t.error) throw t.error;
    const data = { ...resultSummaryData(t.result), plot: loadPlotData(t.result) as unknown as Json };
    return { observations: t.observations, metrics: t.metrics, data, summary: t.summary, artifacts };
  },
  present({ data }, o) {
    const plot = (data as LoadData | undefined)?.plot;
    if (!plot) return {};
    return { plots: loadPlots(plot, o.thresholds.map((x) => parseThreshold(x))) };
  },
});

/** Percentiles labelled on the distribution plot's 1/(1 − q) axis. */
const PERCENTILE_TICKS = [0, 50, 90, 99, 99.9, 99.99, 99.999].map((p) => ({ value: 1 / (1 - p / 100), label: `${p}%` }));

/** The load check's plots: the latency distribution, throughput and errors, latency percentiles over time. */
export function loadPlots(plot: LoadPlotData, thresholds: readonly Threshold[]): Plot[] {
  const latencyRules = thresholds.flatMap((t) =>
    t.metric.kind === 'percentile' && Number.isFinite(t.value) ? [{ axis: 'y' as const, value: t.value, label: t.source }] : [],
  );
  const stallRules = plot.stalls.map(([atSec, ms]) => ({ axis: 'x' as const, value: atSec, label: `stall ${Math.round(ms)} ms` }));
  const tl = plot.timeline;
  const at = (values: ReadonlyArray<number | null>): Array<[number, number]> =>
    values.flatMap((v, i) => (v === null || v === undefined ? [] : [[tl.startSec[i] as number, v] as [number, number]]));
  const last = plot.percentiles[plot.percentiles.length - 1];
  const plots: Plot[] = [
    {
      id: 'latency-distribution',
      title: 'Latency by percentile',
      mark: 'line',
      x: { label: 'percentile', scale: 'log', ticks: PERCENTILE_TICKS },
      y: { label: 'latency', unit: 'ms', scale: 'log' },
      // The last percentile is 100 % (the maximum): drawn just past the highest finite point of the ladder.
      series: [
        {
          name: 'latency',
          points: plot.percentiles.map(([p, ms], i, all) => {
            const q = p / 100;
            const x = q < 1 ? 1 / (1 - q) : 1 / (1 - (all[i - 1]?.[0] ?? 0) / 100) * 1.5;
            return [x, Math.max(ms, 0.001)] as [number, number];
          }),
        },
      ],
      rules: latencyRules,
      description: `Latency at ${plot.percentiles.length} percentiles from the HDR histogram${last ? `, up to the maximum ${last[1]} ms` : ''}.`,
    },
    {
      id: 'throughput',
      title: 'Responses and errors per second',
      mark: 'line',
      x: { label: 'time', unit: 's' },
      y: { label: 'rate', unit: 'req/s' },
      series: [
        { name: 'responses/s', points: at(tl.responsesPerSec) },
        { name: 'errors/s', points: at(tl.errorsPerSec) },
      ],
      rules: stallRules,
      description: `Per ${tl.bucketMs / 1000} s bucket: responses and errors (network failures and 5xx) per second${plot.stalls.length ? `; ${plot.stalls.length} stall(s) marked` : ''}.`,
    },
  ];
  if (tl.p50Ms && tl.p95Ms && tl.p99Ms) {
    plots.push({
      id: 'latency-timeline',
      title: 'Latency percentiles over time',
      mark: 'line',
      x: { label: 'time', unit: 's' },
      y: { label: 'latency', unit: 'ms', scale: 'log' },
      series: [
        { name: 'p50', points: at(tl.p50Ms) },
        { name: 'p95', points: at(tl.p95Ms) },
        { name: 'p99', points: at(tl.p99Ms) },
      ],
      rules: [...latencyRules, ...stallRules],
      description: `Per ${tl.bucketMs / 1000} s bucket: p50, p95 and p99 of its responses (from per-second log bins, at most 1/8 above the true value).`,
    });
  }
  return plots;
}
