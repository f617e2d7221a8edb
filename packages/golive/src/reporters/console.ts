/**
 * The console reporter: a progress line per check while the run goes (driven by run events) and a final
 * table with status, the key figure and the evidence. Colour only on a TTY and never with NO_COLOR.
 */
import { escapeControl, neutraliseWorkflowCommands } from '../core/inert.ts';
import type { CheckResult, Report } from '../core/result.ts';
import { clip, failureLines, formatMs, keyFigure, statusLabel, verdictLine } from './format.ts';

/** Target text on one terminal line: control characters shown as escapes, then folded and cut. */
const line = (text: string, max: number) => clip(escapeControl(text), max);

/** Whether to colour output written to a stream. */
export function useColor(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** Options of the console renderer. */
export interface ConsoleOptions {
  color: boolean;
  /** Show every observation, not only failing ones. */
  verbose?: boolean;
  /** Width of the evidence column. */
  width?: number;
}

const CODES = { red: 31, green: 32, yellow: 33, grey: 90, bold: 1 } as const;
type Paint = (style: keyof typeof CODES, text: string) => string;
const painter =
  (color: boolean): Paint =>
  (style, text) =>
    color ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text;

function statusCell(r: Pick<CheckResult, 'status' | 'level'>, paint: Paint): string {
  const label = statusLabel(r.status).padEnd(5);
  if (r.status === 'pass') return paint('green', label);
  if (r.status === 'skip') return paint('grey', label);
  if (r.level === 'warn') return paint('yellow', label);
  return paint('red', label);
}

export { keyFigure };

/** One progress line for a finished check: `[2/4] PASS canary  5/5 2xx, p95 12 ms  (1.5 s)`. */
export function renderProgressLine(r: CheckResult, index: number, total: number, options: ConsoleOptions): string {
  const paint = painter(options.color);
  const n = total > 0 ? `[${index + 1}/${total}] ` : '';
  const warn = r.level === 'warn' && r.status !== 'pass' && r.status !== 'skip' ? ' (warn)' : '';
  return neutraliseWorkflowCommands(`${paint('grey', n)}${statusCell(r, paint)} ${line(r.id, 80)}${warn}  ${line(keyFigure(r), options.width ?? 100)}  ${paint('grey', `(${formatMs(r.durationMs)})`)}`);
}

/** Renders the final table, the evidence of failures and the verdict. */
export function renderConsole(report: Report, options: ConsoleOptions): string {
  const paint = painter(options.color);
  const all = report.stages.flatMap((s) => s.checks);
  const idWidth = Math.min(32, Math.max(5, ...all.map((r) => r.id.length)));
  const stageWidth = Math.min(16, Math.max(5, ...report.stages.map((s) => s.name.length)));
  const lines: string[] = ['', paint('bold', `golive ${report.tool.version} · ${line(report.target.baseUrl, 200)} · ${line(report.source, 200)}`), ''];
  lines.push(paint('grey', `${'STATUS'.padEnd(6)} ${'STAGE'.padEnd(stageWidth)} ${'CHECK'.padEnd(idWidth)} ${'TIME'.padStart(9)}  EVIDENCE`));
  for (const stage of report.stages) {
    for (const r of stage.checks) {
      const lvl = r.level === 'warn' ? paint('grey', ' (warn)') : '';
      lines.push(
        `${statusCell(r, paint)}  ${line(stage.name, 80).padEnd(stageWidth)} ${line(r.id, 80).padEnd(idWidth)} ${formatMs(r.durationMs).padStart(9)}  ${line(keyFigure(r), options.width ?? 100)}${lvl}`,
      );
    }
  }
  const failing = all.filter((r) => r.status === 'fail' || r.status === 'error');
  if (failing.length) {
    lines.push('', paint('bold', 'Evidence:'));
    for (const r of failing) {
      lines.push(`  ${paint(r.level === 'warn' ? 'yellow' : 'red', `${line(r.id, 80)} ${statusLabel(r.status)}`)}${r.level === 'warn' ? ' (warn, does not gate)' : ''}`);
      for (const f of failureLines(r)) lines.push(`    - ${line(f, 400)}`);
    }
  }
  const warned = all.filter((r) => r.warnings.length > 0);
  if (warned.length) {
    lines.push('', paint('bold', 'Warnings:'));
    for (const r of warned) for (const w of r.warnings) lines.push(`  ${paint('yellow', line(r.id, 80))}: ${line(w, 400)}`);
  }
  if (options.verbose) {
    lines.push('', paint('bold', 'Observations:'));
    for (const r of all) for (const o of r.observations) lines.push(`  ${line(r.id, 80)} ${o.passed ? paint('green', 'ok') : paint('red', 'not ok')} ${line(o.name, 80)}: ${line(o.message, 400)}`);
  }
  const colour = report.verdict === 'GO' ? 'green' : report.verdict === 'NO-GO' ? 'red' : 'yellow';
  lines.push('', paint('bold', paint(colour, verdictLine(report))), '');
  return neutraliseWorkflowCommands(lines.join('\n'));
}
