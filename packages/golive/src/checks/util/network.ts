/**
 * Turns a request that ended without a response (refused, reset, timeout...) into a failed observation with
 * a finding code and the evidence. A dead target is a `fail` with evidence, never a thrown error.
 */
import type { Observation } from '../../core/result.ts';
import { type HttpFailure, type NetworkErrorKind, describeExchange } from '../../http/client.ts';
import { observe } from '../types.ts';

/** Finding-code suffix per failure kind; the check's prefix goes in front (`HEALTH_` + `TIMEOUT`). */
export const NETWORK_FINDING: Readonly<Record<NetworkErrorKind, string>> = {
  refused: 'UNREACHABLE',
  dns: 'DNS',
  reset: 'RESET',
  timeout: 'TIMEOUT',
  tls: 'TLS',
  protocol: 'PROTOCOL',
  'redirect-loop': 'REDIRECTS',
  'too-many-redirects': 'REDIRECTS',
  aborted: 'ABORTED',
  other: 'UNREACHABLE',
};

/** Plain words for each kind, used in the observation's `actual`. */
const KIND_TEXT: Readonly<Record<NetworkErrorKind, string>> = {
  refused: 'connection refused',
  dns: 'host name not resolved',
  reset: 'connection reset before a complete answer',
  timeout: 'no complete answer before the timeout',
  tls: 'TLS handshake failed',
  protocol: 'malformed HTTP response',
  'redirect-loop': 'redirect loop',
  'too-many-redirects': 'too many redirects',
  aborted: 'request aborted',
  other: 'request failed',
};

/** What to do about a certificate golive does not trust (a private CA on staging is the usual cause). */
export const TLS_HINT = '; for a private CA pass --ca FILE (or set target.tls.ca); --insecure skips verification';

/** Finding code for a failure kind, e.g. `networkCode('HEALTH', 'timeout')` → `HEALTH_TIMEOUT`. */
export function networkCode(prefix: string, kind: NetworkErrorKind): string {
  return `${prefix}_${NETWORK_FINDING[kind]}`;
}

/** A failed `reachable` observation carrying the request made and what went wrong. */
export function networkObservation(prefix: string, ex: HttpFailure, expected: string, name = 'reachable'): Observation {
  return observe(name, false, expected, KIND_TEXT[ex.kind], {
    code: networkCode(prefix, ex.kind),
    message: `${KIND_TEXT[ex.kind]}: ${describeExchange(ex)}${ex.kind === 'tls' ? TLS_HINT : ''}`,
  });
}
