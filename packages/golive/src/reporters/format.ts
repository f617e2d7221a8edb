/** Small formatting helpers shared by the reporters (pure, core imports only). */
import type { CheckResult, CheckStatus, Report, Verdict } from '../core/result.ts';

/** Upper-case label of a status. */
export function statusLabel(status: CheckStatus): string {
  return status.toUpperCase();
}

/** One symbol per status for text output. */
export const STATUS_ICON: Readonly<Record<CheckStatus, string>> = { pass: '✅', fail: '❌', error: '⚠️', skip: '⏭️' };

/** Milliseconds for humans: `12.3 ms`, `1.24 s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(1)} ms`;
}

/**
 * The key figure of a result, the line tables show: for a pass, what its kind presents as the key figure (else
 * its summary); for a fail, the summary (the first failing evidence); the skip reason or the error otherwise.
 */
export function keyFigure(r: CheckResult): string {
  if (r.status === 'skip') return `skipped: ${r.reason}`;
  if (r.status === 'error') return `${r.error.code}: ${r.error.message}`;
  if (r.status === 'pass' && r.presentation?.keyFigure) return r.presentation.keyFigure;
  return r.summary;
}

/** Every failing observation message of a result (evidence lines). */
export function failureLines(r: CheckResult): string[] {
  if (r.status === 'error') return [`${r.error.code}: ${r.error.message}`];
  if (r.status === 'skip') return [`skipped: ${r.reason}`];
  return r.observations.filter((o) => !o.passed && (o.severity ?? 'error') === 'error').map((o) => (o.code ? `[${o.code}] ${o.message}` : o.message));
}

/** Verdict line: `NO-GO — 1 failed, 3 passed (exit 1)`. */
export function verdictLine(report: Report): string {
  const t = report.totals;
  const parts = [`${t.pass} passed`, `${t.fail} failed`, `${t.error} errors`, `${t.skip} skipped`];
  if (t.warnings) parts.push(`${t.warnings} warning${t.warnings === 1 ? '' : 's'}`);
  return `${report.verdict}: ${parts.join(', ')} (exit ${report.exitCode})`;
}

/** Short explanation of each verdict. */
export const VERDICT_MEANING: Readonly<Record<Verdict, string>> = {
  GO: 'every error-level check passed',
  'NO-GO': 'an error-level check failed',
  INCONCLUSIVE: 'nothing failed, but an error-level check could not be evaluated',
};

/** Cuts a string to `max` characters for table cells. */
export function clip(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length <= max ? one : `${one.slice(0, Math.max(0, max - 1))}…`;
}
