import type { Verdict } from './result.ts';

/** Process exit codes of the golive CLI (docs/exit-codes.md). Only the CLI entry sets them. */
export const ExitCode = {
  /** GO: every error-level check passed. */
  GO: 0,
  /** NO-GO: an error-level check failed. */
  NO_GO: 1,
  /** Usage or configuration error: nothing was checked. */
  USAGE: 2,
  /** INCONCLUSIVE: nothing failed, but an error-level check could not be evaluated. */
  INCONCLUSIVE: 3,
  /** Internal error: a bug in golive (the stack is printed). */
  INTERNAL: 70,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code for a verdict. */
export function exitCodeForVerdict(verdict: Verdict): ExitCodeValue {
  switch (verdict) {
    case 'GO':
      return ExitCode.GO;
    case 'NO-GO':
      return ExitCode.NO_GO;
    case 'INCONCLUSIVE':
      return ExitCode.INCONCLUSIVE;
  }
}
