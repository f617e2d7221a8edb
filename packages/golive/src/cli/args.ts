/** Flag parsing shared by the commands (node:util parseArgs, strict: unknown flags are usage errors). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { REPORTER_NAMES } from '../config/reporters.ts';
import { UsageError } from '../core/errors.ts';
import { isSendableHeaderValue } from '../core/header-value.ts';

/** Parses argv against options; any parse error becomes a UsageError naming the command. */
export function parse<O extends NonNullable<ParseArgsConfig['options']>>(command: string, argv: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (err) {
    const message = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(`${message} (see "golive ${command} --help")`);
  }
}

/** Flags of the commands that run a gate. */
export const GATE_OPTIONS = {
  config: { type: 'string', short: 'c' },
  url: { type: 'string', short: 'u' },
  preset: { type: 'string', short: 'p' },
  out: { type: 'string', short: 'o' },
  reporter: { type: 'string', short: 'r', multiple: true },
  timeout: { type: 'string', short: 't' },
  header: { type: 'string', short: 'H', multiple: true },
  ca: { type: 'string' },
  insecure: { type: 'boolean' },
  'allow-mutation': { type: 'boolean' },
  stage: { type: 'string', short: 's', multiple: true },
  label: { type: 'string' },
  release: { type: 'string' },
  history: { type: 'string' },
  baseline: { type: 'string' },
  'baseline-level': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Help lines for GATE_OPTIONS. */
export const GATE_OPTIONS_HELP = `Options:
  -c, --config <file>     Config file (default: golive.config.{ts,mts,js,mjs,yaml,yml,json} in the current directory)
  -u, --url <url>         Target base URL (overrides config and environment)
  -p, --preset <name>     Preset: recommended, contracts (needs --allow-mutation beyond loopback/private), stage3, stage4
  -o, --out <dir>         Output directory (default: golive-report/; seed artifacts under <dir>/qa/ instead of ./qa/)
  -r, --reporter <name>   console, json, text, junit, markdown (repeatable or comma-separated; default: all)
  -t, --timeout <time>    Request timeout: 500ms, 5s or a number of milliseconds
  -H, --header <h>        Extra header for every request, "Name: value" (repeatable; the value is redacted)
      --ca <file>         PEM file of CA certificates to trust for the target (a private CA; sets target.tls.ca)
      --insecure          Do not verify the target's TLS certificate (loud warning; sets target.tls.rejectUnauthorized: false)
      --allow-mutation    Let checks that change the target state run against a non-local target (never with EXPECT_LIVE=1)
  -s, --stage <name>      Run only this stage (repeatable)
      --label <text>      Run label in the report and the history (default: the config source, plus the --stage names)
      --release <text>    Release of the target (default: git describe --always --dirty in a git repository)
      --history <dir>     Add the run to this run history (runs/, history.json, index.html with trends)
      --baseline <path>   Compare with this report.json, or a history's last GO run (default: the --history's)
      --baseline-level <level>  warn (default: regressions reported), error (regressions gate) or off
  -v, --verbose           Show every observation and every progress event
  -q, --quiet             No progress: only the final table, the evidence and the verdict
  -h, --help              Show this help

Progress: on a terminal a live line shows the running check (a load check's requests, rate, p95, errors and
time left); in a log, a line every 5 s for a check that runs longer than that.`;

/** Parses `500ms`, `5s`, `1.5s`, `2m` or a bare number of milliseconds. */
export function parseDuration(text: string, flag = '--timeout'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/i.exec(text);
  if (!m) throw new UsageError(`${flag}: expected a duration like 500ms, 5s or 2m, got "${text}"`);
  const value = Number(m[1]);
  const unit = (m[2] ?? 'ms').toLowerCase();
  const ms = Math.round(unit === 's' ? value * 1000 : unit === 'm' ? value * 60_000 : value);
  if (ms <= 0) throw new UsageError(`${flag}: must be more than 0, got "${text}"`);
  return ms;
}

/** Parses repeated / comma-separated reporter names. */
export function parseReporters(values: readonly string[] | undefined): string[] | undefined {
  if (!values?.length) return undefined;
  const names = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  for (const n of names) {
    if (!(REPORTER_NAMES as readonly string[]).includes(n)) throw new UsageError(`--reporter: unknown reporter "${n}" (known: ${REPORTER_NAMES.join(', ')})`);
  }
  return names;
}

/** Parses `Name: value` headers. */
export function parseHeaders(values: readonly string[] | undefined): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, string> = {};
  for (const h of values) {
    const i = h.indexOf(':');
    const name = i > 0 ? h.slice(0, i).trim() : '';
    if (!name || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new UsageError('--header: expected "Name: value"');
    const value = h.slice(i + 1).trim();
    // A line break inside a value would split the request; refuse it here, naming the header, never its value.
    if (!isSendableHeaderValue(value)) throw new UsageError(`--header ${name}: the value contains a line break (CR or LF) or NUL; the value is not shown`);
    out[name.toLowerCase()] = value;
  }
  return out;
}
