/**
 * Writing a run into a history directory. The history is append-only: each run adds `runs/<runId>.json` (the
 * whole redacted report) and, when the run wrote one, `reports/<runId>.html`; then, under a lock, history.json
 * and index.html are rebuilt from every run file. Two runs at once lose no row: each writes its own run file
 * (atomically, by rename) before it takes the lock, so whoever rebuilds last sees both. A corrupt file is renamed
 * aside and reported, never overwritten; every byte written goes through the run's redactor.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import lockfile from 'proper-lockfile';
import type { KindMetricSpecs } from '../baseline/compare.ts';
import type { Redactor } from '../core/redact.ts';
import type { Report } from '../core/result.ts';
import { renderHistoryIndex } from './index-html.ts';
import { buildHistory, HISTORY_FORMAT, type HistoryDocument, type RunSummary, summariseRun } from './model.ts';
import { readRunFiles, RUNS_DIR } from './read-report.ts';

/** Directory of the HTML reports (and their artifacts) copied into a history: `reports/<runId>/report.html`. */
export const REPORTS_DIR = 'reports';
/** Most bytes of artifacts copied beside a run's HTML report (a load result file is a few MB at most). */
export const MAX_COPIED_ARTIFACT_BYTES = 32 * 1024 * 1024;
/** The history document and its index page. */
export const HISTORY_FILE = 'history.json';
export const INDEX_FILE = 'index.html';
/** The lock (a directory made atomically by proper-lockfile; stale after `LOCK_STALE_MS` without an update). */
export const LOCK_FILE = '.lock';
const LOCK_STALE_MS = 10_000;
/** How long a run waits for another run's rebuild. */
export const LOCK_WAIT_MS = 30_000;

/** Options of {@link recordRun}. */
export interface RecordRunOptions {
  /** The history directory (absolute). */
  dir: string;
  /** How many runs to keep (the oldest beyond are removed). */
  keep: number;
  /** Metric specs of the kinds (the figures of the trends). */
  kinds: readonly KindMetricSpecs[];
  redactor: Redactor;
  /**
   * The run's HTML report (`report.html` in the output directory `dir`), copied into the history with the
   * artifacts it links, when it exists.
   */
  htmlReport?: { dir: string; file: string } | undefined;
  now?: () => Date;
  /** How long to wait for another run's lock (default {@link LOCK_WAIT_MS}). */
  lockWaitMs?: number;
}

/** What recording a run did. */
export interface RecordRunResult {
  /** Files written, absolute. */
  written: string[];
  /** Problems met (a corrupt file kept aside, a copy that failed); the run file is in place unless `recorded` is false. */
  problems: string[];
  recorded: boolean;
}

const stamp = (d: Date) => d.toISOString().replace(/[:.]/g, '-');

/** Writes a file atomically: to a temporary name in the same directory, then renamed over the target. */
async function writeAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`;
  try {
    await writeFile(tmp, content);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

const ioMessage = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/** Why history.json cannot be trusted as a file golive wrote, or undefined when it can (or does not exist). */
async function historyFileProblem(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : `cannot be read (${ioMessage(err)})`;
  }
  try {
    const doc = JSON.parse(text) as Partial<HistoryDocument> | null;
    if (typeof doc !== 'object' || doc === null || doc.format !== HISTORY_FORMAT || !Array.isArray(doc.runs) || !Array.isArray(doc.rows)) {
      return `is not a golive history of format ${HISTORY_FORMAT}`;
    }
    return undefined;
  } catch {
    return 'is not JSON';
  }
}

/**
 * Rebuilds history.json and index.html from the run files; the caller holds the lock. Corrupt run files and a
 * corrupt history.json are renamed aside (`<name>.corrupt-<time>`); runs beyond `keep` are removed.
 */
async function rebuild(o: RecordRunOptions, now: Date, out: RecordRunResult): Promise<void> {
  const runs: RunSummary[] = [];
  for (const f of await readRunFiles(o.dir)) {
    if ('problem' in f && f.otherVersion) {
      // Another golive's run file is not corrupt: left in place, out of this history's rows.
      out.problems.push(`${f.problem}: left in place and not shown`);
      continue;
    }
    if ('problem' in f) {
      const aside = `${f.file}.corrupt-${stamp(now)}`;
      try {
        await rename(join(o.dir, f.file), join(o.dir, aside));
        out.problems.push(`${f.problem}; kept aside as ${aside}`);
      } catch (err) {
        out.problems.push(`${f.problem}; could not be kept aside (${ioMessage(err)})`);
      }
      continue;
    }
    const id = f.report.runId;
    const html = join(REPORTS_DIR, id, 'report.html');
    const hasHtml = await readFile(join(o.dir, html)).then(
      () => true,
      () => false,
    );
    runs.push(summariseRun(f.report, { report: f.file, html: hasHtml ? html : null }, o.kinds));
  }
  // Oldest first: the runs beyond `keep` go, with their copied report.
  const pruned = runs.splice(0, Math.max(0, runs.length - o.keep));
  for (const r of pruned) {
    await rm(join(o.dir, r.report), { force: true });
    await rm(join(o.dir, REPORTS_DIR, r.runId), { recursive: true, force: true });
  }
  const historyPath = join(o.dir, HISTORY_FILE);
  const problem = await historyFileProblem(historyPath);
  if (problem) {
    const aside = `${HISTORY_FILE}.corrupt-${stamp(now)}`;
    await rename(historyPath, join(o.dir, aside));
    out.problems.push(`${HISTORY_FILE} ${problem}; kept aside as ${aside} and rebuilt from the run files`);
  }
  const doc = buildHistory(runs, now);
  await writeAtomic(historyPath, o.redactor.redact(`${JSON.stringify(doc, null, 2)}\n`));
  out.written.push(historyPath);
  const indexPath = join(o.dir, INDEX_FILE);
  await writeAtomic(indexPath, o.redactor.redact(renderHistoryIndex(doc)));
  out.written.push(indexPath);
}

/**
 * Copies the run's HTML report into `dest` with the artifacts it links (paths relative to the output directory,
 * so its links keep working), redacted; artifacts past {@link MAX_COPIED_ARTIFACT_BYTES} in all, or outside the
 * output directory, are left out and named.
 */
async function copyHtmlReport(report: Report, from: { dir: string; file: string }, dest: string, redactor: Redactor, out: RecordRunResult): Promise<void> {
  let html: string;
  try {
    html = await readFile(join(from.dir, from.file), 'utf8');
  } catch (err) {
    // No HTML report (the reporter is off, or it failed): the index links the run file instead.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') out.problems.push(`cannot copy the HTML report (${ioMessage(err)})`);
    return;
  }
  const base = resolve(from.dir);
  let budget = MAX_COPIED_ARTIFACT_BYTES;
  const left: string[] = [];
  try {
    await mkdir(dest, { recursive: true });
    for (const artifact of new Set(report.stages.flatMap((s) => s.checks.flatMap((c) => c.artifacts)))) {
      const source = resolve(base, artifact);
      if (!source.startsWith(`${base}${sep}`) || isAbsolute(artifact)) {
        left.push(artifact);
        continue;
      }
      let text: string;
      try {
        text = await readFile(source, 'utf8');
      } catch {
        continue; // an artifact the run could not keep is already reported by the run
      }
      if (Buffer.byteLength(text) > budget) {
        left.push(artifact);
        continue;
      }
      budget -= Buffer.byteLength(text);
      const target = join(dest, relative(base, source));
      await mkdir(dirname(target), { recursive: true });
      await writeAtomic(target, redactor.redact(text));
    }
    const target = join(dest, from.file);
    await writeAtomic(target, redactor.redact(html));
    out.written.push(target);
  } catch (err) {
    out.problems.push(`cannot copy the HTML report (${ioMessage(err)})`);
  }
  if (left.length) out.problems.push(`artifacts not copied into the history (over ${MAX_COPIED_ARTIFACT_BYTES} bytes in all, or outside the output directory): ${left.join(', ')}`);
}

/** Records a run in a history directory; never throws for I/O trouble (see `problems`). */
export async function recordRun(report: Report, o: RecordRunOptions): Promise<RecordRunResult> {
  const now = (o.now ?? (() => new Date()))();
  const out: RecordRunResult = { written: [], problems: [], recorded: false };
  const runFile = join(o.dir, RUNS_DIR, `${report.runId}.json`);
  try {
    await mkdir(join(o.dir, RUNS_DIR), { recursive: true });
    await writeAtomic(runFile, o.redactor.redact(`${JSON.stringify(report, null, 2)}\n`));
    out.written.push(runFile);
    out.recorded = true;
  } catch (err) {
    out.problems.push(`cannot write ${join(RUNS_DIR, `${report.runId}.json`)} (${ioMessage(err)})`);
    return out;
  }
  if (o.htmlReport) await copyHtmlReport(report, o.htmlReport, join(o.dir, REPORTS_DIR, report.runId), o.redactor, out);
  let release: (() => Promise<void>) | undefined;
  try {
    release = await lockfile.lock(o.dir, {
      lockfilePath: join(o.dir, LOCK_FILE),
      stale: LOCK_STALE_MS,
      retries: { retries: Math.ceil((o.lockWaitMs ?? LOCK_WAIT_MS) / 100), minTimeout: 50, maxTimeout: 100, factor: 1.2 },
      realpath: false,
      onCompromised: (err) => {
        out.problems.push(`the history lock was lost (${err.message}); the next run rebuilds the index`);
      },
    });
  } catch (err) {
    out.problems.push(`cannot lock ${LOCK_FILE} (${ioMessage(err)}): history.json and index.html were not rebuilt; the next run rebuilds them`);
    return out;
  }
  try {
    await rebuild(o, now, out);
  } catch (err) {
    out.problems.push(`cannot rebuild the history (${ioMessage(err)})`);
  } finally {
    await release().catch(() => undefined);
  }
  return out;
}
