/**
 * The result model of a golive run: observations, check results, stage results, the report and its verdict.
 * Everything here is plain data (JSON-serialisable) so reporters can render it without importing anything else.
 */

/** How much a check counts: `error` gates the verdict, `warn` is reported only, `off` is not run. */
export type Level = 'error' | 'warn' | 'off';

/** The outcome of a whole run. */
export type Verdict = 'GO' | 'NO-GO' | 'INCONCLUSIVE';

/** JSON value type for evidence. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * One comparison inside a check. A failed observation's message always carries the evidence
 * (the value seen, the request made, a redacted excerpt).
 */
export interface Observation {
  /** Stable, kebab-case name (e.g. `status-code`, `p95-latency`). */
  name: string;
  /** What was required, human readable (e.g. `2xx`, `< 1000 ms`). */
  expected: string;
  /** What was seen, human readable and redacted. */
  actual: string;
  passed: boolean;
  /** One sentence with the evidence. */
  message: string;
  /**
   * `warn`: a failed observation becomes a warning on the result and never fails the check
   * (e.g. CSP report-only alone, an IETF health `warn`). Defaults to `error`.
   */
  severity?: 'error' | 'warn';
  /** Stable finding code for failed observations (documented in docs/checks.md), e.g. `HEALTH_NOT_JSON`. */
  code?: string;
}

/** Fields shared by every check result. */
export interface CheckResultBase {
  /** Unique id of the check within the gate (config key). */
  id: string;
  /** The check kind (`health`, `canary`, ...). */
  kind: string;
  /** Human title. */
  title: string;
  level: Exclude<Level, 'off'>;
  stage: string;
  startedAt: string;
  durationMs: number;
  observations: Observation[];
  /** Failed `warn`-severity observations, as messages. */
  warnings: string[];
  /** Key figures for tables and thresholds (e.g. `{ p95Ms: 52.1, samples: 5 }`). */
  metrics: Record<string, number | string | boolean | null>;
  /** Kind-specific evidence for JSON reports and compatibility artifacts (redacted). */
  data?: Record<string, Json>;
  /** Paths of artifacts the check wrote, relative to the output directory. */
  artifacts: string[];
  /** One line for tables: the key figure or the first failing evidence. */
  summary: string;
  /** How the kind presents this result (key figure, plots, tables); rendered by reporters without knowing the kind. */
  presentation?: Presentation;
}

/** A point of a plot series: x and y in the units of the plot's axes. */
export type PlotPoint = [number, number];

/** One series of a plot. */
export interface PlotSeries {
  name: string;
  points: PlotPoint[];
}

/** One axis of a plot. */
export interface PlotAxis {
  label: string;
  /** Unit shown with values (`ms`, `req/s`, `%`). */
  unit?: string;
  scale?: 'linear' | 'log';
  /** Labelled ticks drawn instead of computed ones (e.g. percentiles placed on a 1/(1 − q) log scale). */
  ticks?: Array<{ value: number; label: string }>;
}

/** A plot a kind declares for its result; reporters draw it without knowing the kind. */
export interface Plot {
  /** Stable id within the result (e.g. `latency-percentiles`). */
  id: string;
  title: string;
  /** `line` joins points, `point` marks each sample, `bar` draws one bar per point. */
  mark: 'line' | 'point' | 'bar';
  x: PlotAxis;
  y: PlotAxis;
  series: PlotSeries[];
  /** Reference lines (an SLO, a stall) drawn across the plot. */
  rules?: Array<{ axis: 'x' | 'y'; value: number; label: string }>;
  /** One sentence describing the plot for readers who cannot see it. */
  description?: string;
}

/** A table a kind declares for its result (e.g. the security score table). */
export interface PresentationTable {
  id: string;
  title: string;
  columns: string[];
  rows: Array<Array<string | number | boolean | null>>;
}

/** How a result is presented, as declared by its kind (see the kind contract in checks/types.ts). */
export interface Presentation {
  /** The one figure that sums up the result (`p95 12.3 ms`, `grade A+ (105)`). */
  keyFigure?: string;
  plots?: Plot[];
  tables?: PresentationTable[];
}

/** Evaluated and every error-severity observation held. */
export interface PassResult extends CheckResultBase {
  status: 'pass';
}
/** Evaluated and at least one error-severity observation did not hold (includes refused / timed-out targets). */
export interface FailResult extends CheckResultBase {
  status: 'fail';
}
/** Could not be evaluated: bad check config, missing secret, too few samples, an exception inside the check. */
export interface ErrorResult extends CheckResultBase {
  status: 'error';
  error: { code: string; message: string };
}
/** Not run because a check it depends on did not pass, or its stage was stopped (fail-fast). */
export interface SkipResult extends CheckResultBase {
  status: 'skip';
  reason: string;
}

/** The result of one check: a union on `status`. */
export type CheckResult = PassResult | FailResult | ErrorResult | SkipResult;
export type CheckStatus = CheckResult['status'];

/** The result of one stage. */
export interface StageResult {
  name: string;
  status: 'pass' | 'fail' | 'error' | 'skip';
  failPolicy: 'fail-fast' | 'continue';
  durationMs: number;
  checks: CheckResult[];
}

/** Counts of check results by status and level. */
export interface Totals {
  checks: number;
  pass: number;
  fail: number;
  error: number;
  skip: number;
  warnings: number;
}

/** Version of the JSON report format; bump on breaking changes (schema in packages/golive/schema/). */
export const REPORT_SCHEMA_VERSION = '1.1.0';

/** The versioned JSON document of one run. */
export interface Report {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: { name: 'golive'; version: string };
  runId: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  target: { baseUrl: string; managed: boolean };
  /** Preset or config file the run came from. */
  source: string;
  /**
   * What was run, as people name it in a run history (`--label`, `GOLIVE_LABEL`, `label`): by default the source,
   * plus the stages when `--stage` narrowed the run (`golive.config.ts [smoke]`). Since 1.1.0.
   */
  label: string;
  /**
   * The release (version) of the target that was checked (`--release`, `GOLIVE_RELEASE`, `release`; the CLI
   * defaults it to `git describe --always --dirty` in a git repository), or null when unknown. Since 1.1.0.
   */
  release: string | null;
  verdict: Verdict;
  exitCode: number;
  totals: Totals;
  stages: StageResult[];
}

/**
 * Verdict of a set of check results: NO-GO if an error-level check failed, INCONCLUSIVE if none failed
 * but an error-level check could not be evaluated, GO otherwise. `warn`-level results never gate.
 */
export function computeVerdict(results: readonly CheckResult[]): Verdict {
  let inconclusive = false;
  for (const r of results) {
    if (r.level !== 'error') continue;
    if (r.status === 'fail') return 'NO-GO';
    if (r.status === 'error') inconclusive = true;
  }
  return inconclusive ? 'INCONCLUSIVE' : 'GO';
}

/** Counts results by status. */
export function computeTotals(results: readonly CheckResult[]): Totals {
  const t: Totals = { checks: results.length, pass: 0, fail: 0, error: 0, skip: 0, warnings: 0 };
  for (const r of results) {
    t[r.status]++;
    t.warnings += r.warnings.length;
  }
  return t;
}

/** All check results of a report, in run order. */
export function allChecks(report: Pick<Report, 'stages'>): CheckResult[] {
  return report.stages.flatMap((s) => s.checks);
}
