/**
 * Reading reports written earlier (a baseline, a run of a history, `golive diff`'s operands). Such a file is
 * input like any other: bounded in size, parsed without trusting its shape, and checked for the fields a
 * comparison reads; a problem is a ReportReadError naming the file, never a crash.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { ComparableReport } from '../baseline/compare.ts';
import { ReportReadError } from '../core/errors.ts';

/** Largest report file read (a report with a load check's data is a few MB at most). */
export const MAX_REPORT_FILE_BYTES = 64 * 1024 * 1024;

/** Directory of the run files in a history. */
export const RUNS_DIR = 'runs';

const scalar = z.union([z.number(), z.string(), z.boolean(), z.null()]);

/** The part of a report a comparison and a history read; everything else is kept as it is. */
const comparableSchema = z.looseObject({
  schemaVersion: z.string().regex(/^1\./, 'expected a report of schema version 1.x'),
  runId: z.string().min(1),
  startedAt: z.string(),
  verdict: z.enum(['GO', 'NO-GO', 'INCONCLUSIVE']),
  label: z.string().optional(),
  release: z.string().nullable().optional(),
  stages: z.array(
    z.looseObject({
      name: z.string(),
      checks: z.array(
        z.looseObject({
          id: z.string(),
          kind: z.string(),
          title: z.string(),
          stage: z.string(),
          status: z.enum(['pass', 'fail', 'error', 'skip']),
          metrics: z.record(z.string(), scalar),
          observations: z.array(z.looseObject({ passed: z.boolean(), code: z.string().optional() })),
        }),
      ),
    }),
  ),
});

/** Parses report text; throws ReportReadError naming `name` and the first problem. */
export function parseReport(text: string, name: string): ComparableReport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ReportReadError(`${name}: not JSON (${(err as Error).message.slice(0, 200)})`);
  }
  const version = (value as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === 'string' && /^\d+\./.test(version) && !version.startsWith('1.')) {
    throw new ReportReadError(`${name}: a report of schema version ${version.slice(0, 20)}; this golive reads 1.x`, { details: { otherVersion: true } });
  }
  const parsed = comparableSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.map(String).join('.') : '(root)';
    throw new ReportReadError(`${name}: not a golive report: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data as unknown as ComparableReport;
}

/** Reads and parses a report file (at most MAX_REPORT_FILE_BYTES). */
export async function readReportFile(path: string, name = path): Promise<ComparableReport> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new ReportReadError(`${name}: not a file`);
    size = s.size;
  } catch (err) {
    if (err instanceof ReportReadError) throw err;
    throw new ReportReadError(`${name}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (size > MAX_REPORT_FILE_BYTES) throw new ReportReadError(`${name}: ${size} bytes, more than the ${MAX_REPORT_FILE_BYTES} a report may have`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ReportReadError(`${name}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseReport(text, name);
}

/** A run file of a history: its path and report, or why it could not be read (`otherVersion`: written by another major version). */
export type RunFile = { file: string; report: ComparableReport } | { file: string; problem: string; otherVersion: boolean };

/** Reads every run file of a history (`runs/*.json`), oldest first; unreadable ones come back with their problem. */
export async function readRunFiles(dir: string): Promise<RunFile[]> {
  let names: string[];
  try {
    names = (await readdir(join(dir, RUNS_DIR))).filter((n) => n.endsWith('.json'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: RunFile[] = [];
  for (const name of names) {
    const file = join(RUNS_DIR, name);
    try {
      out.push({ file, report: await readReportFile(join(dir, file), file) });
    } catch (err) {
      out.push({ file, problem: (err as Error).message, otherVersion: (err as ReportReadError).details?.otherVersion === true });
    }
  }
  const time = (r: RunFile) => ('report' in r ? Date.parse(r.report.startedAt) || 0 : 0);
  return out.sort((a, b) => time(a) - time(b) || a.file.localeCompare(b.file));
}

/** Whether a path is a directory (false when it does not exist). */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The baseline in a history directory: its last GO run with the given label, else its last GO run of any label.
 * Undefined when it has none.
 */
export async function lastGoRun(dir: string, label: string | undefined): Promise<{ report: ComparableReport; file: string } | undefined> {
  const runs = (await readRunFiles(dir)).filter((r): r is Extract<RunFile, { report: unknown }> => 'report' in r && r.report.verdict === 'GO');
  const same = runs.filter((r) => r.report.label === label);
  const pick = (same.length ? same : runs).at(-1);
  return pick ? { report: pick.report, file: pick.file } : undefined;
}
