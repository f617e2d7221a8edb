/**
 * `rate-limit`: proves from outside that a path is rate limited, the way a flood would meet it. A bounded
 * flood (requests, concurrency and time all capped) must meet a 429 before the stated budget plus a slack, with
 * no 5xx; the 429s should say when to come back (Retry-After or the IETF RateLimit fields; their absence is a
 * warning, figures that contradict themselves a finding). Then, while limited, requests with a rotated
 * `X-Forwarded-For`, `X-Real-IP` or `Forwarded` must stay limited (a bypass is a finding unless the service sits
 * behind a trusted proxy), and after the advertised wait (capped) a request must succeed again.
 *
 * It consumes the target's rate budget on purpose, so it is a mutating kind: the runner's safety rule applies.
 */
import { randomInt } from 'node:crypto';
import { z } from 'zod';
import type { Observation } from '../core/result.ts';
import { type HttpExchange, describeExchange } from '../http/client.ts';
import type { RateLimitData, RateLimitPhaseData } from './rate-limit.data.ts';
import { type CheckContext, type CheckOutcome, defineCheck, observe } from './types.ts';
import { headersOption, pathOption, requestTimeoutOption } from './util/options.ts';
import { advertises, parseRateLimitHeaders, type RateLimitInfo } from './util/rate-limit-headers.ts';

/** Headers a naive limiter keys on; rotating them must not reset the budget. */
export const BYPASS_HEADERS = ['x-forwarded-for', 'x-real-ip', 'forwarded'] as const;

const options = z
  .object({
    path: pathOption('/'),
    method: z.string().regex(/^[A-Za-z]+$/).default('GET').describe('HTTP method of every request.'),
    headers: headersOption(),
    body: z.string().max(1024 * 1024).optional().describe('Request body (for a POST route).'),
    maxRequests: z.number().int().min(1).max(5000).default(300).describe('Requests the flood sends at most.'),
    concurrency: z.number().int().min(1).max(50).default(5).describe('Requests in flight at once.'),
    maxDurationMs: z.number().int().min(100).max(120_000).default(15_000).describe('Longest the flood may run.'),
    expect: z
      .object({
        budget: z.number().int().min(1).optional().describe('Requests the limit allows per window (default: the advertised limit).'),
        slack: z.number().min(0).max(10).default(0.2).describe('Fraction over the budget tolerated before the first 429.'),
        headers: z.enum(['error', 'warn']).default('warn').describe('Severity when 429s advertise no Retry-After or RateLimit fields.'),
      })
      .strict()
      .prefault({}),
    recovery: z
      .object({
        enabled: z.boolean().default(true),
        maxWaitMs: z.number().int().min(0).max(120_000).default(10_000).describe('Longest wait for the advertised reset; a longer window is a warning.'),
      })
      .strict()
      .prefault({}),
    bypass: z
      .object({
        enabled: z.boolean().default(true),
        headers: z.array(z.enum(BYPASS_HEADERS)).min(1).default([...BYPASS_HEADERS]),
        trustedProxy: z.boolean().default(false).describe('The service sits behind a proxy it trusts to set these headers: a bypass is not a finding.'),
      })
      .strict()
      .prefault({}),
    timeoutMs: requestTimeoutOption(5000),
  })
  .strict();

/** Options of the `rate-limit` check. */
export type RateLimitOptions = z.output<typeof options>;

const classOf = (ex: HttpExchange) => (ex.ok ? String(ex.status) : ex.kind);

function phase(name: string, exchanges: readonly HttpExchange[], note: string): RateLimitPhaseData {
  const statuses: Record<string, number> = {};
  for (const ex of exchanges) statuses[classOf(ex)] = (statuses[classOf(ex)] ?? 0) + 1;
  return { phase: name, requests: exchanges.length, statuses, note };
}

/** A random documentation-range address (RFC 5737), so no real client is named. */
function fakeAddress(): string {
  return `203.0.113.${randomInt(1, 255)}`;
}

function bypassValue(header: (typeof BYPASS_HEADERS)[number]): string {
  const a = fakeAddress();
  return header === 'forwarded' ? `for=${a};proto=https` : a;
}

/**
 * Remaining going up within one window, without the window having been reset (a reset in between explains a
 * rise). Answers in arrival order.
 */
export function inconsistentRemaining(infos: ReadonlyArray<{ info: RateLimitInfo; atMs: number }>): string | undefined {
  let last: { remaining: number; atMs: number; resetSec: number | undefined } | undefined;
  for (const { info, atMs } of infos) {
    if (info.remaining === undefined) continue;
    if (info.limit !== undefined && info.remaining > info.limit) return `remaining ${info.remaining} is above the limit ${info.limit}`;
    if (last && info.remaining > last.remaining) {
      const resetAt = last.resetSec === undefined ? undefined : last.atMs + last.resetSec * 1000;
      if (resetAt === undefined || atMs < resetAt - 1000) return `remaining rose from ${last.remaining} to ${info.remaining} inside one window`;
    }
    last = { remaining: info.remaining, atMs, resetSec: info.resetSec };
  }
  return undefined;
}

async function send(ctx: CheckContext, o: RateLimitOptions, extra: Record<string, string> = {}): Promise<HttpExchange> {
  return ctx.http.request({
    method: o.method,
    url: o.path,
    headers: { ...o.headers, ...extra },
    ...(o.body !== undefined ? { body: o.body } : {}),
    timeoutMs: o.timeoutMs,
    maxBodyBytes: 16 * 1024,
    signal: ctx.signal,
  });
}

/** The `rate-limit` check kind. */
export const rateLimitCheck = defineCheck<typeof options, RateLimitData>({
  kind: 'rate-limit',
  title: 'Rate limit',
  description: 'Floods a path (bounded): a 429 must come before the budget, never a 5xx, with Retry-After or RateLimit fields; rotating X-Forwarded-For must not reset it; it must recover.',
  options,
  defaultTimeoutMs: 60_000,
  // The flood, a bypass probe per header and a confirmation, the recovery wait and its request.
  timeoutFor: (o) => Math.max(60_000, o.maxDurationMs + (o.bypass.headers.length + 2) * o.timeoutMs + o.recovery.maxWaitMs + o.timeoutMs + 5000),
  requestTimeoutOption: 'timeoutMs',
  metrics: { observedBudget: { direction: 'equal', tolerance: 0.2 }, fiveXx: { direction: 'lower', tolerance: 0 } },
  // It spends the target's rate budget on purpose.
  mutates: true,
  present: ({ data }) =>
    data
      ? {
          keyFigure: data.observedBudget === null ? `no 429 in ${data.sent} requests` : `429 after ${data.observedBudget} requests`,
          tables: [
            {
              id: 'phases',
              title: 'Rate-limit probe',
              columns: ['phase', 'requests', 'answers', 'note'],
              rows: data.phases.map((p) => [
                p.phase,
                p.requests,
                Object.entries(p.statuses)
                  .map(([s, n]) => `${s}×${n}`)
                  .join(' '),
                p.note,
              ]),
            },
          ],
        }
      : {},
  async run(ctx, o): Promise<CheckOutcome<RateLimitData>> {
    const obs: Observation[] = [];
    const started = ctx.clock.now();
    const flood: HttpExchange[] = [];
    const infos: Array<{ info: RateLimitInfo; atMs: number }> = [];
    let first429: { index: number; ex: HttpExchange } | undefined;
    let okBefore429 = 0;
    let sent = 0;
    // Workers share one counter: at most maxRequests sent, none after the first 429 or the duration cap.
    const worker = async () => {
      while (sent < o.maxRequests && !first429 && ctx.clock.now() - started < o.maxDurationMs && !ctx.signal.aborted) {
        sent++;
        const ex = await send(ctx, o);
        flood.push(ex);
        if (ex.ok) infos.push({ info: parseRateLimitHeaders(ex.headers, ctx.clock.now()), atMs: ctx.clock.now() });
        if (ex.ok && ex.status === 429) {
          if (!first429) first429 = { index: flood.length, ex };
        } else if (!first429) okBefore429++;
      }
    };
    await Promise.all(Array.from({ length: o.concurrency }, worker));
    ctx.signal.throwIfAborted();
    const fiveXx = flood.filter((ex) => ex.ok && ex.status >= 500);
    const failures = flood.filter((ex) => !ex.ok);
    const advertised = first429?.ex.ok ? parseRateLimitHeaders(first429.ex.headers, ctx.clock.now()) : {};
    const limitSeen = infos.find((i) => i.info.limit !== undefined)?.info.limit;
    const expectedBudget = o.expect.budget ?? limitSeen ?? null;
    const budgetSource = o.expect.budget !== undefined ? 'config' : limitSeen !== undefined ? 'advertised' : 'none';
    const observedBudget = first429 ? okBefore429 : null;
    const phases: RateLimitPhaseData[] = [phase('flood', flood, first429 ? `first 429 after ${okBefore429} other answers` : 'no 429')];

    obs.push(
      observe('no-5xx', fiveXx.length === 0, 'no 5xx under the flood', `${fiveXx.length} × 5xx`, {
        code: 'RATE_LIMIT_5XX',
        message: fiveXx.length === 0 ? `${flood.length} requests, no 5xx` : `${fiveXx.length} of ${flood.length} flood requests answered 5xx: a limit must refuse with 429, not fail; first: ${describeExchange(fiveXx[0] as HttpExchange)}`,
      }),
    );
    if (failures.length > 0) {
      obs.push(
        observe('reachable', false, 'an answer to every request', `${failures.length} without an answer`, {
          code: 'RATE_LIMIT_UNREACHABLE',
          message: `${failures.length} of ${flood.length} flood requests got no answer; first: ${describeExchange(failures[0] as HttpExchange)}`,
        }),
      );
    }
    const slackAllowance = expectedBudget === null ? undefined : Math.ceil(expectedBudget * (1 + o.expect.slack)) + o.concurrency;
    if (!first429) {
      obs.push(
        observe('limited', false, expectedBudget === null ? `a 429 within ${o.maxRequests} requests` : `a 429 within ${slackAllowance} requests`, `no 429 in ${flood.length}`, {
          code: 'RATE_LIMIT_ABSENT',
          message: `${flood.length} ${o.method} ${ctx.http.resolve(o.path).pathname} requests in ${Math.round(ctx.clock.now() - started)} ms and no 429: the path is not rate limited (or its budget is above ${o.maxRequests})`,
        }),
      );
    } else {
      const within = slackAllowance === undefined || first429.index <= slackAllowance;
      obs.push(
        observe('limited', within, slackAllowance === undefined ? `a 429 within ${o.maxRequests} requests` : `a 429 within ${slackAllowance} requests (budget ${expectedBudget} + ${Math.round(o.expect.slack * 100)} % + concurrency)`, `first 429 at request ${first429.index}`, {
          code: 'RATE_LIMIT_OVER_BUDGET',
          message: within
            ? `429 after ${okBefore429} requests${expectedBudget === null ? '' : ` (budget ${expectedBudget}, ${budgetSource})`}: ${describeExchange(first429.ex)}`
            : `the first 429 came at request ${first429.index}, past the budget ${expectedBudget} (${budgetSource}) plus slack: ${describeExchange(first429.ex)}`,
        }),
      );
      const says = advertises(advertised);
      obs.push(
        observe('advertised', says, 'Retry-After or RateLimit fields on the 429', says ? (advertised.source ?? 'retry-after') : 'none', {
          code: 'RATE_LIMIT_NO_HEADERS',
          severity: o.expect.headers,
          message: says
            ? `the 429 says when to come back (${advertised.retryAfterSec !== undefined ? `Retry-After ${advertised.retryAfterSec} s` : ''}${advertised.source ? ` ${advertised.source}` : ''})`
            : 'the 429 carries neither Retry-After nor RateLimit / X-RateLimit fields: clients cannot tell when to retry',
        }),
      );
    }
    const contradiction = inconsistentRemaining(infos);
    if (contradiction) {
      obs.push(observe('headers-consistent', false, 'remaining never rises inside a window', contradiction, { code: 'RATE_LIMIT_HEADERS_INCONSISTENT', message: `the RateLimit fields contradict themselves: ${contradiction}` }));
    }

    // While limited: a rotated client address must not reset the budget.
    const bypassedBy: string[] = [];
    if (first429 && o.bypass.enabled) {
      const tries: HttpExchange[] = [];
      for (const header of o.bypass.headers) {
        const ex = await send(ctx, o, { [header]: bypassValue(header) });
        tries.push(ex);
        if (ex.ok && ex.status !== 429 && ex.status < 500) bypassedBy.push(header);
      }
      // The window may have reset meanwhile: a plain request must still be limited for a pass to count.
      const control = await send(ctx, o);
      tries.push(control);
      const stillLimited = control.ok && control.status === 429;
      phases.push(phase('bypass', tries, stillLimited ? 'plain request still limited' : 'plain request no longer limited: window reset'));
      if (bypassedBy.length > 0 && !stillLimited) {
        obs.push(
          observe('bypass', false, 'limited whatever the client address headers', 'window reset during the probe', {
            severity: 'warn',
            code: 'RATE_LIMIT_BYPASS_UNCERTAIN',
            message: `requests with ${bypassedBy.join(', ')} got through, but so did a plain request: the window reset during the probe, so a bypass is not proven`,
          }),
        );
        bypassedBy.length = 0;
      } else if (bypassedBy.length > 0) {
        obs.push(
          observe('bypass', o.bypass.trustedProxy, 'limited whatever the client address headers', `reset by ${bypassedBy.join(', ')}`, {
            severity: o.bypass.trustedProxy ? 'warn' : 'error',
            code: 'RATE_LIMIT_BYPASS',
            message: `while limited, a request with a made-up ${bypassedBy.join(' / ')} got through: anyone can reset the budget by rotating ${bypassedBy.length === 1 ? 'that header' : 'those headers'}${o.bypass.trustedProxy ? ' (allowed: the service trusts its proxy to set them)' : ''}`,
          }),
        );
      } else {
        obs.push(observe('bypass', true, 'limited whatever the client address headers', 'still limited', { message: `rotating ${o.bypass.headers.join(', ')} did not reset the budget` }));
      }
    }

    // Recovery after the advertised wait.
    let recoveryWaitSec: number | null = null;
    let recovered: boolean | null = null;
    if (first429 && o.recovery.enabled) {
      const waitSec = advertised.retryAfterSec ?? advertised.resetSec ?? advertised.windowSec;
      if (waitSec === undefined || waitSec * 1000 > o.recovery.maxWaitMs) {
        obs.push(
          observe('recovery', false, `an answer other than 429 within ${o.recovery.maxWaitMs} ms`, waitSec === undefined ? 'no wait advertised' : `advertised wait ${waitSec} s`, {
            severity: 'warn',
            code: 'RATE_LIMIT_RECOVERY_NOT_OBSERVED',
            message:
              waitSec === undefined
                ? 'recovery not observed: the 429 advertises no wait to honour'
                : `recovery not observed: the advertised wait (${waitSec} s) is longer than recovery.maxWaitMs (${o.recovery.maxWaitMs} ms)`,
          }),
        );
      } else {
        recoveryWaitSec = waitSec;
        await ctx.clock.sleep(waitSec * 1000 + 250, ctx.signal);
        const ex = await send(ctx, o);
        recovered = ex.ok && ex.status !== 429 && ex.status < 500;
        phases.push(phase('recovery', [ex], `after ${waitSec} s`));
        obs.push(
          observe('recovery', recovered, 'an answer other than 429 after the advertised wait', classOf(ex), {
            code: 'RATE_LIMIT_NO_RECOVERY',
            message: recovered ? `after ${waitSec} s: ${describeExchange(ex)}` : `still refused after the advertised ${waitSec} s: ${describeExchange(ex)}`,
          }),
        );
      }
    }

    const data: RateLimitData = {
      method: o.method.toUpperCase(),
      path: ctx.redactor.redact(ctx.http.resolve(o.path).pathname),
      observedBudget,
      expectedBudget,
      budgetSource,
      sent: flood.length,
      first429At: first429?.index ?? null,
      fiveXx: fiveXx.length,
      networkFailures: failures.length,
      advertised: {
        limit: limitSeen ?? null,
        remaining: advertised.remaining ?? null,
        resetSec: advertised.resetSec ?? null,
        windowSec: advertised.windowSec ?? null,
        retryAfterSec: advertised.retryAfterSec ?? null,
        source: advertised.source ?? (advertised.retryAfterSec !== undefined ? 'retry-after' : null),
      },
      recoveryWaitSec,
      recovered,
      bypassedBy,
      phases,
    };
    return {
      observations: obs,
      metrics: { observedBudget, sent: flood.length, fiveXx: fiveXx.length },
      data,
      summary: first429
        ? `429 after ${okBefore429} requests${expectedBudget === null ? '' : ` (budget ${expectedBudget})`}${bypassedBy.length ? `; bypassed by ${bypassedBy.join(', ')}` : ''}${recovered === false ? '; no recovery' : ''}`
        : undefined,
    };
  },
});
