/**
 * Gate hooks: a kind may act once before the first stage and once after the last for each of its checks that
 * the gate runs (a metrics check scrapes at the start and compares at the end). The runner calls them here,
 * bounded by the check's timeout, and folds what `gateEnd` observed into the check's result: the kind, not the
 * runner, knows what the hooks mean.
 */
import type { CheckDefinition, GateHookContext } from '../checks/types.ts';
import type { Redactor } from '../core/redact.ts';
import type { CheckResult, Json, Observation } from '../core/result.ts';

/** What gateStart left for one check. */
export type GateStartRecord = { ok: true; state: Json | undefined } | { ok: false; message: string };

/** Runs `promise` under a deadline; rejects with a message when it passes. */
async function bounded<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, overrun]);
  } finally {
    clearTimeout(timer);
  }
}

function message(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Runs the gate-start hook of one check; a throw is recorded, never raised. */
export async function runGateStart(def: CheckDefinition, options: unknown, ctx: GateHookContext, timeoutMs: number): Promise<GateStartRecord | undefined> {
  const hook = def.hooks?.gateStart;
  if (!hook) return undefined;
  try {
    return { ok: true, state: await bounded(Promise.resolve().then(() => hook(ctx, options as never)), timeoutMs, 'gate-start hook') };
  } catch (err) {
    return { ok: false, message: message(err) };
  }
}

function hookObservation(name: string, text: string): Observation {
  return { name, expected: 'the hook completes', actual: 'failed', passed: false, code: 'GATE_HOOK_FAILED', message: text };
}

/**
 * Runs the gate-end hook of a check that ran and folds its observations into the result: an error-severity
 * observation that failed turns a pass into a fail. Results that were skipped or could not be evaluated are
 * left as they are. A hook that throws adds a failed observation naming it.
 */
export async function runGateEnd(
  def: CheckDefinition,
  options: unknown,
  ctx: GateHookContext,
  timeoutMs: number,
  start: GateStartRecord | undefined,
  result: CheckResult,
  redactor: Redactor,
): Promise<CheckResult> {
  const hook = def.hooks?.gateEnd;
  if (!hook || result.status === 'skip' || result.status === 'error') return result;
  let added: Observation[];
  let metrics: Record<string, number | string | boolean | null> = {};
  let data: Record<string, Json> | undefined;
  if (start && !start.ok) added = [hookObservation('gate-start', `the gate-start hook failed: ${start.message}`)];
  else {
    try {
      const outcome = await bounded(Promise.resolve().then(() => hook(ctx, options as never, start?.state)), timeoutMs, 'gate-end hook');
      added = Array.isArray(outcome?.observations) ? outcome.observations : [];
      metrics = outcome?.metrics ?? {};
      data = outcome?.data;
    } catch (err) {
      added = [hookObservation('gate-end', `the gate-end hook failed: ${message(err)}`)];
    }
  }
  const observations = added.map((o) => ({ ...o, expected: redactor.redact(o.expected), actual: redactor.redact(o.actual), message: redactor.redact(o.message) }));
  const failed = observations.find((o) => !o.passed && (o.severity ?? 'error') === 'error');
  const warnings = observations.filter((o) => !o.passed && o.severity === 'warn').map((o) => o.message);
  const merged: CheckResult = {
    ...result,
    observations: [...result.observations, ...observations],
    warnings: [...result.warnings, ...warnings],
    metrics: { ...result.metrics, ...(redactor.redactDeep(metrics) as typeof metrics) },
  };
  if (data) merged.data = { ...(result.data ?? {}), ...(redactor.redactDeep(data) as Record<string, Json>) };
  if (failed && merged.status === 'pass') return { ...merged, status: 'fail', summary: failed.message };
  return merged;
}
