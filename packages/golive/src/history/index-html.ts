/**
 * The history's index.html: one row per (label, release) with links to each run's report, the trend plots of
 * the key figures, and every kept run. Self-contained (no script, no network) and every link relative, so the
 * directory can be moved or served from an artifact store. Everything shown comes from reports, so it is escaped.
 */
import type { Plot } from '../core/result.ts';
import { htmlPage, htmlText as esc } from '../reporters/html-page.ts';
import { renderPlotSvg } from '../reporters/svg.ts';
import { type HistoryDocument, type RunSummary, trendPlots } from './model.ts';

/** A relative link inside the history (its own file names: runs/<id>.json, reports/<id>.html), encoded per segment. */
function href(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** A verdict cell, with the page's verdict badge (anything else a report claims is shown plain). */
const verdictCell = (v: string) => `<td>${['GO', 'NO-GO', 'INCONCLUSIVE'].includes(v) ? `<span class="verdict verdict-${v}">${v}</span>` : esc(v)}</td>`;

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

/** One trend plot: the shared SVG plot, its title and description, and its values as a table. */
function plotSection(plot: Plot): string {
  return `<figure class="plot-figure" data-plot="${esc(plot.id)}" id="${esc(plot.id)}">
<h3>${esc(plot.title)}</h3>
${renderPlotSvg(plot, { idPrefix: 'history' })}
<figcaption>${plot.description ? esc(plot.description) : ''}</figcaption>
<details><summary>Values</summary>${plotTable(plot)}</details>
</figure>`;
}

/** The index page of a history document. */
export function renderHistoryIndex(doc: HistoryDocument): string {
  const byId = new Map(doc.runs.map((r) => [r.runId, r]));
  const rows = doc.rows
    .map((row) => {
      const r = byId.get(row.runId);
      if (!r) return '';
      return `<tr><td>${esc(row.label)}</td><td>${esc(row.release ?? '—')}</td>${verdictCell(r.verdict)}<td><time datetime="${esc(r.startedAt)}">${esc(r.startedAt)}</time></td><td>${counts(r)}</td><td>${row.runs}</td><td>${runLinks(r)}</td></tr>`;
    })
    .join('\n');
  const all = [...doc.runs]
    .reverse()
    .map(
      (r) =>
        `<tr><td><time datetime="${esc(r.startedAt)}">${esc(r.startedAt)}</time></td><td>${esc(r.label)}</td><td>${esc(r.release ?? '—')}</td>${verdictCell(r.verdict)}<td>${counts(r)}</td><td>${runLinks(r)}</td></tr>`,
    )
    .join('\n');
  const plots = trendPlots(doc);
  const body = `<main>
<h1>golive run history</h1>
<p>${doc.runs.length} run${doc.runs.length === 1 ? '' : 's'} kept, updated <time datetime="${esc(doc.updatedAt)}">${esc(doc.updatedAt)}</time>.</p>
<section aria-labelledby="releases">
<h2 id="releases">By label and release</h2>
<p>One row per label and release: the latest run of each (a rerun replaces its row).</p>
<table class="rows">
<thead><tr><th scope="col">label</th><th scope="col">release</th><th scope="col">verdict</th><th scope="col">started</th><th scope="col">checks</th><th scope="col">runs</th><th scope="col">evidence</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</section>
<section aria-labelledby="trends">
<h2 id="trends">Trends</h2>
${plots.map(plotSection).join('\n')}
</section>
<section aria-labelledby="runs">
<h2 id="runs">Every run kept</h2>
<table class="runs">
<thead><tr><th scope="col">started</th><th scope="col">label</th><th scope="col">release</th><th scope="col">verdict</th><th scope="col">checks</th><th scope="col">evidence</th></tr></thead>
<tbody>
${all}
</tbody>
</table>
</section>
</main>`;
  return htmlPage({ title: 'golive run history', body });
}
