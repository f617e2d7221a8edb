/** The `data` of a `recovery` result (type only). */

/** One health poll of the drill's timeline. */
export type RecoveryPollData = {
  /** Milliseconds since the drill's action started. */
  atMs: number;
  /** Status, or the failure kind when no answer came. */
  status: number | string;
  healthy: boolean;
};

/** Evidence of a recovery (rollback) drill. */
export type RecoveryData = {
  /** What was done: `restart` of the managed target, or the command run. */
  action: string;
  /** Exit code of the command (null for a restart, or a command killed at its timeout). */
  exitCode: number | null;
  healthUrl: string;
  /** From the start of the action to the first healthy answer; null when none came. */
  firstHealthyMs: number | null;
  /** To the N-th consecutive healthy answer; null when that never happened. */
  stableMs: number | null;
  consecutive: number;
  budgetMs: number;
  timeline: RecoveryPollData[];
};
