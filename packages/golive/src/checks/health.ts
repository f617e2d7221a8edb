/**
 * `health`: one GET of the health endpoint. It passes on the expected status (2xx) with a JSON body that
 * means healthy: `{"status":"ok"}` (or healthy/up/pass, any case), `{"healthy":true}`, `{"ok":true}`, or IETF
 * `application/health+json` with status pass/ok/up. An IETF `warn` is a warning, never a failure. Anything
 * else (non-JSON, degraded, 5xx, refused, reset, timeout, a body over the cap) fails with the request made,
 * the status and a redacted excerpt as evidence.
 */
import { z } from 'zod';
import type { Json, Observation } from '../core/result.ts';
import { usToMs } from '../core/percentiles.ts';
import type { Redactor } from '../core/redact.ts';
import { type HttpResponse, bodyExcerpt, bodyText, describeExchange, headerValue } from '../http/client.ts';
import { findDuplicateKey, stripBom } from '../core/json-text.ts';
import type { HealthData } from './health.data.ts';
import { type CheckOutcome, defineCheck, observe } from './types.ts';
import { networkObservation } from './util/network.ts';
import { withRedirectEvidence } from './util/redirects.ts';
import { HEALTH_URL_VARIABLE, headersOption, maxBodyBytesOption, pathOption, requestTimeoutOption, sequentialTimeoutMs, urlOption } from './util/options.ts';
import { statusMatcher, statusSpecSchema } from './util/status.ts';

/** What a health body means. */
export type HealthVerdict = 'healthy' | 'warn' | 'unhealthy' | 'unrecognised';

/** The meaning of a health body and why. */
export interface HealthMeaning {
  verdict: HealthVerdict;
  /** The deciding field and value, e.g. `status "degraded"`, or why nothing was recognised. */
  reason: string;
  /** IETF component checks whose own status is not a pass (`db:responseTime warn`). */
  components: string[];
}

const HEALTHY = new Set(['ok', 'healthy', 'up', 'pass', 'passing', 'passed', 'green']);
const WARN = new Set(['warn', 'warning', 'yellow']);
const UNHEALTHY = new Set(['fail', 'failed', 'failing', 'down', 'degraded', 'unhealthy', 'error', 'critical', 'red', 'out_of_service', 'unavailable', 'ko']);

function wordVerdict(word: string): HealthVerdict {
  const w = word.trim().toLowerCase();
  if (HEALTHY.has(w)) return 'healthy';
  if (WARN.has(w)) return 'warn';
  if (UNHEALTHY.has(w)) return 'unhealthy';
  return 'unrecognised';
}

function componentProblems(checks: unknown): string[] {
  if (!checks || typeof checks !== 'object' || Array.isArray(checks)) return [];
  const out: string[] = [];
  for (const [name, entries] of Object.entries(checks)) {
    const list = Array.isArray(entries) ? entries : [entries];
    for (const e of list) {
      const s = e && typeof e === 'object' ? (e as Record<string, unknown>).status : undefined;
      if (typeof s === 'string' && wordVerdict(s) !== 'healthy') out.push(`${name} ${s.toLowerCase()}`);
    }
  }
  return out;
}

/**
 * Decides what a parsed health body means. Every recognised field counts and the worst wins, so
 * `{"status":"degraded","ok":true}` is unhealthy; an unknown status word is not taken as healthy.
 */
export function classifyHealthBody(body: unknown): HealthMeaning {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { verdict: 'unrecognised', reason: `body is a JSON ${body === null ? 'null' : Array.isArray(body) ? 'array' : typeof body}, not an object`, components: [] };
  }
  const obj = body as Record<string, unknown>;
  const signals: Array<{ verdict: HealthVerdict; reason: string }> = [];
  if ('status' in obj) {
    const s = obj.status;
    if (typeof s === 'string') signals.push({ verdict: wordVerdict(s), reason: `status ${JSON.stringify(s.slice(0, 40))}` });
    else if (typeof s === 'boolean') signals.push({ verdict: s ? 'healthy' : 'unhealthy', reason: `status ${s}` });
    else signals.push({ verdict: 'unrecognised', reason: `status is a ${s === null ? 'null' : typeof s}` });
  }
  for (const key of ['healthy', 'ok'] as const) {
    if (!(key in obj)) continue;
    const v = obj[key];
    if (typeof v === 'boolean') signals.push({ verdict: v ? 'healthy' : 'unhealthy', reason: `${key} ${v}` });
    else signals.push({ verdict: 'unrecognised', reason: `${key} is not a boolean` });
  }
  const components = componentProblems(obj.checks);
  if (signals.length === 0) return { verdict: 'unrecognised', reason: 'no "status", "healthy" or "ok" field', components };
  for (const v of ['unhealthy', 'unrecognised', 'warn', 'healthy'] as const) {
    const hit = signals.find((s) => s.verdict === v);
    if (hit) return { verdict: v, reason: hit.reason, components };
  }
  return { verdict: 'unrecognised', reason: 'no recognised field', components };
}

/** Cap on the parsed payload kept in `data` (a detailed health document can be large). */
const MAX_PAYLOAD_CHARS = 16 * 1024;

const options = z
  .object({
    path: pathOption('/health'),
    url: urlOption(),
    expectStatus: statusSpecSchema.default('2xx').describe('Expected status: a code, a class such as 2xx, a range or a list.'),
    maxLatencyMs: z.number().positive().optional().describe('Fail when the response takes longer than this (ms).'),
    timeoutMs: requestTimeoutOption(5000),
    maxBodyBytes: maxBodyBytesOption(64 * 1024),
    headers: headersOption(),
    followRedirects: z.boolean().default(false).describe('Follow redirects (at most 5) instead of judging the 3xx itself.'),
    allowNonJson: z.boolean().default(false).describe('Accept a body that is not JSON (status code only); a JSON body is still judged.'),
  })
  .strict();

/** Options of the `health` check. */
export type HealthOptions = z.output<typeof options>;

/** The `health` check kind. */
export const healthCheck = defineCheck<typeof options, HealthData>({
  kind: 'health',
  title: 'Health contract',
  description: 'GETs the health endpoint: expected status, a JSON body meaning healthy, latency.',
  options,
  defaultTimeoutMs: 15_000,
  timeoutFor: (o) => sequentialTimeoutMs(15_000, 1, o.timeoutMs),
  requestTimeoutOption: 'timeoutMs',
  env: [HEALTH_URL_VARIABLE],
  // One request: a baseline flags +50 % only past 20 ms (a single loopback answer moves by more than 50 %).
  metrics: { latencyMs: { direction: 'lower', tolerance: 0.5, minDelta: 20, unit: 'ms' } },
  async run(ctx, opts): Promise<CheckOutcome<HealthData>> {
    const matcher = statusMatcher(opts.expectStatus);
    const ex = await ctx.http.request({
      method: 'GET',
      url: opts.url ?? opts.path,
      headers: { accept: 'application/health+json, application/json;q=0.9, */*;q=0.1', ...opts.headers },
      timeoutMs: opts.timeoutMs,
      maxBodyBytes: opts.maxBodyBytes,
      followRedirects: opts.followRedirects,
      signal: ctx.signal,
    });
    ctx.signal.throwIfAborted();
    const latencyMs = usToMs(ex.timings.totalUs);
    // A new connection's set-up (TCP, TLS) is reported beside the latency, which includes it.
    const base = { url: ex.request.url, method: ex.request.method, latencyMs, ...(ex.timings.connectUs === undefined ? {} : { connectMs: usToMs(ex.timings.connectUs) }) };
    if (!ex.ok) {
      return withRedirectEvidence(ex, {
        observations: [networkObservation('HEALTH', ex, `${matcher.text} response`)],
        metrics: { latencyMs, statusCode: null },
        data: { ...base, ok: false, statusCode: null, payload: null, error: ex.kind },
      });
    }
    return withRedirectEvidence(ex, judge(ctx.redactor, ex, matcher, opts, base, latencyMs));
  },
});

function judge(
  redactor: Redactor,
  ex: HttpResponse,
  matcher: ReturnType<typeof statusMatcher>,
  opts: HealthOptions,
  base: Pick<HealthData, 'url' | 'method' | 'latencyMs' | 'connectMs'>,
  latencyMs: number,
): CheckOutcome<HealthData> {
  const obs: Observation[] = [];
  const evidence = describeExchange(ex);
  const excerptText = bodyExcerpt(ex, redactor);
  const contentType = headerValue(ex.headers, 'content-type') ?? '';
  const data: HealthData = { ...base, statusCode: ex.status, contentType, payload: null };
  const statusOk = matcher.matches(ex.status);
  obs.push(
    observe('status-code', statusOk, matcher.text, String(ex.status), {
      code: 'HEALTH_STATUS',
      message: statusOk ? `status ${ex.status}` : `expected status ${matcher.text}: ${evidence}; body: ${excerptText || '(empty)'}`,
    }),
  );
  let healthy = statusOk;
  if (statusOk) {
    if (ex.truncated) {
      healthy = false;
      obs.push(
        observe('body-size', false, `at most ${opts.maxBodyBytes} bytes`, `more than ${opts.maxBodyBytes} bytes`, {
          code: 'HEALTH_BODY_TOO_LARGE',
          message: `body longer than the ${opts.maxBodyBytes}-byte cap, reading stopped: ${evidence}; starts with: ${excerptText}`,
        }),
      );
    } else {
      let parsed: unknown;
      let isJson = true;
      try {
        parsed = JSON.parse(stripBom(bodyText(ex)));
      } catch {
        isJson = false;
      }
      if (!isJson) {
        healthy = opts.allowNonJson;
        data.body = excerptText;
        obs.push(
          observe('body-json', opts.allowNonJson, opts.allowNonJson ? 'any body' : 'a JSON body', `${contentType || 'no content-type'}, not JSON`, {
            code: 'HEALTH_NOT_JSON',
            message: `body is not JSON (${contentType || 'no content-type'}): ${evidence}; body: ${excerptText || '(empty)'}`,
          }),
        );
      } else {
        const safe = redactor.redactDeep(parsed) as Json;
        data.payload = JSON.stringify(safe).length <= MAX_PAYLOAD_CHARS ? safe : excerptText;
        if (contentType.toLowerCase().includes('health+json')) data.format = 'application/health+json';
        const duplicate = findDuplicateKey(stripBom(bodyText(ex)));
        const meaning: HealthMeaning = duplicate
          ? { verdict: 'unrecognised', reason: `duplicate key "${duplicate.key.slice(0, 40)}" in ${duplicate.path}: the body has no single meaning`, components: [] }
          : classifyHealthBody(parsed);
        data.healthStatus = meaning.verdict;
        const comp = meaning.components.length ? `; components: ${meaning.components.slice(0, 10).join(', ')}` : '';
        if (meaning.verdict === 'healthy') {
          obs.push(observe('health-status', true, 'healthy', meaning.reason, { message: `healthy (${meaning.reason})` }));
          if (meaning.components.length) {
            obs.push(
              observe('health-components', false, 'every component passing', meaning.components.join(', '), {
                severity: 'warn',
                code: 'HEALTH_COMPONENT_WARN',
                message: `overall healthy but components report problems${comp}`,
              }),
            );
          }
        } else if (meaning.verdict === 'warn') {
          obs.push(
            observe('health-status', false, 'healthy', meaning.reason, {
              severity: 'warn',
              code: 'HEALTH_WARN',
              message: `health reports a warning (${meaning.reason})${comp}: ${evidence}`,
            }),
          );
        } else {
          healthy = false;
          const unhealthy = meaning.verdict === 'unhealthy';
          obs.push(
            observe('health-status', false, 'healthy', meaning.reason, {
              code: unhealthy ? 'HEALTH_UNHEALTHY' : 'HEALTH_UNRECOGNISED',
              message: `${unhealthy ? 'health reports unhealthy' : 'health body not recognised'} (${meaning.reason})${comp}: ${evidence}; body: ${excerptText}`,
            }),
          );
        }
      }
    }
  }
  if (opts.maxLatencyMs !== undefined) {
    const fast = latencyMs <= opts.maxLatencyMs;
    if (!fast) healthy = false;
    obs.push(
      observe('latency', fast, `<= ${opts.maxLatencyMs} ms`, `${latencyMs} ms`, {
        code: 'HEALTH_SLOW',
        message: `${fast ? `answered in ${latencyMs} ms` : `answered in ${latencyMs} ms, over the ${opts.maxLatencyMs} ms limit`}${base.connectMs === undefined ? '' : ` (of which ${base.connectMs} ms opening the connection)`}${fast ? '' : `: ${evidence}`}`,
      }),
    );
  }
  data.ok = healthy;
  return {
    observations: obs,
    metrics: { latencyMs, statusCode: ex.status },
    data,
    summary: healthy ? `${ex.status} in ${latencyMs} ms` : undefined,
  };
}
