/**
 * The comparison with a baseline as check results, which the runner adds to the report in a last stage,
 * `baseline`: one result `baseline/<checkId>` per check compared, at the configured baseline level, so a
 * regression gates (level error) or is reported (level warn) like any check. A missing baseline is one `baseline`
 * result with a warning, never an error.
 */
import type { CheckResult, Json, Observation } from '../core/result.ts';
import { BASELINE_STAGE, type CheckComparison, describeMetric, formatChange, formatTolerance, formatValue, type ReportComparison, type RunRef } from './compare.ts';

export { BASELINE_STAGE } from './compare.ts';

/** Options of the baseline results. */
export interface BaselineResultOptions {
  level: 'error' | 'warn';
  /** Where the baseline came from, for messages (`golive-history/ (last GO run)`, `old/report.json`). */
  source: string;
  /** Wall-clock ms of the comparison. */
  now: number;
}

const runName = (r: RunRef) => `${r.release ?? 'run'} ${r.runId.slice(0, 8)} (${r.startedAt})`;

function shell(id: string, title: string, o: BaselineResultOptions) {
  return { id, kind: BASELINE_STAGE, title, level: o.level, stage: BASELINE_STAGE, startedAt: new Date(o.now).toISOString(), durationMs: 0, artifacts: [] };
}

/** The result of one compared check. */
function checkResult(c: CheckComparison, cmp: ReportComparison, o: BaselineResultOptions): CheckResult {
  const observations: Observation[] = [];
  for (const m of c.metrics) {
    const unit = m.spec.unit;
    if (m.outcome === 'not-comparable') {
      observations.push({
        name: m.metric,
        expected: 'comparable with the baseline',
        actual: `not compared: ${m.reason}`,
        passed: false,
        severity: 'warn',
        code: 'BASELINE_NOT_COMPARABLE',
        message: `${c.id}: ${m.metric} not compared with the baseline: ${m.reason}`,
      });
      continue;
    }
    const regressed = m.outcome === 'regressed';
    const observation: Observation = {
      name: m.metric,
      expected: `${formatTolerance(m.spec)} from ${formatValue(m.baseline, unit)}`,
      actual: `${formatValue(m.current, unit)}${m.change !== null && m.outcome !== 'unchanged' ? ` (${formatChange(m.change)})` : ''}`,
      passed: !regressed,
      message: `${c.id}: ${describeMetric(m)}`,
    };
    if (regressed) observation.code = 'BASELINE_REGRESSION';
    observations.push(observation);
  }
  const findings: Observation = {
    name: 'new-findings',
    expected: 'no finding code the baseline did not have',
    actual: c.newFindings.length ? c.newFindings.join(', ') : 'none',
    passed: c.newFindings.length === 0,
    message: c.newFindings.length ? `${c.id}: new finding code(s) since the baseline: ${c.newFindings.join(', ')}` : `${c.id}: no new finding code`,
  };
  if (c.newFindings.length) findings.code = 'BASELINE_NEW_FINDING';
  observations.push(findings);
  const regressions = observations.filter((x) => !x.passed && x.severity !== 'warn');
  const warnings = observations.filter((x) => !x.passed && x.severity === 'warn').map((x) => x.message);
  const compared = c.metrics.filter((m) => m.outcome !== 'not-comparable');
  const summary = regressions.length
    ? regressions.map((x) => x.message.replace(`${c.id}: `, '')).join('; ')
    : `no regression against ${runName(cmp.baseline)} (${compared.length} figure${compared.length === 1 ? '' : 's'} compared)`;
  const data: Record<string, Json> = {
    checkId: c.id,
    source: o.source,
    baseline: { ...cmp.baseline },
    metrics: c.metrics.map((m) => ({ metric: m.metric, baseline: m.baseline, current: m.current, change: m.change, outcome: m.outcome, tolerance: formatTolerance(m.spec), ...(m.reason ? { reason: m.reason } : {}) })),
    newFindings: c.newFindings,
  };
  const base = {
    ...shell(`${BASELINE_STAGE}/${c.id}`, `Baseline: ${c.title}`, o),
    observations,
    warnings,
    metrics: { compared: compared.length, regressions: regressions.length },
    data,
    summary,
    presentation: {
      keyFigure: regressions.length ? `${regressions.length} regression${regressions.length === 1 ? '' : 's'}` : `no regression (${compared.length} compared)`,
      tables: [
        {
          id: 'baseline-metrics',
          title: `${c.id} against ${runName(cmp.baseline)}`,
          columns: ['figure', 'baseline', 'run', 'change', 'tolerated', 'outcome'],
          rows: c.metrics.map((m) => [
            m.metric,
            formatValue(m.baseline, m.spec.unit),
            formatValue(m.current, m.spec.unit),
            formatChange(m.change) || null,
            formatTolerance(m.spec),
            m.outcome === 'not-comparable' ? `not compared: ${m.reason}` : m.outcome,
          ]),
        },
      ],
    },
  };
  return regressions.length ? { ...base, status: 'fail' } : { ...base, status: 'pass' };
}

/** A result that passes with a warning (no baseline, nothing in common). */
export function baselineWarning(code: 'BASELINE_MISSING' | 'BASELINE_NOTHING_COMPARED', message: string, o: BaselineResultOptions): CheckResult {
  return {
    ...shell(BASELINE_STAGE, 'Baseline', o),
    status: 'pass',
    observations: [{ name: 'baseline', expected: 'a baseline run to compare with', actual: message, passed: false, severity: 'warn', code, message }],
    warnings: [message],
    metrics: { compared: 0, regressions: 0 },
    data: { source: o.source },
    summary: message,
  };
}

/** The baseline results of a comparison: one per compared check, or one warning when none could be compared. */
export function baselineResults(cmp: ReportComparison, o: BaselineResultOptions): CheckResult[] {
  const out = cmp.checks.map((c) => checkResult(c, cmp, o));
  if (out.length === 0) {
    out.push(baselineWarning('BASELINE_NOTHING_COMPARED', `no check of this run could be compared with the baseline ${runName(cmp.baseline)} from ${o.source}`, o));
  }
  return out;
}
