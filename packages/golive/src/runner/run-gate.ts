/**
 * Running a gate: the stages in order, each check after its dependencies, fail-fast or continue per stage,
 * an optional managed target around it all, and one report with one verdict and exit code. The library never
 * prints and never exits: callers get the Report and events.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { CheckDefinition, Clock } from '../checks/types.ts';
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
import { createArtifactSink } from './artifacts.ts';
import { systemClock } from './clock.ts';
import { emitSafe, type RunEventListener } from './events.ts';
import { runCheck } from './run-check.ts';
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
 * The timeout of a check: its own `timeoutMs`, else the kind's default raised so that the check's requests can
 * each use their whole request timeout (a 30 s S4_TIMEOUT must not be cut by a 15 s check default).
 */
export function checkTimeoutMs(def: Pick<CheckDefinition, 'kind' | 'defaultTimeoutMs'>, spec: { timeoutMs?: number | undefined; options: unknown }): number {
  if (spec.timeoutMs !== undefined) return spec.timeoutMs;
  const fallback = def.defaultTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const o = (typeof spec.options === 'object' && spec.options !== null ? spec.options : {}) as Record<string, unknown>;
  const requestMs = typeof o.timeoutMs === 'number' ? o.timeoutMs : undefined;
  if (requestMs === undefined) return fallback;
  const count = typeof o.count === 'number' ? o.count : 1;
  const intervalMs = typeof o.intervalMs === 'number' ? o.intervalMs : 0;
  // Sequential requests of one check: a canary's pings, or the few probes of a header analysis.
  const requests = def.kind === 'canary' ? count : def.kind === 'security-headers' ? 4 + (Array.isArray(o.paths) ? o.paths.length : 0) : 1;
  return Math.max(fallback, requests * requestMs + count * intervalMs + 2000);
}

function stageStatus(results: readonly CheckResult[]): StageResult['status'] {
  if (results.length > 0 && results.every((r) => r.status === 'skip')) return 'skip';
  if (results.some((r) => r.level === 'error' && r.status === 'fail')) return 'fail';
  if (results.some((r) => r.level === 'error' && r.status === 'error')) return 'error';
  return 'pass';
}

function skipped(base: Omit<CheckResultBase, 'startedAt' | 'durationMs' | 'observations' | 'warnings' | 'metrics' | 'artifacts' | 'summary'>, reason: string, now: number): CheckResult {
  return {
    ...base,
    startedAt: new Date(now).toISOString(),
    durationMs: 0,
    observations: [],
    warnings: [],
    metrics: {},
    artifacts: [],
    summary: `skipped: ${reason}`,
    status: 'skip',
    reason,
  };
}

/**
 * Runs the gate described by a config and returns its report. `config` may be resolved already
 * (`resolveConfig`) or be a plain config object (then resolved here against `options.env`).
 */
export async function runGate(config: ResolvedConfig | GoliveConfig, options: RunGateOptions = {}): Promise<Report> {
  const rawEnv = options.env ?? { ...process.env };
  const env = normaliseEnv(rawEnv);
  const cfg = isResolvedConfig(config) ? config : resolveConfig({ file: config, env: rawEnv, ...(options.kinds ? { kinds: options.kinds } : {}) });
  const kinds = [...(options.kinds ?? []), ...cfg.kinds];
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

    const http = createHttpClient({
      baseUrl: baseUrl ?? 'http://127.0.0.1/',
      defaultHeaders: cfg.target.headers,
      timeoutMs: cfg.target.timeoutMs,
      tls: { rejectUnauthorized: cfg.target.tls.rejectUnauthorized, ...(cfg.target.tls.ca ? { ca: cfg.target.tls.ca } : {}) },
      redactor,
      userAgent: `golive/${GOLIVE_VERSION}`,
    });
    const total = runIds.size;
    let index = 0;
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
          else {
            emitSafe(onEvent, { type: 'check-start', stage: stage.name, id, kind: def.kind, title: base.title, index, total });
            result = await runCheck(
              def,
              { id, title, level, stage: stage.name, timeoutMs: checkTimeoutMs(def, spec), options: spec.options },
              {
                http,
                target: { baseUrl: http.baseUrl, headers: cfg.target.headers },
                env,
                clock,
                redactor,
                artifacts,
                ...(options.signal ? { signal: options.signal } : {}),
                ...(onEvent ? { onEvent } : {}),
              },
            );
            if (stage.failPolicy === 'fail-fast' && level === 'error' && (result.status === 'fail' || result.status === 'error')) {
              stopReason = `stage "${stage.name}" is fail-fast and "${id}" ended ${result.status}`;
            }
          }
          results.set(id, result);
          stageChecks.push(result);
          emitSafe(onEvent, { type: 'check-end', stage: stage.name, result, index, total });
          index++;
        }
        const status = stageStatus(stageChecks);
        stageResults.push({
          name: stage.name,
          status,
          failPolicy: stage.failPolicy,
          durationMs: Math.round((clock.monoUs() - stageStart) / 10) / 100,
          checks: stageChecks,
        });
        emitSafe(onEvent, { type: 'stage-end', stage: stage.name, status });
      }
    } finally {
      await http.close().catch(() => undefined);
    }
  } finally {
    if (managed) {
      await managed.stop();
      try {
        const path = await artifacts.write('target.log', managed.output());
        stageResults[0]?.checks[0]?.artifacts.push(path);
      } catch {
        // evidence only
      }
    }
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
    verdict,
    exitCode: exitCodeForVerdict(verdict),
    totals: computeTotals(all),
    stages: stageResults,
  };
  const redacted = redactor.redactDeep(report);
  emitSafe(onEvent, { type: 'run-end', report: redacted });
  return redacted;
}
