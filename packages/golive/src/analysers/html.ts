/**
 * Just enough HTML reading for header analysis: `<meta>` policies and `<script src>` tags. A tag scanner
 * rather than a DOM parser keeps the analysis well under a millisecond; comments are removed first so a
 * commented-out tag does not count.
 */
import type { HeaderMap } from './types.ts';

/** One tag's attributes, names lower-cased, values entity-decoded. */
export type TagAttributes = Record<string, string>;

const ATTR = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|quot|apos|lt|gt|#39);/gi, (m, e: string) => {
    const l = e.toLowerCase();
    if (l === 'amp') return '&';
    if (l === 'quot') return '"';
    if (l === 'apos' || l === '#39') return "'";
    if (l === 'lt') return '<';
    if (l === 'gt') return '>';
    const code = l.startsWith('#x') ? Number.parseInt(l.slice(2), 16) : Number.parseInt(l.slice(1), 10);
    return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : m;
  });
}

/** Parses the attribute part of a tag. */
export function parseAttributes(attrText: string): TagAttributes {
  const out: TagAttributes = {};
  for (const m of attrText.matchAll(ATTR)) {
    const name = (m[1] ?? '').toLowerCase();
    if (!name || name in out) continue;
    out[name] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return out;
}

/** The tags the analysers read, found in one pass. */
export interface HtmlScan {
  metas: TagAttributes[];
  scripts: TagAttributes[];
}

const SCAN = /<!--[\s\S]*?(?:-->|$)|<(meta|script)(?=[\s/>])([^>]*)>/gi;

/**
 * Finds every `<meta>` and `<script>` tag in one pass; comments are matched and skipped rather than removed,
 * so a large page is not copied.
 */
export function scanHtml(html: string): HtmlScan {
  const out: HtmlScan = { metas: [], scripts: [] };
  for (const m of html.matchAll(SCAN)) {
    const name = m[1]?.toLowerCase();
    if (name === 'meta') out.metas.push(parseAttributes(m[2] ?? ''));
    else if (name === 'script') out.scripts.push(parseAttributes(m[2] ?? ''));
  }
  return out;
}

/** Every tag of a name, as attribute maps, in document order (comments ignored). */
export function findTags(html: string, tagName: string): TagAttributes[] {
  const text = html.includes('<!--') ? html.replace(/<!--[\s\S]*?(?:-->|$)/g, '') : html;
  const re = new RegExp(`<${tagName}(?=[\\s/>])([^>]*)>`, 'gi');
  const out: TagAttributes[] = [];
  for (const m of text.matchAll(re)) out.push(parseAttributes(m[1] ?? ''));
  return out;
}

/** Whether a response is HTML (by Content-Type, or by its first bytes when the type is absent). */
export function isHtml(headers: HeaderMap, body: string | undefined): boolean {
  const ct = firstHeader(headers, 'content-type');
  if (ct !== undefined) return /text\/html|application\/xhtml\+xml/i.test(ct);
  return body !== undefined && /^\s*(<!doctype html|<html)/i.test(body.slice(0, 512));
}

/** Policies declared by `<meta http-equiv="Content-Security-Policy" content="...">`. */
export function metaCspPolicies(html: string | HtmlScan): string[] {
  return (typeof html === 'string' ? scanHtml(html) : html).metas
    .filter((a) => a['http-equiv']?.trim().toLowerCase() === 'content-security-policy' && a.content !== undefined)
    .map((a) => a.content ?? '');
}

/** The policy of `<meta name="referrer" content="...">` (the last one wins, as in browsers). */
export function metaReferrerPolicy(html: string | HtmlScan): string | undefined {
  const metas = (typeof html === 'string' ? scanHtml(html) : html).metas.filter((a) => a.name?.trim().toLowerCase() === 'referrer' && a.content !== undefined);
  return metas.at(-1)?.content;
}

/** `<script>` tags with a `src` attribute. */
export function externalScripts(html: string | HtmlScan): TagAttributes[] {
  return (typeof html === 'string' ? scanHtml(html) : html).scripts.filter((a) => a.src !== undefined && a.src.trim() !== '');
}

/** Every value of a header (one per header line), whatever the case of the recorded name. */
export function headerLines(headers: HeaderMap, name: string): string[] {
  const lower = name.toLowerCase();
  const out: string[] = [];
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || k.toLowerCase() !== lower) continue;
    if (typeof v === 'string') out.push(v);
    else out.push(...v);
  }
  return out;
}

/** First value of a header, or undefined. */
export function firstHeader(headers: HeaderMap, name: string): string | undefined {
  return headerLines(headers, name)[0];
}

/** A header's values joined as one field value (`, `), as HTTP allows for list headers. */
export function joinedHeader(headers: HeaderMap, name: string): string | undefined {
  const lines = headerLines(headers, name);
  return lines.length === 0 ? undefined : lines.join(', ');
}
