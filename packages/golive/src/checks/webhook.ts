/**
 * `webhook`: negative and positive probes of a signed webhook endpoint. Each probe is one request and one
 * observation: no signature header, a malformed one, a well-formed signature made with a wrong secret, a valid
 * signature dated before the tolerance, one dated as far ahead, a valid event (the positive control), the valid
 * event again byte for byte and signed again with the same id (a provider retry), and last the valid request as
 * captured with its body altered after signing. Rejections must be 4xx in `rejectStatus`; a 5xx anywhere fails.
 *
 * Schemes are the generic timestamped HMAC templates of `load/signing.ts`: `stripe` and `github` are fixed
 * templates, `hmac` takes one from the config. The secret is read from a named environment variable, taught to
 * the redactor and never printed; without it only the probes that need none run and the result names the rest.
 */
import { parseRetryAfter } from './util/rate-limit-headers.ts';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { CheckError } from '../core/errors.ts';
import { getJsonPath, parseJsonPath } from '../core/json-path.ts';
import { usToMs } from '../core/percentiles.ts';
import type { Observation } from '../core/result.ts';
import { type HttpExchange, bodyExcerpt, bodyJson, describeExchange } from '../http/client.ts';
import { type ReadBackSpec, type ReadResult, describeReadBack, readCount } from '../load/dedup.ts';
import { type SignTemplate, type Signer, createSigner } from '../load/signing.ts';
import { type CheckContext, type CheckOutcome, defineCheck, observe } from './types.ts';
import type { WebhookData, WebhookProbeData, WebhookProbeName } from './webhook.data.ts';
import { networkObservation } from './util/network.ts';
import { jsonPathSchema, readBackOptionSchema } from './util/read-back-option.ts';
import { signOptionSchema } from './util/sign-option.ts';
import { headersOption, maxBodyBytesOption, pathOption, requestTimeoutOption, sequentialTimeoutMs, urlOption } from './util/options.ts';
import { type StatusMatcher, statusMatcher, statusSpecSchema } from './util/status.ts';

/** Signature schemes. */
export const WEBHOOK_SCHEMES = ['stripe', 'github', 'hmac'] as const;
type Scheme = (typeof WEBHOOK_SCHEMES)[number];

/** The fixed templates of the named schemes (docs/load.md#signing lists the same). */
const SCHEME_TEMPLATES: Readonly<Record<Exclude<Scheme, 'hmac'>, SignTemplate>> = {
  stripe: { header: 'Stripe-Signature', payload: '{{timestamp}}.{{body}}', value: 't={{timestamp}},v1={{signature}}' },
  github: { header: 'X-Hub-Signature-256', payload: '{{body}}', value: 'sha256={{signature}}' },
};

/** Where each scheme reads its secret when `secretEnv` names none. */
const DEFAULT_SECRET_ENV: Readonly<Record<Exclude<Scheme, 'hmac'>, readonly string[]>> = {
  stripe: ['STRIPE_WEBHOOK_SECRET', 'STRIPE_SIGNING_SECRET'],
  github: ['GITHUB_WEBHOOK_SECRET'],
};

/** A Stripe-shaped event; `{{id}}` and `{{created}}` are filled per probe. */
const STRIPE_EVENT =
  '{"id":"{{id}}","object":"event","api_version":"2024-06-20","created":{{created}},"livemode":false,"pending_webhooks":1,' +
  '"request":{"id":null,"idempotency_key":null},"type":"golive.probe","data":{"object":{"id":"{{id}}","object":"golive_probe"}}}';
const GITHUB_EVENT = '{"zen":"golive probe","hook_id":0,"golive_probe":"{{id}}"}';
const HMAC_EVENT = '{"id":"{{id}}","type":"golive.probe","created":{{created}}}';

const PROBES: readonly WebhookProbeName[] = [
  'no-signature',
  'malformed-signature',
  'wrong-secret',
  'stale-timestamp',
  'future-timestamp',
  'valid-event',
  'replay-identical',
  'replay-resigned',
  'altered-body',
];
/** Probes that need the real secret. */
const NEEDS_SECRET: ReadonlySet<WebhookProbeName> = new Set(['altered-body', 'stale-timestamp', 'future-timestamp', 'valid-event', 'replay-identical', 'replay-resigned']);

/** Finding code of a negative probe that was accepted. */
const ACCEPTED_CODE: Partial<Record<WebhookProbeName, string>> = {
  'no-signature': 'WEBHOOK_ACCEPTS_UNSIGNED',
  'malformed-signature': 'WEBHOOK_ACCEPTS_MALFORMED',
  'wrong-secret': 'WEBHOOK_ACCEPTS_FORGED',
  'altered-body': 'WEBHOOK_ACCEPTS_ALTERED',
  'stale-timestamp': 'WEBHOOK_ACCEPTS_STALE',
  'future-timestamp': 'WEBHOOK_ACCEPTS_FUTURE',
};

const ID_VAR = /\{\{\s*id\s*\}\}/g;
const CREATED_VAR = /\{\{\s*created\s*\}\}/g;
const TIMESTAMP_VAR = /\{\{\s*timestamp\s*\}\}/;
const SIGNED_HEADER_VAR = /\{\{\s*header:([^{}]*)\}\}/g;
const VALUE_VARS = /\{\{\s*(signature|timestamp|keyId)\s*\}\}/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const envName = z.string().regex(ENV_NAME, 'expected an environment variable name');

const options = z
  .object({
    path: pathOption('/api/stripe/webhook'),
    url: urlOption(),
    scheme: z.enum(WEBHOOK_SCHEMES).default('stripe').describe('Signature scheme: stripe, github, or hmac (with `sign`).'),
    sign: signOptionSchema.optional().describe('The template of the hmac scheme and its secret variable (docs/load.md#signing), as the load and idempotency kinds take it.'),
    timestampHeader: z.string().regex(HEADER_NAME, 'expected a header name').optional().describe('hmac scheme: a header carrying the timestamp (unix seconds), e.g. X-Slack-Request-Timestamp.'),
    secretEnv: z
      .union([envName, z.array(envName).min(1)])
      .optional()
      .describe('stripe and github schemes: environment variable(s) holding the secret, first set wins (stripe: STRIPE_WEBHOOK_SECRET, STRIPE_SIGNING_SECRET; github: GITHUB_WEBHOOK_SECRET).'),
    requireSecret: z.boolean().default(false).describe('Without the secret, the check is an error instead of a warning naming the probes not sent.'),
    toleranceSec: z.number().int().positive().max(86_400).default(300).describe("The receiver's timestamp tolerance (s)."),
    marginSec: z.number().int().min(0).max(3600).default(60).describe('Added to the tolerance for the stale and future probes (clock skew).'),
    futureTimestamp: z.enum(['reject', 'warn']).default('reject').describe('A future-dated event accepted fails the check (reject) or is a warning (warn).'),
    rejectStatus: statusSpecSchema.default([400, 401, 403]).describe('Statuses that count as a rejection (4xx only).'),
    acceptStatus: statusSpecSchema.default('2xx').describe('Statuses that count as accepting the valid event (2xx only).'),
    replay: z
      .enum(['2xx-or-4xx', '2xx', '4xx'])
      .default('2xx-or-4xx')
      .describe('Answer required to a replay: an acknowledgement (2xx), a rejection (rejectStatus), or either.'),
    replayMarker: jsonPathSchema.optional().describe("JSON path that must be true in a replay's 2xx answer (e.g. duplicate)."),
    effectCount: readBackOptionSchema.optional().describe('A count of processed events, read before the valid event and after the replays: it must rise by exactly 1.'),
    event: z
      .union([z.string().min(1), z.json()])
      .optional()
      .describe('Event body template with {{id}} (and {{created}}); default a Stripe-shaped event (GitHub: a ping).'),
    headers: headersOption().describe('Extra request headers ({{id}} is filled); github defaults X-GitHub-Event: ping and X-GitHub-Delivery: {{id}}.'),
    timeoutMs: requestTimeoutOption(5000),
    maxBodyBytes: maxBodyBytesOption(64 * 1024),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.scheme === 'hmac') {
      if (!o.sign) ctx.addIssue({ code: 'custom', path: ['sign'], message: 'the hmac scheme needs a sign template (secretEnv, header, payload, value)' });
      if (o.secretEnv) ctx.addIssue({ code: 'custom', path: ['secretEnv'], message: 'the hmac scheme reads its secret from sign.secretEnv' });
      if (o.sign?.uniqueSignatures) {
        ctx.addIssue({ code: 'custom', path: ['sign', 'uniqueSignatures'], message: 'not used by webhook probes: each probe is signed with its own timestamp' });
      }
      // A signed header the probes do not send would only fail once requests are on their way: refuse it here.
      const sent = new Set(['content-type', ...Object.keys(o.headers).map((k) => k.toLowerCase()), ...(o.timestampHeader ? [o.timestampHeader.toLowerCase()] : [])]);
      for (const m of (o.sign?.payload ?? '').matchAll(SIGNED_HEADER_VAR)) {
        const name = (m[1] ?? '').trim();
        if (name && !sent.has(name.toLowerCase())) {
          ctx.addIssue({ code: 'custom', path: ['sign', 'payload'], message: `{{header:${name}}} is signed but not sent: add it to headers (or make it the timestampHeader)` });
        }
      }
    } else {
      if (o.sign) ctx.addIssue({ code: 'custom', path: ['sign'], message: `sign is the template of the hmac scheme; the ${o.scheme} scheme has its own` });
      if (o.timestampHeader) ctx.addIssue({ code: 'custom', path: ['timestampHeader'], message: `the ${o.scheme} scheme carries its timestamp its own way` });
    }
    if (o.event !== undefined) {
      const text = typeof o.event === 'string' ? o.event : JSON.stringify(o.event);
      if (!/\{\{\s*id\s*\}\}/.test(text)) ctx.addIssue({ code: 'custom', path: ['event'], message: 'the event needs an {{id}} placeholder (each probe sends its own event id)' });
    }
    const reject = statusMatcher(o.rejectStatus);
    for (let s = 100; s <= 599; s++) {
      if (reject.matches(s) && (s < 400 || s >= 500)) {
        ctx.addIssue({ code: 'custom', path: ['rejectStatus'], message: `a rejection must be a 4xx status (got ${s} among ${reject.text})` });
        break;
      }
    }
    const accept = statusMatcher(o.acceptStatus);
    for (let s = 100; s <= 599; s++) {
      if (accept.matches(s) && (s < 200 || s >= 300)) {
        ctx.addIssue({ code: 'custom', path: ['acceptStatus'], message: `accepting the valid event is a 2xx status (got ${s} among ${accept.text})` });
        break;
      }
    }
  });

/** Options of the `webhook` check. */
export type WebhookOptions = z.output<typeof options>;

/** One request of a probe. */
interface ProbeRequest {
  probe: WebhookProbeName;
  headers: Record<string, string>;
  body: string;
  /** The request in words (the signature header described, never its value). */
  describe: string;
}

/** How a probe is judged. */
type Expectation = 'reject' | 'accept' | 'replay';

function secretNames(o: WebhookOptions): string[] {
  if (o.scheme === 'hmac') return o.sign ? [o.sign.secretEnv] : [];
  if (o.secretEnv !== undefined) return Array.isArray(o.secretEnv) ? o.secretEnv : [o.secretEnv];
  return [...DEFAULT_SECRET_ENV[o.scheme]];
}

function templateOf(o: WebhookOptions): SignTemplate & { timestampHeader?: string } {
  if (o.scheme !== 'hmac') return SCHEME_TEMPLATES[o.scheme];
  // The schema requires sign with hmac; a library caller may skip the schema.
  if (!o.sign) throw new CheckError('GOLIVE_ERR_CHECK_OPTIONS', 'sign: the hmac scheme needs a sign template');
  const { secretEnv: _s, uniqueSignatures: _u, ...t } = o.sign;
  return { ...t, ...(o.timestampHeader ? { timestampHeader: o.timestampHeader } : {}) };
}

function eventTemplate(o: WebhookOptions): string {
  if (o.event !== undefined) return typeof o.event === 'string' ? o.event : JSON.stringify(o.event);
  return o.scheme === 'stripe' ? STRIPE_EVENT : o.scheme === 'github' ? GITHUB_EVENT : HMAC_EVENT;
}

function defaultHeaders(o: WebhookOptions): Record<string, string> {
  return o.scheme === 'github' ? { 'x-github-event': 'ping', 'x-github-delivery': '{{id}}' } : {};
}

/** Whether the scheme signs a timestamp (stale and future probes apply). */
function hasTimestamp(t: SignTemplate & { timestampHeader?: string }): boolean {
  return t.timestampHeader !== undefined || TIMESTAMP_VAR.test(t.payload) || TIMESTAMP_VAR.test(t.value ?? '');
}

function replayMatcher(o: WebhookOptions, reject: StatusMatcher, accept: StatusMatcher): { text: string; matches(s: number): boolean } {
  if (o.replay === '2xx') return { text: accept.text, matches: (s) => accept.matches(s) };
  if (o.replay === '4xx') return { text: reject.text, matches: (s) => reject.matches(s) };
  return { text: `${accept.text} or ${reject.text}`, matches: (s) => accept.matches(s) || reject.matches(s) };
}

async function safeRead(ctx: CheckContext, spec: ReadBackSpec): Promise<ReadResult> {
  try {
    return await readCount(ctx.http, spec, ctx.redactor);
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** Longest wait honoured when a probe meets a 429 it did not cause on purpose. */
const RETRY_AFTER_CAP_MS = 5000;

/** The `webhook` check kind. */
export const webhookCheck = defineCheck<typeof options, WebhookData>({
  kind: 'webhook',
  title: 'Signed webhook probes',
  description: 'Probes a signed webhook endpoint: unsigned, malformed, forged, stale, future-dated and altered events must be refused (4xx), a valid one accepted, a replay of it cause no second effect.',
  options,
  defaultTimeoutMs: 30_000,
  // Nine probes and the two optional count reads, each at its own request timeout.
  timeoutFor: (o) => sequentialTimeoutMs(30_000, PROBES.length + (o.effectCount ? 2 : 0), o.timeoutMs),
  requestTimeoutOption: 'timeoutMs',
  env: [
    { names: ['STRIPE_WEBHOOK_SECRET'], description: 'the signing secret of the `stripe` scheme (first choice unless `secretEnv` names others; never printed)' },
    { names: ['STRIPE_SIGNING_SECRET'], description: 'the signing secret of the `stripe` scheme when `STRIPE_WEBHOOK_SECRET` is not set' },
    { names: ['GITHUB_WEBHOOK_SECRET'], description: 'the secret of the `github` scheme unless `secretEnv` names another' },
  ],
  metrics: {
    probesFailed: { direction: 'lower', tolerance: 0 },
    probesRun: { direction: 'equal', tolerance: 0 },
  },
  // Valid events are processed by the target (its records, its side effects): a contract probe on purpose.
  mutates: true,
  present: ({ data }) => {
    if (!data) return {};
    const sent = data.probes.filter((p) => p.verdict === 'pass' || p.verdict === 'fail' || p.verdict === 'warn');
    const held = sent.filter((p) => p.verdict === 'pass').length;
    return {
      keyFigure: `${held}/${sent.length} probes held${data.notProbed.length ? `, ${data.notProbed.length} not probed (no secret)` : ''}`,
      tables: [
        {
          id: 'probes',
          title: `Webhook probes (${data.scheme})`,
          columns: ['probe', 'request', 'status', 'expected', 'verdict'],
          rows: data.probes.map((p) => [p.probe, p.request, p.status ?? p.error ?? null, p.expected, p.verdict]),
        },
      ],
    };
  },
  async run(ctx, o): Promise<CheckOutcome<WebhookData>> {
    const template = templateOf(o);
    const timestamped = hasTimestamp(template);
    const reject = statusMatcher(o.rejectStatus);
    const accept = statusMatcher(o.acceptStatus);
    const replay = replayMatcher(o, reject, accept);
    const marker = `golive-probe-${randomBytes(4).toString('hex')}`;
    const target = o.url ?? o.path;
    const resolved = ctx.http.resolve(target);
    const url = ctx.redactor.redact(resolved.href);
    const signHeader = template.header;

    // The secret: the first named variable set; learnt by the redactor before anything is sent.
    const names = secretNames(o);
    const found = names.map((n) => ({ name: n, value: ctx.env[n]?.trim() })).filter((e): e is { name: string; value: string } => !!e.value);
    const secret = found[0];
    if (secret) ctx.redactor.add(secret.value);
    const observations: Observation[] = [];
    if (found.length > 1 && found.some((f) => f.value !== secret?.value)) {
      observations.push(
        observe('secret-variables', false, 'one secret', `${found.map((f) => f.name).join(' and ')} differ`, {
          severity: 'warn',
          code: 'WEBHOOK_SECRET_AMBIGUOUS',
          message: `${found.map((f) => f.name).join(' and ')} are both set and differ; the probes use ${secret?.name}`,
        }),
      );
    }

    const signer: Signer | undefined = secret ? createSigner(template, secret.value) : undefined;
    const wrongSigner = createSigner(template, `whsec_golive_wrong_${randomBytes(24).toString('base64url')}`);
    const bodyTemplate = eventTemplate(o);
    const headerTemplates = { ...defaultHeaders(o), ...o.headers };
    const nowSec = () => Math.floor(ctx.clock.now() / 1000);
    const eventId = (probe: string) => (o.scheme === 'stripe' ? `evt_${marker}-${probe}` : `${marker}-${probe}`);
    const render = (id: string, created: number) => bodyTemplate.replace(ID_VAR, id).replace(CREATED_VAR, String(created));
    const baseHeaders = (id: string): Record<string, string> => {
      const h: Record<string, string> = { 'content-type': 'application/json' };
      for (const [k, v] of Object.entries(headerTemplates)) h[k.toLowerCase()] = v.replace(ID_VAR, id);
      return h;
    };
    const sign = (s: Signer, headers: Record<string, string>, body: string, ts: number): Record<string, string> => {
      const h = { ...headers };
      if (template.timestampHeader) h[template.timestampHeader.toLowerCase()] = String(ts);
      h[s.header] = s.sign({ method: 'POST', path: resolved.pathname, body: Buffer.from(body), headers: h, occurrence: 0, nowSec: ts });
      return h;
    };
    const window = o.toleranceSec + o.marginSec;

    const probeData: WebhookProbeData[] = [];
    let probesFailed = 0;
    const send = async (req: ProbeRequest): Promise<HttpExchange> => {
      for (let attempt = 0; ; attempt++) {
        const ex = await ctx.http.request({ method: 'POST', url: target, headers: req.headers, body: req.body, timeoutMs: o.timeoutMs, maxBodyBytes: o.maxBodyBytes, signal: ctx.signal });
        ctx.signal.throwIfAborted();
        // A 429 is not the contract's answer: wait as advised (at most RETRY_AFTER_CAP_MS) and send again, twice at most.
        if (!ex.ok || ex.status !== 429 || attempt >= 2) return ex;
        const header = ex.headers['retry-after'];
        const waitSec = parseRetryAfter(Array.isArray(header) ? header[0] : header, ctx.clock.now()) ?? 1;
        if (waitSec * 1000 > RETRY_AFTER_CAP_MS) return ex;
        ctx.log('429 during a webhook probe: waiting as advised, then sending again', { probe: req.probe, waitSec });
        await ctx.clock.sleep(waitSec * 1000, ctx.signal);
      }
    };

    /** Sends one probe and judges its answer: one observation, one row. */
    const probe = async (req: ProbeRequest, expectation: Expectation): Promise<HttpExchange> => {
      const ex = await send(req);
      const expectedText = expectation === 'reject' ? reject.text : expectation === 'accept' ? accept.text : replay.text;
      const row: WebhookProbeData = { probe: req.probe, request: req.describe, expected: expectedText, status: null, verdict: 'fail', answer: null, latencyMs: usToMs(ex.timings.totalUs) };
      probeData.push(row);
      if (!ex.ok) {
        row.error = ex.kind;
        observations.push({ ...networkObservation('WEBHOOK', ex, `${expectedText} response`, req.probe), message: `${req.probe}: no answer to ${req.describe}: ${describeExchange(ex)}` });
        probesFailed++;
        return ex;
      }
      row.status = ex.status;
      row.answer = bodyExcerpt(ex, ctx.redactor);
      const evidence = `${req.describe} → ${ex.status}; answer: ${row.answer || '(empty)'}`;
      let ok: boolean;
      let code: string;
      let message: string;
      let severity: 'warn' | undefined;
      if (ex.status >= 500) {
        ok = false;
        code = 'WEBHOOK_SERVER_ERROR';
        message = `${req.probe}: server error ${ex.status} where ${expectedText} was expected (a bad or repeated event is the sender's problem, never a 5xx): ${evidence}`;
      } else if (expectation === 'reject') {
        ok = reject.matches(ex.status);
        const accepted = ex.status >= 200 && ex.status < 300;
        code = accepted ? (ACCEPTED_CODE[req.probe] ?? 'WEBHOOK_REJECT_STATUS') : 'WEBHOOK_REJECT_STATUS';
        message = ok
          ? `${req.probe}: rejected with ${ex.status}`
          : accepted
            ? `${req.probe}: accepted with ${ex.status} where a rejection (${reject.text}) was expected: the endpoint processes an event it must refuse; ${evidence}`
            : `${req.probe}: answered ${ex.status}, not a rejection status (${reject.text}): ${evidence}`;
        if (!ok && accepted && req.probe === 'future-timestamp') {
          message += '; the verifier checks only the age of the timestamp (stripe.webhooks.constructEvent does), so an event dated ahead stays valid';
          if (o.futureTimestamp === 'warn') severity = 'warn';
        }
      } else if (expectation === 'accept') {
        ok = accept.matches(ex.status);
        code = 'WEBHOOK_VALID_REJECTED';
        message = ok
          ? `${req.probe}: accepted with ${ex.status}`
          : `${req.probe}: the positive control was not accepted (${ex.status}, expected ${accept.text}): check the secret (${secret?.name}) and the event; the rejections above prove nothing while a valid event is refused too; ${evidence}`;
      } else {
        ok = replay.matches(ex.status);
        code = 'WEBHOOK_REPLAY_STATUS';
        message = ok ? `${req.probe}: answered ${ex.status}` : `${req.probe}: answered ${ex.status} to a replay, expected ${replay.text}: ${evidence}`;
        if (ok && o.replayMarker !== undefined && accept.matches(ex.status)) {
          const got = getJsonPath(bodyJson(ex), parseJsonPath(o.replayMarker));
          if (!(got.found && got.value === true)) {
            ok = false;
            code = 'WEBHOOK_REPLAY_ACCEPTED';
            message = `${req.probe}: the replay was answered as a new event (${o.replayMarker} is not true in the answer): a second delivery must not cause a second effect; ${evidence}`;
          }
        }
      }
      row.verdict = ok ? 'pass' : severity === 'warn' ? 'warn' : 'fail';
      if (!ok && severity !== 'warn') probesFailed++;
      observations.push(observe(req.probe, ok, expectedText, String(ex.status), { code, message, ...(severity ? { severity } : {}) }));
      return ex;
    };
    const sentCount = () => probeData.filter((p) => p.verdict !== 'not applicable' && p.verdict !== 'not probed').length;
    const skip = (name: WebhookProbeName, verdict: 'not applicable' | 'not probed', why: string) => {
      probeData.push({ probe: name, request: '(not sent)', expected: '-', status: null, verdict, answer: null, latencyMs: null, error: why });
    };

    // 1. No signature header at all.
    {
      const id = eventId('unsigned');
      const headers = baseHeaders(id);
      delete headers[signHeader.toLowerCase()];
      if (template.timestampHeader) headers[template.timestampHeader.toLowerCase()] = String(nowSec());
      await probe({ probe: 'no-signature', headers, body: render(id, nowSec()), describe: `POST ${url} without ${signHeader}, event ${id}` }, 'reject');
    }
    // 2. A header that does not parse.
    {
      const id = eventId('malformed');
      const headers = baseHeaders(id);
      if (template.timestampHeader) headers[template.timestampHeader.toLowerCase()] = String(nowSec());
      const value = (template.value ?? '{{signature}}').replace(VALUE_VARS, (_m, v: string) => (v === 'signature' ? 'not-a-signature' : v === 'timestamp' ? 'not-a-timestamp' : 'not-a-key'));
      headers[signHeader.toLowerCase()] = value;
      await probe({ probe: 'malformed-signature', headers, body: render(id, nowSec()), describe: `POST ${url} with ${signHeader}: ${value}, event ${id}` }, 'reject');
    }
    // 3. Well-formed, made with a secret that is not the receiver's.
    {
      const id = eventId('forged');
      const ts = nowSec();
      const body = render(id, ts);
      await probe({ probe: 'wrong-secret', headers: sign(wrongSigner, baseHeaders(id), body, ts), body, describe: `POST ${url} with ${signHeader} well-formed but made with a wrong secret, timestamp now, event ${id}` }, 'reject');
    }

    if (!signer) {
      const missing = PROBES.filter((p) => NEEDS_SECRET.has(p) && (timestamped || (p !== 'stale-timestamp' && p !== 'future-timestamp' && p !== 'replay-resigned')));
      for (const p of PROBES.filter((x) => NEEDS_SECRET.has(x))) {
        if (missing.includes(p)) skip(p, 'not probed', `no secret: ${names.join(', ') || 'secretEnv'} not set`);
        else skip(p, 'not applicable', `the ${o.scheme} scheme signs no timestamp`);
      }
      const what = `${missing.length} probes need the secret and were not sent (${missing.join(', ')}): ${names.length ? names.join(' / ') : 'no secretEnv'} not set`;
      const data: WebhookData = { scheme: o.scheme, url, secretEnv: null, marker, probes: probeData, notProbed: missing };
      if (o.requireSecret && probesFailed === 0) {
        const ran = probeData.filter((p) => p.verdict !== 'not applicable' && p.verdict !== 'not probed').map((p) => `${p.probe} ${p.verdict} (${p.status ?? p.error})`);
        throw new CheckError('GOLIVE_ERR_MISSING_SECRET', `${what}; probes sent: ${ran.join(', ')}`);
      }
      observations.push(
        observe('not-probed', false, 'every probe sent', `${missing.length} not probed`, {
          code: 'WEBHOOK_NOT_PROBED',
          ...(o.requireSecret ? {} : { severity: 'warn' as const }),
          message: what,
        }),
      );
      return { observations, metrics: { probesRun: sentCount(), probesFailed }, data };
    }

    // 4–5. Correctly signed, dated outside the tolerance on either side.
    for (const [name, offset, word] of [
      ['stale-timestamp', -window, 'ago'],
      ['future-timestamp', window, 'ahead'],
    ] as const) {
      if (!timestamped) {
        skip(name, 'not applicable', `the ${o.scheme} scheme signs no timestamp`);
        continue;
      }
      const id = eventId(name === 'stale-timestamp' ? 'stale' : 'future');
      const ts = nowSec() + offset;
      const body = render(id, ts);
      await probe(
        { probe: name, headers: sign(signer, baseHeaders(id), body, ts), body, describe: `POST ${url} with ${signHeader} valid, timestamp ${window} s ${word} (tolerance ${o.toleranceSec} s + ${o.marginSec} s), event ${id}` },
        'reject',
      );
    }

    // 6. The positive control, then 7–8 its replays.
    const id = eventId('valid');
    let effects: WebhookData['effects'];
    const before = o.effectCount ? await safeRead(ctx, o.effectCount as ReadBackSpec) : undefined;
    const ts = nowSec();
    const body = render(id, ts);
    const validHeaders = sign(signer, baseHeaders(id), body, ts);
    const first = await probe({ probe: 'valid-event', headers: validHeaders, body, describe: `POST ${url} with ${signHeader} valid, timestamp now, event ${id}` }, 'accept');
    const acceptedFirst = first.ok && accept.matches(first.status);
    if (!acceptedFirst) {
      for (const p of ['replay-identical', 'replay-resigned'] as const) {
        skip(p, 'not probed', 'the valid event was not accepted, so a replay of it proves nothing');
      }
      observations.push(
        observe('replay', false, 'the valid event accepted first', 'not accepted', {
          severity: 'warn',
          code: 'WEBHOOK_NOT_PROBED',
          message: 'replay-identical and replay-resigned were not sent: the valid event was not accepted, so a replay of it proves nothing',
        }),
      );
    } else {
      await probe({ probe: 'replay-identical', headers: validHeaders, body, describe: `POST ${url}: the valid-event request again, byte for byte (event ${id})` }, 'replay');
      if (timestamped) {
        // A provider retry: same event id, signed again later (a distinct timestamp, so a distinct signature).
        const ts2 = Math.max(nowSec(), ts + 1);
        const body2 = render(id, ts);
        await probe(
          { probe: 'replay-resigned', headers: sign(signer, baseHeaders(id), body2, ts2), body: body2, describe: `POST ${url}: event ${id} again, signed again with a new timestamp (a provider retry)` },
          'replay',
        );
      } else {
        skip('replay-resigned', 'not applicable', `the ${o.scheme} scheme signs no timestamp: signing again gives the same bytes as replay-identical`);
      }
    }
    if (o.effectCount && before) {
      const spec = o.effectCount as ReadBackSpec;
      const after = await safeRead(ctx, spec);
      const source = describeReadBack(spec);
      effects = { source, before: before.ok ? before.value : null, after: after.ok ? after.value : null };
      if (!before.ok || !after.ok) {
        effects.error = before.ok ? (after as { error: string }).error : before.error;
        observations.push(
          observe('replay-effects', false, 'a count read before and after', 'unreadable', {
            code: 'WEBHOOK_COUNT_UNREADABLE',
            message: `the event count could not be read (${source}): ${effects.error}`,
          }),
        );
        probesFailed++;
      } else if (acceptedFirst) {
        const delta = after.value - before.value;
        const ok = delta === 1;
        if (!ok) probesFailed++;
        observations.push(
          observe('replay-effects', ok, '+1 (one effect for one event)', `${delta >= 0 ? '+' : ''}${delta}`, {
            code: delta > 1 ? 'WEBHOOK_REPLAY_ACCEPTED' : 'WEBHOOK_NO_EFFECT',
            message: ok
              ? `one effect for the valid event and its replays (${source}: ${before.value} → ${after.value})`
              : delta > 1
                ? `${delta} effects for one event and its replays (${source}: ${before.value} → ${after.value}): a second delivery was processed again`
                : `the count did not rise by one for the valid event (${source}: ${before.value} → ${after.value}, ${delta >= 0 ? '+' : ''}${delta})`,
          }),
        );
      }
    }
    // 9. The valid request as captured, its body altered after signing (last: an accepted one must not count as a replay's effect).
    await probe(
      { probe: 'altered-body', headers: validHeaders, body: render(`${id}-altered`, ts), describe: `POST ${url}: the valid-event request with its signature, body altered after signing (id ${id} → ${id}-altered)` },
      'reject',
    );
    const data: WebhookData = { scheme: o.scheme, url, secretEnv: secret?.name ?? null, marker, probes: probeData, notProbed: [], ...(effects ? { effects } : {}) };
    return { observations, metrics: { probesRun: sentCount(), probesFailed }, data };
  },
});
