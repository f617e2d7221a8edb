/**
 * Redirection: a plain http request to the host should be redirected to https, on the same host first
 * (so the host's own HSTS header is seen), and end on https.
 */
import type { SCORE_TABLE } from './scoring.ts';
import type { Finding, RedirectionRecord } from './types.ts';

type RedirectionResult = keyof (typeof SCORE_TABLE)['redirection'];

/** Judges an http → https redirection chain. */
export function analyzeRedirection(rec: RedirectionRecord): { result: RedirectionResult; findings: Finding[] } {
  const findings: Finding[] = [];
  const f = (code: string, severity: 'error' | 'warn', message: string) => findings.push({ code, severity, test: 'redirection', header: 'location', message });
  if (rec.error === 'tls') {
    f('REDIRECT_INVALID_CERT', 'error', `${rec.startUrl} redirects to an https URL whose certificate is invalid`);
    return { result: 'redirection-invalid-cert', findings };
  }
  if (rec.hops.length === 0) {
    if (rec.final === undefined) return { result: 'redirection-not-needed-no-http', findings };
    f('REDIRECT_MISSING', 'error', `${rec.startUrl} answers ${rec.final.status} over plain http without redirecting to https`);
    return { result: 'redirection-missing', findings };
  }
  const start = new URL(rec.startUrl);
  const firstHop = rec.hops[0];
  let first: URL | undefined;
  try {
    first = new URL(firstHop?.location ?? '', start);
  } catch {
    first = undefined;
  }
  const finalUrl = rec.final?.url ?? rec.hops.at(-1)?.location;
  let finalProtocol: string | undefined;
  try {
    finalProtocol = finalUrl === undefined ? undefined : new URL(finalUrl, start).protocol;
  } catch {
    finalProtocol = undefined;
  }
  if (finalProtocol !== 'https:') {
    f('REDIRECT_NOT_TO_HTTPS', 'error', `${rec.startUrl} redirects but ends on ${finalUrl ?? 'nothing'}, not https`);
    return { result: 'redirection-not-to-https', findings };
  }
  if (first?.protocol !== 'https:') {
    f('REDIRECT_NOT_HTTPS_FIRST', 'warn', `the first redirect of ${rec.startUrl} goes to ${first?.href ?? firstHop?.location}, not to https`);
    return { result: 'redirection-not-to-https-on-initial-redirection', findings };
  }
  if (first.hostname !== start.hostname) {
    f('REDIRECT_OFF_HOST_FIRST', 'warn', `the first redirect of ${rec.startUrl} leaves the host (${first.href}); redirect to https on the same host first so its HSTS applies`);
    return { result: 'redirection-off-host-from-http', findings };
  }
  return { result: 'redirection-to-https', findings };
}
