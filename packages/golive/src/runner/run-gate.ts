/**
 * Running a gate: the stages in order, each check after its dependencies, fail-fast or continue per stage,
 * an optional managed target around it all, and one report with one verdict and exit code. The library never
 * prints and never exits: callers get the Report and events.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { builtinChecks } from '../checks/registry.ts';
import { type CheckDefinition, type Clock, type GateHookContext, mutatesTarget } from '../checks/types.ts';
import { type ResolvedConfig, isResolvedConfig, resolveConfig } from '../config/resolve.ts';
import type { GoliveConfig } from '../config/schema.ts';
import { DEFAULT_CHECK_TIMEOUT_MS, DEFAULT_OUT_DIR } from '../config/schema.ts';
import { normaliseEnv } from '../config/env.ts';
import { UsageError } from '../core/errors.ts';
import { exitCodeForVerdict } from '../core/exit-codes.ts';
import { Redactor, isSecretEnv } from '../core/redact.ts';
import {
  type CheckResult,
  type CheckResultBase,
  type Observation,
  REPORT_SCHEMA_VERSION,
  type Report,
  type StageResult,
  computeTotals,
  computeVerdict,
} from '../core/result.ts';
import { createHttpClient } from '../http/client.ts';
import { type ComparableReport, compareReports } from '../baseline/compare.ts';
import { BASELINE_STAGE, baselineResults, baselineWarning } from '../baseline/results.ts';
import { createArtifactSink } from './artifacts.ts';
import { systemClock } from './clock.ts';
import { emitSafe, type RunEventListener } from './events.ts';
import { type GateStartRecord, runGateEnd, runGateStart } from './gate-hooks.ts';
import { mutationRefusal } from './mutation.ts';
import { presentationOf, runCheck } from './run-check.ts';
import { commandLine, type ManagedTarget, startTarget } from './target.ts';
import { GOLIVE_VERSION } from '../core/version.ts';
import { stripUserinfo } from '../core/url.ts';

/** Id, kind and stage name of the result standing for a managed target. */
export const TARGET_CHECK_ID = 'target';

/** Options of a run. */
export interface RunGateOptions {
  /** The environment, read once (default: a copy of process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Directory of golive's own artifacts (default: config.out, else golive-report), relative to cwd. */
  out?: string;
  cwd?: string;
  /** Cancels the run: running checks are aborted, the rest skipped, the verdict at best INCONCLUSIVE. */
  signal?: AbortSignal;
  onEvent?: RunEventListener;
  /** Run only these stages (dependencies in other stages are then ignored). */
  stages?: string[];
  clock?: Clock;
  /** Check kinds besides the built-ins (user-defined or test-local). */
  kinds?: readonly CheckDefinition[];
  /** Redactor to use (default: learnt from env, config secrets and target headers). */
  redactor?: Redactor;
  /** The run label (default: `config.label`, else {@link defaultLabel}). */
  label?: string;
  /** The release of the target (default: `config.release`, else null; the CLI defaults it to `git describe`). */
  release?: string | null;
  /**
   * The report to compare the run with (`config.baseline.level` says how the regressions count), or why there is
   * none (a warning in the report). Without it, no comparison.
   */
  baseline?: { report: ComparableReport; source: string } | { missing: string; source: string };
}

/** The default run label: the config's source, plus the stages when only some were selected. */
export function defaultLabel(source: string, allStages: readonly string[], selected?: readonly string[]): string {
  const narrowed = selected?.length ? allStages.filter((s) => selected.includes(s)) : allStages;
  return narrowed.length < allStages.length ? `${source} [${narrowed.join(', ')}]` : source;
}

/** Builds the run's redactor: secrets from the environment, names declared in config, target headers. */
export function buildRedactor(config: Pick<ResolvedConfig, 'secrets' | 'target'> & Partial<Pick<ResolvedConfig, 'checks'>>, env: Readonly<Record<string, string | undefined>>): Redactor {
  const extra: string[] = [];
  for (const name of config.secrets) {
    const v = env[name];
    if (v) extra.push(v);
  }
  if (config.target.start) for (const [k, v] of Object.entries(config.target.start.env)) if (isSecretEnv(k, v)) extra.push(v);
  const redactor = Redactor.fromEnv(env, extra);
  // Credentials sent as target headers (judged by name, in core); `accept: application/json` stays readable.
  for (const [name, value] of Object.entries(config.target.headers)) redactor.addHeader(name, value);
  // ... and credentials given as a check's own headers (`checks.x.options.headers.authorization`).
  for (const spec of Object.values(config.checks ?? {})) redactor.addHeadersIn(spec.options);
  // The password of a `--url http://user:pw@host` (or PROD_URL): userinfo is stripped from URLs anyway, this
  // catches the password where it is printed on its own (decoded or encoded).
  redactor.addUrl(config.target.baseUrl);
  return redactor;
}

/**
 * The timeout of a check: its own `timeoutMs`, else what its kind says for these options (`timeoutFor`: a
 * canary's count of pings, a header analysis's paths, each with its whole request timeout, so a 30 s
 * S4_TIMEOUT is not cut by a 15 s default), else the kind's default.
 */
export function checkTimeoutMs(def: Pick<CheckDefinition, 'defaultTimeoutMs' | 'timeoutFor'>, spec: { timeoutMs?: number | undefined; options: unknown }): number {
  if (spec.timeoutMs !== undefined) return spec.timeoutMs;
  const fallback = def.defaultTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  if (!def.timeoutFor) return fallback;
  const ms = def.timeoutFor(spec.options as never);
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : fallback;
}

/** Every kind of a run: the caller's first (they may replace a built-in), then the built-ins. */
function runKinds(extra: readonly CheckDefinition[] | undefined, resolved: readonly CheckDefinition[] | undefined): CheckDefinition[] {
  const all = [...(extra ?? []), ...(resolved ?? []), ...builtinChecks];
  return all.filter((k, i) => all.findIndex((o) => o.kind === k.kind) === i);
}

function stageStatus(results: readonly CheckResult[]): StageResult['status'] {
  if (results.length > 0 && results.every((r) => r.status === 'skip')) return 'skip';
  if (results.some((r) => r.level === 'error' && r.status === 'fail')) return 'fail';
  if (results.some((r) => r.level === 'error' && r.status === 'error')) return 'error';
  return 'pass';
}

type ResultBase = Omit<CheckResultBase, 'startedAt' | 'durationMs' | 'observations' | 'warnings' | 'metrics' | 'artifacts' | 'summary'>;

/** A result of a check that did not run: skipped, or an error saying why it could not be evaluated. */
function notRun(base: ResultBase, now: number, outcome: { skip: string } | { code: 'GOLIVE_ERR_TARGET_START' | 'GOLIVE_ERR_MUTATION_REFUSED'; message: string }): CheckResult {
  const empty = { ...base, startedAt: new Date(now).toISOString(), durationMs: 0, observations: [], warnings: [], metrics: {}, artifacts: [] };
  if ('skip' in outcome) return { ...empty, summary: `skipped: ${outcome.skip}`, status: 'skip', reason: outcome.skip };
  return { ...empty, summary: `${outcome.code}: ${outcome.message}`, status: 'error', error: { code: outcome.code, message: outcome.message } };
}

/** A check that could not run because the managed target is down and could not be restored. */
const cannotEvaluate = (base: ResultBase, message: string, now: number) => notRun(base, now, { code: 'GOLIVE_ERR_TARGET_START', message });
/** A check the safety rule kept from running: an error (it could not be evaluated), saying how to allow it. */
const refused = (base: ResultBase, message: string, now: number) => notRun(base, now, { code: 'GOLIVE_ERR_MUTATION_REFUSED', message });
const skipped = (base: ResultBase, reason: string, now: number) => notRun(base, now, { skip: reason });

/**
 * Runs the gate described by a config and returns its report. `config` may be resolved already
 * (`resolveConfig`) or be a plain config object (then resolved here against `options.env`).
 */
export async function runGate(config: ResolvedConfig | GoliveConfig, options: RunGateOptions = {}): Promise<Report> {
  const rawEnv = options.env ?? { ...process.env };
  const cfg = isResolvedConfig(config) ? config : resolveConfig({ file: config, env: rawEnv, kinds: runKinds(options.kinds, undefined) });
  const kinds = runKinds(options.kinds, cfg.kinds);
  const env = normaliseEnv(rawEnv, kinds);
  const clock = options.clock ?? systemClock;
  const redactor = options.redactor ?? buildRedactor(cfg, env);
  const cwd = options.cwd ?? process.cwd();
  const outDir = resolve(cwd, options.out ?? cfg.out ?? DEFAULT_OUT_DIR);
  const artifacts = createArtifactSink(outDir, redactor);
  const runId = randomUUID();
  const startedAtMs = clock.now();
  const startUs = clock.monoUs();
  const onEvent = options.onEvent;

  const known = new Set(cfg.stages.map((s) => s.name));
  for (const s of options.stages ?? []) {
    if (!known.has(s)) throw new UsageError(`unknown stage "${s}" (stages: ${[...known].join(', ')})`);
  }
  const selected = options.stages?.length ? cfg.stages.filter((s) => options.stages?.includes(s.name)) : cfg.stages;
  const runIds = new Set(selected.flatMap((s) => s.checks).filter((id) => cfg.checks[id]?.level !== 'off'));

  const stageResults: StageResult[] = [];
  const results = new Map<string, CheckResult>();
  let managed: ManagedTarget | undefined;
  let baseUrl = cfg.target.baseUrl;
  let stopReason: string | undefined;
  const cancelled = () => options.signal?.aborted === true;

  emitSafe(onEvent, {
    type: 'run-start',
    runId,
    baseUrl: redactor.redact(baseUrl ?? '(managed target)'),
    stages: selected.map((s) => ({ name: s.name, checks: s.checks.filter((id) => runIds.has(id)) })),
  });

  try {
    if (cfg.target.start) {
      const start = cfg.target.start;
      const t0 = clock.now();
      emitSafe(onEvent, { type: 'target-start', command: redactor.redact(commandLine(start.command)) });
      const outcome = await startTarget(start, { baseUrl, env, redactor, signal: options.signal });
      const base = { id: TARGET_CHECK_ID, kind: 'target', title: 'Managed target', level: 'error' as const, stage: TARGET_CHECK_ID };
      let obs: Observation;
      const files: string[] = [];
      if (outcome.ok) {
        managed = outcome.target;
        baseUrl = outcome.target.baseUrl;
        obs = {
          name: 'ready',
          expected: `2xx from the ready URL within ${start.timeoutMs} ms`,
          actual: `ready after ${outcome.readyMs} ms`,
          passed: true,
          message: `"${redactor.redact(commandLine(start.command))}" answered ${outcome.readyUrl} after ${outcome.readyMs} ms`,
        };
        emitSafe(onEvent, { type: 'target-ready', baseUrl: redactor.redact(baseUrl), durationMs: outcome.readyMs });
      } else {
        obs = {
          name: 'ready',
          expected: `2xx from the ready URL within ${start.timeoutMs} ms`,
          actual: 'not ready',
          passed: false,
          code: 'TARGET_START_FAILED',
          message: `GOLIVE_ERR_TARGET_START: ${outcome.reason}`,
        };
        stopReason = 'the managed target did not start';
        try {
          files.push(await artifacts.write('target.log', outcome.output));
        } catch {
          // the log is evidence, not a condition of the verdict
        }
      }
      const result: CheckResult = {
        ...base,
        startedAt: new Date(t0).toISOString(),
        durationMs: clock.now() - t0,
        observations: [obs],
        warnings: [],
        metrics: outcome.ok ? { readyMs: outcome.readyMs } : {},
        artifacts: files,
        summary: redactor.redact(obs.message),
        status: outcome.ok ? 'pass' : 'fail',
      };
      stageResults.push({ name: TARGET_CHECK_ID, status: result.status === 'pass' ? 'pass' : 'fail', failPolicy: 'fail-fast', durationMs: result.durationMs, checks: [result] });
      emitSafe(onEvent, { type: 'check-end', stage: TARGET_CHECK_ID, result, index: 0, total: 0 });
    }

    const clientFor = (url: string | undefined) =>
      createHttpClient({
        baseUrl: url ?? 'http://127.0.0.1/',
        defaultHeaders: cfg.target.headers,
        timeoutMs: cfg.target.timeoutMs,
        tls: { rejectUnauthorized: cfg.target.tls.rejectUnauthorized, ...(cfg.target.tls.ca ? { ca: cfg.target.tls.ca } : {}) },
        redactor,
        userAgent: `golive/${GOLIVE_VERSION}`,
      });
    let http = clientFor(baseUrl);
    // A drill left the managed target stopped: start it again before the next check; when that fails, every later
    // check is an error (it cannot be evaluated), never a failure of the target.
    let targetDown: string | undefined;
    const restoreTarget = async (): Promise<string | undefined> => {
      if (!managed || managed.running) return undefined;
      const r = await managed.start();
      if (r.ok) {
        if (managed.baseUrl && managed.baseUrl !== baseUrl) {
          baseUrl = managed.baseUrl;
          await http.close().catch(() => undefined);
          http = clientFor(baseUrl);
        }
        return undefined;
      }
      return `the managed target is not running and could not be started again: ${r.reason}`;
    };
    /** Why checks cannot run against the managed target (once down for good, it stays down for the run). */
    const targetProblem = async (): Promise<string | undefined> => {
      if (targetDown === undefined) targetDown = await restoreTarget();
      return targetDown;
    };
    // The safety rule of checks that change the target's state (runner/mutation.ts), judged per check.
    const refusedMutation = (def: CheckDefinition, options: unknown) =>
      mutatesTarget(def, options as never) ? mutationRefusal({ baseUrl, managed: managed !== undefined, allowMutation: cfg.allowMutation, env }) : undefined;
    // golive's own first-request costs (module loading, first compilation of the request path) are paid here,
    // on loopback, not timed as the target's first answer.
    if (!stopReason) await http.warm();
    const total = runIds.size;
    let index = 0;
    const hookContext = (): GateHookContext => ({
      target: { baseUrl: http.baseUrl, headers: cfg.target.headers, tls: cfg.target.tls },
      managed,
      http,
      env,
      clock,
      signal: options.signal ?? new AbortController().signal,
      redactor,
      artifacts,
      log: (message, data) => emitSafe(onEvent, { type: 'log', id: 'gate', message: redactor.redact(message), ...(data ? { data: redactor.redactDeep(data) } : {}) }),
    });
    // Kinds with gate hooks act before the first stage, for each of their checks the gate runs.
    const hookChecks = selected
      .flatMap((s) => s.checks)
      .filter((id) => runIds.has(id))
      .map((id) => ({ id, spec: cfg.checks[id], def: kinds.find((k) => k.kind === cfg.checks[id]?.kind) }))
      .filter((h): h is { id: string; spec: NonNullable<typeof h.spec>; def: CheckDefinition } => h.spec !== undefined && h.def?.hooks !== undefined);
    const gateStarts = new Map<string, GateStartRecord | undefined>();
    if (!stopReason) {
      for (const h of hookChecks) gateStarts.set(h.id, await runGateStart(h.def, h.spec.options, hookContext(), checkTimeoutMs(h.def, h.spec)));
    }
    try {
      for (const stage of selected) {
        const stageStart = clock.monoUs();
        const ids = stage.checks.filter((id) => runIds.has(id));
        emitSafe(onEvent, { type: 'stage-start', stage: stage.name, checks: ids.length });
        const stageChecks: CheckResult[] = [];
        for (const id of ids) {
          const spec = cfg.checks[id];
          const def = kinds.find((k) => k.kind === spec?.kind);
          if (!spec || !def) continue; // resolveConfig guarantees both
          const level = spec.level === 'warn' ? 'warn' : 'error';
          const title = spec.title ?? def.title;
          const base = { id, kind: def.kind, title: redactor.redact(title), level, stage: stage.name } as const;
          let result: CheckResult;
          const failedDep = spec.dependsOn.map((d) => results.get(d)).find((r) => r !== undefined && r.status !== 'pass');
          if (cancelled()) result = skipped(base, 'run cancelled', clock.now());
          else if (stopReason) result = skipped(base, stopReason, clock.now());
          else if (failedDep) result = skipped(base, `dependency "${failedDep.id}" did not pass (${failedDep.status})`, clock.now());
          else if (refusedMutation(def, spec.options)) result = refused(base, refusedMutation(def, spec.options) as string, clock.now());
          else if ((await targetProblem()) !== undefined) result = cannotEvaluate(base, targetDown as string, clock.now());
          else {
            emitSafe(onEvent, { type: 'check-start', stage: stage.name, id, kind: def.kind, title: base.title, index, total });
            const started = gateStarts.get(id);
            result = await runCheck(
              def,
              {
                id,
                title,
                level,
                stage: stage.name,
                timeoutMs: checkTimeoutMs(def, spec),
                options: spec.options,
                ...(started?.ok ? { gateStartState: started.state } : {}),
              },
              {
                http,
                target: { baseUrl: http.baseUrl, headers: cfg.target.headers, tls: cfg.target.tls },
                env,
                clock,
                redactor,
                artifacts,
                managed,
                ...(options.signal ? { signal: options.signal } : {}),
                ...(onEvent ? { onEvent } : {}),
              },
            );
            if (stage.failPolicy === 'fail-fast' && level === 'error' && (result.status === 'fail' || result.status === 'error')) {
              stopReason = `stage "${stage.name}" is fail-fast and "${id}" ended ${result.status}`;
            }
            // A drill may have restarted the managed target on another port: later checks use the new one.
            if (managed?.running && managed.baseUrl && managed.baseUrl !== baseUrl) {
              baseUrl = managed.baseUrl;
              await http.close().catch(() => undefined);
              http = clientFor(baseUrl);
            }
          }
          results.set(id, result);
          stageChecks.push(result);
          emitSafe(onEvent, { type: 'check-end', stage: stage.name, result, index, total });
          index++;
        }
        stageResults.push({
          name: stage.name,
          status: stageStatus(stageChecks),
          failPolicy: stage.failPolicy,
          durationMs: Math.round((clock.monoUs() - stageStart) / 10) / 100,
          checks: stageChecks,
        });
        emitSafe(onEvent, { type: 'stage-end', stage: stage.name, status: stageStatus(stageChecks) });
      }
      // Gate-end hooks fold their observations into their checks' results (and so into the stage status).
      for (const h of hookChecks) {
        const before = results.get(h.id);
        if (!before || !gateStarts.has(h.id)) continue;
        const after = await runGateEnd(h.def, h.spec.options, hookContext(), checkTimeoutMs(h.def, h.spec), gateStarts.get(h.id), before, redactor);
        if (after === before) continue;
        // The kind draws its presentation again from what the gate end added.
        if (after.status === 'pass' || after.status === 'fail') {
          const presentation = presentationOf(h.def, after, h.spec.options, redactor);
          if (presentation) after.presentation = presentation;
        }
        results.set(h.id, after);
        for (const s of stageResults) {
          const i = s.checks.indexOf(before);
          if (i < 0) continue;
          s.checks[i] = after;
          s.status = stageStatus(s.checks);
        }
      }
    } finally {
      await http.close().catch(() => undefined);
    }
  } finally {
    if (managed) {
      await managed.stop();
      try {
        const path = await artifacts.write('target.log', managed.fullOutput());
        stageResults[0]?.checks[0]?.artifacts.push(path);
      } catch {
        // evidence only
      }
    }
  }

  // The comparison with a baseline: results of a last stage, judged like any check at the baseline level.
  const baselineLevel = cfg.baseline?.level ?? 'warn';
  if (options.baseline && baselineLevel !== 'off') {
    const now = clock.now();
    const o = { level: baselineLevel, source: redactor.redact(options.baseline.source), now };
    const checks =
      'missing' in options.baseline
        ? [baselineWarning('BASELINE_MISSING', redactor.redact(options.baseline.missing), o)]
        : baselineResults(compareReports(options.baseline.report, { runId, startedAt: new Date(startedAtMs).toISOString(), verdict: computeVerdict(stageResults.flatMap((s) => s.checks)), stages: stageResults }, kinds), o);
    for (const [i, result] of checks.entries()) emitSafe(onEvent, { type: 'check-end', stage: BASELINE_STAGE, result, index: i, total: checks.length });
    stageResults.push({ name: BASELINE_STAGE, status: stageStatus(checks), failPolicy: 'continue', durationMs: Math.round((clock.now() - now) * 100) / 100, checks });
  }

  const all = stageResults.flatMap((s) => s.checks);
  let verdict = computeVerdict(all);
  if (verdict === 'GO' && cancelled()) verdict = 'INCONCLUSIVE';
  const report: Report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'golive', version: GOLIVE_VERSION },
    runId,
    startedAt: new Date(startedAtMs).toISOString(),
    finishedAt: new Date(clock.now()).toISOString(),
    durationMs: Math.round((clock.monoUs() - startUs) / 10) / 100,
    // Userinfo never reaches a report, whatever the redactor learnt (core/url.ts).
    target: { baseUrl: stripUserinfo(redactor.redact(baseUrl ?? '')), managed: Boolean(cfg.target.start) },
    source: cfg.source,
    label: options.label ?? cfg.label ?? defaultLabel(cfg.source, cfg.stages.map((s) => s.name), options.stages),
    release: options.release !== undefined ? options.release : (cfg.release ?? null),
    verdict,
    exitCode: exitCodeForVerdict(verdict),
    totals: computeTotals(all),
    stages: stageResults,
  };
  const redacted = redactor.redactDeep(report);
  emitSafe(onEvent, { type: 'run-end', report: redacted });
  return redacted;
}
