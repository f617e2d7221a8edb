/**
 * `recovery`: the seeds' rollback drill ("test rollback on staging: recover /healthz in < 60 s"), measured. It
 * runs the recovery action (a command: a rollback script, `kubectl rollout undo`, a redeploy of a pinned
 * digest; or, for a managed target, a restart, optionally with other environment) and polls the health path
 * from the moment the action starts, recording every poll. It passes when N consecutive healthy answers come
 * within the budget; the timeline is in the result either way.
 *
 * It acts on the target on purpose (a mutating kind, under the runner's safety rule) and is bounded by its
 * budget: a command still running then is stopped with its process group.
 */
import { z } from 'zod';
import { CheckError } from '../core/errors.ts';
import type { Observation } from '../core/result.ts';
import { excerpt } from '../core/redact.ts';
import type { RecoveryData, RecoveryPollData } from './recovery.data.ts';
import { type CheckOutcome, defineCheck, observe } from './types.ts';
import { pushPoll, runCommand } from './util/run-command.ts';
import { statusMatcher, statusSpecSchema } from './util/status.ts';

const options = z
  .object({
    command: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .optional()
      .describe('The recovery action: a string run by the shell, or an argv array. Default with a managed target: restart it.'),
    env: z.record(z.string(), z.string()).default({}).describe('Extra environment of the command, or of the restarted managed target.'),
    path: z.string().min(1).default('/health').describe('Health path polled from the start of the action.'),
    expectStatus: statusSpecSchema.default('2xx').describe('Status of a healthy answer.'),
    consecutive: z.number().int().min(1).max(100).default(3).describe('Healthy answers in a row that count as recovered.'),
    intervalMs: z.number().int().min(50).max(10_000).default(250).describe('Pause between polls.'),
    budgetMs: z.number().int().min(1000).max(30 * 60_000).default(60_000).describe('The recovery must be stable within this (the seeds: 60 s).'),
    requestTimeoutMs: z.number().int().min(100).max(30_000).default(2000).describe('Timeout of one poll.'),
  })
  .strict();

/** Options of the `recovery` check. */
export type RecoveryOptions = z.output<typeof options>;

/** The `recovery` check kind. */
export const recoveryCheck = defineCheck<typeof options, RecoveryData>({
  kind: 'recovery',
  title: 'Recovery drill',
  description: 'Runs a recovery action (a rollback command, or a restart of the managed target) and measures the time until health is stable, under a budget.',
  options,
  defaultTimeoutMs: 90_000,
  timeoutFor: (o) => o.budgetMs + o.requestTimeoutMs + 10_000,
  metrics: { stableMs: { direction: 'lower', tolerance: 0.5, unit: 'ms' } },
  // A rollback or a restart changes what serves the target.
  mutates: true,
  present: ({ data }) =>
    data
      ? {
          keyFigure: data.stableMs === null ? `not stable within ${data.budgetMs / 1000} s` : `stable after ${(data.stableMs / 1000).toFixed(1)} s`,
          plots: [
            {
              id: 'timeline',
              title: 'Health during the recovery',
              mark: 'point',
              x: { label: 'time since the action', unit: 'ms' },
              y: { label: 'healthy (1) or not (0)' },
              series: [{ name: 'health', points: data.timeline.map((p) => [p.atMs, p.healthy ? 1 : 0] as [number, number]) }],
              rules: [
                { axis: 'x', value: data.budgetMs, label: `budget ${data.budgetMs / 1000} s` },
                ...(data.stableMs === null ? [] : [{ axis: 'x' as const, value: data.stableMs, label: 'stable' }]),
              ],
              description: `${data.timeline.length} polls of ${data.healthUrl}; first healthy at ${data.firstHealthyMs ?? 'never'} ms, stable at ${data.stableMs ?? 'never'} ms.`,
            },
          ],
        }
      : {},
  async run(ctx, o): Promise<CheckOutcome<RecoveryData>> {
    const managed = ctx.managed;
    if (o.command === undefined && !managed) {
      throw new CheckError('GOLIVE_ERR_CHECK_OPTIONS', 'recovery needs a command (options.command) or a managed target (target.start) to restart');
    }
    const matcher = statusMatcher(o.expectStatus);
    const t0 = Date.now();
    const deadline = t0 + o.budgetMs;
    const timeline: RecoveryPollData[] = [];
    let firstHealthyMs: number | null = null;
    let stableMs: number | null = null;
    let streak = 0;
    let actionDone = false;
    const currentBase = () => (o.command === undefined && managed ? managed.baseUrl : ctx.target.baseUrl.href);
    let healthUrl = '';

    const poll = async () => {
      while (Date.now() < deadline && stableMs === null && !ctx.signal.aborted) {
        const base = currentBase();
        const atMs = Date.now() - t0;
        let status: number | string = 'no-url';
        if (base) {
          healthUrl = new URL(o.path, base).href;
          const ex = await ctx.http.request({ url: healthUrl, timeoutMs: o.requestTimeoutMs, maxBodyBytes: 4096, signal: ctx.signal });
          status = ex.ok ? ex.status : ex.kind;
        }
        const healthy = typeof status === 'number' && matcher.matches(status);
        pushPoll(timeline, { atMs, status, healthy });
        // Health before the action has done anything could be the old version answering: only a streak that
        // continues after the action counts (for a command, after it has at least started).
        if (healthy) {
          streak++;
          firstHealthyMs ??= atMs;
          if (streak >= o.consecutive && (actionDone || o.command !== undefined)) stableMs = Date.now() - t0;
        } else streak = 0;
        if (stableMs === null) await new Promise((r) => setTimeout(r, o.intervalMs));
      }
    };

    let exitCode: number | null = null;
    let commandOutput = '';
    let commandTimedOut = false;
    let restartProblem: string | undefined;
    const action = (async () => {
      if (o.command !== undefined) {
        const r = await runCommand(o.command, o.env, ctx, deadline);
        exitCode = r.code;
        commandOutput = r.output;
        commandTimedOut = r.timedOut;
      } else if (managed) {
        const r = await managed.restart({ env: o.env, timeoutMs: Math.max(1000, deadline - Date.now()) });
        if (!r.ok) restartProblem = r.reason;
      }
      actionDone = true;
    })();
    // For a restart, the first polls see the old process stopping: health that was never lost is not recovery.
    await Promise.all([poll(), action]);
    ctx.signal.throwIfAborted();

    const obs: Observation[] = [];
    if (o.command !== undefined && (exitCode !== 0 || commandTimedOut)) {
      obs.push(
        observe('action', false, 'the recovery command exits 0', commandTimedOut ? 'still running at the budget' : `exit ${exitCode}`, {
          code: 'RECOVERY_COMMAND_FAILED',
          message: `the recovery command ${commandTimedOut ? 'was still running when the budget ran out' : `exited ${exitCode}`}; output: ${excerpt(ctx.redactor.redact(commandOutput), 400) || '(none)'}`,
        }),
      );
    }
    if (restartProblem) {
      obs.push(observe('action', false, 'the managed target restarts', 'not ready', { code: 'RECOVERY_RESTART_FAILED', message: `the managed target did not come back: ${restartProblem}` }));
    }
    const stable = stableMs !== null;
    const last = timeline.slice(-5).map((p) => `${p.atMs} ms ${p.status}`).join(', ');
    obs.push(
      observe('stable', stable, `${o.consecutive} healthy answers in a row within ${o.budgetMs} ms`, stable ? `after ${stableMs} ms` : 'not within the budget', {
        code: 'RECOVERY_TOO_SLOW',
        message: stable
          ? `${healthUrl} healthy ${o.consecutive}× in a row ${stableMs} ms after the action started (first healthy at ${firstHealthyMs} ms)`
          : `${healthUrl || 'the health path'} was not stably healthy within ${o.budgetMs} ms (${timeline.length} polls; last: ${last || 'none'})${managed && !managed.running ? '; the managed target is NOT running: later checks cannot be evaluated' : ''}`,
      }),
    );
    const data: RecoveryData = {
      action: o.command === undefined ? 'restart' : ctx.redactor.redact(Array.isArray(o.command) ? o.command.join(' ') : o.command),
      exitCode,
      healthUrl: ctx.redactor.redact(healthUrl),
      firstHealthyMs,
      stableMs,
      consecutive: o.consecutive,
      budgetMs: o.budgetMs,
      timeline,
    };
    return {
      observations: obs,
      metrics: { stableMs, firstHealthyMs, polls: timeline.length },
      data,
      summary: stable && obs.every((x) => x.passed) ? `stable after ${((stableMs ?? 0) / 1000).toFixed(2)} s (budget ${o.budgetMs / 1000} s)` : undefined,
    };
  },
});
