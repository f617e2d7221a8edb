/**
 * Running a gate from the command line (shared by `check` and `run`): resolve the config layers, run with
 * live progress, decide the exit code, then write the reports. A report that cannot be written is reported
 * on stderr (GOLIVE_ERR_REPORT_WRITE) and leaves the exit code alone.
 */
import { appendFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { builtinChecks } from '../checks/registry.ts';
import { normaliseEnv } from '../config/env.ts';
import { DEFAULT_CONFIG_LOAD_TIMEOUT_MS, findConfigFile, loadConfigFile } from '../config/load.ts';
import { type CliOverrides, type ResolvedConfig, resolveConfig, urlProblem } from '../config/resolve.ts';
import { DEFAULT_OUT_DIR, REPORTER_NAMES } from '../config/schema.ts';
import { ConfigError, UsageError } from '../core/errors.ts';
import { inertText } from '../core/inert.ts';
import { renderAnnotations } from '../reporters/annotations.ts';
import { renderConsole, renderProgressLine, useColor } from '../reporters/console.ts';
import { writeReports } from '../reporters/index.ts';
import { renderMarkdown } from '../reporters/markdown.ts';
import type { RunEvent } from '../runner/events.ts';
import { buildRedactor, defaultLabel, runGate } from '../runner/run-gate.ts';
import { INDEX_FILE, recordRun } from '../history/store.ts';
import { HTML_REPORT_FILE } from '../reporters/html.ts';
import { baselineFor, gitRelease } from './history-run.ts';
import { parseDuration, parseHeaders, parseReporters } from './args.ts';
import type { CliIo } from './io.ts';
import { outputDirProblem } from './out-dir.ts';
import { ProgressView } from './progress.ts';
import { INSECURE_WARNING, tlsFlags } from './tls-flags.ts';

/** Parsed gate flags. */
export interface GateFlags {
  config?: string | undefined;
  url?: string | undefined;
  preset?: string | undefined;
  out?: string | undefined;
  reporter?: string[] | undefined;
  timeout?: string | undefined;
  header?: string[] | undefined;
  ca?: string | undefined;
  insecure?: boolean | undefined;
  'allow-mutation'?: boolean | undefined;
  stage?: string[] | undefined;
  label?: string | undefined;
  release?: string | undefined;
  history?: string | undefined;
  baseline?: string | undefined;
  'baseline-level'?: string | undefined;
  verbose?: boolean | undefined;
  quiet?: boolean | undefined;
}

/** GOLIVE_CONFIG_TIMEOUT_MS, else the default; a malformed value is a config error naming the variable. */
function configLoadTimeoutMs(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.GOLIVE_CONFIG_TIMEOUT_MS?.trim();
  if (!raw) return DEFAULT_CONFIG_LOAD_TIMEOUT_MS;
  const ms = Number(raw);
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new ConfigError(`invalid environment: env.GOLIVE_CONFIG_TIMEOUT_MS: expected a positive number of milliseconds, got "${raw}"`, [
      { path: 'env.GOLIVE_CONFIG_TIMEOUT_MS', message: 'expected a positive number of milliseconds' },
    ]);
  }
  return Math.round(ms);
}

/** Loads and resolves the config for a gate command. */
export async function resolveFromFlags(flags: GateFlags, io: CliIo, defaults: { defaultPreset?: string; requireConfig?: boolean }): Promise<ResolvedConfig> {
  if (flags.url !== undefined) {
    const problem = urlProblem(flags.url);
    if (problem) throw new ConfigError(`invalid target URL: ${problem}`, [{ path: 'url', message: problem }], 'GOLIVE_ERR_INVALID_URL');
  }
  const cli: CliOverrides = {};
  if (flags.url !== undefined) cli.baseUrl = flags.url;
  if (flags.preset !== undefined) cli.preset = flags.preset;
  if (flags.out !== undefined) cli.out = flags.out;
  if (flags.timeout !== undefined) cli.timeoutMs = parseDuration(flags.timeout);
  const reporters = parseReporters(flags.reporter);
  if (reporters) cli.reporters = reporters;
  const headers = parseHeaders(flags.header);
  if (headers) cli.headers = headers;
  const tls = tlsFlags(flags, io.cwd);
  if (tls) cli.tls = tls;
  if (flags['allow-mutation']) cli.allowMutation = true;
  if (flags.label !== undefined) cli.label = flags.label;
  if (flags.release !== undefined) cli.release = flags.release;
  if (flags.history !== undefined) cli.historyDir = flags.history;
  if (flags.baseline !== undefined) cli.baselineFrom = flags.baseline;
  if (flags['baseline-level'] !== undefined) {
    if (!['error', 'warn', 'off'].includes(flags['baseline-level'])) throw new UsageError(`--baseline-level: expected error, warn or off, got "${flags['baseline-level']}"`);
    cli.baselineLevel = flags['baseline-level'];
  }

  const configPath = flags.config ?? findConfigFile(io.cwd);
  const file = configPath ? await loadConfigFile(configPath, io.cwd, configLoadTimeoutMs(io.env)) : undefined;
  const fileName = configPath ? relative(io.cwd, resolve(io.cwd, configPath)) || configPath : undefined;
  if (!configPath && defaults.requireConfig && !flags.preset && !io.env.GOLIVE_PRESET) {
    throw new UsageError('no config: pass --config <file>, --preset <name>, or create golive.config.ts (golive init)');
  }
  return resolveConfig({
    ...(file !== undefined ? { file } : {}),
    ...(fileName ? { fileName } : {}),
    env: io.env,
    cli,
    kinds: builtinChecks,
    // The default preset stands in for a missing config; a config file found or named says what to run.
    ...(defaults.defaultPreset && !configPath ? { defaultPreset: defaults.defaultPreset } : {}),
  });
}

/** Runs a resolved gate with console progress, writes reports, returns the exit code. */
export async function executeGate(config: ResolvedConfig, flags: GateFlags, io: CliIo): Promise<number> {
  const env = normaliseEnv(io.env, config.kinds);
  const redactor = buildRedactor(config, env);
  const reporters = config.reporters ?? [...REPORTER_NAMES];
  const consoleOn = reporters.includes('console');
  const color = useColor(io.stdout, io.env);
  const opts = { color, verbose: flags.verbose === true };
  const quiet = flags.quiet === true;
  const progress = consoleOn && !quiet && !flags.verbose ? new ProgressView(io.stdout, redactor) : undefined;
  /** A line of golive's own; target text in it is made inert (escapes shown, `::` commands broken). */
  const say = (line: string, inertAlready = false) => {
    if (!consoleOn || quiet) return;
    progress?.clear();
    const text = redactor.redact(line);
    io.stdout.write(`${inertAlready ? text : inertText(text)}\n`);
  };
  const multiStage = config.stages.length > 1;
  const onEvent = (e: RunEvent) => {
    switch (e.type) {
      case 'run-start':
        say(`golive: ${e.baseUrl} · ${config.source} · ${e.stages.reduce((n, s) => n + s.checks.length, 0)} checks`);
        break;
      case 'target-start':
        say(`starting target: ${e.command}`);
        break;
      case 'target-ready':
        say(`target ready at ${e.baseUrl} after ${e.durationMs} ms`);
        break;
      case 'stage-start':
        if (multiStage) say(`── ${e.stage} (${e.checks} check${e.checks === 1 ? '' : 's'})`);
        break;
      case 'check-start':
        progress?.start(e.id);
        break;
      case 'check-end':
        progress?.end();
        say(renderProgressLine(e.result, e.index, e.total, opts), true);
        break;
      case 'progress':
        progress?.update(e.id, e.message);
        if (flags.verbose) say(`  … ${e.id}: ${e.message}`);
        break;
      case 'log':
        if (flags.verbose) say(`  · ${e.id}: ${e.message}`);
        break;
      default:
        break;
    }
  };
  if (!config.target.tls.rejectUnauthorized) io.stderr.write(`${INSECURE_WARNING}\n`);
  const outDir = resolve(io.cwd, config.out ?? DEFAULT_OUT_DIR);
  const outProblem = outputDirProblem(outDir);
  if (outProblem) throw new UsageError(`--out: ${outProblem}`);
  const compatDir = config.out ? resolve(io.cwd, config.out) : io.cwd;
  const historyDir = config.history ? resolve(io.cwd, config.history.dir) : undefined;
  const historyProblem = historyDir ? outputDirProblem(historyDir) : undefined;
  if (historyProblem) throw new UsageError(`--history: ${historyProblem}`);
  // The row key of a history: the label (what was run) and the release (of what); both in report.json.
  const label = config.label ?? defaultLabel(config.source, config.stages.map((s) => s.name), flags.stage);
  const release = config.release ?? (await gitRelease(io.cwd, io.env));
  const baseline = await baselineFor(config, label, io.cwd);
  let report: Awaited<ReturnType<typeof runGate>>;
  try {
    report = await runGate(config, {
      env: io.env,
      out: outDir,
      cwd: io.cwd,
      onEvent,
      redactor,
      label,
      release,
      ...(baseline ? { baseline } : {}),
      ...(flags.stage?.length ? { stages: flags.stage } : {}),
      ...(io.signal ? { signal: io.signal } : {}),
    });
  } finally {
    progress?.stop();
  }
  // Decided before any report is written: a failed write cannot hide a failed gate.
  const exitCode = report.exitCode;
  const stepSummary = io.env.GITHUB_STEP_SUMMARY || undefined;
  const written = await writeReports(report, {
    dir: outDir,
    compatDir,
    reporters,
    compat: config.compat,
    compatChecks: config.compatChecks,
    redact: (text) => redactor.redact(text),
  });
  // The step summary is where people read the verdict in GitHub Actions, whatever reporters the config picked:
  // written here, in one place, once (escaped like every Markdown report).
  if (stepSummary) {
    try {
      await appendFile(stepSummary, renderMarkdown(report));
      written.written.push(stepSummary);
    } catch (err) {
      written.failures.push({ path: stepSummary, message: (err as NodeJS.ErrnoException).code ?? (err as Error).message });
    }
  }
  // The history after the reports: the run's HTML report, when written, is copied into it.
  if (historyDir && config.history) {
    const html = resolve(outDir, HTML_REPORT_FILE);
    const recorded = await recordRun(report, {
      dir: historyDir,
      keep: config.history.keep,
      kinds: config.kinds,
      redactor,
      htmlReport: written.written.includes(html) ? { dir: outDir, file: HTML_REPORT_FILE } : undefined,
    });
    const index = resolve(historyDir, INDEX_FILE);
    if (recorded.written.includes(index)) written.written.push(index);
    for (const p of recorded.problems) io.stderr.write(`golive: GOLIVE_ERR_HISTORY: ${inertText(redactor.redact(p))}\n`);
  }
  if (consoleOn) io.stdout.write(redactor.redact(renderConsole(report, opts)));
  // In GitHub Actions, failing checks become workflow annotations (escaped so target text cannot act as a command).
  if (io.env.GITHUB_ACTIONS === 'true') for (const line of renderAnnotations(report)) io.stdout.write(`${redactor.redact(line)}\n`);
  if (consoleOn && written.written.length) {
    const shown = written.written.map((p) => relative(io.cwd, p) || p);
    io.stdout.write(`Reports: ${shown.join(', ')}\n`);
  }
  for (const f of written.failures) {
    io.stderr.write(`golive: GOLIVE_ERR_REPORT_WRITE: cannot write ${redactor.redact(relative(io.cwd, f.path) || f.path)}: ${redactor.redact(f.message)}\n`);
  }
  return exitCode;
}
