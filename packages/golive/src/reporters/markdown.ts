/** The Markdown reporter: a summary table, also appended to $GITHUB_STEP_SUMMARY in GitHub Actions. */
import type { Report } from '../core/result.ts';
import { STATUS_ICON, clip, evidenceLine, failureLines, formatMs, statusLabel, verdictLine, VERDICT_MEANING } from './format.ts';

/** File name of the Markdown report inside the output directory. */
export const MARKDOWN_REPORT_FILE = 'summary.md';

/** Escapes a table cell. */
function cell(text: string): string {
  return clip(text, 160).replace(/\|/g, '\\|').replace(/`/g, "'");
}

/** Renders the report as GitHub-flavoured Markdown. */
export function renderMarkdown(report: Report): string {
  const icon = report.verdict === 'GO' ? '✅' : report.verdict === 'NO-GO' ? '❌' : '⚠️';
  const lines = [
    `## ${icon} golive: ${report.verdict}`,
    '',
    `${VERDICT_MEANING[report.verdict]}. ${verdictLine(report)}`,
    '',
    `Target \`${report.target.baseUrl}\` · ${report.source} · ${report.startedAt} · ${formatMs(report.durationMs)}`,
    '',
    '| | Stage | Check | Level | Result | Evidence | Time |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const stage of report.stages) {
    for (const r of stage.checks) {
      lines.push(`| ${STATUS_ICON[r.status]} | ${cell(stage.name)} | ${cell(`${r.title} (${r.id})`)} | ${r.level} | ${statusLabel(r.status)} | ${cell(evidenceLine(r))} | ${formatMs(r.durationMs)} |`);
    }
  }
  const failing = report.stages.flatMap((s) => s.checks).filter((r) => r.status === 'fail' || r.status === 'error');
  if (failing.length) {
    lines.push('', '### Evidence', '');
    for (const r of failing) {
      lines.push(`- **${r.id}** (${statusLabel(r.status)})`);
      for (const f of failureLines(r)) lines.push(`  - ${clip(f, 500).replace(/`/g, "'")}`);
    }
  }
  lines.push('');
  return lines.join('\n');
}
