/**
 * `golive diff BASELINE RUN`: compares two reports with the comparison a gate's baseline uses (the metric
 * directions and tolerances the kinds declare, grades within one algorithm version, new finding codes) and prints
 * it. Exit 0 without a regression, 1 with one, 2 when an operand cannot be read.
 */
import { resolve } from 'node:path';
import { compareReports, renderComparison } from '../baseline/compare.ts';
import { builtinChecks } from '../checks/registry.ts';
import { ReportReadError, UsageError } from '../core/errors.ts';
import { ExitCode } from '../core/exit-codes.ts';
import { inertText } from '../core/inert.ts';
import { Redactor } from '../core/redact.ts';
import { isDirectory, lastGoRun, readReportFile } from '../history/read-report.ts';
import { parse } from './args.ts';
import type { CliCommand } from './io.ts';

/** Reads an operand: a report file, or a history directory (its last GO run). */
async function operand(path: string, cwd: string, label?: string) {
  const full = resolve(cwd, path);
  if (await isDirectory(full)) {
    const run = await lastGoRun(full, label).catch((err: NodeJS.ErrnoException) => {
      throw new ReportReadError(`${path}: cannot read the history (${err.code ?? err.message})`);
    });
    if (!run) throw new ReportReadError(`${path}: a directory without a GO run in runs/ (expected a report.json or a run history)`);
    return run.report;
  }
  return readReportFile(full, path);
}

/** The diff command. */
export const diffCommand: CliCommand = {
  name: 'diff',
  summary: 'Compare two reports (baseline, then run) and print each regression; exit 1 on a regression',
  help: `Usage: golive diff <baseline> <run>

Compares a run's report with a baseline report, check by check (by id), the way --baseline does in a gate:
each metric a check's kind declares (direction and tolerance: a canary's p95 may rise 20 % and 5 ms, a
security grade may not drop, compared only under the same scoring algorithm), and every finding code the
baseline did not have. <baseline> may also be a run history directory (its last GO run).

Exit codes: 0 no regression · 1 a regression · 2 an operand cannot be read or is not a golive report.

Examples:
  golive diff last-release/report.json golive-report/report.json
  golive diff golive-history golive-report/report.json`,
  async run(argv, io) {
    const { values, positionals } = parse('diff', argv, { help: { type: 'boolean', short: 'h' } });
    if (values.help) {
      io.stdout.write(`${diffCommand.help}\n`);
      return ExitCode.GO;
    }
    if (positionals.length !== 2) throw new UsageError(`golive diff takes two reports, the baseline then the run (got ${positionals.length})`);
    const [a, b] = positionals as [string, string];
    const run = await operand(b, io.cwd);
    const baseline = await operand(a, io.cwd, run.label);
    const cmp = compareReports(baseline, run, builtinChecks);
    io.stdout.write(inertText(Redactor.fromEnv(io.env).redact(renderComparison(cmp))));
    return cmp.regressions > 0 ? ExitCode.NO_GO : ExitCode.GO;
  },
};
