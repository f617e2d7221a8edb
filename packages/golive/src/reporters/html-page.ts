/**
 * The shell of golive's HTML pages (the run report, the history index): one self-contained document with its
 * stylesheet inline and nothing fetched. Its Content-Security-Policy allows no script, no connection and no
 * resource but this stylesheet (by hash) and inline images, so even text that slipped past escaping could not
 * run or call out. Light and dark colour schemes follow the reader's setting; print drops the colours' backgrounds
 * and opens every collapsed section.
 */
import { createHash } from 'node:crypto';
import { escapeControl } from '../core/inert.ts';
import { escapeXml } from './svg.ts';

/** Escapes text for HTML content and attribute values (`&`, `<`, `>`, quotes). */
export const escapeHtml = escapeXml;

/** Text made safe for a page: control and bidirectional-override characters shown as escapes, then HTML-escaped. */
export function htmlText(s: string): string {
  return escapeHtml(escapeControl(s));
}

export const PAGE_CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--panel:#f6f8fa;
--pass:#1a7f37;--fail:#cf222e;--error:#9a6700;--skip:#6e7781;--go:#1a7f37;--nogo:#cf222e;--inconclusive:#9a6700;
--s0:#0969da;--s1:#bf3989;--s2:#1a7f37;--s3:#bc4c00;--s4:#8250df;--s5:#57606a;--s6:#0a3069;--s7:#953800;--rule:#cf222e}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#8d96a0;--line:#30363d;--panel:#161b22;
--pass:#3fb950;--fail:#f85149;--error:#d29922;--skip:#8d96a0;--go:#3fb950;--nogo:#f85149;--inconclusive:#d29922;
--s0:#4493f8;--s1:#db61a2;--s2:#3fb950;--s3:#db6d28;--s4:#a371f7;--s5:#8d96a0;--s6:#79c0ff;--s7:#f0883e;--rule:#f85149}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:72rem;padding:1.5rem;background:var(--bg);color:var(--fg);
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.25rem;margin:2rem 0 .5rem;border-bottom:1px solid var(--line)}
h3{font-size:1.05rem;margin:1.5rem 0 .4rem}
a{color:var(--s0)}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.9em}
pre{white-space:pre-wrap;word-break:break-word;background:var(--panel);padding:.5rem;border-radius:4px}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top;word-break:break-word}
th{background:var(--panel)}
.checks td:nth-child(1),.checks td:nth-child(2),.checks td:nth-child(4),.checks td:nth-child(5),.checks td:nth-child(7),.checks th{white-space:nowrap}
.verdict{display:inline-block;padding:.2rem .8rem;border-radius:4px;color:#fff;font-weight:700;letter-spacing:.03em}
.verdict-GO{background:var(--go)}.verdict-NO-GO{background:var(--nogo)}.verdict-INCONCLUSIVE{background:var(--inconclusive)}
.status{font-weight:700}.status-pass{color:var(--pass)}.status-fail{color:var(--fail)}.status-error{color:var(--error)}.status-skip{color:var(--skip)}
.muted{color:var(--muted)}
.counts{display:flex;flex-wrap:wrap;gap:.5rem;list-style:none;padding:0}
.counts li{background:var(--panel);border:1px solid var(--line);border-radius:4px;padding:.3rem .7rem}
.check{border:1px solid var(--line);border-radius:6px;padding:.2rem 1rem 1rem;margin:1rem 0}
.key{font-size:1.05rem;font-weight:600}
details{margin:.4rem 0}summary{cursor:pointer;font-weight:600}
figure{margin:1rem 0}figcaption{color:var(--muted);font-size:.9em}
svg.plot{width:100%;max-width:48rem;height:auto;display:block;font:11px system-ui,sans-serif}
svg.plot text{fill:var(--fg)}svg.plot .axis line{stroke:var(--muted)}svg.plot .grid line{stroke:var(--line);stroke-width:.5}
svg.plot .axis-title{fill:var(--muted)}svg.plot .empty{fill:var(--muted)}
svg.plot .series path{fill:none;stroke-width:1.6}
svg.plot .rules line{stroke:var(--rule);stroke-dasharray:5 3}svg.plot .rules text{fill:var(--rule)}
${Array.from({ length: 8 }, (_, i) => `svg.plot .s${i} path{stroke:var(--s${i})}svg.plot .s${i} circle,svg.plot .s${i} rect{fill:var(--s${i})}`).join('\n')}
@media print{body{max-width:none;padding:0;font-size:11pt}.check{break-inside:avoid}a{color:inherit}
details::details-content{display:block;content-visibility:visible}}
`;

const CSS_HASH = `'sha256-${createHash('sha256').update(PAGE_CSS).digest('base64')}'`;

/** The policy of every page: nothing but its own stylesheet and inline images. */
export const PAGE_CSP = `default-src 'none'; style-src ${CSS_HASH}; img-src data:; base-uri 'none'; form-action 'none'`;

/** A whole document around `body` (already HTML). */
export function htmlPage(page: { title: string; body: string; lang?: string }): string {
  return [
    '<!doctype html>',
    `<html lang="${escapeHtml(page.lang ?? 'en')}">`,
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${PAGE_CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<meta name="color-scheme" content="light dark">',
    `<title>${htmlText(page.title)}</title>`,
    `<style>${PAGE_CSS}</style>`,
    '</head>',
    `<body>\n${page.body}\n</body>`,
    '</html>',
    '',
  ].join('\n');
}
