/**
 * `golive load-check result.json [total] [ratio]`: checks a load result file against limits. Replaces the
 * seed's `check-loadtest-result.mjs result.json 1000 0.2` (every one of `total` requests answered, created
 * records / total == ratio, no 5xx) and adds named limits (`--p95 1000 --max-error-rate 0.01`, any
 * `--threshold`). Several files are merged exactly before checking (results of workers or machines).
 */
import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { UsageError } from '../core/errors.ts';
import { checkResult, parseResultFile, ResultFileError, type ResultLimits } from '../load/check-result.ts';
import { type LoadResult, mergeResults } from '../load/result.ts';
import { parseThreshold } from '../load/thresholds.ts';
import { parse } from './args.ts';
import type { CliCommand } from './io.ts';

const OPTIONS = {
  total: { type: 'string' },
  ratio: { type: 'string' },
  p95: { type: 'string' },
  'max-error-rate': { type: 'string' },
  threshold: { type: 'string', multiple: true },
  merge: { type: 'string', multiple: true },
  'allow-5xx': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HELP = `Usage: golive load-check <result.json> [total] [ratio] [options]

Checks a load result file (written by "golive load --out" or the load check) against limits and exits
0 when every limit holds, 1 when one does not, 2 on a bad file or flag, 3 when a percentile limit has too
few samples to be judged.

  <total>                   Requests expected: all sent and answered (no network failure, no drop)
  <ratio>                   Expected dedup ratio: records created / total (e.g. 0.2 for 200 keys over 1000)
      --total <n>           Same as the positional
      --ratio <r>           Same as the positional
      --p95 <ms>            p95 must be under this many ms
      --max-error-rate <r>  Error rate (network failures + 5xx) must be under r (0.01 or 1%)
      --threshold <expr>    Any threshold: "p99 < 2000", "dedup == exact", "rps >= 100" (repeatable)
      --merge <file>        Merge another result file first (repeatable: results of other workers/machines)
      --allow-5xx           Do not fail on 5xx answers by themselves
      --json                Print the lines as JSON
  -h, --help                Show this help

Example (the seed's gate):
  golive load --scenario ingest.load.json --url "$STAGING_URL" --total 1000 --unique 200 --concurrency 50 --out result.json
  golive load-check result.json 1000 0.2 --p95 1000 --max-error-rate 0.01`;

function num(flag: string, v: string | undefined, opts: { int?: boolean; rate?: boolean } = {}): number | undefined {
  if (v === undefined) return undefined;
  const pct = opts.rate && /%\s*$/.test(v);
  const n = Number(pct ? v.replace(/%\s*$/, '') : v) / (pct ? 100 : 1);
  if (!Number.isFinite(n) || n < 0 || (opts.int && !Number.isInteger(n)) || (opts.rate && n > 1)) {
    throw new UsageError(`${flag}: expected ${opts.int ? 'a non-negative integer' : opts.rate ? 'a rate between 0 and 1 (or a %)' : 'a non-negative number'}, got "${v}"`);
  }
  return n;
}

async function load(path: string, cwd: string): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(resolvePath(cwd, path), 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return parseResultFile(text, path);
  } catch (err) {
    if (err instanceof ResultFileError) throw new UsageError(err.message);
    throw err;
  }
}

/** The load-check command. */
export const loadCheckCommand: CliCommand = {
  name: 'load-check',
  summary: 'Check a load result file against limits (total, dedup ratio, p95, error rate, thresholds)',
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parse('load-check', argv, OPTIONS);
    if (values.help) {
      io.stdout.write(`${HELP}\n`);
      return 0;
    }
    const [file, totalPos, ratioPos, ...rest] = positionals;
    if (!file) throw new UsageError('golive load-check needs a result file');
    if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
    if (totalPos !== undefined && values.total !== undefined) throw new UsageError('total given twice (positional and --total)');
    if (ratioPos !== undefined && values.ratio !== undefined) throw new UsageError('ratio given twice (positional and --ratio)');
    const limits: ResultLimits = {};
    const total = num('total', totalPos ?? values.total, { int: true });
    if (total !== undefined) limits.total = total;
    const ratio = num('ratio', ratioPos ?? values.ratio, { rate: true });
    if (ratio !== undefined) limits.ratio = ratio;
    const p95 = num('--p95', values.p95);
    if (p95 !== undefined) limits.p95Ms = p95;
    const maxErr = num('--max-error-rate', values['max-error-rate'], { rate: true });
    if (maxErr !== undefined) limits.maxErrorRate = maxErr;
    if (values['allow-5xx']) limits.allow5xx = true;
    try {
      limits.thresholds = (values.threshold ?? []).map((t) => parseThreshold(t));
    } catch (err) {
      throw new UsageError(`--threshold: ${(err as Error).message}`);
    }
    const parts = [await load(file, io.cwd)];
    for (const m of values.merge ?? []) parts.push(await load(m, io.cwd));
    let result: LoadResult;
    try {
      result = mergeResults(parts);
    } catch (err) {
      throw new UsageError(`cannot merge: ${(err as Error).message}`);
    }
    const lines = checkResult(result, limits);
    const ok = lines.every((l) => l.passed);
    const failedPlainly = lines.some((l) => !l.passed && !l.inconclusive);
    if (values.json) io.stdout.write(`${JSON.stringify({ ok, file, lines }, null, 2)}\n`);
    else {
      for (const l of lines) io.stdout.write(`${l.passed ? 'ok  ' : l.inconclusive ? '??  ' : 'FAIL'}  ${l.name}: expected ${l.expected}, got ${l.actual}\n`);
      const verdict = ok ? 'PASS' : failedPlainly ? 'FAIL' : 'INCONCLUSIVE';
      io.stdout.write(`${verdict}: ${lines.filter((l) => l.passed).length}/${lines.length} limits hold (${file}${parts.length > 1 ? ` + ${parts.length - 1} merged` : ''})\n`);
    }
    for (const l of lines.filter((x) => x.inconclusive)) io.stderr.write(`golive: GOLIVE_ERR_INSUFFICIENT_SAMPLES: ${l.actual.replace(/^cannot be judged: /, '')}\n`);
    return ok ? 0 : failedPlainly ? 1 : 3;
  },
};
