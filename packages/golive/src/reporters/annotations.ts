/**
 * GitHub Actions workflow annotations for a report: one `::error` per error-level check that failed or could not
 * be evaluated, one `::warning` per warn-level one. Everything in them is escaped the way the runner reads
 * workflow commands (`%`, CR and LF in the message; also `:` and `,` in properties), so target text inside can
 * neither end the annotation nor start another command.
 */
import { escapeControl } from '../core/inert.ts';
import type { Report } from '../core/result.ts';
import { clip, failureLines } from './format.ts';

/** Escapes the message part of a workflow command. */
export function escapeCommandData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a property value (`title=...`) of a workflow command. */
export function escapeCommandProperty(text: string): string {
  return escapeCommandData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** The annotation lines of a report (empty when every check passed or was skipped). */
export function renderAnnotations(report: Report): string[] {
  const out: string[] = [];
  for (const stage of report.stages) {
    for (const r of stage.checks) {
      if (r.status !== 'fail' && r.status !== 'error') continue;
      const command = r.level === 'warn' ? 'warning' : 'error';
      const title = escapeCommandProperty(escapeControl(`golive ${r.id} (${stage.name}): ${r.status.toUpperCase()}`));
      const message = escapeCommandData(escapeControl(failureLines(r).map((f) => clip(f, 400)).join('\n') || r.summary));
      out.push(`::${command} title=${title}::${message}`);
    }
  }
  return out;
}
