/**
 * `exposure`: sensitive paths (`/.env`, `/.git/config`, `/server-status`, backups, debug endpoints) must not
 * answer 200 with content. A catch-all page (a single-page app's index, a 200 "not found" page) answers
 * every path the same: the answer to a random path is the baseline, and an answer equal to it is a
 * soft 404, not an exposure. Known files have content signatures (`[core]` in .git/config, `KEY=` lines in
 * .env): a match confirms the exposure. Evidence never quotes the content (it may hold secrets).
 */
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CheckError } from '../core/errors.ts';
import { compilePattern } from '../core/regex.ts';
import type { Json, Observation } from '../core/result.ts';
import { type HttpResponse, describeExchange, headerValue } from '../http/client.ts';
import { type CheckOutcome, defineCheck, observe } from './types.ts';
import { networkObservation } from './util/network.ts';
import { headersOption, maxBodyBytesOption, refineRegex, requestTimeoutOption } from './util/options.ts';

/** A sensitive path and, when known, the content that proves it is the real file. */
export interface SensitivePath {
  path: string;
  /** What the file is, for evidence. */
  what: string;
  /** Content signature (tested on the body as latin1 text, so binary magic numbers work). */
  signature?: { test(text: string): boolean };
}

/** The built-in list. */
export const SENSITIVE_PATHS: readonly SensitivePath[] = [
  { path: '/.env', what: 'environment file', signature: /^\s*(?:export\s+)?[A-Z][A-Z0-9_]*\s*=/m },
  { path: '/.git/config', what: 'git repository config', signature: /\[core\]/ },
  { path: '/.git/HEAD', what: 'git HEAD', signature: /^(?:ref:\s*refs\/|[0-9a-f]{40}\s*$)/ },
  { path: '/server-status', what: 'Apache server status', signature: /Apache Server Status|Server uptime|Total Accesses/ },
  { path: '/nginx_status', what: 'nginx stub status', signature: /Active connections:/ },
  { path: '/.DS_Store', what: 'macOS folder metadata', signature: /^\x00\x00\x00\x01Bud1/ },
  { path: '/backup.zip', what: 'backup archive', signature: /^PK\x03\x04/ },
  { path: '/backup.tar.gz', what: 'backup archive', signature: /^\x1f\x8b/ },
  { path: '/db.sql', what: 'database dump', signature: /CREATE TABLE|INSERT INTO|(?:MySQL|PostgreSQL) (?:database )?dump/i },
  { path: '/dump.sql', what: 'database dump', signature: /CREATE TABLE|INSERT INTO|(?:MySQL|PostgreSQL) (?:database )?dump/i },
  { path: '/config.php.bak', what: 'PHP config backup', signature: /<\?php/ },
  { path: '/wp-config.php.bak', what: 'WordPress config backup', signature: /<\?php|DB_PASSWORD/ },
  { path: '/debug', what: 'debug endpoint' },
  { path: '/actuator/env', what: 'Spring actuator environment', signature: /"propertySources"|"activeProfiles"/ },
  { path: '/phpinfo.php', what: 'phpinfo page', signature: /phpinfo\(\)|PHP Version|PHP License/ },
  { path: '/.aws/credentials', what: 'AWS credentials', signature: /aws_access_key_id/i },
  { path: '/.npmrc', what: 'npm config', signature: /_authToken|^registry=/m },
  { path: '/.htpasswd', what: 'password file', signature: /^[^:\s]+:(?:\$apr1\$|\$2[aby]\$|\{SHA\}|\$[156]\$)/m },
  { path: '/.ssh/id_rsa', what: 'SSH private key', signature: /-----BEGIN (?:RSA |OPENSSH |EC )?PRIVATE KEY-----/ },
];

const extraPath = z.union([
  z.string().startsWith('/'),
  z
    .object({
      path: z.string().startsWith('/').describe('Path that must not be served.'),
      what: z.string().min(1).default('sensitive path').describe('What it is, for evidence.'),
      signature: z.string().min(1).superRefine(refineRegex).optional().describe('Regular expression proving the real content (e.g. "\\\\[core\\\\]").'),
    })
    .strict(),
]);

const options = z
  .object({
    builtin: z.boolean().default(true).describe('Probe the built-in list of sensitive paths.'),
    paths: z.array(extraPath).default([]).describe('More paths that must not be served.'),
    ignore: z.array(z.string().startsWith('/')).default([]).describe('Built-in paths not to probe (e.g. a /debug page that is public on purpose).'),
    timeoutMs: requestTimeoutOption(5000),
    maxBodyBytes: maxBodyBytesOption(64 * 1024),
    concurrency: z.number().int().min(1).max(16).default(4).describe('Requests in flight at once.'),
    headers: headersOption(),
  })
  .strict();

/** Options of the `exposure` check. */
export type ExposureOptions = z.output<typeof options>;

function normalisedHash(body: Buffer, path: string): string {
  // A catch-all page may echo the path it was asked for; take the path out before comparing.
  const text = body.toString('latin1').split(path).join('');
  return createHash('sha256').update(text).digest('hex');
}

function envKeys(text: string): string[] {
  return [...text.matchAll(/^\s*(?:export\s+)?([A-Z][A-Z0-9_]*)\s*=/gm)].map((m) => m[1] ?? '').slice(0, 8);
}

/** The `exposure` check kind. */
export const exposureCheck = defineCheck({
  kind: 'exposure',
  title: 'Sensitive paths not exposed',
  description: 'Probes /.env, /.git/config, /server-status, backups and debug endpoints: none may answer 200 with their content.',
  options,
  defaultTimeoutMs: 60_000,
  metrics: { exposed: { direction: 'lower', tolerance: 0 } },
  async run(ctx, opts): Promise<CheckOutcome> {
    const list: SensitivePath[] = [];
    if (opts.builtin) list.push(...SENSITIVE_PATHS.filter((p) => !opts.ignore.includes(p.path)));
    for (const p of opts.paths) {
      if (typeof p === 'string') list.push({ path: p, what: 'sensitive path' });
      else {
        let signature: SensitivePath['signature'];
        try {
          // Configured signatures are matched in linear time against the body (core/regex.ts).
          signature = p.signature === undefined ? undefined : compilePattern(p.signature, { multiline: true });
        } catch (e) {
          throw new CheckError('GOLIVE_ERR_CHECK_OPTIONS', `exposure: signature for ${p.path} is not a valid regular expression: ${(e as Error).message}`);
        }
        list.push({ path: p.path, what: p.what, ...(signature ? { signature } : {}) });
      }
    }
    const get = (path: string) =>
      ctx.http.request({ method: 'GET', url: path, headers: opts.headers, timeoutMs: opts.timeoutMs, maxBodyBytes: opts.maxBodyBytes, followRedirects: false, signal: ctx.signal });

    const randomPath = `/golive-exposure-${randomUUID().slice(0, 12)}`;
    const baseEx = await get(randomPath);
    ctx.signal.throwIfAborted();
    if (!baseEx.ok) return { observations: [networkObservation('EXPOSURE', baseEx, 'an answer to a random path')], data: { error: baseEx.kind } };
    const baseline = { status: baseEx.status, bytes: baseEx.body.length, hash: normalisedHash(baseEx.body, randomPath) };
    const soft404 = (res: HttpResponse, path: string) =>
      res.status === baseline.status && (normalisedHash(res.body, path) === baseline.hash || (baseline.bytes > 0 && Math.abs(res.body.length - baseline.bytes) <= Math.max(16, baseline.bytes * 0.02)));

    const observations: Observation[] = [];
    const results: Json[] = [];
    let exposed = 0;
    // A few requests at a time: bounded time against a slow server, without hammering it.
    const answers = new Array<Awaited<ReturnType<typeof get>>>(list.length);
    let next = 0;
    const worker = async () => {
      while (next < list.length) {
        const i = next++;
        answers[i] = await get(list[i]?.path ?? '/');
        ctx.signal.throwIfAborted();
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency, list.length) }, worker));
    for (const [i, p] of list.entries()) {
      const ex = answers[i];
      if (ex === undefined) continue;
      if (!ex.ok) {
        results.push({ path: p.path, status: null, verdict: 'no-answer', error: ex.kind });
        continue;
      }
      const text = ex.body.toString('latin1');
      const matched = p.signature?.test(text) ?? false;
      const contentType = headerValue(ex.headers, 'content-type') ?? 'no content-type';
      let verdict: 'absent' | 'exposed' | 'suspicious' | 'soft-404' | 'not-judged';
      if (ex.status === 429 || ex.status === 503) verdict = 'not-judged';
      else if (ex.status !== 200 || ex.body.length === 0) verdict = 'absent';
      else if (matched) verdict = 'exposed';
      else if (soft404(ex, p.path)) verdict = 'soft-404';
      else verdict = p.signature ? 'suspicious' : 'exposed';
      results.push({ path: p.path, status: ex.status, bytes: ex.body.length, verdict });
      if (verdict === 'absent' || verdict === 'soft-404') continue;
      if (verdict === 'not-judged') {
        // A rate limit or an overloaded server hides the answer: say so rather than call the path safe.
        observations.push(
          observe(`not-judged:${p.path}`, false, 'an answer to judge', String(ex.status), {
            severity: 'warn',
            code: 'EXPOSURE_NOT_JUDGED',
            message: `${p.path} could not be judged: ${describeExchange(ex)}`,
          }),
        );
        continue;
      }
      const detail = p.path === '/.env' && matched ? `; keys: ${envKeys(text).join(', ')}` : '';
      if (verdict === 'exposed') {
        exposed++;
        observations.push(
          observe(`exposed:${p.path}`, false, 'not served', `200, ${ex.body.length} bytes`, {
            code: 'EXPOSURE_SENSITIVE_PATH',
            message: `${p.what} served: ${describeExchange(ex)} (${contentType}, ${ex.body.length} bytes${matched ? ', content matches its signature' : ''}${detail})`,
          }),
        );
      } else {
        observations.push(
          observe(`suspicious:${p.path}`, false, 'not served', `200, ${ex.body.length} bytes`, {
            severity: 'warn',
            code: 'EXPOSURE_UNCONFIRMED',
            message: `${p.path} answers 200 with ${ex.body.length} bytes (${contentType}) that differ from the catch-all page but do not look like a ${p.what}: ${describeExchange(ex)}`,
          }),
        );
      }
    }
    observations.unshift(
      observe('sensitive-paths', exposed === 0, 'no sensitive path served', `${exposed} of ${list.length} served`, {
        code: 'EXPOSURE_SENSITIVE_PATH',
        message: `${list.length} sensitive paths probed; baseline for a random path: ${baseline.status}, ${baseline.bytes} bytes`,
      }),
    );
    return {
      observations,
      metrics: { probed: list.length, exposed },
      data: { baseline: { status: baseline.status, bytes: baseline.bytes }, results },
      summary: exposed ? `${exposed} sensitive path(s) served` : `${list.length} paths probed, none served`,
    };
  },
});
