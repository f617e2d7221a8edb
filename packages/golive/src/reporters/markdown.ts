/** The Markdown reporter: a summary table, also appended to $GITHUB_STEP_SUMMARY in GitHub Actions. */
import { markdownCode, markdownText } from '../core/inert.ts';
import type { PresentationTable, Report } from '../core/result.ts';
import { STATUS_ICON, clip, failureLines, formatMs, keyFigure, statusLabel, verdictLine, VERDICT_MEANING } from './format.ts';

/** File name of the Markdown report inside the output directory. */
export const MARKDOWN_REPORT_FILE = 'summary.md';

/** A table cell of text from config (titles, stage names): every Markdown character escaped. */
function cell(text: string): string {
  return markdownText(clip(text, 160));
}

/** A table cell of evidence (target text): an inert code span. */
function evidence(text: string, max = 160): string {
  return markdownCode(clip(text, max));
}

/** Renders the report as GitHub-flavoured Markdown. */
export function renderMarkdown(report: Report): string {
  const icon = report.verdict === 'GO' ? '✅' : report.verdict === 'NO-GO' ? '❌' : '⚠️';
  const lines = [
    `## ${icon} golive: ${report.verdict}`,
    '',
    `${VERDICT_MEANING[report.verdict]}. ${verdictLine(report)}`,
    '',
    `Target ${markdownCode(report.target.baseUrl)} · ${markdownText(report.source)} · ${report.startedAt} · ${formatMs(report.durationMs)}`,
    '',
    '| | Stage | Check | Level | Result | Evidence | Time |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const stage of report.stages) {
    for (const r of stage.checks) {
      lines.push(`| ${STATUS_ICON[r.status]} | ${cell(stage.name)} | ${cell(`${r.title} (${r.id})`)} | ${r.level} | ${statusLabel(r.status)} | ${evidence(keyFigure(r))} | ${formatMs(r.durationMs)} |`);
    }
  }
  const failing = report.stages.flatMap((s) => s.checks).filter((r) => r.status === 'fail' || r.status === 'error');
  if (failing.length) {
    lines.push('', '### Evidence', '');
    for (const r of failing) {
      lines.push(`- **${markdownText(r.id)}** (${statusLabel(r.status)})`);
      for (const f of failureLines(r)) lines.push(`  - ${evidence(f, 500)}`);
    }
  }
  // Tables the kinds declare (a score table, findings), folded away so the summary stays short.
  const tabled = report.stages.flatMap((s) => s.checks).filter((r) => (r.presentation?.tables ?? []).some((t) => t.rows.length > 0));
  for (const r of tabled) {
    for (const t of r.presentation?.tables ?? []) {
      if (t.rows.length === 0) continue;
      lines.push('', `<details><summary>${cell(`${r.id}: ${t.title}`)}</summary>`, '', ...tableLines(t), '', '</details>');
    }
  }
  lines.push('');
  return lines.join('\n');
}

/** Rows of a presentation table shown in Markdown (bounded, so a long findings list cannot flood a summary). */
const MAX_TABLE_ROWS = 50;

function tableLines(t: PresentationTable): string[] {
  const out = [`| ${t.columns.map(cell).join(' | ')} |`, `|${t.columns.map(() => '---').join('|')}|`];
  for (const row of t.rows.slice(0, MAX_TABLE_ROWS)) out.push(`| ${row.map((v) => evidence(v === null ? '' : String(v))).join(' | ')} |`);
  if (t.rows.length > MAX_TABLE_ROWS) out.push('', `${t.rows.length - MAX_TABLE_ROWS} more rows in report.json.`);
  return out;
}
