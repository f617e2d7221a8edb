/**
 * Subresource Integrity: scripts from other origins should carry an `integrity` hash and load over https.
 */
import { externalScripts, type HtmlScan } from './html.ts';
import { SCORE_TABLE } from './scoring.ts';
import type { Finding } from './types.ts';

type SriResult = keyof (typeof SCORE_TABLE)['subresource-integrity'];

/** Judges the `<script src>` tags of an HTML page. */
export function analyzeSri(html: string | HtmlScan | undefined, isHtmlPage: boolean, pageUrl: string): { result: SriResult; findings: Finding[] } {
  const findings: Finding[] = [];
  if (!isHtmlPage || html === undefined) return { result: 'sri-not-implemented-response-not-html', findings };
  const scripts = externalScripts(html);
  if (scripts.length === 0) return { result: 'sri-not-implemented-but-no-scripts-loaded', findings };
  const page = new URL(pageUrl);
  const table = SCORE_TABLE['subresource-integrity'];
  let worst: SriResult | undefined;
  let external = 0;
  let allIntegrity = true;
  for (const s of scripts) {
    let url: URL;
    try {
      url = new URL(s.src ?? '', page);
    } catch {
      continue;
    }
    const integrity = (s.integrity ?? '').trim() !== '';
    if (!integrity) allIntegrity = false;
    if (url.host === page.host) continue;
    external++;
    const secure = url.protocol === 'https:';
    let r: SriResult;
    if (integrity && secure) r = 'sri-implemented-and-external-scripts-loaded-securely';
    else if (integrity) r = 'sri-implemented-but-external-scripts-not-loaded-securely';
    else if (secure) r = 'sri-not-implemented-but-external-scripts-loaded-securely';
    else r = 'sri-not-implemented-and-external-scripts-not-loaded-securely';
    if (!secure) findings.push({ code: 'SRI_INSECURE_SCRIPT', severity: 'error', test: 'subresource-integrity', message: `script ${url.href} is loaded over ${url.protocol.replace(':', '')}` });
    else if (!integrity) findings.push({ code: 'SRI_MISSING', severity: 'warn', test: 'subresource-integrity', message: `external script ${url.href} has no integrity attribute` });
    if (worst === undefined || table[r] < table[worst] || (table[r] === table[worst] && r.startsWith('sri-not'))) worst = r;
  }
  if (external === 0) return { result: 'sri-not-implemented-but-all-scripts-loaded-from-secure-origin', findings };
  if (worst === 'sri-implemented-and-external-scripts-loaded-securely' && allIntegrity) return { result: 'sri-implemented-and-all-scripts-loaded-securely', findings };
  return { result: worst ?? 'sri-not-implemented-but-no-scripts-loaded', findings };
}
