/**
 * Subresource Integrity: scripts from other sites should carry an `integrity` hash and load over https.
 * As in the Observatory, a script on the page's registrable domain (`www.example.org` on `example.org`,
 * from the Public Suffix List that `tldts` carries) counts as same-origin; a protocol-relative source
 * (`//host/x.js`) counts as foreign and insecure, whatever the host; a same-origin script with an
 * `integrity` attribute over https earns the implemented result.
 */
import { getDomain } from 'tldts';
import { type HtmlScan, scanHtml } from './html.ts';
import type { SCORE_TABLE } from './scoring.ts';
import type { Finding } from './types.ts';

type SriResult = keyof (typeof SCORE_TABLE)['subresource-integrity'];

/** One foreign script, as the Observatory reports it. */
export type SriScriptData = { crossorigin: string | null; integrity: string | null };

/** The Observatory's order of the results a foreign script can bring, from best to worst. */
const ORDER: readonly SriResult[] = [
  'sri-implemented-and-all-scripts-loaded-securely',
  'sri-implemented-and-external-scripts-loaded-securely',
  'sri-implemented-but-external-scripts-not-loaded-securely',
  'sri-not-implemented-but-external-scripts-loaded-securely',
  'sri-not-implemented-and-external-scripts-not-loaded-securely',
  'sri-not-implemented-response-not-html',
];

function worse(next: SriResult, current: SriResult | undefined): SriResult {
  return current === undefined || ORDER.indexOf(next) > ORDER.indexOf(current) ? next : current;
}

/** The registrable domain of a host (the host itself when it has none, e.g. an IP address or `localhost`). */
function site(hostname: string): string {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return getDomain(h) ?? h;
}

/** Judges the `<script>` tags of an HTML page. */
export function analyzeSri(
  html: string | HtmlScan | undefined,
  isHtmlPage: boolean,
  pageUrl: string,
): { result: SriResult; findings: Finding[]; data: Record<string, SriScriptData> } {
  const findings: Finding[] = [];
  const data: Record<string, SriScriptData> = {};
  if (!isHtmlPage || html === undefined) return { result: 'sri-not-implemented-response-not-html', findings, data };
  const scan = typeof html === 'string' ? scanHtml(html) : html;
  if (scan.scripts.length === 0) return { result: 'sri-not-implemented-but-no-scripts-loaded', findings, data };
  const page = new URL(pageUrl);
  const pageSite = site(page.hostname);
  let result: SriResult | undefined;
  let foreign = false;
  for (const s of scan.scripts) {
    const src = s.src?.trim();
    if (src === undefined || src === '') continue;
    const integrity = s.integrity !== undefined && s.integrity.trim() !== '' ? s.integrity : null;
    const protocolRelative = /^\/\/[^/]/.test(src);
    const absolute = /^https?:\/\//i.test(src);
    let url: URL | undefined;
    try {
      url = new URL(src, page);
    } catch {
      url = undefined;
    }
    // Relative paths stay on the page's origin; full URLs on the page's registrable domain count as the site's own.
    const relative = !protocolRelative && !absolute;
    const sameSite = relative || (absolute && url !== undefined && site(url.hostname) === pageSite);
    const secureOrigin = relative || (sameSite && !protocolRelative);
    const secureScheme = (absolute && url?.protocol === 'https:') || (relative && page.protocol === 'https:');
    if (secureOrigin) {
      if (integrity !== null && secureScheme && result === undefined) result = 'sri-implemented-and-all-scripts-loaded-securely';
      continue;
    }
    foreign = true;
    // The crossorigin attribute as browsers reflect it: absent, `use-credentials`, or `anonymous` for any other value.
    const crossorigin = s.crossorigin === undefined ? null : s.crossorigin.trim().toLowerCase() === 'use-credentials' ? 'use-credentials' : 'anonymous';
    data[src.slice(0, 2048)] = { crossorigin, integrity };
    const shown = url?.href ?? src;
    if (!secureScheme) {
      findings.push({
        code: 'SRI_INSECURE_SCRIPT',
        severity: 'error',
        test: 'subresource-integrity',
        message: protocolRelative ? `script ${src} is protocol-relative: it loads over http on an http page` : `script ${shown} is loaded over ${url?.protocol.replace(':', '') ?? 'an unknown scheme'}`,
      });
    } else if (integrity === null) findings.push({ code: 'SRI_MISSING', severity: 'warn', test: 'subresource-integrity', message: `external script ${shown} has no integrity attribute` });
    if (integrity !== null && !secureScheme) result = worse('sri-implemented-but-external-scripts-not-loaded-securely', result);
    else if (integrity === null && secureScheme) result = worse('sri-not-implemented-but-external-scripts-loaded-securely', result);
    else if (integrity === null) result = worse('sri-not-implemented-and-external-scripts-not-loaded-securely', result);
  }
  if (result === undefined) result = foreign ? 'sri-implemented-and-external-scripts-loaded-securely' : 'sri-not-implemented-but-all-scripts-loaded-from-secure-origin';
  // Bound what is reported, as the Observatory does.
  return { result, findings, data: JSON.stringify(data).length < 32_768 ? data : {} };
}
