/**
 * Running one check: the timeout (an AbortSignal the check sees, and a deadline the runner enforces even when
 * the check ignores it), anything thrown turned into an `error` result with a stable code, the status derived
 * from error-severity observations, and every string redacted before it enters the result.
 */
import type { ArtifactSink, CheckContext, CheckDefinition, CheckOutcome, Clock, ManagedTargetHandle } from '../checks/types.ts';
import { isGoliveError } from '../core/errors.ts';
import { excerpt, type Redactor } from '../core/redact.ts';
import type { CheckResult, CheckResultBase, Json, Observation, Presentation } from '../core/result.ts';
import type { HttpClient } from '../http/client.ts';
import { emitSafe, type RunEventListener } from './events.ts';

/** Observation code of a check that overran its timeout. */
export const CHECK_TIMEOUT = 'CHECK_TIMEOUT';

/** What a check runs with, shared by the checks of a run. */
export interface CheckRunEnv {
  http: HttpClient;
  target: CheckContext['target'];
  env: Readonly<Record<string, string | undefined>>;
  clock: Clock;
  redactor: Redactor;
  artifacts: ArtifactSink;
  /** The managed target, when golive started it (drills act on it). */
  managed?: ManagedTargetHandle | undefined;
  /** The run's signal (cancellation). */
  signal?: AbortSignal;
  onEvent?: RunEventListener;
}

/** One check to run, as resolved from config. */
export interface CheckInvocation {
  id: string;
  title: string;
  level: 'error' | 'warn';
  stage: string;
  timeoutMs: number;
  /** Options already validated by the kind's schema. */
  options: unknown;
  /** What the kind's gate-start hook returned for this check. */
  gateStartState?: Json | undefined;
}

/**
 * The presentation a kind declares for a result, redacted. A kind whose `present` throws is golive's bug, but
 * it must not cost the verdict: the result keeps its status and simply has no presentation.
 */
export function presentationOf(def: CheckDefinition, result: Pick<CheckResultBase, 'data' | 'metrics'> & { status: 'pass' | 'fail' }, options: unknown, r: Redactor): Presentation | undefined {
  if (!def.present) return undefined;
  try {
    const p = def.present({ data: result.data, metrics: result.metrics, status: result.status }, options as never);
    return typeof p === 'object' && p !== null ? (r.redactDeep(p) as Presentation) : undefined;
  } catch {
    return undefined;
  }
}

class DeadlineError extends Error {
  constructor(timeoutMs: number) {
    super(`check did not finish within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

function redactObservation(o: Observation, r: Redactor): Observation {
  const out: Observation = { ...o, expected: r.redact(o.expected), actual: r.redact(o.actual), message: r.redact(o.message) };
  return out;
}

function isErrorSeverity(o: Observation): boolean {
  return (o.severity ?? 'error') === 'error';
}

function summaryOf(outcome: CheckOutcome, observations: Observation[]): string {
  if (outcome.summary) return outcome.summary;
  const failed = observations.find((o) => !o.passed && isErrorSeverity(o));
  if (failed) return failed.message;
  const warned = observations.find((o) => !o.passed);
  if (warned) return warned.message;
  return observations[0]?.message ?? 'no observations';
}

function errorName(err: unknown): string {
  if (err instanceof Error) return err.name || 'Error';
  return typeof err;
}

/** Runs one check and returns its result; never throws for anything the check does. */
export async function runCheck(def: CheckDefinition, inv: CheckInvocation, env: CheckRunEnv): Promise<CheckResult> {
  const r = env.redactor;
  const startedAtMs = env.clock.now();
  const startUs = env.clock.monoUs();
  const base = (): CheckResultBase => ({
    id: inv.id,
    kind: def.kind,
    title: r.redact(inv.title),
    level: inv.level,
    stage: inv.stage,
    startedAt: new Date(startedAtMs).toISOString(),
    durationMs: Math.round((env.clock.monoUs() - startUs) / 10) / 100,
    observations: [],
    warnings: [],
    metrics: {},
    artifacts: [],
    summary: '',
  });

  const deadline = new AbortController();
  const signal = env.signal ? AbortSignal.any([env.signal, deadline.signal]) : deadline.signal;
  let lastProgress: string | undefined;
  const artifacts: string[] = [];
  const sink: ArtifactSink = {
    dir: env.artifacts.dir,
    async write(path, content) {
      const p = await env.artifacts.write(path, content);
      if (!artifacts.includes(p)) artifacts.push(p);
      return p;
    },
  };
  const ctx: CheckContext = {
    id: inv.id,
    target: env.target,
    managed: env.managed,
    gateStartState: inv.gateStartState,
    http: env.http,
    env: env.env,
    clock: env.clock,
    signal,
    timeoutMs: inv.timeoutMs,
    redactor: r,
    artifacts: sink,
    log: (message, data) => emitSafe(env.onEvent, { type: 'log', id: inv.id, message: r.redact(message), ...(data ? { data: r.redactDeep(data) } : {}) }),
    progress: (ev) => {
      lastProgress = r.redact(ev.message);
      emitSafe(env.onEvent, {
        type: 'progress',
        stage: inv.stage,
        id: inv.id,
        message: lastProgress,
        ...(ev.fraction === undefined ? {} : { fraction: ev.fraction }),
      });
    },
  };

  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new DeadlineError(inv.timeoutMs);
      deadline.abort(e);
      reject(e);
    }, inv.timeoutMs);
  });
  const running = Promise.resolve().then(() => def.run(ctx, inv.options as never));
  // A check that ignores its signal keeps running after the deadline; its late rejection must not surface.
  running.catch(() => undefined);
  let outcome: CheckOutcome;
  try {
    outcome = await Promise.race([running, overrun]);
  } catch (err) {
    const cancelled = env.signal?.aborted && !deadline.signal.aborted;
    if (err instanceof DeadlineError || (deadline.signal.aborted && !cancelled)) {
      const evidence = lastProgress ? ` (last progress: ${lastProgress})` : '';
      const obs: Observation = {
        name: 'timeout',
        expected: `finishes within ${inv.timeoutMs} ms`,
        actual: `still running after ${inv.timeoutMs} ms`,
        passed: false,
        code: CHECK_TIMEOUT,
        message: `${def.kind} check "${inv.id}" did not finish within its ${inv.timeoutMs} ms timeout${evidence}; raise timeoutMs or fix the target`,
      };
      const b = base();
      return { ...b, status: 'fail', observations: [redactObservation(obs, r)], artifacts, summary: r.redact(obs.message) };
    }
    if (cancelled) {
      return { ...base(), status: 'skip', reason: 'run cancelled', artifacts, summary: 'run cancelled' };
    }
    const code = isGoliveError(err) ? err.code : 'GOLIVE_ERR_CHECK_CRASHED';
    const raw = err instanceof Error ? err.message : String(err);
    const message = r.redact(isGoliveError(err) ? raw : `${errorName(err)}: ${raw}`);
    return { ...base(), status: 'error', error: { code, message }, artifacts, summary: excerpt(message, 300) };
  } finally {
    clearTimeout(timer);
    deadline.abort();
  }

  if (typeof outcome !== 'object' || outcome === null || !Array.isArray(outcome.observations)) {
    const message = `${def.kind} check returned no observations (got ${outcome === null ? 'null' : typeof outcome})`;
    return { ...base(), status: 'error', error: { code: 'GOLIVE_ERR_CHECK_CRASHED', message }, artifacts, summary: message };
  }
  const observations = outcome.observations.map((o) => redactObservation(o, r));
  const failed = observations.some((o) => !o.passed && isErrorSeverity(o));
  const warnings = observations.filter((o) => !o.passed && !isErrorSeverity(o)).map((o) => o.message);
  const b = base();
  const result: CheckResultBase = {
    ...b,
    observations,
    warnings,
    metrics: r.redactDeep(outcome.metrics ?? {}),
    artifacts: [...new Set([...artifacts, ...(outcome.artifacts ?? [])])],
    summary: r.redact(summaryOf(outcome, observations)),
  };
  if (outcome.data) result.data = r.redactDeep(outcome.data) as Record<string, Json>;
  const status = failed ? 'fail' : 'pass';
  const presentation = presentationOf(def, { ...result, status }, inv.options, r);
  if (presentation) result.presentation = presentation;
  return { ...result, status };
}
