/** The `data` of an `idempotency` result (type only). */

/** One probe: what was sent and what came back. */
export type IdempotencyProbeData = {
  probe: string;
  /** Requests sent by the probe. */
  requests: number;
  /** Answers by status (or failure kind). */
  statuses: { [status: string]: number };
  /** Distinct resource ids in the 2xx answers. */
  ids: string[];
  verdict: 'pass' | 'fail' | 'warn' | 'not-run';
  note: string;
};

/** Evidence of an idempotency probe. */
export type IdempotencyData = {
  method: string;
  path: string;
  keyHeader: string;
  /** How "one effect" was read: distinct ids in the answers, or a count read back before and after. */
  effect: 'ids' | 'count';
  /** The count before and after (effect `count`), else null. */
  countBefore: number | null;
  countAfter: number | null;
  /** Records the probes should have created (one per key that was accepted). */
  expectedEffects: number;
  /** Whether the concurrent probe had at least two requests in flight at the service together. */
  raceExercised: boolean;
  /** Prefix of every key sent, so the records can be found and cleaned up. */
  keyMarker: string;
  probes: IdempotencyProbeData[];
};
