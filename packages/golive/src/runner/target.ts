/**
 * A managed target (like Playwright's `webServer`): golive spawns the service, waits until its ready URL
 * answers 2xx (or the start timeout passes, or the process exits), runs the checks, then stops it with SIGTERM
 * and, after a grace period, SIGKILL to its whole process group. Its output is kept (tail, capped) so a
 * target that does not start is reported with what it printed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { excerpt, type Redactor } from '../core/redact.ts';
import { stripUserinfo } from '../core/url.ts';

/** Bytes of target output kept (the tail). */
const MAX_OUTPUT_BYTES = 256 * 1024;
/** Interval between ready probes. */
const PROBE_INTERVAL_MS = 100;

/** How to start a target (the validated `target.start`). */
export interface StartSpec {
  command: string | string[];
  cwd?: string | undefined;
  env: Record<string, string>;
  readyUrl?: string | undefined;
  timeoutMs: number;
  stopTimeoutMs: number;
}

/** A running managed target. */
export interface ManagedTarget {
  readonly baseUrl: string;
  readonly pid: number | undefined;
  /** Redacted output so far (stdout and stderr interleaved). */
  output(): string;
  /** Stops the process group (SIGTERM, then SIGKILL after the grace period); resolves when it has exited. */
  stop(): Promise<void>;
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

/** Starts the target and waits until it is ready. Never throws for a target that misbehaves. */
export async function startTarget(
  spec: StartSpec,
  options: { baseUrl?: string | undefined; env: Readonly<Record<string, string | undefined>>; redactor: Redactor; signal?: AbortSignal | undefined },
): Promise<StartOutcome> {
  const started = Date.now();
  const r = options.redactor;
  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > MAX_OUTPUT_BYTES) output = output.slice(-MAX_OUTPUT_BYTES);
  };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.env)) if (v !== undefined) env[k] = v;
  Object.assign(env, spec.env);
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
    return { ok: false, reason: r.redact(`cannot spawn "${commandLine(spec.command)}": ${(err as Error).message}`), output: '', durationMs: Date.now() - started };
  }
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let exited: string | undefined;
  const exitPromise = new Promise<void>((resolveExit) => {
    child.once('exit', (code, signal) => {
      exited = signal ? `signal ${signal}` : `exit code ${code}`;
      resolveExit();
    });
    child.once('error', (err) => {
      exited = `spawn error: ${err.message}`;
      resolveExit();
    });
  });

  let baseUrl = options.baseUrl;
  const target: ManagedTarget = {
    get baseUrl() {
      return baseUrl ?? '';
    },
    pid: child.pid,
    output: () => r.redact(output),
    async stop() {
      if (exited) return;
      killGroup(child, 'SIGTERM');
      const grace = new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), spec.stopTimeoutMs).unref());
      if ((await Promise.race([exitPromise.then(() => 'exited' as const), grace])) === 'timeout') {
        killGroup(child, 'SIGKILL');
        await Promise.race([exitPromise, new Promise((res) => setTimeout(res, 2000).unref())]);
      }
    },
  };

  const fail = async (reason: string): Promise<StartOutcome> => {
    await target.stop();
    const tail = output.trim() ? ` Output: ${excerpt(r.redact(output.slice(-2000)), 600)}` : ' It printed nothing.';
    return { ok: false, reason: r.redact(reason) + tail, output: r.redact(output), durationMs: Date.now() - started };
  };

  const deadline = started + spec.timeoutMs;
  let lastProbe = 'no probe yet';
  while (Date.now() < deadline) {
    if (options.signal?.aborted) return fail('run cancelled while the target was starting.');
    if (exited) return fail(`"${commandLine(spec.command)}" ${exited} before it was ready.`);
    if (!baseUrl) {
      const m = URL_IN_OUTPUT.exec(output);
      if (m) {
        const printed = m[0].replace(/[.,;)\]}]+$/, '');
        // A printed `http://user:pw@host`: the password is learnt for redaction, the userinfo dropped (fetch
        // refuses URLs with credentials, and no report may carry them).
        r.addUrl(printed);
        baseUrl = stripUserinfo(printed);
      }
    }
    if (baseUrl) {
      const readyUrl = stripUserinfo(new URL(spec.readyUrl ?? '/health', baseUrl).href);
      try {
        const res = await fetch(readyUrl, { signal: AbortSignal.timeout(Math.max(200, Math.min(2000, deadline - Date.now()))), redirect: 'manual' });
        await res.body?.cancel();
        if (res.status >= 200 && res.status < 300) return { ok: true, target, readyMs: Date.now() - started, readyUrl: r.redact(readyUrl) };
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
  return fail(`"${commandLine(spec.command)}" was not ready within ${spec.timeoutMs} ms (last probe: ${lastProbe}).`);
}
