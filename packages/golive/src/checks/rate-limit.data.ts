/** The `data` of a `rate-limit` result (type only). */

/** One phase of the probe: the flood, the bypass attempts, the recovery. */
export type RateLimitPhaseData = {
  phase: string;
  requests: number;
  statuses: { [status: string]: number };
  note: string;
};

/** Evidence of a rate-limit probe. */
export type RateLimitData = {
  method: string;
  path: string;
  /** Answers that were not 429 before the first 429 (the budget seen from outside); null without a 429. */
  observedBudget: number | null;
  /** The budget judged against: the configured one, else the advertised limit; null when neither. */
  expectedBudget: number | null;
  budgetSource: 'config' | 'advertised' | 'none';
  /** Requests the flood sent. */
  sent: number;
  first429At: number | null;
  fiveXx: number;
  networkFailures: number;
  advertised: { limit: number | null; remaining: number | null; resetSec: number | null; windowSec: number | null; retryAfterSec: number | null; source: string | null };
  /** Seconds golive waited before the recovery request; null when not attempted. */
  recoveryWaitSec: number | null;
  recovered: boolean | null;
  /** Headers whose rotation got past the limit (empty when none did or when not probed). */
  bypassedBy: string[];
  phases: RateLimitPhaseData[];
};
