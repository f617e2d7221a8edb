/**
 * `drain`: the seeds' "SIGTERM → drain + close DB", measured on the managed target. A steady, modest load runs
 * against a path; golive sends the signal (SIGTERM by default) and keeps the load going. Drained means: every
 * request fully written before the signal gets a complete answer (no reset, no 5xx); a request written after it
 * may only be refused at connect, closed before any answer byte (HTTP/1.1 clients retry those), or answered
 * (a 503 while shutting down is an answer); readiness turns non-2xx before the listener closes; once closed, new
 * connections are refused (probed every 20 ms until exit); and the process exits 0 within the grace period.
 * Dropped requests are counted with examples; the times from the signal to the readiness flip, the listener
 * closing, the last answer and the exit are reported. Then the target is started again (or the drill says
 * loudly that it could not). It stops the target on purpose: a mutating kind, under the safety rule.
 */
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { CheckError } from '../core/errors.ts';
import type { Observation } from '../core/result.ts';
import type { DrainData, DrainDropData } from './drain.data.ts';
import { type CheckOutcome, defineCheck, observe } from './types.ts';

const options = z
  .object({
    path: z.string().min(1).default('/health/live').describe('Path of the steady load (a side-effect-free one by default).'),
    ratePerSec: z.number().min(1).max(2000).default(50).describe('Requests per second of the steady load.'),
    leadMs: z.number().int().min(100).max(30_000).default(500).describe('Load before the signal.'),
    signal: z.enum(['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP']).default('SIGTERM'),
    graceMs: z.number().int().min(100).max(120_000).default(10_000).describe('The process must exit within this after the signal; then its group is killed.'),
    readinessPath: z.string().min(1).optional().describe('Readiness path: must turn non-2xx before the listener closes.'),
    requestTimeoutMs: z.number().int().min(100).max(60_000).default(10_000).describe('Limit of one load request.'),
    restart: z.boolean().default(true).describe('Start the target again afterwards, so later checks have one.'),
  })
  .strict();

/** Options of the `drain` check. */
export type DrainOptions = z.output<typeof options>;

interface Sample {
  /** When the request had been fully written (ms, performance clock), or undefined when it never was. */
  writtenAt: number | undefined;
  startedAt: number;
  endAt: number;
  status?: number;
  /** Response bytes seen before it ended (a clean close before any byte is allowed after the signal). */
  gotBytes: boolean;
  error?: string;
}

/** Sends one request on a keep-alive agent and records when it was written and how it ended. */
function one(agent: http.Agent, url: URL, timeoutMs: number): Promise<Sample> {
  return new Promise((resolve) => {
    const s: Sample = { writtenAt: undefined, startedAt: performance.now(), endAt: 0, gotBytes: false };
    let done = false;
    const finish = (error?: string) => {
      if (done) return;
      done = true;
      s.endAt = performance.now();
      if (error) s.error = error;
      resolve(s);
    };
    const req = http.request(url, { agent, method: 'GET', timeout: timeoutMs }, (res) => {
      s.status = res.statusCode;
      s.gotBytes = true;
      res.on('data', () => undefined);
      res.on('end', () => finish());
      res.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
      res.on('aborted', () => finish('aborted mid-answer'));
    });
    req.on('finish', () => {
      s.writtenAt = performance.now();
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
    req.end();
  });
}

/** Whether a fresh TCP connection to host:port is accepted (true), refused (false) or neither in time (null). */
function connects(host: string, port: number): Promise<boolean | null> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(null);
    }, 200);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(e.code === 'ECONNREFUSED' ? false : null);
    });
  });
}

/** The `drain` check kind. */
export const drainCheck = defineCheck<typeof options, DrainData>({
  kind: 'drain',
  title: 'Graceful drain drill',
  description: 'Sends SIGTERM to the managed target under a steady load: no request written before it is dropped, readiness flips before the listener closes, exit 0 within the grace.',
  options,
  defaultTimeoutMs: 60_000,
  timeoutFor: (o) => o.leadMs + o.graceMs + o.requestTimeoutMs + 40_000,
  metrics: { dropped: { direction: 'lower', tolerance: 0 }, exitMs: { direction: 'lower', tolerance: 0.5, unit: 'ms' } },
  mutates: true,
  present: ({ data }) =>
    data
      ? {
          keyFigure: `${data.before.dropped} dropped; ready off at ${data.readinessFlipMs ?? '—'} ms, closed at ${data.listenerClosedMs ?? '—'} ms, exit at ${data.exitMs ?? '—'} ms`,
          tables: [
            {
              id: 'drain',
              title: 'Drain timeline (ms after the signal)',
              columns: ['event', 'ms'],
              rows: [
                ['readiness non-2xx', data.readinessFlipMs],
                ['listener closed', data.listenerClosedMs],
                ['last answer', data.lastAnswerMs],
                ['process exit', data.exitMs],
              ],
            },
          ],
          plots: [
            {
              id: 'timeline',
              title: 'Drain timeline',
              mark: 'point',
              x: { label: 'time since the signal', unit: 'ms' },
              y: { label: 'dropped request (1)' },
              series: [{ name: 'dropped', points: data.drops.map((d) => [d.writtenMs, 1] as [number, number]) }],
              rules: (
                [
                  ['signal', 0],
                  ['readiness off', data.readinessFlipMs],
                  ['listener closed', data.listenerClosedMs],
                  ['last answer', data.lastAnswerMs],
                  ['exit', data.exitMs],
                ] as Array<[string, number | null]>
              ).flatMap(([label, ms]) => (ms === null ? [] : [{ axis: 'x' as const, value: ms, label }])),
              description: `${data.before.dropped} of ${data.before.sent} requests written before the ${data.signal} dropped; readiness off at ${data.readinessFlipMs ?? 'never'} ms, listener closed at ${data.listenerClosedMs ?? 'never'} ms, exit at ${data.exitMs ?? 'never'} ms.`,
            },
          ],
        }
      : {},
  async run(ctx, o): Promise<CheckOutcome<DrainData>> {
    const handle = ctx.managed;
    if (!handle?.running) throw new CheckError('GOLIVE_ERR_CHECK_OPTIONS', 'drain needs a running managed target (target.start): it sends the signal itself');
    const base = new URL(handle.baseUrl);
    const host = base.hostname.replace(/^\[|\]$/g, '');
    const port = Number(base.port || (base.protocol === 'https:' ? 443 : 80));
    if (base.protocol !== 'http:') throw new CheckError('GOLIVE_ERR_CHECK_OPTIONS', 'drain drives plain http targets (the managed target answers on http)');
    const url = new URL(o.path, base);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    // Readiness is asked on a fresh connection each time: a kept-alive one would outlive the listener.
    const fresh = new http.Agent({ keepAlive: false });
    const samples: Promise<Sample>[] = [];
    let signalAt = Number.POSITIVE_INFINITY;
    let stopLoad = false;
    const gapMs = 1000 / o.ratePerSec;

    // The steady load: open model, a request every gap, until the process has exited.
    const load = (async () => {
      const start = performance.now();
      for (let i = 0; !stopLoad && !ctx.signal.aborted; i++) {
        const due = start + i * gapMs;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (stopLoad) break;
        samples.push(one(agent, url, o.requestTimeoutMs));
      }
    })();

    await new Promise((r) => setTimeout(r, o.leadMs));
    ctx.signal.throwIfAborted();
    signalAt = performance.now();
    handle.signal(o.signal);

    // Readiness and the listener, probed every 20 ms from the signal until exit.
    let readinessFlipMs: number | null = null;
    let listenerClosedMs: number | null = null;
    let acceptedAfterClose = 0;
    let exited = false;
    const probes = (async () => {
      while (!exited && !ctx.signal.aborted && performance.now() - signalAt < o.graceMs + 1000) {
        const at = performance.now() - signalAt;
        const open = await connects(host, port);
        if (open === false && listenerClosedMs === null) listenerClosedMs = Math.round(at);
        if (open === true && listenerClosedMs !== null) acceptedAfterClose++;
        if (o.readinessPath && readinessFlipMs === null) {
          if (open === false) readinessFlipMs = Math.round(at);
          else {
            const ready = await one(fresh, new URL(o.readinessPath, base), 1000);
            const now = Math.round(performance.now() - signalAt);
            if (ready.error) {
              // No answer: the listener went away between the two probes. Readiness did not turn before it closed.
              listenerClosedMs ??= now;
              readinessFlipMs = now;
            } else if (ready.status !== undefined && (ready.status < 200 || ready.status > 299)) readinessFlipMs = now;
          }
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const exit = await handle.waitForExit(o.graceMs);
    exited = true;
    let killed = false;
    if (!exit) {
      await handle.stop({ signal: 'SIGKILL', graceMs: 100 });
      killed = true;
    }
    stopLoad = true;
    await Promise.all([load, probes]);
    const all = await Promise.all(samples);
    agent.destroy();
    fresh.destroy();

    const drops: DrainDropData[] = [];
    const before = { sent: 0, answered: 0, dropped: 0 };
    const after = { sent: 0, answered: 0, refused: 0, closedBeforeAnswer: 0, other: 0 };
    let lastAnswer = Number.NEGATIVE_INFINITY;
    for (const s of all) {
      const complete = s.error === undefined && s.status !== undefined;
      if (complete) lastAnswer = Math.max(lastAnswer, s.endAt);
      if (s.writtenAt !== undefined && s.writtenAt < signalAt) {
        before.sent++;
        if (complete && (s.status as number) < 500) before.answered++;
        else {
          before.dropped++;
          if (drops.length < 10) drops.push({ writtenMs: Math.round(s.writtenAt - signalAt), outcome: s.error ?? `status ${s.status}` });
        }
      } else {
        after.sent++;
        if (complete) after.answered++;
        else if (s.error === 'ECONNREFUSED') after.refused++;
        else if (!s.gotBytes && (s.error === 'ECONNRESET' || s.error === 'EPIPE' || s.error === 'socket hang up')) after.closedBeforeAnswer++;
        else after.other++;
      }
    }
    const exitMs = exit ? Math.round(exit.afterMs) : null;
    const lastAnswerMs = Number.isFinite(lastAnswer) ? Math.round(lastAnswer - signalAt) : null;

    let restarted = false;
    let restartProblem: string | undefined;
    if (o.restart) {
      const r = await handle.start();
      restarted = r.ok;
      if (!r.ok) restartProblem = r.reason;
    }

    const obs: Observation[] = [];
    obs.push(
      observe('no-drops', before.dropped === 0 && before.sent > 0, 'every request written before the signal answered completely, no 5xx', `${before.dropped} of ${before.sent} dropped`, {
        code: before.sent === 0 ? 'DRAIN_NO_LOAD' : 'DRAIN_DROPPED',
        message:
          before.sent === 0
            ? `no load request was written before the signal: nothing was drained (raise leadMs or ratePerSec)`
            : before.dropped === 0
              ? `${before.sent} requests in flight or answered before the ${o.signal} all completed`
              : `${before.dropped} of ${before.sent} requests written before the ${o.signal} were dropped; first: ${drops
                  .slice(0, 3)
                  .map((d) => `written ${d.writtenMs} ms → ${d.outcome}`)
                  .join('; ')}`,
      }),
    );
    if (after.other > 0) {
      obs.push(
        observe('after-signal', false, 'requests after the signal refused, closed before any byte, or answered', `${after.other} failed otherwise`, {
          code: 'DRAIN_BROKEN_AFTER_SIGNAL',
          message: `${after.other} requests written after the signal failed mid-answer or timed out (not a clean refusal)`,
        }),
      );
    }
    if (o.readinessPath) {
      const ordered = readinessFlipMs !== null && (listenerClosedMs === null || readinessFlipMs < listenerClosedMs);
      obs.push(
        observe('readiness-first', ordered, 'readiness non-2xx before the listener closes', readinessFlipMs === null ? 'never flipped' : `flip ${readinessFlipMs} ms, close ${listenerClosedMs ?? '—'} ms`, {
          code: 'DRAIN_READINESS_LATE',
          message: ordered
            ? `readiness turned at ${readinessFlipMs} ms, the listener closed at ${listenerClosedMs ?? 'never'} ms`
            : `readiness ${readinessFlipMs === null ? 'never turned non-2xx' : `turned only at ${readinessFlipMs} ms`} while the listener closed at ${listenerClosedMs} ms: a load balancer keeps sending traffic to an instance that is going away`,
        }),
      );
    }
    if (acceptedAfterClose > 0) {
      obs.push(observe('closed', false, 'new connections refused once the listener closed', `${acceptedAfterClose} accepted`, { code: 'DRAIN_ACCEPTED_AFTER_CLOSE', message: `${acceptedAfterClose} new connections were accepted after the listener had refused one` }));
    }
    const cleanExit = exit !== undefined && exit.code === 0 && !exit.killed;
    obs.push(
      observe('exit', cleanExit, `exit 0 within ${o.graceMs} ms`, exit ? (exit.signal ? `signal ${exit.signal}` : `exit ${exit.code}`) : 'still running', {
        code: exit ? 'DRAIN_EXIT_CODE' : 'DRAIN_NO_EXIT',
        message: !exit
          ? `the process ignored ${o.signal} for ${o.graceMs} ms and was killed`
          : cleanExit
            ? `exited 0 ${exitMs} ms after ${o.signal}`
            : `exited ${exit.signal ? `on ${exit.signal}` : `with ${exit.code}`} ${exitMs} ms after ${o.signal}`,
      }),
    );
    if (o.restart && !restarted) {
      obs.push(observe('restored', false, 'the target running again', 'not started', { code: 'DRAIN_NOT_RESTORED', message: `THE TARGET COULD NOT BE STARTED AGAIN: ${restartProblem}; later checks cannot be evaluated` }));
    }
    return {
      observations: obs,
      metrics: { dropped: before.dropped, exitMs, readinessFlipMs, listenerClosedMs },
      data: {
        signal: o.signal,
        graceMs: o.graceMs,
        before,
        after,
        drops,
        readinessFlipMs,
        listenerClosedMs,
        acceptedAfterClose,
        lastAnswerMs,
        exitMs,
        exitCode: exit?.code ?? null,
        killed,
        restarted,
      },
    };
  },
});
