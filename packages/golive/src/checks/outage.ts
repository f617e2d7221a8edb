/**
 * `outage`: a dependency outage drill ("liveness returns 200 even if the database is down; readiness fails if
 * it is unreachable"). It runs the config's `break` command (e.g. stop a proxy in front of the database), then
 * requires readiness to turn non-2xx within `withinMs` while liveness stays 2xx throughout; then it runs the
 * `restore` command and requires readiness back to 2xx within `withinMs`, with no restart of the target (the
 * managed target's pid, when there is one, must not change). `restore` always runs, even when the drill fails
 * early, so the dependency is never left broken by golive; a restore that fails is said loudly.
 */
import { z } from 'zod';
import type { Observation } from '../core/result.ts';
import { excerpt } from '../core/redact.ts';
import type { OutageData, OutagePollData } from './outage.data.ts';
import { type CheckContext, type CheckOutcome, defineCheck, observe } from './types.ts';
import { pushPoll, runCommand } from './util/run-command.ts';

const command = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const options = z
  .object({
    break: command.describe('Command that takes the dependency away (e.g. stops a proxy in front of the database).'),
    restore: command.describe('Command that brings it back; always run, even after a failure.'),
    env: z.record(z.string(), z.string()).default({}).describe('Extra environment of both commands.'),
    readyPath: z.string().min(1).default('/health/ready').describe('Readiness path: must turn non-2xx while the dependency is down.'),
    livePath: z.string().min(1).default('/health/live').describe('Liveness path: must stay 2xx throughout.'),
    withinMs: z.number().int().min(100).max(300_000).default(10_000).describe('Readiness must turn (and come back) within this.'),
    commandTimeoutMs: z.number().int().min(100).max(300_000).default(30_000).describe('Longest each command may run.'),
    intervalMs: z.number().int().min(50).max(5000).default(200).describe('Pause between polls.'),
    requestTimeoutMs: z.number().int().min(100).max(30_000).default(2000).describe('Timeout of one poll.'),
  })
  .strict();

/** Options of the `outage` check. */
export type OutageOptions = z.output<typeof options>;

const is2xx = (s: number | string) => typeof s === 'number' && s >= 200 && s <= 299;

async function get(ctx: CheckContext, path: string, timeoutMs: number): Promise<number | string> {
  const base = ctx.managed?.baseUrl || ctx.target.baseUrl.href;
  const ex = await ctx.http.request({ url: new URL(path, base).href, timeoutMs, maxBodyBytes: 4096, signal: ctx.signal });
  return ex.ok ? ex.status : ex.kind;
}

/** The `outage` check kind. */
export const outageCheck = defineCheck<typeof options, OutageData>({
  kind: 'outage',
  title: 'Dependency outage drill',
  description: 'Breaks a dependency with a command: readiness must turn non-2xx within T while liveness stays 2xx; after the restore command readiness is back within T, with no restart.',
  options,
  defaultTimeoutMs: 120_000,
  timeoutFor: (o) => 2 * o.commandTimeoutMs + 2 * o.withinMs + 4 * o.requestTimeoutMs + 10_000,
  metrics: { readyDownMs: { direction: 'lower', tolerance: 0.5, unit: 'ms' }, readyBackMs: { direction: 'lower', tolerance: 0.5, unit: 'ms' } },
  // It takes a dependency of the target away.
  mutates: true,
  present: ({ data }) =>
    data
      ? {
          keyFigure: `readiness down in ${data.readyDownMs ?? '—'} ms, back in ${data.readyBackMs ?? '—'} ms`,
          plots: [
            {
              id: 'timeline',
              title: 'Readiness and liveness during the outage',
              mark: 'line',
              x: { label: 'time since the break', unit: 'ms' },
              y: { label: '2xx (1) or not (0)' },
              series: [
                { name: 'readiness', points: data.timeline.map((p) => [p.atMs, is2xx(p.ready) ? 1 : 0] as [number, number]) },
                { name: 'liveness', points: data.timeline.map((p) => [p.atMs, is2xx(p.live) ? 1 : 0] as [number, number]) },
              ],
            },
          ],
        }
      : {},
  async run(ctx, o): Promise<CheckOutcome<OutageData>> {
    const pidBefore = ctx.managed?.pid ?? null;
    const timeline: OutagePollData[] = [];
    const t0 = Date.now();
    let liveFailures = 0;
    const pollUntil = async (phase: OutagePollData['phase'], done: (ready: number | string) => boolean, fromMs: number): Promise<number | null> => {
      const deadline = Date.now() + o.withinMs;
      while (Date.now() < deadline && !ctx.signal.aborted) {
        const [ready, live] = await Promise.all([get(ctx, o.readyPath, o.requestTimeoutMs), get(ctx, o.livePath, o.requestTimeoutMs)]);
        const atMs = Date.now() - t0;
        pushPoll(timeline, { atMs, phase, ready, live });
        if (phase === 'broken' && !is2xx(live)) liveFailures++;
        if (done(ready)) return Date.now() - fromMs;
        await new Promise((r) => setTimeout(r, o.intervalMs));
      }
      return null;
    };

    const obs: Observation[] = [];
    const brk = await runCommand(o.break, o.env, ctx, Date.now() + o.commandTimeoutMs);
    let readyDownMs: number | null = null;
    let readyBackMs: number | null = null;
    let restore: Awaited<ReturnType<typeof runCommand>> | undefined;
    try {
      if (brk.code !== 0) {
        obs.push(
          observe('break', false, 'the break command exits 0', brk.timedOut ? 'timed out' : `exit ${brk.code}`, {
            code: 'OUTAGE_COMMAND_FAILED',
            message: `the break command ${brk.timedOut ? 'timed out' : `exited ${brk.code}`}: ${excerpt(ctx.redactor.redact(brk.output), 300) || '(no output)'}`,
          }),
        );
      } else {
        readyDownMs = await pollUntil('broken', (ready) => !is2xx(ready), t0);
        // Keep watching liveness for a moment after readiness turned: it must not follow it down.
        if (readyDownMs !== null) {
          for (let i = 0; i < 3 && !ctx.signal.aborted; i++) {
            const live = await get(ctx, o.livePath, o.requestTimeoutMs);
            pushPoll(timeline, { atMs: Date.now() - t0, phase: 'broken', ready: 'not polled', live });
            if (!is2xx(live)) liveFailures++;
            await new Promise((r) => setTimeout(r, o.intervalMs));
          }
        }
      }
    } finally {
      restore = await runCommand(o.restore, o.env, ctx, Date.now() + o.commandTimeoutMs);
    }
    ctx.signal.throwIfAborted();
    if (restore.code !== 0) {
      obs.push(
        observe('restore', false, 'the restore command exits 0', restore.timedOut ? 'timed out' : `exit ${restore.code}`, {
          code: 'OUTAGE_RESTORE_FAILED',
          message: `THE DEPENDENCY MAY STILL BE DOWN: the restore command ${restore.timedOut ? 'timed out' : `exited ${restore.code}`}: ${excerpt(ctx.redactor.redact(restore.output), 300) || '(no output)'}`,
        }),
      );
    }
    const restoredAt = Date.now();
    readyBackMs = await pollUntil('restored', (ready) => is2xx(ready), restoredAt);

    if (brk.code === 0) {
      obs.push(
        observe('readiness-down', readyDownMs !== null, `readiness non-2xx within ${o.withinMs} ms of the break`, readyDownMs === null ? 'stayed 2xx' : `after ${readyDownMs} ms`, {
          code: 'OUTAGE_READY_STAYED_UP',
          message: readyDownMs === null ? `${o.readyPath} stayed 2xx for ${o.withinMs} ms with the dependency down: traffic would keep coming to an instance that cannot serve it` : `${o.readyPath} turned non-2xx ${readyDownMs} ms after the break`,
        }),
      );
      obs.push(
        observe('liveness', liveFailures === 0, `${o.livePath} 2xx throughout`, liveFailures === 0 ? '2xx' : `${liveFailures} non-2xx`, {
          code: 'OUTAGE_LIVENESS_FAILED',
          message: liveFailures === 0 ? `${o.livePath} stayed 2xx while the dependency was down` : `${o.livePath} failed ${liveFailures} time(s) while the dependency was down: an orchestrator would restart a process that only waits for its dependency`,
        }),
      );
    }
    obs.push(
      observe('readiness-back', readyBackMs !== null, `readiness 2xx within ${o.withinMs} ms of the restore`, readyBackMs === null ? 'not back' : `after ${readyBackMs} ms`, {
        code: 'OUTAGE_NOT_RECOVERED',
        message: readyBackMs === null ? `${o.readyPath} was not 2xx within ${o.withinMs} ms of the restore` : `${o.readyPath} back to 2xx ${readyBackMs} ms after the restore`,
      }),
    );
    const pidAfter = ctx.managed?.pid ?? null;
    if (pidBefore !== null && (pidAfter !== pidBefore || !ctx.managed?.running)) {
      obs.push(
        observe('no-restart', false, 'the same process throughout', ctx.managed?.running ? `pid ${pidBefore} → ${pidAfter}` : 'not running', {
          code: 'OUTAGE_RESTARTED',
          message: ctx.managed?.running ? `the target was restarted during the outage (pid ${pidBefore} → ${pidAfter}): it should have waited for its dependency` : 'the target is not running after the outage',
        }),
      );
    }
    return {
      observations: obs,
      metrics: { readyDownMs, readyBackMs, liveFailures },
      data: {
        readyUrl: ctx.redactor.redact(o.readyPath),
        liveUrl: ctx.redactor.redact(o.livePath),
        readyDownMs,
        readyBackMs,
        liveFailures,
        pidBefore,
        pidAfter,
        breakExit: brk.code,
        restoreExit: restore.code,
        timeline,
      },
    };
  },
});
