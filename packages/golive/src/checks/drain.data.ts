/** The `data` of a `drain` result (type only). */

/** A request that was dropped: written before the signal and not answered completely. */
export type DrainDropData = {
  /** Milliseconds from the signal to when the request was written (negative: before it). */
  writtenMs: number;
  /** Status when one came, else the failure. */
  outcome: string;
};

/** Evidence of a graceful-drain drill. */
export type DrainData = {
  signal: string;
  graceMs: number;
  /** Requests of the steady load, by when they were written and how they ended. */
  before: { sent: number; answered: number; dropped: number };
  after: { sent: number; answered: number; refused: number; closedBeforeAnswer: number; other: number };
  drops: DrainDropData[];
  /** From the signal to the first non-2xx (or refused) readiness; null without a readiness path or when it never flipped. */
  readinessFlipMs: number | null;
  /** From the signal to the first refused new connection (the listener closed); null when it never closed. */
  listenerClosedMs: number | null;
  /** New connections accepted after the listener had closed (must be 0). */
  acceptedAfterClose: number;
  /** From the signal to the last answer of the load. */
  lastAnswerMs: number | null;
  /** From the signal to the process exit; null when it did not exit within the grace. */
  exitMs: number | null;
  exitCode: number | null;
  killed: boolean;
  restarted: boolean;
};
