/**
 * The run history's document (history.json): a summary of every kept run, oldest first; the index rows, one
 * per (label, release), each the latest run of that key; and the trends of the key figures across runs. The
 * figures are the metrics each kind declares (`metrics` of its definition), read from the results of every
 * run: no kind is named here.
 */
import type { KindMetricSpecs, ComparableReport } from '../baseline/compare.ts';
import type { Plot, PlotSeries } from '../core/result.ts';

/** Format of history.json (a reader checks it before trusting the rest). */
export const HISTORY_FORMAT = 1;

/** One figure of a run: a declared metric of one check. */
export interface RunFigure {
  check: string;
  kind: string;
  metric: string;
  value: number;
  unit?: string;
}

/** Counts of a run's results. */
export interface RunCounts {
  checks: number;
  pass: number;
  fail: number;
  error: number;
  skip: number;
}

/** What history.json keeps of one run. */
export interface RunSummary {
  runId: string;
  startedAt: string;
  label: string;
  release: string | null;
  verdict: string;
  source: string | null;
  baseUrl: string | null;
  durationMs: number | null;
  totals: RunCounts;
  /** The run file (the whole redacted report), relative to the history directory. */
  report: string;
  /** The run's HTML report copied into the history, relative to the history directory, if there was one. */
  html: string | null;
  figures: RunFigure[];
}

/** One row of the index: the latest run of a (label, release), and how many runs that key had. */
export interface HistoryRow {
  label: string;
  release: string | null;
  runId: string;
  runs: number;
}

/** history.json. */
export interface HistoryDocument {
  format: typeof HISTORY_FORMAT;
  tool: 'golive';
  updatedAt: string;
  /** Every kept run, oldest first. */
  runs: RunSummary[];
  /** One per (label, release), the most recent first. */
  rows: HistoryRow[];
}

type LooseReport = ComparableReport & { source?: unknown; durationMs?: unknown; target?: { baseUrl?: unknown } };

/** The label a run is filed under (reports older than 1.1 have none: their source stands in). */
export function labelOf(r: LooseReport): string {
  if (typeof r.label === 'string' && r.label) return r.label;
  return typeof r.source === 'string' && r.source ? r.source : '(unlabelled)';
}

/** The summary of one run, with its figures read through the kinds' metric specs. */
export function summariseRun(r: LooseReport, files: { report: string; html: string | null }, kinds: readonly KindMetricSpecs[]): RunSummary {
  const totals: RunCounts = { checks: 0, pass: 0, fail: 0, error: 0, skip: 0 };
  const figures: RunFigure[] = [];
  for (const stage of r.stages) {
    for (const c of stage.checks) {
      totals.checks++;
      totals[c.status]++;
      if (c.status !== 'pass' && c.status !== 'fail') continue;
      const specs = kinds.find((k) => k.kind === c.kind)?.metrics ?? {};
      for (const [metric, spec] of Object.entries(specs)) {
        const value = c.metrics[metric];
        if (spec.levels || typeof value !== 'number' || !Number.isFinite(value)) continue;
        figures.push({ check: c.id, kind: c.kind, metric, value, ...(spec.unit ? { unit: spec.unit } : {}) });
      }
    }
  }
  return {
    runId: r.runId,
    startedAt: r.startedAt,
    label: labelOf(r),
    release: typeof r.release === 'string' ? r.release : null,
    verdict: r.verdict,
    source: typeof r.source === 'string' ? r.source : null,
    baseUrl: typeof r.target?.baseUrl === 'string' ? r.target.baseUrl : null,
    durationMs: typeof r.durationMs === 'number' ? r.durationMs : null,
    totals,
    report: files.report,
    html: files.html,
    figures,
  };
}

const rowKey = (r: Pick<RunSummary, 'label' | 'release'>) => JSON.stringify([r.label, r.release]);

/** The document of a set of runs (given oldest first): a rerun of a (label, release) replaces its row. */
export function buildHistory(runs: readonly RunSummary[], now: Date): HistoryDocument {
  const rows = new Map<string, HistoryRow>();
  for (const r of runs) {
    const key = rowKey(r);
    const before = rows.get(key);
    rows.delete(key); // re-inserted last: rows follow the latest run of each key
    rows.set(key, { label: r.label, release: r.release, runId: r.runId, runs: (before?.runs ?? 0) + 1 });
  }
  return { format: HISTORY_FORMAT, tool: 'golive', updatedAt: now.toISOString(), runs: [...runs], rows: [...rows.values()].reverse() };
}

/**
 * The trend plots of a history: the counts of results per run, then one plot per declared metric (of a check id)
 * that at least two runs have. x is the run's number in the history (1 = the oldest kept).
 */
export function trendPlots(doc: Pick<HistoryDocument, 'runs'>): Plot[] {
  const x = { label: 'run (oldest kept = 1)' };
  const counts: PlotSeries[] = (['pass', 'fail', 'error', 'skip'] as const).map((status) => ({
    name: status,
    points: doc.runs.map((r, i): [number, number] => [i + 1, r.totals[status]]),
  }));
  const plots: Plot[] = [
    {
      id: 'trend-counts',
      title: 'Results per run',
      mark: 'line',
      x,
      y: { label: 'checks' },
      series: counts.filter((s) => s.points.some(([, y]) => y > 0)),
      description: `Checks that passed, failed, could not be evaluated or were skipped in each of the ${doc.runs.length} runs kept.`,
    },
  ];
  const byFigure = new Map<string, { check: string; metric: string; unit?: string | undefined; points: Array<[number, number]> }>();
  doc.runs.forEach((r, i) => {
    for (const f of r.figures) {
      const key = JSON.stringify([f.check, f.metric]);
      const entry = byFigure.get(key) ?? { check: f.check, metric: f.metric, unit: f.unit, points: [] };
      entry.points.push([i + 1, f.value]);
      byFigure.set(key, entry);
    }
  });
  for (const f of byFigure.values()) {
    if (f.points.length < 2) continue;
    plots.push({
      id: `trend-${f.check}-${f.metric}`,
      title: `${f.check}: ${f.metric}`,
      mark: 'line',
      x,
      y: { label: f.metric, ...(f.unit ? { unit: f.unit } : {}) },
      series: [{ name: f.check, points: f.points }],
      description: `${f.metric} of check ${f.check} in the ${f.points.length} runs that measured it (from ${f.points[0]?.[1]} to ${f.points.at(-1)?.[1]}${f.unit ? ` ${f.unit}` : ''}).`,
    });
  }
  return plots;
}
