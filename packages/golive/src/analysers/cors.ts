/**
 * Cross-origin resource sharing: golive sends a probe Origin that no real site uses; an answer that
 * reflects it lets every site read the response, and with credentials every user's data.
 */
import { firstHeader } from './html.ts';
import type { SCORE_TABLE } from './scoring.ts';
import type { CorsProbeRecord, Finding, HeaderMap } from './types.ts';

/** Default Origin sent by the CORS probe (a reserved domain: no real site can own it). */
export const DEFAULT_PROBE_ORIGIN = 'https://golive-cors-probe.example';

type CorsResult = keyof (typeof SCORE_TABLE)['cross-origin-resource-sharing'];

/** Judges CORS headers: of the probe's answer when there is one, else of the response itself. */
export function analyzeCors(own: HeaderMap, probe: CorsProbeRecord | undefined): { result: CorsResult; findings: Finding[] } {
  const headers = probe?.headers ?? own;
  const acao = firstHeader(headers, 'access-control-allow-origin')?.trim();
  const credentials = firstHeader(headers, 'access-control-allow-credentials')?.trim().toLowerCase() === 'true';
  const findings: Finding[] = [];
  const f = (code: string, severity: 'error' | 'warn', message: string) =>
    findings.push({ code, severity, test: 'cross-origin-resource-sharing', header: 'access-control-allow-origin', message });
  if (acao === undefined || acao === '') return { result: 'cross-origin-resource-sharing-not-implemented', findings };
  if (acao === '*') {
    if (credentials) f('CORS_WILDCARD_WITH_CREDENTIALS', 'warn', 'Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true (browsers refuse it; the intent is unsafe)');
    else f('CORS_WILDCARD', 'warn', 'Access-Control-Allow-Origin: * lets any site read this response');
    return { result: 'cross-origin-resource-sharing-implemented-with-public-access', findings };
  }
  if (probe !== undefined && acao.toLowerCase() === probe.origin.toLowerCase()) {
    if (credentials) {
      f('CORS_REFLECTED_ORIGIN_WITH_CREDENTIALS', 'error', `the probe Origin ${probe.origin} is reflected in Access-Control-Allow-Origin with Access-Control-Allow-Credentials: true: any site can read users' data`);
      return { result: 'cross-origin-resource-sharing-implemented-with-universal-access', findings };
    }
    // Without credentials the Observatory scores a reflected origin as restricted access (0); golive still warns.
    f('CORS_REFLECTED_ORIGIN', 'warn', `the probe Origin ${probe.origin} is reflected in Access-Control-Allow-Origin: any site can read this response`);
    return { result: 'cross-origin-resource-sharing-implemented-with-restricted-access', findings };
  }
  if (acao.toLowerCase() === 'null') {
    f('CORS_NULL_ORIGIN', credentials ? 'error' : 'warn', `Access-Control-Allow-Origin: null${credentials ? ' with credentials' : ''} (sandboxed frames and file: pages send Origin: null)`);
  }
  return { result: 'cross-origin-resource-sharing-implemented-with-restricted-access', findings };
}
