/** The `data` of a `command` result (type only). */

/** JUnit totals of the command's report, when it wrote one. */
export type CommandJunitData = { tests: number; failures: number; errors: number; skipped: number; failed: string[] };

/** Evidence of one command run. */
export type CommandData = {
  command: string;
  cwd: string | null;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** Artifact paths of the captured output (relative to the report directory). */
  stdoutPath: string | null;
  stderrPath: string | null;
  stdoutBytes: number;
  stderrBytes: number;
  junit: CommandJunitData | null;
};
