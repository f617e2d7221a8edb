/**
 * The check interface. A check kind is a schema for its options plus an async `run` that gets everything it
 * needs through its context (http, env, clock, signal, log, artifacts) and returns observations. A check never
 * prints, never exits and never picks its own level: the runner decides pass/fail from the observations,
 * turns anything thrown into an `error` result and enforces the timeout.
 */
import type { z } from 'zod';
import type { Json, Observation, Presentation } from '../core/result.ts';
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
  /**
   * The target: base URL, default headers (already applied by `http`) and its TLS trust (`target.tls`, `--ca`,
   * `--insecure`), which every kind that opens its own connections must use.
   */
  readonly target: {
    readonly baseUrl: URL;
    readonly headers: Readonly<Record<string, string>>;
    readonly tls?: { readonly rejectUnauthorized: boolean; readonly ca?: string | readonly string[] | undefined } | undefined;
  };
  /**
   * The managed target (`target.start`), when golive started the service itself: drills stop, signal and
   * restart it through this handle. Undefined when the target is only a URL.
   */
  readonly managed?: ManagedTargetHandle | undefined;
  /** What this check's `hooks.gateStart` returned (undefined without that hook). */
  readonly gateStartState?: Json | undefined;
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

/** The shape of a kind's `data`: a JSON object (declared as a type alias in the kind's `<kind>.data.ts`). */
export type CheckData = { [key: string]: Json };

/** What a check returns. The runner derives the status: fail if any error-severity observation failed. */
export interface CheckOutcome<D extends CheckData = CheckData> {
  observations: Observation[];
  /** Key figures (e.g. `{ p95Ms: 52.1, samples: 5 }`). */
  metrics?: Record<string, number | string | boolean | null>;
  /** Kind-specific evidence (redacted by the runner) used by JSON reports and compatibility artifacts. */
  data?: D;
  /** One line for tables; the runner derives one from the first failed observation when absent. */
  summary?: string;
  /** Artifact paths written through ctx.artifacts. */
  artifacts?: string[];
}

/**
 * An environment variable a kind reads. Either it sets an option of every check of the kind (`option`), or the
 * check reads it itself from `ctx.env` under the last of `names` (the runner copies the first name that is set
 * onto it, so `GOLIVE_EXPECT_LIVE` reaches a check reading `EXPECT_LIVE`). A variable that affects every kind
 * (the request timeout, the base URL) is a target setting, not a kind's.
 */
export interface KindEnvVariable {
  /** Names in precedence order, the `GOLIVE_*` name first; the first non-empty one wins. */
  readonly names: readonly string[];
  /** The option it sets on every check of this kind (applied with the environment's precedence). */
  readonly option?: string;
  /** What it does, one phrase for docs (`golive schema`, docs/configuration.md). */
  readonly description: string;
}

/** The direction in which a metric of a kind gets better, and how far it may move before a baseline flags it. */
export interface MetricSpec {
  /** `lower` (latency), `higher` (throughput, score), `equal` (a grade, a count that must not change). */
  readonly direction: 'lower' | 'higher' | 'equal';
  /** Relative change tolerated before a regression is reported (0.2 = 20 %); 0 for `equal`. */
  readonly tolerance: number;
  /**
   * Absolute change that is never a regression, whatever the relative one (5 for a latency in ms: 1 ms → 3 ms on
   * loopback is noise, not +200 %). Default 0.
   */
  readonly minDelta?: number;
  /**
   * For a metric whose values are words (a letter grade): its values from worst to best. They compare by
   * position with `direction`; a value outside the list is not compared.
   */
  readonly levels?: readonly string[];
  /**
   * Metrics that must be equal in both results for this one to be compared (a scoring algorithm's version: a
   * grade under another algorithm is another scale). A metric missing from both results counts as equal.
   */
  readonly comparableWhenEqual?: readonly string[];
  readonly unit?: string;
}

/** What gate hooks get: the target and clients, no check id (they run around the stages). */
export type GateHookContext = Omit<CheckContext, 'id' | 'gateStartState' | 'timeoutMs' | 'progress'>;

/** The outcome of a kind's `gateEnd` hook: observations added to the check's result. */
export interface GateEndOutcome {
  observations: Observation[];
  metrics?: Record<string, number | string | boolean | null>;
  data?: CheckData;
}

/**
 * A check kind: everything particular to it lives here, so the runner, config and reporters name no kind.
 * `S` is the zod schema of its options (defaults live in the schema); `D` the type of its `data`, declared in a
 * type-only module beside the kind (`checks/<kind>.data.ts`) that reporters may import. Every field besides
 * kind, title, description, options and run is optional, for user kinds made with `defineCheck`.
 */
export interface CheckDefinition<S extends z.ZodType = z.ZodType, D extends CheckData = CheckData> {
  /** Kind name used in config (`health`, `canary`, ...). */
  readonly kind: string;
  /** Human title used when a check has none. */
  readonly title: string;
  /** One sentence for docs and `golive schema`. */
  readonly description: string;
  /** Options schema; validated when config loads. */
  readonly options: S;
  /** Timeout when the config sets none and `timeoutFor` is absent (ms). */
  readonly defaultTimeoutMs?: number;
  /**
   * The check's timeout for these options when the config sets none (ms): a kind whose options stretch its run
   * (a count of requests, a list of paths, a per-request timeout) says how here.
   */
  timeoutFor?(options: z.output<S>): number;
  /**
   * The option holding the kind's per-request timeout, which the target-level request timeout
   * (`S4_TIMEOUT`, `GOLIVE_TIMEOUT_MS`, `--timeout`) sets like the environment layer does.
   */
  readonly requestTimeoutOption?: string;
  /** The environment variables this kind reads. */
  readonly env?: readonly KindEnvVariable[];
  /** Metrics of its results with their direction and default tolerance (for baselines). */
  readonly metrics?: Readonly<Record<string, MetricSpec>>;
  /** Whether it changes the target's state (creates records, consumes rate budget, restarts it). */
  mutates?: boolean | ((options: z.output<S>) => boolean);
  /** How a result is presented (key figure, plots, tables), from its data and metrics. */
  present?(result: { data?: D | undefined; metrics: Readonly<Record<string, number | string | boolean | null>>; status: 'pass' | 'fail' }, options: z.output<S>): Presentation;
  /** Hooks around the whole gate, run for each check of this kind that the gate runs (e.g. metric deltas). */
  readonly hooks?: {
    /** Before the first stage; what it returns is handed to the check (`ctx.gateStartState`) and to `gateEnd`. */
    gateStart?(ctx: GateHookContext, options: z.output<S>): Promise<Json | undefined>;
    /** After the last stage; its observations join the check's result (and can fail it). */
    gateEnd?(ctx: GateHookContext, options: z.output<S>, state: Json | undefined): Promise<GateEndOutcome>;
  };
  run(ctx: CheckContext, options: z.output<S>): Promise<CheckOutcome<D>>;
}

/** How a managed target stopped. */
export interface TargetExit {
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: string | null;
  /** Milliseconds from the stop request (or the signal sent) to the exit. */
  afterMs: number;
  /** True when golive had to SIGKILL the process group after the grace period. */
  killed: boolean;
}

/** Outcome of (re)starting a managed target. */
export type TargetStartResult =
  | { ok: true; baseUrl: string; readyMs: number }
  | { ok: false; reason: string; exit?: TargetExit | undefined };

/** Changes to the managed target's environment for one start: a value sets, `undefined` removes. */
export type TargetEnvChanges = Readonly<Record<string, string | undefined>>;

/**
 * The managed target as checks see it (drills): the process golive started for `target.start`. Every method is
 * bounded in time and never throws for a target that misbehaves.
 */
export interface ManagedTargetHandle {
  /** Base URL of the running process (a restart may pick a new port). */
  readonly baseUrl: string;
  readonly running: boolean;
  readonly pid: number | undefined;
  /** How the last process ended (undefined while it runs or before the first exit). */
  readonly lastExit: TargetExit | undefined;
  /** Redacted output (stdout and stderr interleaved) of the current process, or the last one. */
  output(): string;
  /**
   * Starts the target when it is not running, with `env` changes over the configured environment, and waits until
   * it is ready (`wait: 'ready'`, the default) or only until it has been spawned (`wait: 'spawn'`, for a drill
   * that expects it to exit).
   */
  start(options?: { env?: TargetEnvChanges; wait?: 'ready' | 'spawn'; timeoutMs?: number }): Promise<TargetStartResult>;
  /** Sends a signal to the process group and returns at once. */
  signal(signal: NodeJS.Signals): void;
  /** Resolves when the current process exits, or with undefined after `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<TargetExit | undefined>;
  /** Sends `signal` (default SIGTERM), waits `graceMs` (default the configured stop timeout), then SIGKILLs the group. */
  stop(options?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<TargetExit | undefined>;
  /** stop() then start() with the given environment changes. */
  restart(options?: { env?: TargetEnvChanges; signal?: NodeJS.Signals; graceMs?: number; timeoutMs?: number }): Promise<TargetStartResult>;
  /**
   * Runs the target's command once more, beside the running target (a startup drill's case): with `env` changes,
   * a base URL of its own (none: the first URL it prints), until it exits, becomes ready (`waitReady`) or
   * `timeoutMs` passes; then its process group is stopped. Never throws.
   */
  spawnVariant(options: {
    env: TargetEnvChanges;
    timeoutMs: number;
    waitReady?: boolean;
    baseUrl?: string;
    /**
     * Values that must not appear in its output, by name, besides every secret-looking value of its environment
     * (watched always): `VariantRun.printed` lists those that did.
     */
    watch?: Readonly<Record<string, string>>;
  }): Promise<VariantRun>;
}

/** How one extra run of the target's command went. */
export interface VariantRun {
  /** How it ended (undefined when it was still running at the timeout, or became ready and was stopped). */
  exit: TargetExit | undefined;
  /** Whether it answered its ready URL (with `waitReady`). */
  ready: boolean;
  /** Milliseconds from spawn to exit, to ready, or to the timeout. */
  durationMs: number;
  /** Its output, redacted. */
  output: string;
  /** Names of the watched values that appeared in its raw output (the values are never returned). */
  printed: string[];
  /** Why it could not be judged (spawn failure), if so. */
  problem?: string;
}

/** Declares a check kind (typing helper: returns its argument). */
export function defineCheck<S extends z.ZodType, D extends CheckData = CheckData>(definition: CheckDefinition<S, D>): CheckDefinition<S, D> {
  return definition;
}

/** Whether a check of this kind with these options changes the target's state. */
export function mutatesTarget<O>(def: { readonly mutates?: boolean | ((options: O) => boolean) | undefined }, options: O): boolean {
  return typeof def.mutates === 'function' ? def.mutates(options) : def.mutates === true;
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
