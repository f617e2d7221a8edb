/**
 * What a gate run on the command line adds around the library's run: the release defaulting to `git describe`,
 * the baseline read from a file or a history, and the run written into its history after the reports.
 */
import { execFile } from 'node:child_process';
import { relative, resolve } from 'node:path';
import type { ResolvedConfig } from '../config/resolve.ts';
import { isDirectory, lastGoRun, readReportFile } from '../history/read-report.ts';
import type { RunGateOptions } from '../runner/run-gate.ts';

/** How long `git describe` may take before the release is left unknown. */
export const GIT_DESCRIBE_TIMEOUT_MS = 3000;

/**
 * `git describe --always --dirty` in `cwd`, or null: outside a repository, without git, or when it does not answer
 * within {@link GIT_DESCRIBE_TIMEOUT_MS}. Never throws; the first line only, at most 200 characters.
 */
export function gitRelease(cwd: string, env: Readonly<Record<string, string | undefined>>): Promise<string | null> {
  return new Promise((done) => {
    try {
      execFile(
        'git',
        ['describe', '--always', '--dirty'],
        // No prompt, no lock taken on the index: a concurrent git command in the repository is never disturbed.
        { cwd, env: { ...env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' }, timeout: GIT_DESCRIBE_TIMEOUT_MS, maxBuffer: 64 * 1024, windowsHide: true },
        (err, stdout) => {
          const line = String(stdout ?? '').split('\n')[0]?.trim() ?? '';
          done(err || !line ? null : line.slice(0, 200));
        },
      ).on('error', () => done(null));
    } catch {
      done(null);
    }
  });
}

/**
 * The baseline of a run: `baseline.from` (a report file, or a history directory's last GO run with the run's
 * label, else of any label), else the last GO run of `history`. A baseline that cannot be read is a warning in
 * the report (`missing`), never a failure of the run. Undefined when no baseline is asked for or the level is off.
 */
export async function baselineFor(config: ResolvedConfig, label: string, cwd: string): Promise<RunGateOptions['baseline']> {
  if (config.baseline?.level === 'off') return undefined;
  const from = config.baseline?.from ?? config.history?.dir;
  if (!from) return undefined;
  const full = resolve(cwd, from);
  const shown = relative(cwd, full) || from;
  if (config.baseline?.from === undefined || (await isDirectory(full))) {
    try {
      const run = await lastGoRun(full, label);
      if (run) return { report: run.report, source: `${shown}/${run.file} (last GO run)` };
      return { missing: `no baseline: ${shown} has no GO run yet`, source: shown };
    } catch (err) {
      return { missing: `no baseline: ${shown} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, source: shown };
    }
  }
  try {
    return { report: await readReportFile(full, shown), source: shown };
  } catch (err) {
    return { missing: `no baseline: ${(err as Error).message}`, source: shown };
  }
}
