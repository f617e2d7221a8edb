/** The `data` of a `startup` result (type only). */

/** One start of the target with a changed environment. */
export type StartupCaseData = {
  /** `control` (the full environment), `missing:NAME` or `invalid:NAME`. */
  case: string;
  variable: string | null;
  /** Exit code; null when it did not exit (still running at the timeout, or ready) or a signal ended it. */
  exitCode: number | null;
  exited: boolean;
  ready: boolean;
  durationMs: number;
  /** Whether its output names the variable. */
  named: boolean;
  /** Names of environment variables whose secret value appeared in its output (values never recorded). */
  leaked: string[];
  /** Artifact path of its output (redacted). */
  log: string | null;
  verdict: 'pass' | 'fail';
};

/** Evidence of a startup-validation drill. */
export type StartupData = {
  cases: StartupCaseData[];
  timeoutMs: number;
};
