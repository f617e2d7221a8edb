/**
 * The check interface. A check kind is a schema for its options plus an async `run` that gets everything it
 * needs through its context (http, env, clock, signal, log, artifacts) and returns observations. A check never
 * prints, never exits and never picks its own level: the runner decides pass/fail from the observations,
 * turns anything thrown into an `error` result and enforces the timeout.
 */
import type { z } from 'zod';
import type { Json, Observation } from '../core/result.ts';
import type { Redactor } from '../core/redact.ts';
import type { HttpClient } from '../http/client.ts';

/** Time source, replaceable in tests. */
export interface Clock {
  /** Wall-clock milliseconds since the epoch. */
  now(): number;
  /** Monotonic microseconds (integer). */
  monoUs(): number;
  /** Resolves after ms, or rejects with the signal's reason when it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Where a check writes files (stdout of a command, a load result). Paths are relative to the run's output dir. */
export interface ArtifactSink {
  /** Writes (redacted) content and returns the relative path recorded in the result. */
  write(relativePath: string, content: string | Uint8Array): Promise<string>;
  /** Absolute directory of the run's artifacts (for commands that write their own files). */
  readonly dir: string;
}

/** Progress a long check may report while it runs (the console reporter shows it). */
export interface ProgressEvent {
  /** 0..1 when known. */
  fraction?: number;
  /** One short line, e.g. `1200/2000 req · 840 req/s · p95 12.1 ms`. */
  message: string;
}

/** Everything a check gets. */
export interface CheckContext {
  /** Id of this check within the gate. */
  readonly id: string;
  /** The target: base URL and default headers (already applied by `http`). */
  readonly target: { readonly baseUrl: URL; readonly headers: Readonly<Record<string, string>> };
  readonly http: HttpClient;
  /** The environment read once at the start of the run (never process.env directly). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock: Clock;
  /** Aborts when the check's timeout passes or the run is cancelled. */
  readonly signal: AbortSignal;
  /** The check's timeout in ms (the signal fires then). */
  readonly timeoutMs: number;
  readonly redactor: Redactor;
  readonly artifacts: ArtifactSink;
  /** Debug events (never shown unless --verbose), redacted by the runner. */
  log(message: string, data?: Record<string, unknown>): void;
  /** Progress for long checks. */
  progress(event: ProgressEvent): void;
}

/** What a check returns. The runner derives the status: fail if any error-severity observation failed. */
export interface CheckOutcome {
  observations: Observation[];
  /** Key figures (e.g. `{ p95Ms: 52.1, samples: 5 }`). */
  metrics?: Record<string, number | string | boolean | null>;
  /** Kind-specific evidence (redacted by the runner) used by JSON reports and compatibility artifacts. */
  data?: Record<string, Json>;
  /** One line for tables; the runner derives one from the first failed observation when absent. */
  summary?: string;
  /** Artifact paths written through ctx.artifacts. */
  artifacts?: string[];
}

/** A check kind. `S` is the zod schema of its options; defaults live in the schema. */
export interface CheckDefinition<S extends z.ZodType = z.ZodType> {
  /** Kind name used in config (`health`, `canary`, ...). */
  readonly kind: string;
  /** Human title used when a check has none. */
  readonly title: string;
  /** One sentence for docs and `golive schema`. */
  readonly description: string;
  /** Options schema; validated when config loads. */
  readonly options: S;
  /** Timeout when the config sets none (ms). */
  readonly defaultTimeoutMs?: number;
  run(ctx: CheckContext, options: z.output<S>): Promise<CheckOutcome>;
}

/** Declares a check kind (typing helper: returns its argument). */
export function defineCheck<S extends z.ZodType>(definition: CheckDefinition<S>): CheckDefinition<S> {
  return definition;
}

/** Builds an observation; `message` defaults to a sentence from expected/actual. */
export function observe(
  name: string,
  passed: boolean,
  expected: string,
  actual: string,
  extra: { message?: string; severity?: 'error' | 'warn'; code?: string } = {},
): Observation {
  const o: Observation = {
    name,
    expected,
    actual,
    passed,
    message: extra.message ?? (passed ? `${name}: ${actual}` : `${name}: expected ${expected}, got ${actual}`),
  };
  if (extra.severity) o.severity = extra.severity;
  if (extra.code && !passed) o.code = extra.code;
  return o;
}
