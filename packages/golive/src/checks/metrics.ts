/**
 * `metrics`: scrapes the metrics page the way Prometheus does (content negotiation between OpenMetrics 1.0 and
 * the Prometheus text format 0.0.4) and parses it fully (util/prom-text.ts). It fails on a page Prometheus could
 * not ingest cleanly: a syntax error, a series given twice, histogram buckets that are not cumulative or whose
 * `+Inf` bucket differs from `_count`, a counter that went down since the gate's start (unless
 * `process_start_time_seconds` changed: a restart resets counters). promtool's lint problems are warnings.
 * Required series must be present; `deltas` compare the scrape taken when the gate starts with the one taken
 * when it ends (the gate hooks). Every scraped page is saved as an artifact.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { usToMs } from '../core/percentiles.ts';
import type { Json, Observation } from '../core/result.ts';
import { type HttpExchange, type HttpResponse, bodyText, describeExchange, headerValue } from '../http/client.ts';
import type { MetricsData, MetricsDelta, MetricsRequiredSeries } from './metrics.data.ts';
import { type CheckContext, type CheckOutcome, type GateEndOutcome, type GateHookContext, defineCheck, observe } from './types.ts';
import { networkObservation } from './util/network.ts';
import { headersOption, maxBodyBytesOption, pathOption, requestTimeoutOption, sequentialTimeoutMs, urlOption } from './util/options.ts';
import {
  type MetricsFormat,
  type ParsedPage,
  type SeriesSelector,
  ingestionProblems,
  lintFamilies,
  parseMetricsPage,
  parseSelector,
  quote,
  selectSamples,
  seriesKey,
} from './util/prom-text.ts';

export type { MetricsData, MetricsDelta, MetricsRequiredSeries } from './metrics.data.ts';

const selectorSchema = z.string().superRefine((s, ctx) => {
  const sel = parseSelector(s);
  if (typeof sel === 'string') ctx.addIssue({ code: 'custom', message: sel });
});

const options = z
  .object({
    path: pathOption('/metrics'),
    url: urlOption(),
    format: z
      .enum(['auto', 'openmetrics', 'text'])
      .default('auto')
      .describe('What to ask for: auto (OpenMetrics 1.0 preferred, text 0.0.4 accepted, as Prometheus asks), openmetrics or text only.'),
    required: z.array(selectorSchema).max(500).default([]).describe('Series that must be present: `name` or `name{label="v",other!="w"}`.'),
    deltas: z
      .array(
        z
          .object({
            series: selectorSchema.describe('Counter selector; the matched samples are summed.'),
            minIncrease: z.number().min(0).describe('The sum must rise by at least this much between the gate start and end scrapes.'),
          })
          .strict(),
      )
      .max(100)
      .default([])
      .describe('Counters that must rise between the scrape when the gate starts and the one when it ends.'),
    lint: z.enum(['warn', 'off']).default('warn').describe('promtool-style lint problems: warnings, or not reported.'),
    saveScrape: z.boolean().default(true).describe('Save every scraped page as an artifact (metrics/<id>.txt, ...-gate-start.txt, ...-gate-end.txt).'),
    timeoutMs: requestTimeoutOption(10_000),
    maxBodyBytes: maxBodyBytesOption(8 * 1024 * 1024),
    headers: headersOption(),
  })
  .strict();

/** Options of the `metrics` check. */
export type MetricsOptions = z.output<typeof options>;

/** The Accept header Prometheus sends, per requested format. */
const ACCEPT: Readonly<Record<MetricsOptions['format'], string>> = {
  auto: 'application/openmetrics-text;version=1.0.0;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
  openmetrics: 'application/openmetrics-text;version=1.0.0',
  text: 'text/plain;version=0.0.4',
};

/** Counters kept in the gate-start state at most (a page with more is compared on these). */
const MAX_TRACKED_COUNTERS = 20_000;

/** One scrape: the exchange and, when a page came, what it says. */
interface Scrape {
  ex: HttpExchange;
  latencyMs: number;
  format: MetricsFormat | null;
  contentType: string;
  page?: ParsedPage;
  /** Why the body is not a page (status, size, encoding), when it is not. */
  unreadable?: Observation;
  artifact?: string;
}

function formatOf(contentType: string): MetricsFormat {
  return contentType.toLowerCase().trimStart().startsWith('application/openmetrics-text') ? 'openmetrics' : 'text';
}

async function scrape(ctx: GateHookContext, opts: MetricsOptions, artifactName: string | undefined): Promise<Scrape> {
  const ex = await ctx.http.request({
    method: 'GET',
    url: opts.url ?? opts.path,
    headers: { accept: ACCEPT[opts.format], ...opts.headers },
    timeoutMs: opts.timeoutMs,
    maxBodyBytes: opts.maxBodyBytes,
    signal: ctx.signal,
  });
  ctx.signal.throwIfAborted();
  const latencyMs = usToMs(ex.timings.totalUs);
  if (!ex.ok) return { ex, latencyMs, format: null, contentType: '' };
  const contentType = headerValue(ex.headers, 'content-type') ?? '';
  const out: Scrape = { ex, latencyMs, format: formatOf(contentType), contentType };
  if (opts.saveScrape && artifactName) {
    out.artifact = await ctx.artifacts.write(artifactName, bodyText(ex)).catch((err: unknown) => {
      ctx.log('metrics: saving the scraped page failed', { error: String(err) });
      return undefined;
    });
  }
  if (ex.status < 200 || ex.status > 299) {
    out.unreadable = observe('status-code', false, '2xx', String(ex.status), { code: 'METRICS_STATUS', message: `the metrics page answered ${describeExchange(ex)}` });
    return out;
  }
  if (ex.truncated) {
    out.unreadable = observe('body-size', false, `at most ${opts.maxBodyBytes} bytes`, `more than ${opts.maxBodyBytes} bytes`, {
      code: 'METRICS_TOO_LARGE',
      message: `the metrics page is longer than the ${opts.maxBodyBytes}-byte cap (maxBodyBytes), reading stopped: ${describeExchange(ex)}`,
    });
    return out;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(ex.body);
  } catch {
    out.unreadable = observe('syntax', false, 'a UTF-8 metrics page', 'not valid UTF-8', { code: 'METRICS_SYNTAX', message: `the metrics page is not valid UTF-8: ${describeExchange(ex)}` });
    return out;
  }
  out.page = parseMetricsPage(text, out.format as MetricsFormat);
  return out;
}

/** Sum of the samples a selector matches, or null when none matches. */
function sumOf(page: ParsedPage | undefined, sel: SeriesSelector): number | null {
  if (!page || page.error) return null;
  const samples = selectSamples(page, sel);
  return samples.length ? samples.reduce((a, s) => a + s.value, 0) : null;
}

function processStart(page: ParsedPage | undefined): number | null {
  if (!page) return null;
  for (const f of page.families) for (const s of f.samples) if (s.name === 'process_start_time_seconds' && s.labels.length === 0) return s.value;
  return null;
}

/** Counter series and their values (OpenMetrics `_created` samples aside). */
function counters(page: ParsedPage | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (!page || page.error) return out;
  for (const f of page.families) {
    if (f.type !== 'counter') continue;
    for (const s of f.samples) {
      if (s.name.endsWith('_created') && page.format === 'openmetrics') continue;
      if (out.size >= MAX_TRACKED_COUNTERS) return out;
      out.set(seriesKey(s.name, s.labels), s.value);
    }
  }
  return out;
}

/** What the gate-start hook keeps: counter values and the process start time. */
type StartState = {
  processStart: number | null;
  counters: Record<string, number>;
  deltas: Record<string, number | null>;
  problem?: string;
  /**
   * The delta series as the check's own scrape saw them, when that was still the gate-start process: a drill that
   * restarts the target later leaves the gate end unable to see the increase, and this is where it was measured.
   */
  atCheck?: { processStart: number | null; deltas: Record<string, number | null> };
};

function readState(state: Json | undefined): StartState | undefined {
  if (!state || typeof state !== 'object' || Array.isArray(state)) return undefined;
  const s = state as Record<string, Json>;
  if (!s.counters || typeof s.counters !== 'object' || Array.isArray(s.counters)) return undefined;
  return state as unknown as StartState;
}

/** A counter that went down since the gate started: a failure, or a reset when the process restarted. */
function decreaseObservations(start: StartState | undefined, now: ParsedPage | undefined, when: string): Observation[] {
  if (!start || !now || now.error) return [];
  const current = counters(now);
  const down: string[] = [];
  for (const [key, value] of current) {
    const before = start.counters[key];
    if (before !== undefined && value < before) down.push(`${key} ${before} → ${value}`);
  }
  if (down.length === 0) return [observe(`counters-${when}`, true, 'no counter decreased', 'none decreased', { message: `no counter went down since the gate started (${current.size} compared)` })];
  const restartedFrom = start.processStart;
  const restartedTo = processStart(now);
  const restarted = restartedFrom !== null && restartedTo !== null && restartedFrom !== restartedTo;
  const list = `${down.slice(0, 5).join('; ')}${down.length > 5 ? `; and ${down.length - 5} more` : ''}`;
  if (restarted) {
    return [
      observe(`counters-${when}`, true, 'no counter decreased, or a restart', 'reset by a restart', {
        message: `${down.length} counter(s) reset because the process restarted (process_start_time_seconds ${restartedFrom} → ${restartedTo}): ${list}`,
      }),
    ];
  }
  return [
    observe(`counters-${when}`, false, 'no counter decreased', `${down.length} decreased`, {
      code: 'METRICS_COUNTER_DECREASED',
      message: `${down.length} counter(s) went down since the gate started while process_start_time_seconds stayed ${restartedTo ?? 'absent'}: ${list}`,
    }),
  ];
}

/** Observations about one parsed page: syntax, duplicates, histograms, lint. */
function pageObservations(s: Scrape, opts: MetricsOptions, suffix = ''): Observation[] {
  const obs: Observation[] = [];
  if (s.unreadable) return [{ ...s.unreadable, name: `${s.unreadable.name}${suffix}` }];
  const page = s.page;
  if (!page) return obs;
  const url = s.ex.request.url;
  if (page.error) {
    obs.push(
      observe(`syntax${suffix}`, false, `a valid ${page.format === 'openmetrics' ? 'OpenMetrics 1.0' : 'Prometheus text 0.0.4'} page`, `line ${page.error.line}: ${page.error.message}`, {
        code: 'METRICS_SYNTAX',
        message: `${url} (${s.contentType || 'no content-type'}) is not a page Prometheus can ingest: line ${page.error.line}: ${page.error.message}`,
      }),
    );
    return obs;
  }
  const samples = page.families.reduce((a, f) => a + f.samples.length, 0);
  obs.push(observe(`syntax${suffix}`, true, 'a valid page', `${page.families.length} families, ${samples} samples`, { message: `${page.format} page: ${page.families.length} families, ${samples} samples` }));
  const ingestion = ingestionProblems(page);
  const dups = ingestion.filter((p) => p.kind === 'duplicate-series');
  const hist = ingestion.filter((p) => p.kind === 'histogram');
  obs.push(
    observe(`duplicate-series${suffix}`, dups.length === 0, 'every series once', dups.length ? `${dups.length} repeated` : 'none repeated', {
      code: 'METRICS_DUPLICATE_SERIES',
      message: dups.length ? `series given more than once (Prometheus keeps one value and drops the others): ${dups.slice(0, 5).map((p) => p.message).join('; ')}` : 'every series appears once',
    }),
  );
  obs.push(
    observe(`histograms${suffix}`, hist.length === 0, 'cumulative buckets ending in +Inf = _count', hist.length ? `${hist.length} broken` : 'consistent', {
      code: 'METRICS_HISTOGRAM',
      message: hist.length ? `histograms that would give wrong quantiles: ${hist.slice(0, 5).map((p) => p.message).join('; ')}` : 'histogram buckets are cumulative and end in +Inf = _count',
    }),
  );
  if (opts.lint === 'warn' && suffix === '') {
    const lint = lintFamilies(page);
    if (lint.length) {
      obs.push(
        observe('lint', false, 'no promtool lint problem', `${lint.length} problem(s)`, {
          severity: 'warn',
          code: 'METRICS_LINT',
          message: `${lint.length} lint problem(s), as promtool check metrics reports them: ${lint
            .slice(0, 10)
            .map((p) => `${p.metric} ${p.text}`)
            .join('; ')}${lint.length > 10 ? `; and ${lint.length - 10} more` : ''}`,
        }),
      );
    }
  }
  return obs;
}

function networkOrNothing(s: Scrape, suffix: string): Observation[] {
  return s.ex.ok ? [] : [networkObservation('METRICS', s.ex, 'a metrics page', `reachable${suffix}`)];
}

/** A file name for the hooks' artifacts (hooks get no check id): the page's path and a digest of the options. */
function hookArtifactBase(opts: MetricsOptions): string {
  const digest = createHash('sha256').update(JSON.stringify(opts)).digest('hex').slice(0, 8);
  return `metrics/gate-${digest}`;
}

function safeFileId(id: string): string {
  let out = '';
  for (const ch of id.slice(0, 80)) out += /[A-Za-z0-9._-]/.test(ch) ? ch : '_';
  return out || 'metrics';
}

/** The `metrics` check kind. */
export const metricsCheck = defineCheck<typeof options, MetricsData>({
  kind: 'metrics',
  title: 'Metrics page',
  description: 'Scrapes the metrics page (OpenMetrics or Prometheus text): a page Prometheus can ingest, required series present, counters rising over the gate.',
  options,
  defaultTimeoutMs: 15_000,
  timeoutFor: (o) => sequentialTimeoutMs(15_000, 1, o.timeoutMs),
  requestTimeoutOption: 'timeoutMs',
  metrics: {
    scrapeMs: { direction: 'lower', tolerance: 0.5, unit: 'ms' },
    lintProblems: { direction: 'lower', tolerance: 0 },
    bytes: { direction: 'lower', tolerance: 0.5, unit: 'B' },
  },
  mutates: false,
  present({ data }) {
    if (!data) return {};
    const tables = [];
    if (data.required.length) {
      tables.push({
        id: 'required',
        title: 'Required series',
        columns: ['series', 'matched', 'value'],
        rows: data.required.map((r) => [r.series, r.matched, r.value]),
      });
    }
    if (data.deltas.length) {
      // Drawn when the check runs (start values) and again after the gate-end hook (end and increase).
      tables.push({
        id: 'deltas',
        title: 'Counter deltas over the gate',
        columns: ['series', 'min increase', 'start', 'end', 'increase'],
        rows: data.deltas.map((d) => [d.series, d.minIncrease, d.start, d.end ?? null, d.increase ?? null]),
      });
    }
    return {
      ...(data.samples === undefined ? {} : { keyFigure: `${data.samples} samples in ${data.families} families (${data.format})` }),
      ...(tables.length ? { tables } : {}),
    };
  },
  hooks: {
    async gateStart(ctx, opts): Promise<Json> {
      const s = await scrape(ctx, opts, `${hookArtifactBase(opts)}-start.txt`);
      const deltas: Record<string, number | null> = {};
      for (const d of opts.deltas) deltas[d.series] = sumOf(s.page, parseSelector(d.series) as SeriesSelector);
      const state: StartState = { processStart: processStart(s.page), counters: Object.fromEntries(counters(s.page)), deltas };
      if (!s.ex.ok) state.problem = describeExchange(s.ex);
      else if (s.unreadable) state.problem = s.unreadable.message;
      else if (s.page?.error) state.problem = `line ${s.page.error.line}: ${s.page.error.message}`;
      return state as unknown as Json;
    },
    async gateEnd(ctx, opts, state): Promise<GateEndOutcome> {
      const start = readState(state);
      const s = await scrape(ctx, opts, `${hookArtifactBase(opts)}-end.txt`);
      const obs: Observation[] = [...networkOrNothing(s, '-gate-end'), ...pageObservations(s, opts, '-gate-end').filter((o) => !o.passed)];
      obs.push(...decreaseObservations(start, s.page, 'gate-end'));
      const restarted = start?.processStart != null && processStart(s.page) !== null && processStart(s.page) !== start.processStart;
      const deltas: MetricsDelta[] = [];
      for (const d of opts.deltas) {
        const sel = parseSelector(d.series) as SeriesSelector;
        const recorded = start?.deltas[d.series] ?? null;
        // A labelled counter has no sample until its first increment: absent from a good start scrape means 0.
        const absentAtStart = start !== undefined && !start.problem && recorded === null;
        const before = absentAtStart ? 0 : recorded;
        const atCheck = restarted && start?.atCheck ? (start.atCheck.deltas[d.series] ?? null) : null;
        // After a restart, the increase is measured where the same process was last seen (the check's own scrape);
        // without that, the counter started again from zero and everything it holds now is the increase.
        const after = atCheck ?? sumOf(s.page, sel);
        const increase = after === null ? null : atCheck !== null ? (before === null ? null : atCheck - before) : restarted ? after : before === null ? null : after - before;
        deltas.push({ series: d.series, minIncrease: d.minIncrease, start: before, end: after, increase, ...(restarted ? { reset: true } : {}) });
        const ok = increase !== null && increase >= d.minIncrease;
        const why =
          start === undefined
            ? 'no gate-start scrape'
            : start.problem && before === null
              ? `the gate-start scrape failed (${start.problem})`
              : before === null
                ? 'no gate-start value'
                : after === null
                  ? 'no matching sample at the gate end'
                  : `${absentAtStart ? 'absent at the gate start (0)' : before} → ${after}${atCheck !== null ? " (at the check's own scrape: the process restarted before the gate end)" : restarted ? ' (process restarted: counted from 0)' : ''}`;
        obs.push(
          observe(`delta ${d.series}`, ok, `+${d.minIncrease} or more`, increase === null ? 'not measurable' : `+${increase}`, {
            code: 'METRICS_DELTA',
            message: ok ? `${d.series} rose by ${increase} (${why})` : `${d.series} ${increase === null ? 'could not be compared' : `rose by ${increase}, less than ${d.minIncrease}`}: ${why}`,
          }),
        );
      }
      return { observations: obs, data: { deltas: deltas as unknown as Json, ...(s.artifact ? { gateEndScrape: s.artifact } : {}) } };
    },
  },
  async run(ctx: CheckContext, opts): Promise<CheckOutcome<MetricsData>> {
    const s = await scrape(ctx, opts, `metrics/${safeFileId(ctx.id)}.txt`);
    const start = readState(ctx.gateStartState);
    // Kept in the hook state (the kind's own): gateEnd falls back on it when the target restarts after this scrape.
    if (start && s.page && processStart(s.page) === start.processStart) {
      const values: Record<string, number | null> = {};
      for (const d of opts.deltas) values[d.series] = sumOf(s.page, parseSelector(d.series) as SeriesSelector);
      start.atCheck = { processStart: start.processStart, deltas: values };
    }
    const deltas: MetricsDelta[] = opts.deltas.map((d) => ({ series: d.series, minIncrease: d.minIncrease, start: start?.deltas[d.series] ?? null }));
    const data: MetricsData = { url: s.ex.request.url, statusCode: s.ex.ok ? s.ex.status : null, format: s.format, required: [], deltas };
    const artifacts = s.artifact ? [s.artifact] : [];
    if (!s.ex.ok) {
      data.error = s.ex.kind;
      return { observations: networkOrNothing(s, ''), metrics: { scrapeMs: s.latencyMs }, data, artifacts };
    }
    const ex = s.ex as HttpResponse;
    data.contentType = s.contentType;
    data.bytes = ex.bodyBytes;
    const obs = pageObservations(s, opts);
    const page = s.page;
    const metrics: Record<string, number | null> = { scrapeMs: s.latencyMs, bytes: ex.bodyBytes };
    if (page && !page.error) {
      data.families = page.families.length;
      data.samples = page.families.reduce((a, f) => a + f.samples.length, 0);
      const ingestion = ingestionProblems(page);
      data.duplicateSeries = ingestion.filter((p) => p.kind === 'duplicate-series').length;
      data.histogramProblems = ingestion.filter((p) => p.kind === 'histogram').length;
      const lint = lintFamilies(page);
      data.lint = lint.slice(0, 50).map((p) => `${p.metric} ${p.text}`);
      metrics.lintProblems = lint.length;
      metrics.samples = data.samples;
      const ct = s.contentType.toLowerCase();
      if (!ct.startsWith('text/plain') && !ct.startsWith('application/openmetrics-text')) {
        obs.push(
          observe('content-type', false, 'text/plain; version=0.0.4 or application/openmetrics-text', s.contentType || '(none)', {
            severity: 'warn',
            code: 'METRICS_CONTENT_TYPE',
            message: `content-type ${quote(s.contentType || '(none)')} is neither text/plain nor application/openmetrics-text; Prometheus may refuse the scrape`,
          }),
        );
      }
      for (const text of opts.required) {
        const sel = parseSelector(text) as SeriesSelector;
        const found = selectSamples(page, sel);
        const r: MetricsRequiredSeries = { series: text, matched: found.length, value: found[0]?.value ?? null };
        data.required.push(r);
        obs.push(
          observe(`required ${text}`, found.length > 0, 'present', found.length ? `${found.length} sample(s)` : 'missing', {
            code: 'METRICS_REQUIRED_MISSING',
            message: found.length ? `${text}: ${found.length} sample(s), first ${found[0]?.value}` : `required series ${text} is not on ${s.ex.request.url}`,
          }),
        );
      }
      obs.push(...decreaseObservations(start, page, 'since-gate-start'));
    } else if (page?.error) {
      data.syntaxError = `line ${page.error.line}: ${page.error.message}`;
    }
    const ok = obs.every((o) => o.passed || o.severity === 'warn');
    return {
      observations: obs,
      metrics,
      data,
      artifacts,
      summary: ok ? `${data.samples ?? 0} samples, ${data.families ?? 0} families (${s.format})${data.required.length ? `, ${data.required.length} required present` : ''}` : undefined,
    };
  },
});
