/** The `data` of an `outage` result (type only). */

/** One poll of readiness and liveness during the drill. */
export type OutagePollData = {
  /** Milliseconds since the break command started. */
  atMs: number;
  phase: 'broken' | 'restored';
  ready: number | string;
  live: number | string;
};

/** Evidence of a dependency-outage drill. */
export type OutageData = {
  readyUrl: string;
  liveUrl: string;
  /** From the break to the first non-2xx readiness; null when it never turned. */
  readyDownMs: number | null;
  /** From the restore to the first 2xx readiness again; null when it never came back. */
  readyBackMs: number | null;
  /** Liveness answers other than 2xx while the dependency was down. */
  liveFailures: number;
  /** The managed target's pid before and after (a restart would change it); null without a managed target. */
  pidBefore: number | null;
  pidAfter: number | null;
  breakExit: number | null;
  restoreExit: number | null;
  timeline: OutagePollData[];
};
