/**
 * The HTML report: one self-contained page (reporters/html-page.ts) with the verdict and counts on top, then
 * each stage's checks with their status, key figure, plots, tables and evidence. What a check shows is what its
 * kind declares in the result's `presentation` (key figure, plots, tables): this module names no kind. Every
 * text from the run is escaped (target text is hostile: it renders as text, never as markup or script).
 */
import { type CheckResult, type Observation, type Report, type StageResult, allChecks } from '../core/result.ts';
import { clip, formatMs, keyFigure, VERDICT_MEANING } from './format.ts';
import { htmlPage, htmlText } from './html-page.ts';
import { renderPlotSvg } from './svg.ts';

/** File name of the HTML report in the output directory. */
export const HTML_REPORT_FILE = 'report.html';

const t = htmlText;

function statusCell(status: string): string {
  return `<span class="status status-${t(status)}">${t(status.toUpperCase())}</span>`;
}

/** An id usable in a fragment, stable for a check id. */
function anchor(prefix: string, id: string): string {
  return `${prefix}-${id.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`)}`;
}

function cell(v: string | number | boolean | null): string {
  if (v === null) return '<td class="muted">—</td>';
  if (typeof v === 'number') return `<td class="mono">${t(Number.isInteger(v) ? String(v) : String(Number(v.toFixed(3))))}</td>`;
  if (typeof v === 'boolean') return `<td>${v ? 'yes' : 'no'}</td>`;
  return `<td>${t(v)}</td>`;
}

function observationsTable(obs: readonly Observation[], caption: string): string {
  const rows = obs.map(
    (o) =>
      `<tr><td>${o.passed ? statusCell('pass') : statusCell((o.severity ?? 'error') === 'warn' ? 'warn' : 'fail')}</td>` +
      `<td class="mono">${t(o.name)}</td><td>${t(o.expected)}</td><td>${t(o.actual)}</td><td>${t(o.message)}</td>` +
      `<td class="mono">${o.code ? t(o.code) : ''}</td></tr>`,
  );
  return (
    `<table><caption>${t(caption)}</caption><thead><tr><th scope="col">Result</th><th scope="col">Observation</th>` +
    `<th scope="col">Expected</th><th scope="col">Actual</th><th scope="col">Evidence</th><th scope="col">Code</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

function checkSection(r: CheckResult, index: number): string {
  const parts: string[] = [];
  parts.push(`<section class="check" id="${anchor('check', r.id)}" aria-labelledby="${anchor('h', r.id)}" data-status="${t(r.status)}" data-kind="${t(r.kind)}">`);
  parts.push(`<h3 id="${anchor('h', r.id)}">${statusCell(r.status)} <span class="mono">${t(r.id)}</span> <span class="muted">${t(r.kind)} · ${t(r.level)}</span></h3>`);
  if (r.title && r.title !== r.id) parts.push(`<p>${t(r.title)}</p>`);
  parts.push(`<p class="key">${t(keyFigure(r))}</p>`);
  if (r.status === 'error') parts.push(`<p><strong>${t(r.error.code)}</strong>: ${t(r.error.message)}</p>`);
  if (r.status === 'skip') parts.push(`<p>Skipped: ${t(r.reason)}</p>`);
  const failed = r.observations.filter((o) => !o.passed && (o.severity ?? 'error') === 'error');
  if (failed.length) {
    parts.push(`<ul class="evidence">${failed.map((o) => `<li>${o.code ? `<code>${t(o.code)}</code> ` : ''}${t(o.message)}</li>`).join('')}</ul>`);
  }
  if (r.warnings.length) parts.push(`<ul class="warnings">${r.warnings.map((w) => `<li>Warning: ${t(w)}</li>`).join('')}</ul>`);
  const p = r.presentation;
  for (const plot of p?.plots ?? []) {
    parts.push(
      `<figure class="plot-figure" data-plot="${t(plot.id)}">${renderPlotSvg(plot, { idPrefix: anchor('p', `${index}-${r.id}`) })}` +
        `<figcaption>${t(plot.title)}${plot.description ? ` — ${t(plot.description)}` : ''}</figcaption></figure>`,
    );
  }
  for (const table of p?.tables ?? []) {
    const head = table.columns.map((c) => `<th scope="col">${t(c)}</th>`).join('');
    const body = table.rows.map((row) => `<tr>${row.map(cell).join('')}</tr>`).join('');
    parts.push(`<table data-table="${t(table.id)}"><caption>${t(table.title)}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`);
  }
  const details: string[] = [];
  if (r.observations.length) details.push(observationsTable(r.observations, `Observations (${r.observations.length})`));
  const metrics = Object.entries(r.metrics);
  if (metrics.length) {
    details.push(
      `<table><caption>Metrics</caption><thead><tr><th scope="col">Metric</th><th scope="col">Value</th></tr></thead><tbody>${metrics
        .map(([k, v]) => `<tr><td class="mono">${t(k)}</td>${cell(v)}</tr>`)
        .join('')}</tbody></table>`,
    );
  }
  if (r.artifacts.length) {
    details.push(`<p>Artifacts: ${r.artifacts.map((a) => `<a href="${t(encodeURI(a))}">${t(a)}</a>`).join(', ')}</p>`);
  }
  if (r.data !== undefined) {
    const json = JSON.stringify(r.data, null, 2);
    details.push(`<details><summary>Data</summary><pre>${t(json.length > 200_000 ? `${json.slice(0, 200_000)}\n… (${json.length} chars)` : json)}</pre></details>`);
  }
  details.push(`<p class="muted">Started ${t(r.startedAt)}, took ${t(formatMs(r.durationMs))}.</p>`);
  parts.push(`<details class="evidence-details"${r.status === 'pass' ? '' : ' open'}><summary>Evidence</summary>${details.join('')}</details>`);
  parts.push('</section>');
  return parts.join('\n');
}

/** One table of every check, grouped by stage, each id linking to its section. */
function overview(report: Report): string {
  const rows = report.stages
    .flatMap((s) =>
      s.checks.map(
        (r) =>
          `<tr data-check="${t(r.id)}"><td>${statusCell(r.status)}</td><td>${t(s.name)}</td><td><a href="#${anchor('check', r.id)}" class="mono">${t(r.id)}</a></td>` +
          `<td>${t(r.kind)}</td><td>${t(r.level)}</td><td>${t(clip(keyFigure(r), 160))}</td><td class="mono">${t(formatMs(r.durationMs))}</td></tr>`,
      ),
    )
    .join('');
  return (
    '<section aria-labelledby="overview"><h2 id="overview">Checks</h2>' +
    '<table class="checks"><caption>Every check, by stage</caption><thead><tr><th scope="col">Status</th><th scope="col">Stage</th><th scope="col">Check</th>' +
    `<th scope="col">Kind</th><th scope="col">Level</th><th scope="col">Key figure</th><th scope="col">Time</th></tr></thead><tbody>${rows}</tbody></table></section>`
  );
}

function stageSection(s: StageResult, offset: number): string {
  return [
    `<section class="stage" aria-labelledby="${anchor('stage', s.name)}">`,
    `<h2 id="${anchor('stage', s.name)}">Stage ${t(s.name)} ${statusCell(s.status)} <span class="muted">${t(s.failPolicy)} · ${t(formatMs(s.durationMs))}</span></h2>`,
    ...s.checks.map((r, i) => checkSection(r, offset + i)),
    '</section>',
  ].join('\n');
}

/** Renders the report as one self-contained HTML page. */
export function renderHtml(report: Report): string {
  const tt = report.totals;
  const meta: Array<[string, string]> = [
    ['Target', report.target.baseUrl + (report.target.managed ? ' (started by golive)' : '')],
    ['Source', report.source],
  ];
  // The label defaults to the source: shown only when it says something more.
  if (report.label && report.label !== report.source) meta.push(['Label', report.label]);
  if (report.release) meta.push(['Release', report.release]);
  meta.push(['Started', report.startedAt], ['Duration', formatMs(report.durationMs)], ['Run', report.runId]);
  const body: string[] = [];
  body.push(
    '<header>',
    `<h1>golive report: <span class="verdict verdict-${t(report.verdict)}" id="verdict">${t(report.verdict)}</span></h1>`,
    `<p>${t(VERDICT_MEANING[report.verdict])} (exit ${report.exitCode}).</p>`,
    `<ul class="counts" aria-label="Counts"><li>${tt.checks} checks</li><li class="status-pass">${tt.pass} passed</li>` +
      `<li class="status-fail">${tt.fail} failed</li><li class="status-error">${tt.error} errors</li><li class="status-skip">${tt.skip} skipped</li>` +
      `<li>${tt.warnings} warning${tt.warnings === 1 ? '' : 's'}</li></ul>`,
    `<table class="meta"><caption>Run</caption><tbody>${meta.map(([k, v]) => `<tr><th scope="row">${t(k)}</th><td>${t(v)}</td></tr>`).join('')}</tbody></table>`,
    '</header>',
    '<main>',
  );
  if (allChecks(report).length > 0) body.push(overview(report));
  let offset = 0;
  for (const s of report.stages) {
    body.push(stageSection(s, offset));
    offset += s.checks.length;
  }
  if (allChecks(report).length === 0) body.push('<p>No checks ran.</p>');
  body.push('</main>', `<footer class="muted"><p>${t(`${report.tool.name} ${report.tool.version} · report schema ${report.schemaVersion}`)}</p></footer>`);
  return htmlPage({ title: `golive ${report.verdict}: ${report.target.baseUrl}`, body: body.join('\n') });
}
