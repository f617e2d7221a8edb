/**
 * A real check context for tests of single checks: a real HTTP client against the given base URL, a real
 * Redactor learnt from the given environment, the real clock and an artifact sink writing to a temp dir.
 * The runner builds the production context; this stays small on purpose.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redactor } from '../../src/core/redact.ts';
import type { CheckContext, CheckDefinition, CheckOutcome } from '../../src/checks/types.ts';
import { createHttpClient } from '../../src/http/client.ts';

/** A context plus its temp dir and a close() that releases everything. */
export interface TestContext {
  ctx: CheckContext;
  dir: string;
  written: string[];
  close(): Promise<void>;
}

/** Builds a context; `env` defaults to a minimal environment with PATH so commands can run. */
export async function makeContext(
  options: { baseUrl?: string; env?: Record<string, string | undefined>; timeoutMs?: number; signal?: AbortSignal; id?: string } = {},
): Promise<TestContext> {
  const env = options.env ?? { PATH: process.env.PATH };
  const redactor = Redactor.fromEnv(env);
  const baseUrl = options.baseUrl ?? 'http://127.0.0.1:9';
  const http = createHttpClient({ baseUrl, redactor });
  const dir = await mkdtemp(join(tmpdir(), 'golive-check-'));
  const timeoutMs = options.timeoutMs ?? 30_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const written: string[] = [];
  const ctx: CheckContext = {
    id: options.id ?? 'test-check',
    target: { baseUrl: http.baseUrl, headers: {} },
    http,
    env,
    clock: {
      now: () => Date.now(),
      monoUs: () => Number(process.hrtime.bigint() / 1000n),
      // The Clock contract: reject with the signal's own reason, not a generic AbortError.
      sleep: (ms, s) => sleep(ms, undefined, s ? { signal: s } : undefined).catch((e: unknown) => Promise.reject(s?.aborted ? s.reason : e)),
    },
    signal,
    timeoutMs,
    redactor,
    artifacts: {
      dir,
      async write(rel, content) {
        const abs = join(dir, rel);
        await mkdir(dirname(abs), { recursive: true });
        await writeFile(abs, typeof content === 'string' ? redactor.redact(content) : content);
        written.push(rel);
        return rel;
      },
    },
    log: () => {},
    progress: () => {},
  };
  return {
    ctx,
    dir,
    written,
    async close() {
      await http.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Validates options through the kind's schema and runs it, as the runner will. */
export async function runCheck<D extends CheckDefinition>(def: D, ctx: CheckContext, opts: unknown): Promise<CheckOutcome> {
  return def.run(ctx, def.options.parse(opts));
}

/** Runs one kind against `baseUrl` in a fresh context (released afterwards), options validated as the runner validates them. */
export async function runKind<D extends CheckDefinition>(def: D, baseUrl: string, opts: unknown = {}): Promise<CheckOutcome> {
  const t = await makeContext({ baseUrl });
  try {
    return await runCheck(def, t.ctx, opts);
  } finally {
    await t.close();
  }
}

/** Whether an outcome fails: some error-severity observation did not hold (the runner's rule). */
export function failed(outcome: CheckOutcome): boolean {
  return outcome.observations.some((o) => !o.passed && (o.severity ?? 'error') === 'error');
}

/** Finding codes of the failed observations, in order. */
export function codes(outcome: CheckOutcome): string[] {
  return outcome.observations.filter((o) => !o.passed && o.code).map((o) => o.code as string);
}
