/** A drill's command (a rollback, breaking or restoring a dependency): bounded, own process group, output kept (tail). */
import { type ChildProcess, spawn } from 'node:child_process';
import type { CheckContext } from '../types.ts';

const MAX_OUTPUT = 64 * 1024;

/** Runs a drill's command in its own process group, stopped at `deadlineMs` (epoch ms) or on the check's signal; never rejects. */
export function runCommand(command: string | string[], env: Record<string, string>, ctx: CheckContext, deadlineMs: number): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const base: Record<string, string> = {};
    for (const [k, v] of Object.entries(ctx.env)) if (v !== undefined) base[k] = v;
    const [file, ...args] = Array.isArray(command) ? command : [command];
    let child: ChildProcess;
    try {
      child = spawn(file as string, args, { env: { ...base, ...env }, shell: !Array.isArray(command), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ code: null, output: `cannot start: ${(err as Error).message}`, timedOut: false });
      return;
    }
    let output = '';
    const add = (c: Buffer) => {
      output = (output + c.toString('utf8')).slice(-MAX_OUTPUT);
    };
    child.stdout?.on('data', add);
    child.stderr?.on('data', add);
    let timedOut = false;
    const kill = () => {
      if (child.pid === undefined || child.exitCode !== null) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(
      () => {
        timedOut = true;
        kill();
      },
      Math.max(0, deadlineMs - Date.now()),
    );
    const onAbort = () => kill();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    child.once('error', (err) => add(Buffer.from(`\n${err.message}`)));
    child.once('close', (code) => {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      resolve({ code, output, timedOut });
    });
  });
}


/** Polls a drill's timeline keeps at most; past it, every other one is dropped (a long budget stays a small report). */
export const MAX_TIMELINE = 1000;

/** Appends a poll to a drill's timeline, halving the older ones when it is full. */
export function pushPoll<T>(timeline: T[], poll: T): void {
  if (timeline.length >= MAX_TIMELINE) {
    const kept = timeline.filter((_, i) => i % 2 === 0);
    timeline.length = 0;
    timeline.push(...kept);
  }
  timeline.push(poll);
}
