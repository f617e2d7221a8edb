/**
 * `idempotency`: proves from outside that a POST with an `Idempotency-Key` has one effect however often and
 * however concurrently it is sent (the IETF Idempotency-Key draft's contract):
 * - **replay**: the same key twice in a row gives the same answer (status and resource id);
 * - **race**: N requests with one key sent at once give no 5xx, 2xx answers naming one resource, and 409 only
 *   for an in-flight duplicate; the probe must show that at least two of them were in flight at the service
 *   together, or the race was not exercised and the check is an error, never a pass;
 * - **mismatch**: the same key with another body is refused (422 by default);
 * - **missing key**: refused, when the service requires keys.
 * "One effect" is read from outside: distinct resource ids in the answers, or a count read back from a GET
 * before and after (`effect.type: count`). Keys carry a marker (`golive-probe-<run>-…`) so the records can be
 * found and removed; they are random per run, so a rerun against the same service is valid.
 *
 * It creates records on purpose: a mutating kind, under the runner's safety rule.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { CheckError } from '../core/errors.ts';
import { getJsonPath, parseJsonPath } from '../core/json-path.ts';
import { stripBom } from '../core/json-text.ts';
import type { Observation } from '../core/result.ts';
import { type HttpExchange, bodyText, describeExchange } from '../http/client.ts';
import { createSigner, type Signer } from '../load/signing.ts';
import type { IdempotencyData, IdempotencyProbeData } from './idempotency.data.ts';
import { type CheckOutcome, defineCheck, observe } from './types.ts';
import { headersOption, pathOption, requestTimeoutOption } from './util/options.ts';
import { parseRetryAfter } from './util/rate-limit-headers.ts';
import { signOptionSchema } from './util/sign-option.ts';
import { statusMatcher, statusSpecSchema } from './util/status.ts';

const jsonPath = z.string().refine((p) => {
  try {
    parseJsonPath(p);
    return true;
  } catch {
    return false;
  }
}, 'expected a JSON path such as id, data.id or items[0].id');

const options = z
  .object({
    path: pathOption('/v1/events'),
    method: z.string().regex(/^[A-Za-z]+$/).default('POST').describe('Method of the keyed request.'),
    keyHeader: z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/).default('Idempotency-Key').describe('Header carrying the key.'),
    headers: headersOption(),
    body: z
      .string()
      .max(256 * 1024)
      .default('{"type":"golive.probe","key":"{{key}}"}')
      .describe('Request body; {{key}} is the probe key, {{variant}} 0 (1 for the mismatch probe).'),
    mismatchBody: z.string().max(256 * 1024).optional().describe('Body of the mismatch probe (default: `body` with {{variant}} = 1, or a `variant` field added to a JSON object).'),
    sign: signOptionSchema.optional(),
    concurrency: z.number().int().min(2).max(50).default(10).describe('Requests with one key sent at once in the race probe.'),
    idPath: jsonPath.default('id').describe('JSON path of the resource id in a 2xx answer.'),
    createdStatus: statusSpecSchema.default('2xx').describe('Status of an accepted request (first or replayed).'),
    replayStatus: statusSpecSchema.optional().describe("Status of a replayed answer (default: the first answer's status, as the IETF draft asks)."),
    inFlightStatus: statusSpecSchema.default(409).describe('Status allowed for a duplicate that arrives while the first is in flight.'),
    mismatchStatus: statusSpecSchema.default(422).describe('Status of the same key with another body.'),
    requireKey: z.boolean().default(false).describe('The service requires a key: a request without one must be refused.'),
    missingKeyStatus: statusSpecSchema.default([400, 422, 428]).describe('Status of a request without a key, with requireKey.'),
    effect: z
      .union([
        z.object({ type: z.literal('ids') }).strict(),
        z
          .object({
            type: z.literal('count'),
            path: z.string().min(1).describe('GET path whose JSON answer holds the count (e.g. /v1/events).'),
            jsonPath: jsonPath.default('count'),
          })
          .strict(),
      ])
      .default({ type: 'ids' })
      .describe('How "one effect" is read back: distinct ids in the answers, or a count before and after.'),
    retryAfterMaxMs: z.number().int().min(0).max(60_000).default(5000).describe('Longest wait honoured when a 429 the probe did not cause on purpose comes back.'),
    timeoutMs: requestTimeoutOption(5000),
  })
  .strict();

/** Options of the `idempotency` check. */
export type IdempotencyOptions = z.output<typeof options>;

interface Sent {
  ex: HttpExchange;
  startMs: number;
  endMs: number;
}

const label = (ex: HttpExchange) => (ex.ok ? String(ex.status) : ex.kind);

function fill(template: string, key: string, variant: number): string {
  return template.replaceAll('{{key}}', key).replaceAll('{{variant}}', String(variant));
}

/** The mismatch body: the configured one, else the body with variant 1, else a JSON object with a field added. */
export function mismatchBody(o: Pick<IdempotencyOptions, 'body' | 'mismatchBody'>, key: string): string {
  if (o.mismatchBody !== undefined) return fill(o.mismatchBody, key, 1);
  if (o.body.includes('{{variant}}')) return fill(o.body, key, 1);
  const base = fill(o.body, key, 0);
  try {
    const parsed = JSON.parse(base) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return JSON.stringify({ ...parsed, golive_variant: 1 });
  } catch {
    // not JSON: append a marker
  }
  return `${base} `;
}

/** The id of a 2xx answer, as text, or undefined. */
function idOf(ex: HttpExchange, path: ReturnType<typeof parseJsonPath>): string | undefined {
  if (!ex.ok || ex.status < 200 || ex.status > 299 || ex.truncated) return undefined;
  try {
    const found = getJsonPath(JSON.parse(stripBom(bodyText(ex))), path);
    return found.found && (typeof found.value === 'string' || typeof found.value === 'number') ? String(found.value) : undefined;
  } catch {
    return undefined;
  }
}

function probeData(probe: string, sent: readonly Sent[], ids: string[], verdict: IdempotencyProbeData['verdict'], note: string): IdempotencyProbeData {
  const statuses: Record<string, number> = {};
  for (const s of sent) statuses[label(s.ex)] = (statuses[label(s.ex)] ?? 0) + 1;
  return { probe, requests: sent.length, statuses, ids, verdict, note };
}

/** At least two requests that reached a decision (an answer other than a refusal before it) were in flight together. */
export function overlapped(sent: readonly Sent[], decided: (ex: HttpExchange) => boolean): boolean {
  const reached = sent.filter((s) => decided(s.ex));
  if (reached.length < 2) return false;
  // Two intervals overlap when the later start comes before the earlier end.
  const sorted = [...reached].sort((a, b) => a.startMs - b.startMs);
  for (let i = 1; i < sorted.length; i++) if ((sorted[i] as Sent).startMs < (sorted[i - 1] as Sent).endMs) return true;
  return false;
}

/** The `idempotency` check kind. */
export const idempotencyCheck = defineCheck<typeof options, IdempotencyData>({
  kind: 'idempotency',
  title: 'Idempotency',
  description: 'Sends keyed POSTs twice, concurrently and with another body: one effect, no 5xx, 409 only in flight, a changed body refused.',
  options,
  defaultTimeoutMs: 60_000,
  // replay (2) + race (one round) + mismatch + missing key + count reads, each possibly after one 429 wait.
  timeoutFor: (o) => Math.max(60_000, 8 * (o.timeoutMs + o.retryAfterMaxMs) + 5000),
  requestTimeoutOption: 'timeoutMs',
  metrics: { duplicateEffects: { direction: 'lower', tolerance: 0 } },
  mutates: true,
  present: ({ data }) =>
    data
      ? {
          tables: [
            {
              id: 'probes',
              title: 'Idempotency probes',
              columns: ['probe', 'requests', 'answers', 'ids', 'verdict', 'note'],
              rows: data.probes.map((p) => [
                p.probe,
                p.requests,
                Object.entries(p.statuses)
                  .map(([s, n]) => `${s}×${n}`)
                  .join(' '),
                p.ids.join(', '),
                p.verdict,
                p.note,
              ]),
            },
          ],
        }
      : {},
  async run(ctx, o): Promise<CheckOutcome<IdempotencyData>> {
    const created = statusMatcher(o.createdStatus);
    const inFlight = statusMatcher(o.inFlightStatus);
    const mismatch = statusMatcher(o.mismatchStatus);
    const missing = statusMatcher(o.missingKeyStatus);
    const idPath = parseJsonPath(o.idPath);
    const marker = `golive-probe-${randomUUID().slice(0, 8)}`;
    const url = ctx.http.resolve(o.path);
    let signer: Signer | undefined;
    if (o.sign) {
      const secret = ctx.env[o.sign.secretEnv];
      if (!secret) throw new CheckError('GOLIVE_ERR_MISSING_SECRET', `environment variable ${o.sign.secretEnv} (the signing secret) is not set`);
      ctx.redactor.add(secret);
      const { secretEnv: _s, ...template } = o.sign;
      // Every request its own timestamp (one second earlier each), whatever the template says: the probe sends
      // the same key and body on purpose, and a receiver that refuses a replayed signature must not see one.
      const unique = template.payload.includes('{{timestamp}}');
      signer = createSigner({ ...template, uniqueSignatures: unique }, secret);
    }

    let signed = 0;
    /** Sends one keyed request; a 429 the probe did not cause is waited out (capped) and retried, twice at most. */
    const send = async (key: string | undefined, body: string): Promise<Sent> => {
      for (let attempt = 0; ; attempt++) {
        const headers: Record<string, string> = { 'content-type': 'application/json', ...o.headers };
        if (key !== undefined) headers[o.keyHeader.toLowerCase()] = key;
        if (signer) {
          const lower: Record<string, string> = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
          // Without a key (the missing-key probe) a template that binds the key signs it as empty.
          lower[o.keyHeader.toLowerCase()] ??= '';
          // Each request its own timestamp: a receiver that refuses a replayed signature must see distinct ones.
          headers[signer.header] = signer.sign({ method: o.method, path: url.pathname, body: Buffer.from(body), headers: lower, occurrence: signed++, nowSec: Math.floor(ctx.clock.now() / 1000) });
        }
        const startMs = performance.now();
        const ex = await ctx.http.request({ method: o.method, url: o.path, headers, body, timeoutMs: o.timeoutMs, maxBodyBytes: 64 * 1024, signal: ctx.signal });
        const endMs = performance.now();
        ctx.signal.throwIfAborted();
        if (ex.ok && ex.status === 429 && attempt < 2) {
          const wait = parseRetryAfter(Array.isArray(ex.headers['retry-after']) ? ex.headers['retry-after'][0] : ex.headers['retry-after'], ctx.clock.now()) ?? 1;
          if (wait * 1000 <= o.retryAfterMaxMs) {
            ctx.log('429 during the idempotency probe: waiting as advised, then retrying', { waitSec: wait });
            await ctx.clock.sleep(wait * 1000, ctx.signal);
            continue;
          }
        }
        return { ex, startMs, endMs };
      }
    };

    const readCount = async (): Promise<number | undefined> => {
      if (o.effect.type !== 'count') return undefined;
      const ex = await ctx.http.request({ url: o.effect.path, headers: { accept: 'application/json', ...o.headers }, timeoutMs: o.timeoutMs, signal: ctx.signal });
      if (!ex.ok || ex.status !== 200) throw new CheckError('GOLIVE_ERR_CHECK_OPTIONS', `effect.path ${o.effect.path} did not answer 200 with a count: ${describeExchange(ex)}`);
      try {
        const v = getJsonPath(JSON.parse(stripBom(bodyText(ex))), parseJsonPath(o.effect.jsonPath)).value;
        if (typeof v === 'number' && Number.isFinite(v)) return v;
      } catch {
        // reported below
      }
      throw new CheckError('GOLIVE_ERR_CHECK_OPTIONS', `effect.jsonPath ${o.effect.jsonPath} is not a number in the answer of ${o.effect.path}`);
    };

    const obs: Observation[] = [];
    const probes: IdempotencyProbeData[] = [];
    const countBefore = await readCount();
    let expectedEffects = 0;
    let duplicateEffects = 0;
    const fiveXx = (sent: readonly Sent[]) => sent.filter((s) => s.ex.ok && s.ex.status >= 500);

    // 1. Replay: the same key twice in a row.
    const k1 = `${marker}-replay`;
    const first = await send(k1, fill(o.body, k1, 0));
    const second = await send(k1, fill(o.body, k1, 0));
    const replay = [first, second];
    const replayIds = [...new Set(replay.map((s) => idOf(s.ex, idPath)).filter((x): x is string => x !== undefined))];
    const firstOk = first.ex.ok && created.matches(first.ex.status);
    if (firstOk) expectedEffects++;
    const replayMatcher = o.replayStatus === undefined ? undefined : statusMatcher(o.replayStatus);
    const sameStatus = first.ex.ok && second.ex.ok && (replayMatcher ? replayMatcher.matches(second.ex.status) : first.ex.status === second.ex.status);
    const sameAnswer = sameStatus && replayIds.length <= 1;
    const replayPass = firstOk && sameAnswer && fiveXx(replay).length === 0;
    if (replayIds.length > 1) duplicateEffects += replayIds.length - 1;
    obs.push(
      observe('replay', replayPass, `${created.text}, then the same answer for the same key`, `${label(first.ex)} then ${label(second.ex)}${replayIds.length > 1 ? `, ids ${replayIds.join(' ≠ ')}` : ''}`, {
        code: !firstOk ? 'IDEMPOTENCY_NOT_ACCEPTED' : replayIds.length > 1 ? 'IDEMPOTENCY_DUPLICATE_EFFECT' : 'IDEMPOTENCY_REPLAY_DIFFERS',
        message: replayPass
          ? `the same key twice: ${label(first.ex)}, ${label(second.ex)}${replayIds[0] ? `, one resource ${replayIds[0]}` : ''}`
          : !firstOk
            ? `the first keyed request was not accepted (${created.text} expected): ${describeExchange(first.ex)}`
            : replayIds.length > 1
              ? `the same key created ${replayIds.length} resources (${replayIds.join(', ')}): ${describeExchange(second.ex)}`
              : `the replay answered differently: ${describeExchange(first.ex)}; then ${describeExchange(second.ex)}`,
      }),
    );
    probes.push(probeData('replay', replay, replayIds, replayPass ? 'pass' : 'fail', `key ${k1}`));

    // 2. Race: N requests with one key at the same moment.
    const k2 = `${marker}-race`;
    const body2 = fill(o.body, k2, 0);
    const race = await Promise.all(Array.from({ length: o.concurrency }, () => send(k2, body2)));
    const raceIds = [...new Set(race.map((s) => idOf(s.ex, idPath)).filter((x): x is string => x !== undefined))];
    const race5xx = fiveXx(race);
    const unexpected = race.filter((s) => !(s.ex.ok && (created.matches(s.ex.status) || inFlight.matches(s.ex.status))));
    const anyCreated = race.some((s) => s.ex.ok && created.matches(s.ex.status));
    if (anyCreated) expectedEffects++;
    if (raceIds.length > 1) duplicateEffects += raceIds.length - 1;
    const exercised = overlapped(race, (ex) => ex.ok && (created.matches(ex.status) || inFlight.matches(ex.status)));
    const racePass = race5xx.length === 0 && unexpected.length === 0 && raceIds.length <= 1 && anyCreated;
    obs.push(
      observe(
        'race',
        racePass,
        `one resource from ${o.concurrency} concurrent requests, ${created.text} or ${inFlight.text}, no 5xx`,
        `${raceIds.length} resource(s); ${[...new Set(race.map((s) => label(s.ex)))].join(', ')}`,
        {
          code: raceIds.length > 1 ? 'IDEMPOTENCY_DUPLICATE_EFFECT' : race5xx.length > 0 ? 'IDEMPOTENCY_5XX' : 'IDEMPOTENCY_RACE_STATUS',
          message: racePass
            ? `${o.concurrency} concurrent requests with one key: one resource${raceIds[0] ? ` (${raceIds[0]})` : ''}`
            : raceIds.length > 1
              ? `${o.concurrency} concurrent requests with one key created ${raceIds.length} resources (${raceIds.slice(0, 5).join(', ')}): a check-then-insert race`
              : race5xx.length > 0
                ? `${race5xx.length} of ${o.concurrency} concurrent requests with one key answered 5xx: ${describeExchange((race5xx[0] as Sent).ex)}`
                : `unexpected answers to concurrent requests with one key: ${unexpected
                    .slice(0, 3)
                    .map((s) => describeExchange(s.ex))
                    .join('; ')}`,
        },
      ),
    );
    probes.push(probeData('race', race, raceIds, racePass ? (exercised ? 'pass' : 'warn') : 'fail', exercised ? `key ${k2}; requests overlapped at the service` : `key ${k2}; no two requests overlapped`));

    // 3. Mismatch: the replay key with another body.
    const mm = await send(k1, mismatchBody(o, k1));
    const mmPass = mm.ex.ok && mismatch.matches(mm.ex.status);
    const mmId = idOf(mm.ex, idPath);
    if (mmId !== undefined && !replayIds.includes(mmId)) duplicateEffects++;
    obs.push(
      observe('mismatch', mmPass, `${mismatch.text} for the same key with another body`, label(mm.ex), {
        code: mm.ex.ok && mm.ex.status >= 500 ? 'IDEMPOTENCY_5XX' : 'IDEMPOTENCY_BODY_MISMATCH_ACCEPTED',
        message: mmPass ? `the same key with another body was refused: ${label(mm.ex)}` : `the same key with another body was not refused as ${mismatch.text}: ${describeExchange(mm.ex)}`,
      }),
    );
    probes.push(probeData('mismatch', [mm], mmId ? [mmId] : [], mmPass ? 'pass' : 'fail', `key ${k1}, body changed`));

    // 4. Missing key, when keys are required.
    if (o.requireKey) {
      const none = await send(undefined, fill(o.body, `${marker}-nokey`, 0));
      const nonePass = none.ex.ok && missing.matches(none.ex.status);
      const noneId = idOf(none.ex, idPath);
      if (noneId !== undefined) duplicateEffects++;
      obs.push(
        observe('missing-key', nonePass, `${missing.text} without ${o.keyHeader}`, label(none.ex), {
          code: 'IDEMPOTENCY_KEY_NOT_REQUIRED',
          message: nonePass ? `a request without ${o.keyHeader} was refused: ${label(none.ex)}` : `a request without ${o.keyHeader} was not refused: ${describeExchange(none.ex)}`,
        }),
      );
      probes.push(probeData('missing-key', [none], noneId ? [noneId] : [], nonePass ? 'pass' : 'fail', 'no key'));
    }

    // One effect, read back.
    const countAfter = await readCount();
    if (countBefore !== undefined && countAfter !== undefined) {
      const rose = countAfter - countBefore;
      const ok = rose === expectedEffects;
      if (rose > expectedEffects) duplicateEffects = Math.max(duplicateEffects, rose - expectedEffects);
      obs.push(
        observe('effects', ok, `the count rises by ${expectedEffects}`, `it rose by ${rose}`, {
          code: 'IDEMPOTENCY_DUPLICATE_EFFECT',
          message: ok
            ? `${o.effect.type === 'count' ? o.effect.path : ''} count rose by ${rose}, one per accepted key`
            : `${o.effect.type === 'count' ? o.effect.path : ''} count rose by ${rose} for ${expectedEffects} accepted key(s) (other traffic on a shared service also counts; keys start with ${marker})`,
        }),
      );
    }

    const data: IdempotencyData = {
      method: o.method.toUpperCase(),
      path: ctx.redactor.redact(url.pathname),
      keyHeader: o.keyHeader,
      effect: o.effect.type,
      countBefore: countBefore ?? null,
      countAfter: countAfter ?? null,
      expectedEffects,
      raceExercised: exercised,
      keyMarker: marker,
      probes,
    };
    const failedAny = obs.some((x) => !x.passed && (x.severity ?? 'error') === 'error');
    // A race that was never run concurrently proves nothing: unless something already failed, the check is an error.
    if (!failedAny && !exercised) {
      throw new CheckError(
        'GOLIVE_ERR_INSUFFICIENT_SAMPLES',
        `race not exercised: of ${o.concurrency} concurrent requests with one key, no two reached the service's decision at the same time (answers ${[...new Set(race.map((s) => label(s.ex)))].join(', ')}); the idempotency under concurrency is unproven`,
      );
    }
    return {
      observations: obs,
      metrics: { duplicateEffects, expectedEffects },
      data,
      summary: failedAny ? undefined : `one effect per key (replay, ${o.concurrency} concurrent, body change refused${o.requireKey ? ', key required' : ''})`,
    };
  },
});
