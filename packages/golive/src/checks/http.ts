/**
 * `http`: one smoke request with expectations on status (exact, list, class such as `4xx`, and statuses that
 * must never appear such as `5xx`), headers, JSON paths, body text and latency. It covers the stage 3 smoke:
 * the CSRF endpoints answer 200, an unsigned `POST /api/stripe/webhook` is rejected with 400/401/403 (a 2xx
 * there is reported as an unexpected success: the endpoint processes what it should refuse), the outbox 200.
 */
import { z } from 'zod';
import type { Json, Observation } from '../core/result.ts';
import { stripBom } from '../core/json-text.ts';
import { usToMs } from '../core/percentiles.ts';
import { REDACTED, isSensitiveHeader } from '../core/redact.ts';
import { testPattern } from '../core/regex.ts';
import { capDepth } from '../core/depth.ts';
import { type HttpResponse, bodyExcerpt, bodyText, describeExchange, headerValue } from '../http/client.ts';
import { type CheckContext, type CheckOutcome, defineCheck, observe } from './types.ts';
import { getJsonPath, jsonType, parseJsonPath } from '../core/json-path.ts';
import { networkObservation } from './util/network.ts';
import { redirectHeadersObservation } from './util/redirects.ts';
import { headersOption, maxBodyBytesOption, pathOption, regexSource, requestTimeoutOption, sequentialTimeoutMs, urlOption } from './util/options.ts';
import { statusMatcher, statusSpecSchema } from './util/status.ts';

const headerExpectation = z.union([
  z.boolean().describe('true: the header must be present; false: it must be absent.'),
  z.string().describe('The header value must equal this.'),
  z
    .object({
      present: z.boolean().optional(),
      equals: z.string().optional(),
      contains: z.string().optional(),
      matches: regexSource.optional().describe('Regular expression (case-insensitive) the value must match.'),
    })
    .strict(),
]);

const JSON_TYPES = ['string', 'number', 'boolean', 'null', 'array', 'object'] as const;

const jsonExpectation = z
  .object({
    exists: z.boolean().optional().describe('Whether the path must exist (true) or must not (false).'),
    equals: z.json().optional().describe('The value at the path must deep-equal this.'),
    matches: regexSource.optional().describe('Regular expression the value (as text) must match.'),
    type: z.enum(JSON_TYPES).optional().describe('JSON type of the value.'),
  })
  .strict();

const jsonPathKey = z.string().refine((p) => {
  try {
    parseJsonPath(p);
    return true;
  } catch {
    return false;
  }
}, 'expected a JSON path such as status, data.items[0].id or meta["content-type"]');

const oneOrMany = z.union([z.string(), z.array(z.string())]);

const expectSchema = z
  .object({
    status: statusSpecSchema.default('2xx').describe('Expected status: a code, a class (2xx), a range (200-299) or a list.'),
    notStatus: statusSpecSchema.optional().describe('Statuses that must never come back (e.g. ["5xx"]).'),
    headers: z.record(z.string(), headerExpectation).default({}).describe('Header name → expectation.'),
    json: z.record(jsonPathKey, jsonExpectation).default({}).describe('JSON path → expectation; the body must be JSON.'),
    bodyContains: oneOrMany.optional().describe('Text(s) the body must contain.'),
    bodyNotContains: oneOrMany.optional().describe('Text(s) the body must not contain.'),
    bodyMatches: regexSource.optional().describe('Regular expression the body must match.'),
    maxLatencyMs: z.number().positive().optional().describe('Fail when the exchange takes longer (ms).'),
  })
  .strict()
  .prefault({})
  .describe('Expectations on the response; by default only `status: 2xx`.');

const options = z
  .object({
    method: z
      .string()
      .regex(/^[A-Za-z]+$/)
      .default('GET')
      .describe('HTTP method.'),
    path: pathOption('/'),
    url: urlOption(),
    headers: headersOption(),
    body: z.json().optional().describe('Request body: a string is sent as is; any other JSON value is serialised (content-type application/json).'),
    noDefaultHeaders: z.boolean().default(false).describe("Leave out the target's default headers (e.g. probe without auth)."),
    followRedirects: z.boolean().default(false).describe('Follow redirects (at most 5) instead of judging the 3xx.'),
    timeoutMs: requestTimeoutOption(5000),
    maxBodyBytes: maxBodyBytesOption(1024 * 1024),
    expect: expectSchema,
  })
  .strict();

/** Options of the `http` check. */
export type HttpCheckOptions = z.output<typeof options>;
/** Expectations of the `http` check. */
export type HttpExpectations = HttpCheckOptions['expect'];

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Recursion is bounded by `b`, the expected value from config: it stops wherever the two stop being objects. */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b as object, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function short(value: unknown, redact: (s: string) => string): string {
  // Depth-capped first: a value from the body may nest deeper than JSON.stringify's recursion allows.
  const text = value === undefined ? 'undefined' : JSON.stringify(capDepth(value, { maxDepth: 8 }));
  return redact(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/** Judges header expectations; sensitive header values are compared but never quoted. */
export function judgeHeaders(res: Pick<HttpResponse, 'headers'>, expected: HttpExpectations['headers'], redact: (s: string) => string): Observation[] {
  const out: Observation[] = [];
  for (const [rawName, exp] of Object.entries(expected)) {
    const name = rawName.toLowerCase();
    const value = headerValue(res.headers, name);
    const shown = value === undefined ? 'absent' : isSensitiveHeader(name) ? REDACTED : JSON.stringify(redact(value));
    const spec = typeof exp === 'boolean' ? { present: exp } : typeof exp === 'string' ? { equals: exp } : exp;
    const wantsValue = spec.equals !== undefined || spec.contains !== undefined || spec.matches !== undefined;
    const obsName = `header:${name}`;
    if (spec.present === false) {
      out.push(observe(obsName, value === undefined, 'absent', shown, { code: 'HTTP_HEADER_PRESENT', message: value === undefined ? `${name} absent` : `header ${name} must be absent, got ${shown}` }));
      continue;
    }
    if (value === undefined) {
      out.push(observe(obsName, false, wantsValue ? 'present with a value' : 'present', 'absent', { code: 'HTTP_HEADER_MISSING', message: `header ${name} is missing` }));
      continue;
    }
    const fails: string[] = [];
    if (spec.equals !== undefined && value !== spec.equals) fails.push(`equal to ${JSON.stringify(spec.equals)}`);
    if (spec.contains !== undefined && !value.includes(spec.contains)) fails.push(`containing ${JSON.stringify(spec.contains)}`);
    if (spec.matches !== undefined && !testPattern(spec.matches, value, { ignoreCase: true })) fails.push(`matching /${spec.matches}/i`);
    const expectedText = [spec.equals !== undefined ? `= ${JSON.stringify(spec.equals)}` : '', spec.contains !== undefined ? `contains ${JSON.stringify(spec.contains)}` : '', spec.matches !== undefined ? `~ /${spec.matches}/i` : '']
      .filter(Boolean)
      .join(' and ');
    out.push(
      observe(obsName, fails.length === 0, expectedText || 'present', shown, {
        code: 'HTTP_HEADER_MISMATCH',
        message: fails.length === 0 ? `${name}: ${shown}` : `header ${name} is ${shown}, expected a value ${fails.join(' and ')}`,
      }),
    );
  }
  return out;
}

/** Judges JSON path expectations against a parsed body. */
export function judgeJson(body: unknown, expected: HttpExpectations['json'], redact: (s: string) => string): Observation[] {
  const out: Observation[] = [];
  for (const [path, exp] of Object.entries(expected)) {
    const got = getJsonPath(body, parseJsonPath(path));
    const obsName = `json:${path}`;
    const shown = got.found ? short(got.value, redact) : 'missing';
    const mustExist = exp.exists ?? true;
    if (!mustExist) {
      out.push(observe(obsName, !got.found, 'missing', shown, { code: 'HTTP_JSON_PATH', message: got.found ? `${path} must not exist, got ${shown}` : `${path} absent` }));
      continue;
    }
    if (!got.found) {
      out.push(observe(obsName, false, 'present', 'missing', { code: 'HTTP_JSON_PATH', message: `JSON path ${path} not found in the body` }));
      continue;
    }
    const fails: string[] = [];
    const expParts: string[] = [];
    if (exp.equals !== undefined) {
      expParts.push(`= ${short(exp.equals, redact)}`);
      if (!deepEqual(got.value, exp.equals)) fails.push(`equal to ${short(exp.equals, redact)}`);
    }
    if (exp.type !== undefined) {
      expParts.push(`a ${exp.type}`);
      if (jsonType(got.value) !== exp.type) fails.push(`a ${exp.type} (it is a ${jsonType(got.value)})`);
    }
    if (exp.matches !== undefined) {
      expParts.push(`~ /${exp.matches}/`);
      const text = typeof got.value === 'string' ? got.value : JSON.stringify(got.value);
      if (!testPattern(exp.matches, text)) fails.push(`matching /${exp.matches}/`);
    }
    out.push(
      observe(obsName, fails.length === 0, expParts.join(' and ') || 'present', shown, {
        code: 'HTTP_JSON_PATH',
        message: fails.length === 0 ? `${path} = ${shown}` : `${path} is ${shown}, expected ${fails.join(' and ')}`,
      }),
    );
  }
  return out;
}

/** Judges the status against `status` and `notStatus`, naming an unexpected success or a server error. */
export function judgeStatus(status: number, method: string, path: string, exp: Pick<HttpExpectations, 'status' | 'notStatus'>, evidence: string): Observation[] {
  const m = statusMatcher(exp.status);
  const ok = m.matches(status);
  let code = 'HTTP_STATUS';
  let message = ok ? `status ${status}` : `expected status ${m.text}: ${evidence}`;
  if (!ok && status >= 200 && status < 300 && !m.allowsSuccess) {
    code = 'HTTP_UNEXPECTED_SUCCESS';
    message = `${method} ${path} was accepted with ${status} where a rejection (${m.text}) was expected: the endpoint processes a request it must refuse; ${evidence}`;
  } else if (!ok && status >= 500) {
    code = 'HTTP_SERVER_ERROR';
    message = `server error ${status} where ${m.text} was expected: ${evidence}`;
  }
  const out = [observe('status-code', ok, m.text, String(status), { code, message })];
  if (exp.notStatus !== undefined) {
    const n = statusMatcher(exp.notStatus);
    const bad = n.matches(status);
    out.push(
      observe('status-not', !bad, `not ${n.text}`, String(status), {
        code: status >= 500 ? 'HTTP_SERVER_ERROR' : 'HTTP_FORBIDDEN_STATUS',
        message: bad ? `status ${status} is one that must never come back (${n.text}): ${evidence}` : `status ${status} is not ${n.text}`,
      }),
    );
  }
  return out;
}

function judgeBody(ctx: CheckContext, res: HttpResponse, exp: HttpExpectations, evidence: string): Observation[] {
  const needsBody =
    Object.keys(exp.json).length > 0 || exp.bodyContains !== undefined || exp.bodyNotContains !== undefined || exp.bodyMatches !== undefined;
  if (!needsBody) return [];
  if (res.truncated) {
    return [
      observe('body-size', false, `at most ${res.body.length} bytes`, `more than ${res.body.length} bytes`, {
        code: 'HTTP_BODY_TOO_LARGE',
        message: `body longer than the ${res.body.length}-byte cap, so body expectations cannot be judged: ${evidence}`,
      }),
    ];
  }
  const redact = (s: string) => ctx.redactor.redact(s);
  const text = bodyText(res);
  const out: Observation[] = [];
  if (Object.keys(exp.json).length > 0) {
    let parsed: unknown;
    let isJson = true;
    try {
      parsed = JSON.parse(stripBom(text));
    } catch {
      isJson = false;
    }
    if (!isJson) {
      out.push(
        observe('body-json', false, 'a JSON body', 'not JSON', {
          code: 'HTTP_NOT_JSON',
          message: `body is not JSON (${headerValue(res.headers, 'content-type') ?? 'no content-type'}): ${evidence}; body: ${bodyExcerpt(res, ctx.redactor) || '(empty)'}`,
        }),
      );
    } else out.push(...judgeJson(parsed, exp.json, redact));
  }
  for (const s of list(exp.bodyContains)) {
    const ok = text.includes(s);
    out.push(observe('body-contains', ok, `contains ${JSON.stringify(s)}`, ok ? 'found' : 'not found', { code: 'HTTP_BODY', message: ok ? `body contains ${JSON.stringify(s)}` : `body does not contain ${JSON.stringify(s)}: ${bodyExcerpt(res, ctx.redactor)}` }));
  }
  for (const s of list(exp.bodyNotContains)) {
    const ok = !text.includes(s);
    out.push(observe('body-not-contains', ok, `does not contain ${JSON.stringify(s)}`, ok ? 'not found' : 'found', { code: 'HTTP_BODY', message: ok ? `body free of ${JSON.stringify(s)}` : `body contains ${JSON.stringify(s)}` }));
  }
  if (exp.bodyMatches !== undefined) {
    // Linear-time matching: a hostile body cannot make this run without bound (core/regex.ts).
    const ok = testPattern(exp.bodyMatches, text);
    out.push(observe('body-matches', ok, `~ /${exp.bodyMatches}/`, ok ? 'matched' : 'no match', { code: 'HTTP_BODY', message: ok ? `body matches /${exp.bodyMatches}/` : `body does not match /${exp.bodyMatches}/: ${bodyExcerpt(res, ctx.redactor)}` }));
  }
  return out;
}

/** The `http` check kind. */
export const httpCheck = defineCheck({
  kind: 'http',
  title: 'HTTP smoke request',
  description: 'Sends one request and checks status, headers, JSON paths, body text and latency.',
  options,
  defaultTimeoutMs: 15_000,
  timeoutFor: (o) => sequentialTimeoutMs(15_000, 1, o.timeoutMs),
  requestTimeoutOption: 'timeoutMs',
  // One request: a baseline flags +50 % only past 20 ms (a single loopback answer moves by more than 50 %).
  metrics: { latencyMs: { direction: 'lower', tolerance: 0.5, minDelta: 20, unit: 'ms' } },
  // Not declared mutating: an http check is a request the config spells out (the seed's unsigned webhook POST must
  // be refused by the service, so it creates nothing), and the safety rule is for probes that change state on purpose.
  async run(ctx, opts): Promise<CheckOutcome> {
    const method = opts.method.toUpperCase();
    const headers: Record<string, string> = { ...opts.headers };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      const hasType = Object.keys(headers).some((k) => k.toLowerCase() === 'content-type');
      if (!hasType && typeof opts.body !== 'string') headers['content-type'] = 'application/json';
    }
    const target = opts.url ?? opts.path;
    const ex = await ctx.http.request({
      method,
      url: target,
      headers,
      ...(body === undefined ? {} : { body }),
      timeoutMs: opts.timeoutMs,
      maxBodyBytes: opts.maxBodyBytes,
      followRedirects: opts.followRedirects,
      noDefaultHeaders: opts.noDefaultHeaders,
      signal: ctx.signal,
    });
    ctx.signal.throwIfAborted();
    const latencyMs = usToMs(ex.timings.totalUs);
    const resolved = ctx.http.resolve(target);
    const path = ctx.redactor.redact(`${resolved.pathname}${resolved.search}`);
    const base: Record<string, Json> = { method, path, url: ex.request.url, latencyMs };
    if (!ex.ok) {
      return {
        observations: [networkObservation('HTTP', ex, `${statusMatcher(opts.expect.status).text} response`)],
        metrics: { latencyMs, statusCode: null },
        data: { ...base, statusCode: null, body: null, error: ex.kind },
      };
    }
    const evidence = `${describeExchange(ex)}; body: ${bodyExcerpt(ex, ctx.redactor) || '(empty)'}`;
    const obs: Observation[] = [...judgeStatus(ex.status, method, path, opts.expect, evidence)];
    obs.push(...judgeHeaders(ex, opts.expect.headers, (s) => ctx.redactor.redact(s)));
    obs.push(...judgeBody(ctx, ex, opts.expect, describeExchange(ex)));
    const redirected = redirectHeadersObservation(ex);
    if (redirected) obs.push(redirected);
    if (opts.expect.maxLatencyMs !== undefined) {
      const fast = latencyMs <= opts.expect.maxLatencyMs;
      obs.push(
        observe('latency', fast, `<= ${opts.expect.maxLatencyMs} ms`, `${latencyMs} ms`, {
          code: 'HTTP_SLOW',
          message: fast ? `answered in ${latencyMs} ms` : `answered in ${latencyMs} ms, over the ${opts.expect.maxLatencyMs} ms limit: ${describeExchange(ex)}`,
        }),
      );
    }
    return {
      observations: obs,
      metrics: { statusCode: ex.status, latencyMs },
      data: {
        ...base,
        statusCode: ex.status,
        contentType: headerValue(ex.headers, 'content-type') ?? null,
        body: bodyExcerpt(ex, ctx.redactor, 500),
        bodyTruncated: ex.truncated,
      },
    };
  },
});
