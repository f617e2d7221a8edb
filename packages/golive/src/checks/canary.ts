/**
 * `canary`: N requests at an interval (the seed's "canary pings"). Every request must answer with the
 * expected status, and the chosen nearest-rank percentile of the successful latencies must be under the SLO.
 * Percentiles come from integer microseconds. When N is too small for the percentile (p95 of 5 samples),
 * the value is the maximum and the result says so in a warning; the seed's `sorted[int(n*0.95)-1]` would
 * instead read the 4th of 5 samples and let one slow ping through.
 */
import { z } from 'zod';
import { CheckError } from '../core/errors.ts';
import { minSamplesFor, parsePercentile, percentile, usToMs } from '../core/percentiles.ts';
import type { Json, Observation } from '../core/result.ts';
import { describeExchange } from '../http/client.ts';
import type { CanaryData, CanarySample } from './canary.data.ts';
import { type CheckOutcome, defineCheck, observe } from './types.ts';
import { networkCode } from './util/network.ts';
import { HEALTH_URL_VARIABLE, headersOption, maxBodyBytesOption, pathOption, requestTimeoutOption, sequentialTimeoutMs, urlOption } from './util/options.ts';
import { statusMatcher, statusSpecSchema } from './util/status.ts';

const percentileOption = z
  .union([z.number(), z.string()])
  .default('p95')
  .refine((v) => {
    try {
      parsePercentile(v);
      return true;
    } catch {
      return false;
    }
  }, 'expected a percentile such as p95, p99.9 or 95 (0 < p <= 100)')
  .describe('Latency percentile compared with the SLO (nearest rank).');

const options = z
  .object({
    path: pathOption('/health'),
    url: urlOption(),
    method: z.string().regex(/^[A-Za-z]+$/).default('GET').describe('HTTP method of each request.'),
    count: z.number().int().min(1).max(10_000).default(5).describe('Number of requests.'),
    intervalMs: z.number().int().min(0).max(600_000).default(300).describe('Pause between two requests (ms).'),
    percentile: percentileOption,
    sloMs: z.number().positive().default(1000).describe('The percentile must be strictly under this latency (ms).'),
    expectStatus: statusSpecSchema.default('2xx').describe('Status every request must answer with.'),
    minSamples: z.number().int().min(1).optional().describe('Fewer successful samples than this: the check is an error (cannot be evaluated), not a pass.'),
    timeoutMs: requestTimeoutOption(5000),
    maxBodyBytes: maxBodyBytesOption(64 * 1024),
    headers: headersOption(),
  })
  .strict();

/** Options of the `canary` check. */
export type CanaryOptions = z.output<typeof options>;

export type { CanaryData, CanarySample } from './canary.data.ts';

/** Metric key for a percentile: `p95Ms`, `p99_9Ms`. */
export function percentileKey(p: number): string {
  return `p${String(p).replace('.', '_')}Ms`;
}

/** The canary check kind. */
export const canaryCheck = defineCheck<typeof options, CanaryData>({
  kind: 'canary',
  title: 'Canary pings',
  description: 'Sends N requests at an interval: every one must succeed and the latency percentile must be under the SLO.',
  options,
  defaultTimeoutMs: 60_000,
  timeoutFor: (o) => sequentialTimeoutMs(60_000, o.count, o.timeoutMs, o.count * o.intervalMs),
  requestTimeoutOption: 'timeoutMs',
  env: [HEALTH_URL_VARIABLE],
  // A baseline flags p95 +20 % when it also rose by 5 ms (loopback latencies of 1-3 ms move by more than 20 %
  // from run to run), and any ping fewer answered.
  metrics: { p95Ms: { direction: 'lower', tolerance: 0.2, minDelta: 5, unit: 'ms' }, oks: { direction: 'higher', tolerance: 0 } },
  present({ data }) {
    if (!data) return {};
    const pName = `p${data.percentile}`;
    // The summary is the key figure already (`5/5 ok, p95 12 ms < 1000 ms SLO`); the samples make the plot.
    return {
      plots: [
        {
          id: 'samples',
          title: 'Canary latency per request',
          mark: 'point',
          x: { label: 'request' },
          y: { label: 'latency', unit: 'ms' },
          series: [{ name: 'latency', points: data.samples.map((s, i) => [i + 1, s.latencyMs] as [number, number]) }],
          rules: [{ axis: 'y', value: data.sloMs, label: `SLO ${data.sloMs} ms` }],
          description: `${data.count} requests; ${pName} ${data.percentileMs ?? 'n/a'} ms against an SLO of ${data.sloMs} ms.`,
        },
      ],
    };
  },
  async run(ctx, opts): Promise<CheckOutcome<CanaryData>> {
    const p = parsePercentile(opts.percentile);
    const matcher = statusMatcher(opts.expectStatus);
    const samples: CanarySample[] = [];
    const okUs: number[] = [];
    const failures: string[] = [];
    const failureCodes = new Set<string>();
    for (let i = 0; i < opts.count; i++) {
      if (i > 0 && opts.intervalMs > 0) await ctx.clock.sleep(opts.intervalMs, ctx.signal);
      ctx.signal.throwIfAborted();
      const ex = await ctx.http.request({
        method: opts.method,
        url: opts.url ?? opts.path,
        headers: opts.headers,
        timeoutMs: opts.timeoutMs,
        maxBodyBytes: opts.maxBodyBytes,
        signal: ctx.signal,
      });
      ctx.signal.throwIfAborted();
      const latencyMs = usToMs(ex.timings.totalUs);
      if (!ex.ok) {
        samples.push({ code: null, latencyMs, error: ex.kind });
        failures.push(`#${i + 1} ${describeExchange(ex)}`);
        failureCodes.add(networkCode('CANARY', ex.kind));
      } else {
        samples.push({ code: ex.status, latencyMs });
        if (matcher.matches(ex.status)) okUs.push(ex.timings.totalUs);
        else {
          failures.push(`#${i + 1} ${describeExchange(ex)}`);
          failureCodes.add('CANARY_STATUS');
        }
      }
      ctx.progress({ fraction: (i + 1) / opts.count, message: `${i + 1}/${opts.count} · last ${latencyMs} ms` });
    }

    const oks = okUs.length;
    if (opts.minSamples !== undefined && oks < opts.minSamples) {
      throw new CheckError(
        'GOLIVE_ERR_INSUFFICIENT_SAMPLES',
        `canary: ${oks} successful sample(s), at least ${opts.minSamples} needed to evaluate p${p}${failures.length ? `; first failure: ${failures[0]}` : ''}`,
        { details: { oks, count: opts.count, minSamples: opts.minSamples } },
      );
    }

    const obs: Observation[] = [];
    const allOk = oks === opts.count;
    // One finding code per kind of failure seen, so a refused target and a 500 are both named.
    const codeText = [...failureCodes].join(', ');
    obs.push(
      observe('success-rate', allOk, `${opts.count}/${opts.count} ${matcher.text}`, `${oks}/${opts.count}`, {
        code: [...failureCodes][0] ?? 'CANARY_STATUS',
        message: allOk
          ? `${oks}/${opts.count} requests answered ${matcher.text}`
          : `${opts.count - oks}/${opts.count} requests failed (${codeText}): ${failures.slice(0, 5).join('; ')}${failures.length > 5 ? `; … ${failures.length - 5} more` : ''}`,
      }),
    );

    const pr = percentile(okUs, p);
    const pName = `p${p}`;
    const pMs = pr.valueUs === undefined ? null : usToMs(pr.valueUs);
    const p95 = percentile(okUs, 95);
    const note = pr.supported || oks === 0 ? null : `${pName} of ${oks} sample(s) is the maximum: nearest rank needs at least ${minSamplesFor(p)} samples to differ from it`;
    if (pMs === null) {
      obs.push(
        observe(`${pName}-latency`, false, `< ${opts.sloMs} ms`, 'no successful sample', {
          code: 'CANARY_NO_SAMPLES',
          message: `no successful request, so ${pName} latency cannot be computed`,
        }),
      );
    } else {
      const under = pMs < opts.sloMs;
      const what = pr.supported ? `${pMs} ms` : `${pMs} ms (the maximum of ${oks})`;
      obs.push(
        observe(`${pName}-latency`, under, `< ${opts.sloMs} ms`, what, {
          code: 'CANARY_SLO',
          message: under
            ? `${pName} ${what} under the ${opts.sloMs} ms SLO`
            : `${pName} ${what} is not under the ${opts.sloMs} ms SLO; samples: ${samples.map((s) => `${s.code ?? s.error} ${s.latencyMs} ms`).join(', ')}`,
        }),
      );
    }
    if (note) {
      obs.push(observe('percentile-support', false, `>= ${minSamplesFor(p)} samples for ${pName}`, `${oks} samples`, { severity: 'warn', code: 'CANARY_PERCENTILE_IS_MAX', message: note }));
    }

    const key = percentileKey(p);
    const latencies = samples.map((s) => s.latencyMs);
    const data: CanaryData = {
      url: ctx.http.resolve(opts.url ?? opts.path).href,
      oks,
      count: opts.count,
      percentile: p,
      percentileMs: pMs,
      percentileSupported: pr.supported,
      percentileNote: note,
      p95Ms: p95.valueUs === undefined ? null : usToMs(p95.valueUs),
      sloMs: opts.sloMs,
      minMs: latencies.length ? Math.min(...latencies) : null,
      maxMs: latencies.length ? Math.max(...latencies) : null,
      samples: samples.map((s) => ({ ...s })),
    };
    (data as Record<string, Json>)[key] = pMs;
    return {
      observations: obs,
      metrics: { oks, count: opts.count, [key]: pMs, percentileSupported: pr.supported, sloMs: opts.sloMs },
      data: ctx.redactor.redactDeep(data),
      summary: `${oks}/${opts.count} ok, ${pName} ${pMs === null ? 'n/a' : `${pMs} ms${pr.supported ? '' : ` (max of ${oks})`} ${pMs < opts.sloMs ? '<' : '≥'} ${opts.sloMs} ms SLO`}`,
    };
  },
});
