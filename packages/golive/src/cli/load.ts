/**
 * `golive load`: an ad-hoc load run from the command line, with a progress bar on stderr (done, req/s,
 * current p95), a summary on stdout and `--out result.json` (the versioned, mergeable result file). It parses
 * flags (and a scenario file of load check options), calls runLoadTest, the same function as the `load`
 * check, and prints what it returns: thresholds, dedup verification, the minimum sample rule and the verdict
 * are the check's. Accepts the seed's `dedup-loadtest.mjs` flags (`--url --total --unique --concurrency --out
 * --source --tenant`) with a scenario file that describes the ingest request (examples/pilot-events.load.json).
 */
import { INSECURE_WARNING, tlsFlags } from './tls-flags.ts';
import { describeWarmup } from '../load/warmup.ts';
import { readFile, writeFile } from 'node:fs/promises';
import { extname, resolve as resolvePath } from 'node:path';
import { runLoadTest, loadCheck, resultFileText } from '../checks/load.ts';
import type { ProgressEvent } from '../checks/types.ts';
import { ConfigError, UsageError } from '../core/errors.ts';
import { Redactor } from '../core/redact.ts';
import { createHttpClient } from '../http/client.ts';
import { formatReplies } from '../load/check-result.ts';
import type { LoadResult } from '../load/result.ts';
import { parse, parseDuration, parseHeaders } from './args.ts';
import type { CliCommand, CliIo } from './io.ts';

const OPTIONS = {
  url: { type: 'string', short: 'u' },
  path: { type: 'string' },
  method: { type: 'string', short: 'X' },
  header: { type: 'string', short: 'H', multiple: true },
  body: { type: 'string', short: 'd' },
  'body-file': { type: 'string' },
  concurrency: { type: 'string', short: 'c' },
  total: { type: 'string', short: 'n' },
  duration: { type: 'string' },
  rate: { type: 'string' },
  'max-queue': { type: 'string' },
  unique: { type: 'string' },
  'key-prefix': { type: 'string' },
  'key-header': { type: 'string' },
  tenant: { type: 'string', multiple: true },
  source: { type: 'string' },
  var: { type: 'string', multiple: true },
  seed: { type: 'string' },
  scenario: { type: 'string' },
  'secret-env': { type: 'string' },
  warmup: { type: 'string' },
  'warmup-path': { type: 'string' },
  timeout: { type: 'string', short: 't' },
  ca: { type: 'string' },
  insecure: { type: 'boolean' },
  'max-body': { type: 'string' },
  workers: { type: 'string', short: 'w' },
  transport: { type: 'string' },
  'verify-json': { type: 'string' },
  'verify-metric': { type: 'string' },
  'metrics-path': { type: 'string' },
  threshold: { type: 'string', multiple: true },
  'min-samples': { type: 'string' },
  'no-abort': { type: 'boolean' },
  out: { type: 'string', short: 'o' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HELP = `Usage: golive load <url> [options]
       golive load --scenario <file> --url <base-url> --total 1000 --unique 200 --concurrency 50 --out result.json

Sends load to <url> and prints latency percentiles (nearest rank, microsecond resolution), throughput,
status and error counts. Exit 0 when every threshold holds, 1 when one fails (or the run stopped on a
5xx spike), 2 on bad flags, 3 when there were too few responses to judge.

Request
  -u, --url <url>          Target: base URL (with --path or a scenario) or full URL of the request
      --path <path>        Request path (may contain {{variables}})
  -X, --method <m>         HTTP method (default GET)
  -H, --header <h>         "Name: value" (repeatable; {{env:NAME}} reads a secret from the environment)
  -d, --body <text>        Body template;  --body-file <file> reads it from a file
Model
  -c, --concurrency <n>    Connections (default 10)
  -n, --total <n>          Requests to send
      --duration <time>    Run length (e.g. 30s) instead of, or as well as, a total
      --rate <n>           Open model: requests started per second (latency from the scheduled start)
      --max-queue <n>      Open model: drop due requests beyond this many waiting
  -w, --workers <n>        Worker threads (results are merged exactly)
      --transport <t>      HTTP client: native (golive's own HTTP/1.1, default) or undici
      --warmup <n>         Warm-up requests before the timed phase, a fixed count (default: adaptive, windows until two
                           window medians agree within 10 %, at most 1000 requests or 3 s; 0: none)
      --warmup-path <p>    Side-effect-free warm-up path (default: the scenario's path when it is a GET or HEAD, else /)
  -t, --timeout <time>     Per-request timeout (default 10s)
      --max-body <bytes>   Response body bytes read at most per request (default 16777216); a longer body fails it
      --ca <file>          PEM file of CA certificates to trust for an https target (a private CA)
      --insecure           Do not verify the target's TLS certificate (loud warning)
Scenario
      --scenario <file>    JSON or YAML file of load check options (request, sign, verify, thresholds, ...;
                           docs/checks.md#load); the flags here override its fields
      --unique <n>         Key pool: --total requests over <n> Idempotency-Keys, shuffled (needs a request:
                           --scenario, or --path / --body)
      --key-prefix <p>     Prefix of generated keys;  --key-header <name> header carrying them
      --tenant <id>        {{tenant}} values (repeatable);  --source <s> sets {{source}} (default golive)
      --var name=value     Extra {{variables}} (repeatable);  --seed <s> seeds key order and random values
      --secret-env <NAME>  Variable holding the signing secret (overrides the scenario's sign.secretEnv)
Verification
      --verify-json <p#j>  Read back a count before and after: GET <p>, JSON path <j> (e.g. /v1/events#count)
      --verify-metric <m>  ... or a Prometheus counter, e.g. 'events_ingested_total{tenant="t1"}'
      --metrics-path <p>   Path of the metrics page (default /metrics)
      --threshold <expr>   e.g. "p95 < 1000", "error_rate < 1%", "dedup == exact" (repeatable)
      --min-samples <n>    Fewer responses: exit 3, never a pass (default 100, or the total when smaller)
      --no-abort           Do not stop early on a 5xx spike
Output
  -o, --out <file>         Write the result file (format golive-load-result v1, docs/load.md)
      --json               Print the result file to stdout instead of the summary
  -q, --quiet              No progress bar
  -h, --help               Show this help

Examples:
  golive load http://127.0.0.1:8080/hello -c 50 -n 100000
  golive load http://127.0.0.1:8080/hello --rate 1000 --duration 30s -c 100 --threshold "p99 < 250"
  golive load --scenario ingest.load.json --url "$STAGING_URL" --total 1000 --unique 200 --concurrency 50 --out result.json
    (the scenario's secrets come from the environment variables it names, e.g. {{env:API_KEY}})`;

function int(flag: string, v: string | undefined, min = 1): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim()) || Number(v) < min) throw new UsageError(`--${flag}: expected an integer ≥ ${min}, got "${v}"`);
  return Number(v);
}

function positive(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${flag}: expected a positive number, got "${v}"`);
  return n;
}

/** Parses `events_total{tenant="t1",x="y"}` into a metric name and labels. */
export function parseMetricSelector(text: string): { metric: string; labels: Record<string, string> } {
  const m = /^\s*([A-Za-z_:][\w:]*)\s*(?:\{(.*)\})?\s*$/.exec(text);
  if (!m) throw new UsageError(`--verify-metric: expected name or name{label="value",...}, got "${text}"`);
  const labels: Record<string, string> = {};
  const inner = (m[2] ?? '').trim();
  if (inner) {
    for (const part of inner.split(',')) {
      const l = /^\s*([A-Za-z_]\w*)\s*=\s*"([^"]*)"\s*$/.exec(part);
      if (!l) throw new UsageError(`--verify-metric: bad label "${part}" (expected name="value")`);
      labels[l[1] ?? ''] = l[2] ?? '';
    }
  }
  return { metric: m[1] ?? '', labels };
}

type Values = ReturnType<typeof parse<typeof OPTIONS>>['values'];

/** Reads a scenario file: an object of load check options, in JSON or YAML. */
async function readScenario(file: string, cwd: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(resolvePath(cwd, file), 'utf8');
  } catch (err) {
    throw new UsageError(`--scenario: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let value: unknown;
  try {
    const ext = extname(file).toLowerCase();
    // yaml is loaded only for YAML files: `golive load` keeps its start small.
    value = ext === '.yaml' || ext === '.yml' ? (await import('yaml')).parse(text) : JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--scenario: ${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`--scenario: ${file} must hold an object of load check options`);
  return value as Record<string, unknown>;
}

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/**
 * Builds the check options from a scenario file and the flags over it (validated afterwards by the check's
 * schema). The URL is the base of the scenario's (or --path's) request, else the request URL itself.
 */
async function optionsFromFlags(values: Values, positional: string | undefined, io: CliIo): Promise<{ baseUrl: string; input: Record<string, unknown> }> {
  const urlText = values.url ?? positional;
  if (!urlText) throw new UsageError('golive load needs a URL (argument or --url)');
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw new ConfigError(`not an absolute http(s) URL: "${urlText}"`, [], 'GOLIVE_ERR_INVALID_URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`not an http(s) URL: "${urlText}"`, [], 'GOLIVE_ERR_INVALID_URL');
  const input: Record<string, unknown> = values.scenario !== undefined ? await readScenario(values.scenario, io.cwd) : {};
  const request = { ...record(input.request) };
  const unique = int('unique', values.unique);
  const ownRequest = values.path !== undefined || values.body !== undefined || values['body-file'] !== undefined || values.method !== undefined;
  if (unique !== undefined && values.scenario === undefined && !ownRequest) {
    throw new UsageError('--unique needs the request that stores something: --scenario <file> or --path / --body (a key pool on GET / verifies nothing)');
  }

  let baseUrl: string;
  if (request.path !== undefined || values.path !== undefined) baseUrl = url.href;
  else {
    baseUrl = url.origin;
    request.path = `${url.pathname}${url.search}`;
  }
  if (values.path !== undefined) request.path = values.path;
  if (values.method !== undefined) request.method = values.method.toUpperCase();
  const headers = parseHeaders(values.header);
  if (headers) request.headers = { ...record(request.headers), ...headers };
  if (values.body !== undefined && values['body-file'] !== undefined) throw new UsageError('use --body or --body-file, not both');
  if (values.body !== undefined) request.body = values.body;
  if (values['body-file'] !== undefined) {
    try {
      request.body = await readFile(resolvePath(io.cwd, values['body-file']), 'utf8');
    } catch (err) {
      throw new UsageError(`--body-file: cannot read ${values['body-file']}: ${(err as Error).message}`);
    }
  }
  if (request.body !== undefined && request.method === undefined) request.method = 'POST';
  input.request = request;

  const concurrency = int('concurrency', values.concurrency);
  if (concurrency !== undefined) input.concurrency = concurrency;
  const total = int('total', values.total);
  if (total !== undefined) input.total = total;
  if (values.duration !== undefined) input.durationMs = parseDuration(values.duration, '--duration');
  const rate = positive('rate', values.rate);
  if (rate !== undefined) {
    input.model = 'open';
    input.ratePerSec = rate;
  }
  const maxQueue = int('max-queue', values['max-queue'], 0);
  if (maxQueue !== undefined) input.maxQueue = maxQueue;
  if (unique !== undefined || values['key-prefix'] !== undefined || values['key-header'] !== undefined) {
    input.keys = {
      ...record(input.keys),
      ...(unique !== undefined ? { unique } : {}),
      ...(values['key-prefix'] !== undefined ? { prefix: values['key-prefix'] } : {}),
      ...(values['key-header'] !== undefined ? { header: values['key-header'] } : {}),
    };
  }
  if (values.tenant?.length) input.tenants = values.tenant;
  const vars: Record<string, unknown> = { source: 'golive', ...record(input.vars) };
  if (values.source !== undefined) vars.source = values.source;
  for (const v of values.var ?? []) {
    const i = v.indexOf('=');
    if (i <= 0) throw new UsageError(`--var: expected name=value, got "${v}"`);
    vars[v.slice(0, i)] = v.slice(i + 1);
  }
  input.vars = vars;
  if (values.seed !== undefined) input.seed = values.seed;
  if (values['secret-env'] !== undefined) {
    if (input.sign === undefined) throw new UsageError('--secret-env names the signing secret of a scenario that signs (sign in the --scenario file)');
    input.sign = { ...record(input.sign), secretEnv: values['secret-env'] };
  }
  const warmup = int('warmup', values.warmup, 0);
  if (warmup === 0) input.warmup = false;
  else if (warmup !== undefined || values['warmup-path'] !== undefined) {
    input.warmup = {
      ...record(input.warmup),
      ...(warmup !== undefined ? { requests: warmup } : {}),
      ...(values['warmup-path'] !== undefined ? { path: values['warmup-path'] } : {}),
    };
  }
  if (values.timeout !== undefined) input.timeoutMs = parseDuration(values.timeout);
  const maxBody = int('max-body', values['max-body'], 1);
  if (maxBody !== undefined) input.maxBodyBytes = maxBody;
  const workers = int('workers', values.workers);
  if (workers !== undefined) input.workers = workers;
  if (values.transport !== undefined) {
    if (values.transport !== 'native' && values.transport !== 'undici') throw new UsageError(`--transport: expected native or undici, got "${values.transport}"`);
    input.transport = values.transport;
  }
  if (values['verify-json'] !== undefined) {
    const [p, j] = values['verify-json'].split('#');
    if (!p || !j) throw new UsageError('--verify-json: expected <path>#<json path>, e.g. /v1/events#count');
    input.verify = { type: 'json', path: p, jsonPath: j, ...(headers?.authorization ? { headers: { authorization: headers.authorization } } : {}) };
  }
  if (values['verify-metric'] !== undefined) {
    const sel = parseMetricSelector(values['verify-metric']);
    input.verify = { type: 'metric', path: values['metrics-path'] ?? '/metrics', metric: sel.metric, labels: sel.labels };
  }
  // An ad-hoc run judges nothing unless asked: no thresholds from the flags or the scenario, none at all.
  if (values.threshold?.length) input.thresholds = values.threshold;
  else if (input.thresholds === undefined) input.thresholds = [];
  const minSamples = int('min-samples', values['min-samples']);
  if (minSamples !== undefined) input.minSamples = minSamples;
  else if (input.minSamples === undefined) {
    const planned = typeof input.total === 'number' ? input.total : undefined;
    input.minSamples = Math.min(100, planned ?? 100);
  }
  if (values['no-abort']) input.abortOn5xx = false;
  // The CLI writes the result file itself (--out), not as a check artifact.
  input.out = false;
  return { baseUrl, input };
}

function bar(fraction: number | undefined, width = 24): string {
  if (fraction === undefined) return '';
  const n = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}] `;
}

function fmtMs(v: number | null): string {
  return v === null ? '-' : `${v.toFixed(3)} ms`;
}

/** Human summary of a result (pure). */
export function renderLoadSummary(r: LoadResult): string {
  const lines: string[] = [];
  const m = r.model;
  lines.push(
    m.type === 'closed'
      ? `${r.method} ${r.target} · closed model, ${m.concurrency} connections${r.workers > 1 ? `, ${r.workers} workers` : ''}`
      : `${r.method} ${r.target} · open model, ${m.ratePerSec} req/s, ≤ ${m.maxInFlight} in flight${r.workers > 1 ? `, ${r.workers} workers` : ''}`,
  );
  lines.push(
    `requests  ${r.requests.sent} sent · ${r.requests.responses} answered · ${r.requests.failed} failed${r.requests.dropped ? ` · ${r.requests.dropped} dropped` : ''} in ${(r.durationMs / 1000).toFixed(2)} s → ${r.throughput.requestsPerSec.toFixed(1)} req/s`,
  );
  const codes = Object.entries(r.statusCodes)
    .map(([k, v]) => `${k}×${v}`)
    .join(' ');
  const errs = Object.entries(r.errors)
    .map(([k, v]) => `${k}×${v}`)
    .join(' ');
  lines.push(`status    ${codes || 'none'}${errs ? ` · errors ${errs}` : ''} · error rate ${(r.errorRate * 100).toFixed(2)} %`);
  const row = (label: string, s: LoadResult['latency']) =>
    `${label.padEnd(10)}p50 ${fmtMs(s.p50Ms)} · p90 ${fmtMs(s.p90Ms)} · p95 ${fmtMs(s.p95Ms)} · p99 ${fmtMs(s.p99Ms)} · p99.9 ${fmtMs(s.p999Ms)} · max ${fmtMs(s.maxMs)} · mean ${fmtMs(s.meanMs)} (${s.source}${s.unsupported.length ? `; ${s.unsupported.join(', ')} = max, too few samples` : ''})`;
  lines.push(row(m.type === 'open' ? 'latency*' : 'latency', r.latency));
  if (r.latencyUncorrected) lines.push(row('uncorr.', r.latencyUncorrected));
  if (r.scheduleLag) lines.push(`sched.lag p50 ${fmtMs(r.scheduleLag.p50Ms)} · p99 ${fmtMs(r.scheduleLag.p99Ms)} · max ${fmtMs(r.scheduleLag.maxMs)} · queue peak ${r.requests.queuedMax}`);
  if (m.type === 'open') lines.push('          * from each request\'s scheduled start (coordinated omission corrected)');
  if (r.replies) lines.push(`replies   ${formatReplies(r)}`);
  if (r.dedup) {
    lines.push(
      r.dedup.error
        ? `dedup     read-back failed: ${r.dedup.error}`
        : `dedup     ${r.dedup.created} created for ${r.dedup.unique} unique keys / ${r.dedup.total} requests (${r.dedup.exact ? 'exact' : 'MISMATCH'}; ratio ${r.dedup.ratio?.toFixed(4)}) via ${r.dedup.source}`,
    );
  }
  if (r.warmup) lines.push(`warm-up   ${describeWarmup(r.warmup)}`);
  if (r.stalls.length) lines.push(`stalls    ${r.stalls.length}: ${r.stalls.slice(0, 5).map((s) => `${s.durationMs} ms at ${(s.atMs / 1000).toFixed(1)} s`).join(', ')}`);
  if (r.flags.length) lines.push(`flags     ${r.flags.join(', ')}`);
  if (r.aborted) lines.push(`ABORTED   ${r.aborted.reason}: ${r.aborted.message}`);
  return lines.join('\n');
}

/** The load command. */
export const loadCommand: CliCommand = {
  name: 'load',
  summary: 'Send load (closed or open model) and print HDR latencies; --out writes a mergeable result file',
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parse('load', argv, OPTIONS);
    if (values.help) {
      io.stdout.write(`${HELP}\n`);
      return 0;
    }
    if (positionals.length > 1) throw new UsageError(`golive load takes at most one URL, got ${positionals.length} arguments`);
    const { baseUrl, input } = await optionsFromFlags(values, positionals[0], io);
    const parsed = loadCheck.options.safeParse(input);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const where = values.scenario !== undefined ? ` (${values.scenario} and flags)` : '';
      throw new UsageError(`invalid load options${where}: ${first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'unknown'}`);
    }
    const opts = parsed.data;
    const redactor = Redactor.fromEnv(io.env);
    const tls = tlsFlags(values, io.cwd);
    if (tls?.rejectUnauthorized === false) io.stderr.write(`${INSECURE_WARNING}\n`);
    const http = createHttpClient({ baseUrl, redactor, timeoutMs: opts.timeoutMs, ...(tls ? { tls } : {}) });
    const tty = io.stderr.isTTY === true;
    let lastLine = 0;
    const progress = (e: ProgressEvent) => {
      if (values.quiet) return;
      if (tty) io.stderr.write(`\r\x1b[2K${bar(e.fraction)}${e.message}`);
      else if (Date.now() - lastLine >= 2000) {
        lastLine = Date.now();
        io.stderr.write(`${e.message}\n`);
      }
    };
    let outcome: Awaited<ReturnType<typeof runLoadTest>>;
    try {
      // Heap tuning is not asked for here: main.ts made it this process's default (a test calling the command
      // in-process keeps its own V8 settings).
      outcome = await runLoadTest(opts, {
        baseUrl: new URL(baseUrl),
        http,
        env: io.env,
        redactor,
        ...(tls ? { tls: { rejectUnauthorized: tls.rejectUnauthorized ?? true, ...(tls.ca ? { ca: tls.ca } : {}) } } : {}),
        ...(io.signal ? { signal: io.signal } : {}),
        onProgress: progress,
      });
    } finally {
      if (tty && !values.quiet) io.stderr.write('\r\x1b[2K');
      await http.close();
    }
    const file = redactor.redact(resultFileText(outcome.result));
    if (values.out) {
      try {
        await writeFile(resolvePath(io.cwd, values.out), file);
      } catch (err) {
        io.stderr.write(`golive: GOLIVE_ERR_REPORT_WRITE: cannot write ${values.out}: ${(err as Error).message}\n`);
      }
    }
    if (values.json) io.stdout.write(file);
    else {
      io.stdout.write(`${redactor.redact(renderLoadSummary(outcome.result))}\n`);
      const failedLines = outcome.observations.filter((o) => !o.passed && !o.name.startsWith('threshold: '));
      for (const o of outcome.observations.filter((x) => x.name.startsWith('threshold: '))) {
        io.stdout.write(`${o.passed ? 'ok  ' : 'FAIL'}  ${redactor.redact(o.message)}\n`);
      }
      for (const o of [...failedLines.filter((x) => x.severity !== 'warn'), ...failedLines.filter((x) => x.severity === 'warn')]) {
        io.stdout.write(`${o.severity === 'warn' ? 'warn' : 'FAIL'}  ${o.code ? `${o.code}: ` : ''}${redactor.redact(o.message)}\n`);
      }
    }
    if (outcome.status === 'error') {
      io.stderr.write(`golive: ${outcome.error?.code ?? 'GOLIVE_ERR_INSUFFICIENT_SAMPLES'}: ${redactor.redact(outcome.error?.message ?? 'the run cannot be judged')}\n`);
      return 3;
    }
    return outcome.status === 'fail' ? 1 : 0;
  },
};
