/**
 * A managed target (like Playwright's `webServer`): golive spawns the service, waits until its ready URL
 * answers 2xx (or the start timeout passes, or the process exits), runs the checks, then stops it with SIGTERM
 * and, after a grace period, SIGKILL to its whole process group. Its output is kept (tail, capped) so a
 * target that does not start is reported with what it printed.
 *
 * The same object is the handle drills get through the check context (`ManagedTargetHandle`): stop with a
 * chosen signal, start again with changed environment, read the exit and the output. Every wait is bounded and
 * nothing here throws for a target that misbehaves.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { ManagedTargetHandle, TargetEnvChanges, TargetExit, TargetStartResult, VariantRun } from '../checks/types.ts';
import { excerpt, isSecretEnv, type Redactor } from '../core/redact.ts';
import { stripUserinfo } from '../core/url.ts';

/** Bytes of target output kept (the tail). */
const MAX_OUTPUT_BYTES = 256 * 1024;
/** Interval between ready probes. */
const PROBE_INTERVAL_MS = 100;
/** How long golive waits for a process group to go after SIGKILL. */
const KILL_WAIT_MS = 2000;

/** How to start a target (the validated `target.start`). */
export interface StartSpec {
  command: string | string[];
  cwd?: string | undefined;
  env: Record<string, string>;
  readyUrl?: string | undefined;
  timeoutMs: number;
  stopTimeoutMs: number;
}

/** A running managed target (the runner's view). */
export interface ManagedTarget extends ManagedTargetHandle {
  /** Redacted output of every process started so far (for the run's `target.log`). */
  fullOutput(): string;
  /** Whether a value appeared in the raw output of every process started so far (the output itself stays inside). */
  printed(value: string): boolean;
}

/** Outcome of starting a target. */
export type StartOutcome =
  | { ok: true; target: ManagedTarget; readyMs: number; readyUrl: string }
  | { ok: false; reason: string; output: string; durationMs: number };

/** The command as one line, for messages. */
export function commandLine(command: string | string[]): string {
  return Array.isArray(command) ? command.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ') : command;
}

const URL_IN_OUTPUT = /https?:\/\/[^\s"'<>\\]+/;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

const delay = (ms: number) => new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), ms).unref());

/** One spawned process of the target. */
interface Run {
  child: ChildProcess;
  output: string;
  exit: TargetExit | undefined;
  exited: Promise<void>;
  /** When the last stop or signal was requested (for `afterMs`). */
  signalledAt: number;
  killed: boolean;
}

/**
 * Creates the handle of a managed target (nothing is started yet). `baseUrl` is the configured one; without
 * it, each start takes the first URL the process prints.
 */
export function createManagedTarget(
  spec: StartSpec,
  options: { baseUrl?: string | undefined; env: Readonly<Record<string, string | undefined>>; redactor: Redactor; signal?: AbortSignal | undefined },
): ManagedTarget {
  const r = options.redactor;
  let run: Run | undefined;
  let history = '';
  let detectedUrl: string | undefined;
  const current = () => options.baseUrl ?? detectedUrl ?? '';

  const spawnRun = (changes: TargetEnvChanges | undefined): Run | string => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.env)) if (v !== undefined) env[k] = v;
    Object.assign(env, spec.env);
    for (const [k, v] of Object.entries(changes ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    let child: ChildProcess;
    try {
      const [file, ...args] = Array.isArray(spec.command) ? spec.command : [spec.command];
      child = spawn(file as string, args, {
        cwd: spec.cwd,
        env,
        shell: !Array.isArray(spec.command),
        detached: true, // own process group, so a shell's children are stopped too
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      return r.redact(`cannot spawn "${commandLine(spec.command)}": ${(err as Error).message}`);
    }
    const started = Date.now();
    const next: Run = { child, output: '', exit: undefined, exited: Promise.resolve(), signalledAt: started, killed: false };
    const append = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      next.output += text;
      if (next.output.length > MAX_OUTPUT_BYTES) next.output = next.output.slice(-MAX_OUTPUT_BYTES);
      history += text;
      if (history.length > MAX_OUTPUT_BYTES) history = history.slice(-MAX_OUTPUT_BYTES);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    next.exited = new Promise<void>((resolveExit) => {
      child.once('exit', (code, signal) => {
        next.exit = { code, signal, afterMs: Date.now() - next.signalledAt, killed: next.killed };
        resolveExit();
      });
      child.once('error', (err) => {
        append(Buffer.from(`spawn error: ${err.message}\n`));
        next.exit ??= { code: null, signal: null, afterMs: Date.now() - next.signalledAt, killed: false };
        resolveExit();
      });
    });
    return next;
  };

  const describeExit = (e: TargetExit) => (e.signal ? `signal ${e.signal}` : `exit code ${e.code}`);

  const waitReady = async (current: Run, timeoutMs: number, started: number): Promise<TargetStartResult> => {
    const deadline = started + timeoutMs;
    let lastProbe = 'no probe yet';
    while (Date.now() < deadline) {
      if (options.signal?.aborted) return { ok: false, reason: 'run cancelled while the target was starting.' };
      if (current.exit) return { ok: false, reason: `"${commandLine(spec.command)}" ${describeExit(current.exit)} before it was ready.`, exit: current.exit };
      if (!options.baseUrl && !detectedUrl) {
        const m = URL_IN_OUTPUT.exec(current.output);
        if (m) {
          const printed = m[0].replace(/[.,;)\]}]+$/, '');
          // A printed `http://user:pw@host`: the password is learnt for redaction, the userinfo dropped (fetch
          // refuses URLs with credentials, and no report may carry them).
          r.addUrl(printed);
          detectedUrl = stripUserinfo(printed);
        }
      }
      const base = options.baseUrl ?? detectedUrl;
      if (base) {
        const readyUrl = stripUserinfo(new URL(spec.readyUrl ?? '/health', base).href);
        try {
          const res = await fetch(readyUrl, { signal: AbortSignal.timeout(Math.max(200, Math.min(2000, deadline - Date.now()))), redirect: 'manual' });
          await res.body?.cancel();
          if (res.status >= 200 && res.status < 300) return { ok: true, baseUrl: base, readyMs: Date.now() - started };
          lastProbe = `GET ${readyUrl} → ${res.status}`;
        } catch (err) {
          const e = err as { cause?: { code?: string }; name?: string; message?: string };
          lastProbe = `GET ${readyUrl} → ${e.cause?.code ?? e.name ?? 'error'}`;
        }
      } else {
        lastProbe = 'no baseUrl configured and no URL printed yet';
      }
      await new Promise((res) => setTimeout(res, PROBE_INTERVAL_MS));
    }
    return { ok: false, reason: `"${commandLine(spec.command)}" was not ready within ${timeoutMs} ms (last probe: ${lastProbe}).` };
  };

  const handle: ManagedTarget = {
    get baseUrl() {
      return current();
    },
    get running() {
      return run !== undefined && run.exit === undefined;
    },
    get pid() {
      return run?.child.pid;
    },
    get lastExit() {
      return run?.exit;
    },
    output: () => r.redact(run?.output ?? ''),
    fullOutput: () => r.redact(history),
    printed: (value) => value.length > 0 && history.includes(value),
    async start(opts = {}) {
      if (run && !run.exit) return { ok: false, reason: 'the target is already running (stop it first)' };
      const started = Date.now();
      if (!options.baseUrl) detectedUrl = undefined;
      const next = spawnRun(opts.env);
      if (typeof next === 'string') return { ok: false, reason: next };
      run = next;
      if (opts.wait === 'spawn') return { ok: true, baseUrl: current(), readyMs: 0 };
      const outcome = await waitReady(next, opts.timeoutMs ?? spec.timeoutMs, started);
      if (!outcome.ok) {
        await handle.stop();
        const tail = next.output.trim() ? ` Output: ${excerpt(r.redact(next.output.slice(-2000)), 600)}` : ' It printed nothing.';
        return { ok: false, reason: r.redact(outcome.reason) + tail, exit: next.exit };
      }
      return outcome;
    },
    signal(signal) {
      if (!run || run.exit) return;
      run.signalledAt = Date.now();
      killGroup(run.child, signal);
    },
    async waitForExit(timeoutMs) {
      const current = run;
      if (!current) return undefined;
      if (current.exit) return current.exit;
      await Promise.race([current.exited, delay(timeoutMs)]);
      return current.exit;
    },
    async stop(opts = {}) {
      const current = run;
      if (!current) return undefined;
      if (current.exit) return current.exit;
      current.signalledAt = Date.now();
      killGroup(current.child, opts.signal ?? 'SIGTERM');
      const graceMs = opts.graceMs ?? spec.stopTimeoutMs;
      if ((await Promise.race([current.exited.then(() => 'exited' as const), delay(graceMs)])) === 'timeout') {
        current.killed = true;
        killGroup(current.child, 'SIGKILL');
        await Promise.race([current.exited, delay(KILL_WAIT_MS)]);
      }
      return current.exit;
    },
    async spawnVariant(opts) {
      // A handle of its own: the running target is untouched; the variant is always stopped before returning.
      const variant = createManagedTarget({ ...spec, env: spec.env, timeoutMs: opts.timeoutMs }, { ...options, baseUrl: opts.baseUrl });
      const t0 = Date.now();
      const started = await variant.start({ env: opts.env, wait: opts.waitReady ? 'ready' : 'spawn', timeoutMs: opts.timeoutMs });
      let run: VariantRun;
      if (opts.waitReady) {
        run = { exit: started.ok ? undefined : started.exit, ready: started.ok, durationMs: Date.now() - t0, output: '', printed: [], ...(started.ok ? {} : { problem: started.reason }) };
      } else if (!started.ok) {
        run = { exit: undefined, ready: false, durationMs: Date.now() - t0, output: '', printed: [], problem: started.reason };
      } else {
        const exit = await variant.waitForExit(Math.max(0, opts.timeoutMs - (Date.now() - t0)));
        run = { exit, ready: false, durationMs: Date.now() - t0, output: '', printed: [] };
      }
      await variant.stop({ graceMs: Math.min(spec.stopTimeoutMs, 2000) });
      // Every secret-looking value of the variant's whole environment is watched, besides the ones asked for.
      const effective: Record<string, string | undefined> = { ...options.env, ...spec.env, ...opts.env };
      const watched = new Map<string, string>(Object.entries(opts.watch ?? {}));
      for (const [k, v] of Object.entries(effective)) if (v !== undefined && v.length >= 6 && isSecretEnv(k, v)) watched.set(k, v);
      const printed = [...watched].filter(([, value]) => variant.printed(value)).map(([name]) => name);
      return { ...run, output: variant.fullOutput(), printed };
    },
    async restart(opts = {}) {
      await handle.stop({ ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.graceMs !== undefined ? { graceMs: opts.graceMs } : {}) });
      return handle.start({ ...(opts.env ? { env: opts.env } : {}), ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) });
    },
  };
  return handle;
}

/** Starts the target and waits until it is ready. Never throws for a target that misbehaves. */
export async function startTarget(
  spec: StartSpec,
  options: { baseUrl?: string | undefined; env: Readonly<Record<string, string | undefined>>; redactor: Redactor; signal?: AbortSignal | undefined },
): Promise<StartOutcome> {
  const started = Date.now();
  const target = createManagedTarget(spec, options);
  const outcome = await target.start();
  if (outcome.ok) return { ok: true, target, readyMs: outcome.readyMs, readyUrl: options.redactor.redact(new URL(spec.readyUrl ?? '/health', outcome.baseUrl).href) };
  return { ok: false, reason: outcome.reason, output: target.fullOutput(), durationMs: Date.now() - started };
}
