/**
 * The history's index.html: one row per (label, release) with links to each run's report, the trend plots of
 * the key figures, and every kept run. Self-contained (no script, no network) and every link relative, so the
 * directory can be moved or served from an artifact store. Everything shown comes from reports, so it is escaped.
 */
import type { Plot } from '../core/result.ts';
import { type HistoryDocument, type RunSummary, trendPlots } from './model.ts';

/** Escapes text for HTML element content and quoted attribute values. */
function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A relative link inside the history (its own file names: runs/<id>.json, reports/<id>.html), encoded per segment. */
function href(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

const verdictClass = (v: string) => (v === 'GO' ? 'go' : v === 'NO-GO' ? 'nogo' : 'inconclusive');

function runLinks(r: RunSummary): string {
  const links = [];
  if (r.html) links.push(`<a href="${esc(href(r.html))}">report</a>`);
  links.push(`<a href="${esc(href(r.report))}">report.json</a>`);
  return links.join(' · ');
}

const counts = (r: RunSummary) => `${r.totals.pass} pass · ${r.totals.fail} fail · ${r.totals.error} error · ${r.totals.skip} skip`;

/** A plot as a table of its points, readable without the SVG (and the SVG's text alternative). */
function plotTable(plot: Plot): string {
  const xs = [...new Set(plot.series.flatMap((s) => s.points.map(([x]) => x)))].sort((a, b) => a - b);
  const unit = plot.y.unit ? ` (${plot.y.unit})` : '';
  const head = `<tr><th scope="col">${esc(plot.x.label)}</th>${plot.series.map((s) => `<th scope="col">${esc(s.name)}${esc(unit)}</th>`).join('')}</tr>`;
  const body = xs
    .map((x) => `<tr><th scope="row">${x}</th>${plot.series.map((s) => `<td>${s.points.find(([px]) => px === x)?.[1] ?? ''}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table class="points"><caption>${esc(plot.title)}</caption><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

/** One trend plot: its title, description and points. */
function plotSection(plot: Plot): string {
  return `<figure class="plot" id="${esc(plot.id)}">
<figcaption><h3>${esc(plot.title)}</h3>${plot.description ? `<p>${esc(plot.description)}</p>` : ''}</figcaption>
<details><summary>Values</summary>${plotTable(plot)}</details>
</figure>`;
}

const STYLE = `:root{color-scheme:light dark;font-family:system-ui,sans-serif;line-height:1.4}
body{margin:1.5rem auto;max-width:72rem;padding:0 1rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #8884;padding:.25rem .5rem;text-align:left;vertical-align:top}
.go{color:#1a7f37}.nogo{color:#cf222e}.inconclusive{color:#9a6700}
@media (prefers-color-scheme:dark){.go{color:#3fb950}.nogo{color:#ff7b72}.inconclusive{color:#d29922}}
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(22rem,1fr));gap:1rem}figure{margin:0}
@media print{details{display:block}details>summary{display:none}}`;

/** The index page of a history document. */
export function renderHistoryIndex(doc: HistoryDocument): string {
  const byId = new Map(doc.runs.map((r) => [r.runId, r]));
  const rows = doc.rows
    .map((row) => {
      const r = byId.get(row.runId);
      if (!r) return '';
      return `<tr><td>${esc(row.label)}</td><td>${esc(row.release ?? '—')}</td><td class="${verdictClass(r.verdict)}">${esc(r.verdict)}</td><td><time datetime="${esc(r.startedAt)}">${esc(r.startedAt)}</time></td><td>${counts(r)}</td><td>${row.runs}</td><td>${runLinks(r)}</td></tr>`;
    })
    .join('\n');
  const all = [...doc.runs]
    .reverse()
    .map(
      (r) =>
        `<tr><td><time datetime="${esc(r.startedAt)}">${esc(r.startedAt)}</time></td><td>${esc(r.label)}</td><td>${esc(r.release ?? '—')}</td><td class="${verdictClass(r.verdict)}">${esc(r.verdict)}</td><td>${counts(r)}</td><td>${runLinks(r)}</td></tr>`,
    )
    .join('\n');
  const plots = trendPlots(doc);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>golive run history</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>golive run history</h1>
<p>${doc.runs.length} run${doc.runs.length === 1 ? '' : 's'} kept, updated <time datetime="${esc(doc.updatedAt)}">${esc(doc.updatedAt)}</time>.</p>
<section aria-labelledby="releases">
<h2 id="releases">By label and release</h2>
<p>One row per label and release: the latest run of each (a rerun replaces its row).</p>
<table>
<thead><tr><th scope="col">label</th><th scope="col">release</th><th scope="col">verdict</th><th scope="col">started</th><th scope="col">checks</th><th scope="col">runs</th><th scope="col">evidence</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</section>
<section aria-labelledby="trends">
<h2 id="trends">Trends</h2>
<div class="plots">
${plots.map(plotSection).join('\n')}
</div>
</section>
<section aria-labelledby="runs">
<h2 id="runs">Every run kept</h2>
<table>
<thead><tr><th scope="col">started</th><th scope="col">label</th><th scope="col">release</th><th scope="col">verdict</th><th scope="col">checks</th><th scope="col">evidence</th></tr></thead>
<tbody>
${all}
</tbody>
</table>
</section>
</main>
</body>
</html>
`;
}
