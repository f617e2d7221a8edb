/**
 * Comparing a run with a baseline report, check by check: each metric a kind declares (`metrics` of its
 * definition: direction, tolerance, an absolute floor, the order of a word-valued metric, the metrics that must
 * be equal for it to be compared) and the finding codes of failed observations. Pure: the runner turns the
 * comparison into check results (`baseline/<checkId>`), `golive diff` prints it. It names no kind: every rule
 * comes from the specs handed in.
 */
import type { MetricSpec } from '../checks/types.ts';
import type { CheckResult, Report } from '../core/result.ts';

/** Name of the stage (and kind) of the results a comparison with a baseline adds to a report. */
export const BASELINE_STAGE = 'baseline';

/** What the comparison needs of a kind: its name and metric specs. */
export interface KindMetricSpecs {
  readonly kind: string;
  readonly metrics?: Readonly<Record<string, MetricSpec>> | undefined;
}

/** The fields of a report a comparison reads (older reports lack `label` and `release`). */
export type ComparableReport = Pick<Report, 'runId' | 'startedAt' | 'verdict' | 'stages'> & { label?: string | undefined; release?: string | null | undefined };

/** How one metric compared. */
export interface MetricComparison {
  metric: string;
  baseline: number | string;
  current: number | string;
  /** Relative change of a numeric metric (0.5 = +50 %), or null when the baseline is 0 or the metric is a word. */
  change: number | null;
  /** `regressed`: past the tolerance in the bad direction; `improved`: past it in the good one. */
  outcome: 'unchanged' | 'within' | 'improved' | 'regressed' | 'not-comparable';
  /** Why a metric was not compared (another algorithm version). */
  reason?: string;
  spec: MetricSpec;
}

/** How one check compared. */
export interface CheckComparison {
  id: string;
  kind: string;
  title: string;
  stage: string;
  metrics: MetricComparison[];
  /** Finding codes of failed observations in the run that the baseline's result did not have. */
  newFindings: string[];
  /** Whether anything regressed (a metric past its tolerance or a new finding code). */
  regressed: boolean;
}

/** A check of one side that the other does not have comparably (missing, another kind, not evaluated). */
export interface UncomparedCheck {
  id: string;
  reason: string;
}

/** The comparison of a run with its baseline. */
export interface ReportComparison {
  baseline: RunRef;
  current: RunRef;
  checks: CheckComparison[];
  uncompared: UncomparedCheck[];
  /** Checks that regressed. */
  regressions: number;
}

/** Which run a side is. */
export interface RunRef {
  runId: string;
  startedAt: string;
  verdict: string;
  label: string | null;
  release: string | null;
}

const runRef = (r: ComparableReport): RunRef => ({
  runId: r.runId,
  startedAt: r.startedAt,
  verdict: r.verdict,
  label: typeof r.label === 'string' ? r.label : null,
  release: typeof r.release === 'string' ? r.release : null,
});

const evaluated = (r: CheckResult) => r.status === 'pass' || r.status === 'fail';

/** Codes of the failed observations of a result (either severity). */
export function findingCodes(r: Pick<CheckResult, 'observations'>): Set<string> {
  const out = new Set<string>();
  for (const o of r.observations) if (!o.passed && typeof o.code === 'string') out.add(o.code);
  return out;
}

/** Compares one metric by its spec; undefined when either side has no comparable value. */
export function compareMetric(
  metric: string,
  spec: MetricSpec,
  baseline: Readonly<Record<string, unknown>>,
  current: Readonly<Record<string, unknown>>,
): MetricComparison | undefined {
  const b = baseline[metric];
  const c = current[metric];
  const isValue = (v: unknown): v is number | string => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
  if (!isValue(b) || !isValue(c)) return undefined;
  for (const name of spec.comparableWhenEqual ?? []) {
    if (baseline[name] !== current[name]) {
      return {
        metric,
        baseline: b,
        current: c,
        change: null,
        outcome: 'not-comparable',
        reason: `${name} differs (baseline ${String(baseline[name] ?? 'none')}, run ${String(current[name] ?? 'none')})`,
        spec,
      };
    }
  }
  let bv: number;
  let cv: number;
  if (spec.levels) {
    if (typeof b !== 'string' || typeof c !== 'string') return undefined;
    bv = spec.levels.indexOf(b);
    cv = spec.levels.indexOf(c);
    if (bv < 0 || cv < 0) return undefined;
  } else if (typeof b === 'number' && typeof c === 'number') {
    bv = b;
    cv = c;
  } else if (typeof b === 'string' && typeof c === 'string' && spec.direction === 'equal') {
    return { metric, baseline: b, current: c, change: null, outcome: b === c ? 'unchanged' : 'regressed', spec };
  } else {
    return undefined;
  }
  const base = { metric, baseline: b, current: c, spec };
  if (bv === cv) return { ...base, change: spec.levels ? null : 0, outcome: 'unchanged' };
  const change = spec.levels || bv === 0 ? null : (cv - bv) / Math.abs(bv);
  // Levels move in whole steps: any step is past a tolerance of 0, which is what a grade declares.
  const allowed = spec.levels ? spec.tolerance : Math.max(Math.abs(bv) * spec.tolerance, spec.minDelta ?? 0);
  const delta = cv - bv;
  const past = Math.abs(delta) > allowed;
  let outcome: MetricComparison['outcome'];
  if (spec.direction === 'equal') outcome = past ? 'regressed' : 'within';
  else {
    const worse = spec.direction === 'lower' ? delta > 0 : delta < 0;
    outcome = !past ? 'within' : worse ? 'regressed' : 'improved';
  }
  return { ...base, change, outcome };
}

/** Compares a run with a baseline report, check by check (by id), with the metric specs of the kinds. */
export function compareReports(baseline: ComparableReport, current: ComparableReport, kinds: readonly KindMetricSpecs[]): ReportComparison {
  const baseChecks = new Map<string, CheckResult>();
  // The results of an earlier comparison are not compared again.
  const own = (c: CheckResult) => c.stage === BASELINE_STAGE && c.kind === BASELINE_STAGE;
  for (const s of baseline.stages) for (const c of s.checks) if (!own(c)) baseChecks.set(c.id, c);
  const specsOf = (kind: string) => kinds.find((k) => k.kind === kind)?.metrics ?? {};
  const checks: CheckComparison[] = [];
  const uncompared: UncomparedCheck[] = [];
  const seen = new Set<string>();
  for (const stage of current.stages) {
    for (const cur of stage.checks) {
      if (own(cur)) continue;
      seen.add(cur.id);
      const base = baseChecks.get(cur.id);
      if (!base) {
        uncompared.push({ id: cur.id, reason: 'not in the baseline' });
        continue;
      }
      if (base.kind !== cur.kind) {
        uncompared.push({ id: cur.id, reason: `kind ${cur.kind} in the run, ${base.kind} in the baseline` });
        continue;
      }
      if (!evaluated(cur) || !evaluated(base)) {
        uncompared.push({ id: cur.id, reason: `not evaluated (${base.status} in the baseline, ${cur.status} in the run)` });
        continue;
      }
      const metrics: MetricComparison[] = [];
      for (const [name, spec] of Object.entries(specsOf(cur.kind))) {
        const m = compareMetric(name, spec, base.metrics, cur.metrics);
        if (m) metrics.push(m);
      }
      const before = findingCodes(base);
      const newFindings = [...findingCodes(cur)].filter((c) => !before.has(c)).sort();
      checks.push({
        id: cur.id,
        kind: cur.kind,
        title: cur.title,
        stage: cur.stage,
        metrics,
        newFindings,
        regressed: newFindings.length > 0 || metrics.some((m) => m.outcome === 'regressed'),
      });
    }
  }
  for (const id of baseChecks.keys()) if (!seen.has(id)) uncompared.push({ id, reason: 'not in the run' });
  return { baseline: runRef(baseline), current: runRef(current), checks, uncompared, regressions: checks.filter((c) => c.regressed).length };
}

/** A metric value with its unit, for messages. */
export function formatValue(value: number | string, unit?: string): string {
  if (typeof value === 'string') return value;
  const rounded = Math.abs(value) >= 100 ? Math.round(value * 10) / 10 : Math.round(value * 1000) / 1000;
  return unit ? `${rounded} ${unit}` : String(rounded);
}

/** `+50.0 %`, `-3.2 %`, or '' when there is no relative change. */
export function formatChange(change: number | null): string {
  if (change === null) return '';
  const pct = change * 100;
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(1)} %`;
}

/** What a metric's spec tolerates, in words (`+20 % and 5 ms`, `no step down`). */
export function formatTolerance(spec: MetricSpec): string {
  if (spec.levels) return spec.direction === 'equal' ? 'no change' : `no step ${spec.direction === 'higher' ? 'down' : 'up'}`;
  const sign = spec.direction === 'lower' ? '+' : spec.direction === 'higher' ? '-' : '±';
  const rel = spec.tolerance > 0 ? `${sign}${Math.round(spec.tolerance * 1000) / 10} %` : spec.direction === 'equal' ? 'no change' : `no ${spec.direction === 'lower' ? 'rise' : 'drop'}`;
  return spec.minDelta ? `${rel} and more than ${formatValue(spec.minDelta, spec.unit)}` : rel;
}

/** One line about one metric (`p95Ms 52 ms → 78 ms (+50.0 %), tolerated +20 % and more than 5 ms`). */
export function describeMetric(m: MetricComparison): string {
  const move = `${m.metric} ${formatValue(m.baseline, m.spec.unit)} → ${formatValue(m.current, m.spec.unit)}`;
  const change = m.outcome === 'unchanged' ? '' : formatChange(m.change);
  if (m.outcome === 'not-comparable') return `${move}: not compared, ${m.reason}`;
  return `${move}${change ? ` (${change})` : ''}, ${m.outcome}${m.outcome === 'regressed' ? ` (tolerated: ${formatTolerance(m.spec)})` : ''}`;
}

const runLine = (r: RunRef) => `${r.label ?? '(unlabelled)'} · ${r.release ?? 'no release'} · ${r.verdict} · ${r.startedAt} · ${r.runId.slice(0, 8)}`;

/**
 * The comparison as plain text (`golive diff`): one line per compared figure, marked `✗` (regressed), `!` (not
 * compared) or `✓`, the new finding codes, the checks that could not be compared, and the count of regressions.
 * Text from reports is not made inert here: the caller does, for its medium.
 */
export function renderComparison(cmp: ReportComparison): string {
  const lines = [`baseline: ${runLine(cmp.baseline)}`, `run:      ${runLine(cmp.current)}`, ''];
  for (const c of cmp.checks) {
    lines.push(`${c.regressed ? '✗' : '✓'} ${c.id} (${c.kind})`);
    for (const m of c.metrics) lines.push(`    ${m.outcome === 'regressed' ? '✗' : m.outcome === 'not-comparable' ? '!' : '✓'} ${describeMetric(m)}`);
    if (c.newFindings.length) lines.push(`    ✗ new finding code(s): ${c.newFindings.join(', ')}`);
    if (!c.metrics.length && !c.newFindings.length) lines.push('    ✓ no declared figure to compare, no new finding code');
  }
  if (cmp.uncompared.length) {
    lines.push('', 'not compared:');
    for (const u of cmp.uncompared) lines.push(`  - ${u.id}: ${u.reason}`);
  }
  const n = cmp.regressions;
  lines.push('', n ? `${n} of ${cmp.checks.length} compared check${cmp.checks.length === 1 ? '' : 's'} regressed.` : `No regression in ${cmp.checks.length} compared check${cmp.checks.length === 1 ? '' : 's'}.`);
  return `${lines.join('\n')}\n`;
}
