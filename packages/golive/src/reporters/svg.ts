/**
 * Plots as inline SVG, drawn at report time from the `Plot` a kind declares (core/result.ts): linear or log axes
 * with readable ticks, lines, points or bars per series, reference rules (an SLO, a stall) and a legend. The
 * output needs no script and no external resource: colours come from classes the page's stylesheet sets (so
 * dark mode and print restyle it), every text is escaped, and each plot carries a title and a description for
 * readers who cannot see it. Long series are downsampled (a line keeps each pixel column's first, lowest,
 * highest and last point, so spikes survive; points and bars keep an even stride) so a plot stays small
 * whatever the run's length.
 *
 * Written here rather than through a charting library: Vega-Lite through vega's SVG renderer was measured at
 * ~500 ms to load and ~100 ms per plot on this project's reference machine, which alone would spend the
 * report's 1 s budget on a ten-plot run (docs/reports.md).
 */
import type { Plot, PlotAxis, PlotPoint } from '../core/result.ts';

/** Size and limits of a drawn plot. */
export interface SvgPlotOptions {
  width?: number;
  height?: number;
  /** Most points drawn per series (default 600); longer series are downsampled. */
  maxPoints?: number;
  /** Prefix of element ids (unique per page). */
  idPrefix?: string;
}

const MARGIN = { top: 12, right: 32, bottom: 44, left: 64 };
const SERIES_CLASSES = 8;
/** Lines of at most this many points also draw a marker at each point. */
export const MARKED_LINE_POINTS = 30;

/** Escapes text for SVG/HTML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

/** A number for a tick or a label: short, no trailing zeros, thousands as k / M. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e9) return `${trim(v / 1e9)}G`;
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  if (a >= 100) return String(Math.round(v));
  if (a >= 1) return trim(v);
  return String(Number(v.toPrecision(2)));
}

function trim(v: number): string {
  return String(Number(v.toFixed(v % 1 === 0 ? 0 : Math.abs(v) >= 10 ? 1 : 2)));
}

interface Scale {
  (v: number): number;
  ticks: Array<{ value: number; label: string }>;
}

/** Linear tick values at 1/2/5 × 10^k over [lo, hi]. */
export function linearTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Log tick values: powers of ten in [lo, hi] (with 2 and 5 between when the range is short). */
export function logTicks(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const mults = b - a <= 2 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let e = a; e <= b; e++) for (const m of mults) {
    const v = m * 10 ** e;
    if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(Number(v.toPrecision(12)));
  }
  return out.length ? out : [lo];
}

function makeScale(axis: PlotAxis, values: number[], from: number, to: number, zeroBased: boolean): Scale {
  const log = axis.scale === 'log';
  const usable = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  let lo = usable.length ? Math.min(...usable) : log ? 1 : 0;
  let hi = usable.length ? Math.max(...usable) : 1;
  if (!log && zeroBased) lo = Math.min(0, lo);
  if (log) {
    if (hi <= lo) hi = lo * 10;
    lo = 10 ** Math.floor(Math.log10(lo));
    hi = 10 ** Math.ceil(Math.log10(hi));
  } else {
    if (hi <= lo) hi = lo + 1;
    const [t0 = lo, t1 = hi] = linearTicks(lo, hi);
    const step = t1 - t0 || 1;
    hi = Math.ceil(hi / step - 1e-9) * step;
    lo = Math.floor(lo / step + 1e-9) * step;
  }
  const f = log ? Math.log10 : (v: number) => v;
  const flo = f(lo);
  const span = f(hi) - flo || 1;
  const scale = ((v: number) => from + ((f(v) - flo) / span) * (to - from)) as Scale;
  const declared = axis.ticks?.filter((t) => t.value >= lo && t.value <= hi);
  scale.ticks = declared?.length
    ? declared.map((t) => ({ value: t.value, label: t.label }))
    : (log ? logTicks(lo, hi) : linearTicks(lo, hi)).map((v) => ({ value: v, label: formatTick(v) }));
  return scale;
}

/**
 * Downsamples a series to at most `max` points: for lines, each of max/4 columns keeps its first, lowest,
 * highest and last point (in x order); otherwise an even stride that keeps the last point.
 */
export function downsample(points: readonly PlotPoint[], max: number, mark: Plot['mark']): PlotPoint[] {
  if (points.length <= max) return points.slice();
  if (mark !== 'line') {
    const step = points.length / max;
    const out: PlotPoint[] = [];
    for (let i = 0; i < max; i++) out.push(points[Math.min(points.length - 1, Math.floor(i * step))]!);
    out[out.length - 1] = points[points.length - 1]!;
    return out;
  }
  const columns = Math.max(1, Math.floor(max / 4));
  const per = points.length / columns;
  const out: PlotPoint[] = [];
  for (let c = 0; c < columns; c++) {
    const start = Math.floor(c * per);
    const end = Math.min(points.length, Math.floor((c + 1) * per));
    if (end <= start) continue;
    let lo = start;
    let hi = start;
    for (let i = start; i < end; i++) {
      if (points[i]![1] < points[lo]![1]) lo = i;
      if (points[i]![1] > points[hi]![1]) hi = i;
    }
    for (const i of [...new Set([start, lo, hi, end - 1])].sort((a, b) => a - b)) out.push(points[i]!);
  }
  return out;
}

function axisTitle(axis: PlotAxis): string {
  return axis.unit ? `${axis.label} (${axis.unit})` : axis.label;
}

const r1 = (v: number) => Math.round(v * 10) / 10;

/** Draws one plot as an inline SVG element (a `<figure>` is the caller's). */
export function renderPlotSvg(plot: Plot, options: SvgPlotOptions = {}): string {
  const width = options.width ?? 640;
  const height = options.height ?? 240;
  const max = options.maxPoints ?? 600;
  const id = `${options.idPrefix ?? 'plot'}-${plot.id}`.replace(/[^A-Za-z0-9_-]/g, '-');
  const logX = plot.x.scale === 'log';
  const logY = plot.y.scale === 'log';
  const series = plot.series.map((s) => ({
    name: s.name,
    points: downsample(
      s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!logX || x > 0) && (!logY || y > 0)),
      max,
      plot.mark,
    ),
  }));
  const rules = (plot.rules ?? []).filter((r) => Number.isFinite(r.value) && (r.axis === 'x' ? !logX || r.value > 0 : !logY || r.value > 0));
  const xs = series.flatMap((s) => s.points.map((p) => p[0])).concat(rules.filter((r) => r.axis === 'x').map((r) => r.value));
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).concat(rules.filter((r) => r.axis === 'y').map((r) => r.value));
  const left = MARGIN.left;
  const right = width - MARGIN.right;
  const top = MARGIN.top + (series.length > 1 ? 18 : 0);
  const bottom = height - MARGIN.bottom;
  const bar = plot.mark === 'bar';
  const xScale = makeScale(plot.x, xs, left + (bar ? 8 : 0), right - (bar ? 8 : 0), false);
  const yScale = makeScale(plot.y, ys, bottom, top, true);
  const total = series.reduce((n, s) => n + s.points.length, 0);
  const desc = plot.description ?? `${plot.title}: ${series.length} series, ${total} points.`;
  const parts: string[] = [];
  parts.push(
    `<svg class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}-t ${id}-d" data-plot="${escapeXml(plot.id)}" data-mark="${plot.mark}">`,
    `<title id="${id}-t">${escapeXml(plot.title)}</title><desc id="${id}-d">${escapeXml(desc)}</desc>`,
  );
  // Grid and axes.
  parts.push('<g class="grid" aria-hidden="true">');
  for (const t of yScale.ticks) {
    const y = r1(yScale(t.value));
    parts.push(`<line x1="${left}" x2="${right}" y1="${y}" y2="${y}"/>`);
  }
  parts.push('</g><g class="axis" aria-hidden="true">');
  parts.push(`<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}"/><line x1="${left}" x2="${left}" y1="${top}" y2="${bottom}"/>`);
  for (const t of yScale.ticks) {
    parts.push(`<text x="${left - 6}" y="${r1(yScale(t.value)) + 4}" text-anchor="end">${escapeXml(t.label)}</text>`);
  }
  for (const t of thin(xScale.ticks, Math.max(2, Math.floor((right - left) / 56)))) {
    const x = r1(xScale(t.value));
    parts.push(`<line x1="${x}" x2="${x}" y1="${bottom}" y2="${bottom + 4}"/><text x="${x}" y="${bottom + 16}" text-anchor="middle">${escapeXml(t.label)}</text>`);
  }
  parts.push(
    `<text class="axis-title" x="${(left + right) / 2}" y="${height - 6}" text-anchor="middle">${escapeXml(axisTitle(plot.x))}</text>`,
    `<text class="axis-title" transform="translate(14 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(axisTitle(plot.y))}</text>`,
    '</g>',
  );
  if (total === 0) {
    parts.push(`<text class="empty" x="${(left + right) / 2}" y="${(top + bottom) / 2}" text-anchor="middle">no data</text>`);
  }
  // Series.
  const barSlots = bar ? Math.max(1, ...series.map((s) => s.points.length)) : 1;
  const barWidth = bar ? Math.max(1, Math.min(40, ((right - left - 16) / barSlots) * 0.8) / series.length) : 0;
  series.forEach((s, i) => {
    const cls = `series s${i % SERIES_CLASSES}`;
    parts.push(`<g class="${cls}" data-series="${escapeXml(s.name)}" data-points="${s.points.length}">`);
    if (plot.mark === 'line' && s.points.length > 0) {
      const d = s.points.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${r1(xScale(x))} ${r1(yScale(y))}`).join('');
      parts.push(`<path d="${d}"/>`);
      // A short line also marks its points: with a handful of them the joins alone would hide where they are.
      if (s.points.length <= MARKED_LINE_POINTS) for (const [x, y] of s.points) parts.push(`<circle cx="${r1(xScale(x))}" cy="${r1(yScale(y))}" r="2"/>`);
    } else if (plot.mark === 'point') {
      for (const [x, y] of s.points) parts.push(`<circle cx="${r1(xScale(x))}" cy="${r1(yScale(y))}" r="2.5"/>`);
    } else if (bar) {
      const base = yScale(yScale.ticks[0]?.value ?? 0);
      for (const [x, y] of s.points) {
        const cx = xScale(x) - (barWidth * series.length) / 2 + i * barWidth;
        const top2 = Math.min(base, yScale(y));
        parts.push(`<rect x="${r1(cx)}" y="${r1(top2)}" width="${r1(barWidth)}" height="${r1(Math.abs(base - yScale(y)))}"/>`);
      }
    }
    parts.push('</g>');
  });
  // Rules.
  if (rules.length) {
    parts.push('<g class="rules">');
    for (const r of rules) {
      if (r.axis === 'y') {
        const y = r1(yScale(r.value));
        parts.push(`<line x1="${left}" x2="${right}" y1="${y}" y2="${y}"/><text x="${right - 4}" y="${y - 4}" text-anchor="end">${escapeXml(r.label)}</text>`);
      } else {
        const x = r1(xScale(r.value));
        parts.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${bottom}"/><text x="${x + 4}" y="${top + 10}">${escapeXml(r.label)}</text>`);
      }
    }
    parts.push('</g>');
  }
  // Legend.
  if (series.length > 1) {
    parts.push('<g class="legend">');
    let x = left;
    series.forEach((s, i) => {
      parts.push(`<g class="series s${i % SERIES_CLASSES}"><rect x="${x}" y="4" width="10" height="10"/></g><text x="${x + 14}" y="13">${escapeXml(s.name)}</text>`);
      x += 24 + Math.min(160, s.name.length * 7);
    });
    parts.push('</g>');
  }
  parts.push('</svg>');
  return parts.join('');
}

/** At most `n` ticks, evenly picked, first and last kept. */
function thin<T>(ticks: readonly T[], n: number): T[] {
  if (ticks.length <= n) return ticks.slice();
  const step = Math.ceil(ticks.length / n);
  return ticks.filter((_, i) => i % step === 0);
}
