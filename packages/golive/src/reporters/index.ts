/**
 * Writing reports: each reporter is a pure render(report); this module writes their output under the output
 * directory (and the seed artifacts under the compat root) and collects failures instead of throwing, so a
 * failed write never changes the verdict's exit code.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Report } from '../core/result.ts';
import type { CompatChecks, CompatFile } from './compat.ts';
import { renderStage3 } from './compat-stage3.ts';
import { renderStage4 } from './compat-stage4.ts';
import { HTML_REPORT_FILE, renderHtml } from './html.ts';
import { JSON_REPORT_FILE, renderJson } from './json.ts';
import { JUNIT_REPORT_FILE, renderJunit } from './junit.ts';
import { MARKDOWN_REPORT_FILE, renderMarkdown } from './markdown.ts';
import { TEXT_REPORT_FILE, renderText } from './text.ts';

export { renderConsole, renderProgressLine, useColor } from './console.ts';
export { renderHtml } from './html.ts';
export { renderJson } from './json.ts';
export { renderJunit } from './junit.ts';
export { renderMarkdown } from './markdown.ts';
export { renderText } from './text.ts';
export { renderStage3 } from './compat-stage3.ts';
export { renderStage4 } from './compat-stage4.ts';

/** File reporters and the file each writes in the output directory. */
export const FILE_REPORTERS = {
  json: { file: JSON_REPORT_FILE, render: renderJson },
  text: { file: TEXT_REPORT_FILE, render: renderText },
  junit: { file: JUNIT_REPORT_FILE, render: renderJunit },
  markdown: { file: MARKDOWN_REPORT_FILE, render: renderMarkdown },
  html: { file: HTML_REPORT_FILE, render: renderHtml },
} as const satisfies Record<string, { file: string; render: (r: Report) => string }>;

/** Compat artifact sets by name; each reads the results by the check ids its seed preset maps. */
export const COMPAT_RENDERERS: Readonly<Record<'stage3' | 'stage4', (r: Report, checks: CompatChecks) => CompatFile[]>> = {
  stage3: renderStage3,
  stage4: renderStage4,
};

/** Options of writeReports. */
export interface WriteReportsOptions {
  /** Absolute directory of golive's own reports (and of the run's artifacts). */
  dir: string;
  /** Root under which compat files (qa/stage*) are written. */
  compatDir: string;
  /** Reporters to run; `console` is ignored here (the CLI prints it). */
  reporters: readonly string[];
  compat?: 'stage3' | 'stage4' | undefined;
  /** The check id behind each field of the compat artifacts (`ResolvedConfig.compatChecks`). */
  compatChecks?: CompatChecks | undefined;
  /** Applied to every byte written (the run's redactor): a second line behind the report's own redaction. */
  redact?: ((text: string) => string) | undefined;
}

/** What was written and what failed. */
export interface WriteReportsResult {
  written: string[];
  failures: Array<{ path: string; message: string }>;
}

async function writeOne(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}

/** Writes every selected report; never throws for I/O trouble (see `failures`). */
export async function writeReports(report: Report, options: WriteReportsOptions): Promise<WriteReportsResult> {
  const out: WriteReportsResult = { written: [], failures: [] };
  const redact = options.redact ?? ((text: string) => text);
  const attempt = async (path: string, action: () => Promise<void>) => {
    try {
      await action();
      out.written.push(path);
    } catch (err) {
      out.failures.push({ path, message: (err as NodeJS.ErrnoException).code ?? (err as Error).message });
    }
  };
  for (const name of options.reporters) {
    const reporter = FILE_REPORTERS[name as keyof typeof FILE_REPORTERS];
    if (!reporter) continue;
    const path = resolve(options.dir, reporter.file);
    await attempt(path, () => writeOne(path, redact(reporter.render(report))));
  }
  if (options.compat) {
    for (const file of COMPAT_RENDERERS[options.compat](report, options.compatChecks ?? {})) {
      const path = resolve(options.compatDir, file.path);
      if ('content' in file) await attempt(path, () => writeOne(path, redact(file.content)));
      else
        await attempt(path, async () => {
          await mkdir(dirname(path), { recursive: true });
          try {
            await copyFile(resolve(options.dir, file.copyOf), path);
          } catch {
            await writeFile(path, file.fallback);
          }
        });
    }
  }
  return out;
}
