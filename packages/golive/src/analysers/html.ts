/**
 * Just enough HTML reading for header analysis: `<meta>` policies and `<script src>` tags. htmlparser2's
 * streaming tokenizer reads the page as a browser's tokenizer would: a `>` inside a quoted attribute value
 * does not end the tag, the text of a `<script>`, `<style>`, `<title>` or `<textarea>` element is not markup
 * (so `"<script src=…>"` inside a script is not a tag), and comments are skipped. The tokenizer is used
 * without htmlparser2's tree-building parser: only `<meta>` and `<script>` attributes are turned into strings,
 * which keeps a 60 KB page in the tenths of a millisecond (the parser builds every tag's attributes).
 */
import { decodeHTMLAttribute } from 'entities/decode';
import { QuoteType, Tokenizer } from 'htmlparser2';
import type { HeaderMap } from './types.ts';

/** One tag's attributes, names lower-cased, values entity-decoded (the first of a repeated name wins, as in browsers). */
export type TagAttributes = Record<string, string>;

/** The tags the analysers read, found in one pass. */
export interface HtmlScan {
  metas: TagAttributes[];
  scripts: TagAttributes[];
}

function noop(): void {}

/** Finds every `<meta>` and `<script>` start tag in one pass, in document order. */
export function scanHtml(html: string): HtmlScan {
  const out: HtmlScan = { metas: [], scripts: [] };
  // The attributes of the start tag being read, when it is a <meta> or a <script>.
  let current: TagAttributes | undefined;
  let into: TagAttributes[] = out.metas;
  let attrName = '';
  let attrValue = '';
  const endTag = () => {
    if (current) into.push(current);
    current = undefined;
  };
  // Indexes are offsets into `html`: the whole page is written as one chunk.
  const tokenizer = new Tokenizer(
    { decodeEntities: false },
    {
      onopentagname(start, endIndex) {
        current = undefined;
        const length = endIndex - start;
        if (length !== 4 && length !== 6) return;
        const name = html.slice(start, endIndex).toLowerCase();
        if (name === 'meta') into = out.metas;
        else if (name === 'script') into = out.scripts;
        else return;
        current = {};
      },
      onattribname(start, endIndex) {
        if (!current) return;
        attrName = html.slice(start, endIndex).toLowerCase();
        attrValue = '';
      },
      onattribdata(start, endIndex) {
        if (current) attrValue += html.slice(start, endIndex);
      },
      onattribend(quote) {
        if (!current || Object.hasOwn(current, attrName)) return;
        current[attrName] = quote === QuoteType.NoValue ? '' : decodeHTMLAttribute(attrValue);
      },
      onopentagend: endTag,
      onselfclosingtag: endTag,
      onattribentity: noop,
      oncdata: noop,
      onclosetag: noop,
      oncomment: noop,
      ondeclaration: noop,
      onend: noop,
      onprocessinginstruction: noop,
      ontext: noop,
      ontextentity: noop,
    },
  );
  tokenizer.write(html);
  tokenizer.end();
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
