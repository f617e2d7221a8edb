/** Evidence that credentials stayed home: a redirect to another origin did not receive the target's headers. */
import type { Observation } from '../../core/result.ts';
import type { HttpExchange } from '../../http/client.ts';
import { type CheckData, type CheckOutcome, observe } from '../types.ts';

/**
 * A passing observation naming the headers (never their values) that were not sent on after a redirect to
 * another origin, or undefined when no hop dropped any. The client drops them (http/redirect.ts); the report
 * says so, so a reader does not wonder whether the Authorization went to the other host.
 */
export function redirectHeadersObservation(ex: HttpExchange, name = 'redirect-headers'): Observation | undefined {
  const hops = ex.redirects.filter((r) => r.droppedHeaders?.length);
  if (hops.length === 0) return undefined;
  const names = [...new Set(hops.flatMap((h) => h.droppedHeaders ?? []))];
  const where = [...new Set(hops.map((h) => h.location))].join(', ');
  return observe(name, true, 'target headers and credentials kept from other origins', `not sent: ${names.join(', ')}`, {
    message: `redirected to another origin (${where}): ${names.join(', ')} not sent there`,
  });
}

/** Adds {@link redirectHeadersObservation} to an outcome, when there is one. */
export function withRedirectEvidence<D extends CheckData>(ex: HttpExchange, outcome: CheckOutcome<D>, name?: string): CheckOutcome<D> {
  const o = redirectHeadersObservation(ex, name);
  return o ? { ...outcome, observations: [...outcome.observations, o] } : outcome;
}
