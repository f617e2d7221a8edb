/** The text reporter: a tests.txt-style summary for people and for artifact stores. */
import { inertText } from '../core/inert.ts';
import type { Report } from '../core/result.ts';
import { STATUS_ICON, failureLines, keyFigure, statusLabel, verdictLine } from './format.ts';

/** File name of the text report inside the output directory. */
export const TEXT_REPORT_FILE = 'tests.txt';

/** Renders the report as plain text. */
export function renderText(report: Report): string {
  const lines = [
    'golive — go-live readiness gate',
    `Timestamp: ${report.startedAt}`,
    `Base URL: ${report.target.baseUrl}${report.target.managed ? ' (managed)' : ''}`,
    `Source: ${report.source}`,
    '',
  ];
  for (const stage of report.stages) {
    lines.push(`[${stage.name}] ${statusLabel(stage.status)}`);
    for (const r of stage.checks) {
      const level = r.level === 'warn' ? ' (warn)' : '';
      lines.push(`${STATUS_ICON[r.status]} ${r.title} [${r.id}]${level}: ${statusLabel(r.status)} — ${keyFigure(r)}`);
      // Every failing observation, except one the line above already shows as the summary.
      if (r.status === 'fail') for (const f of failureLines(r)) if (!f.endsWith(r.summary)) lines.push(`    ${f}`);
      for (const w of r.warnings) lines.push(`    warning: ${w}`);
    }
    lines.push('');
  }
  lines.push(`Status: ${report.verdict === 'GO' ? 'PASS' : 'FAIL'}`, `Verdict: ${verdictLine(report)}`, '');
  // Evidence may hold escape sequences or `::` lines from the target: shown, never acted on, when the file is printed.
  return inertText(lines.join('\n'));
}
