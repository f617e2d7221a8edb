import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Parser } from 'htmlparser2';
import type { CheckResult, Plot, Report } from '../../src/core/result.ts';
import { computeTotals } from '../../src/core/result.ts';
import { renderHtml } from '../../src/reporters/html.ts';
import { PAGE_CSP } from '../../src/reporters/html-page.ts';
import { downsample, linearTicks, logTicks, renderPlotSvg } from '../../src/reporters/svg.ts';

/** Elements of a document by tag, with their attributes, read by a real HTML parser. */
function elements(html: string): Array<{ name: string; attrs: Record<string, string> }> {
  const out: Array<{ name: string; attrs: Record<string, string> }> = [];
  const p = new Parser({ onopentag: (name, attrs) => out.push({ name, attrs }) }, { xmlMode: false });
  p.write(html);
  p.end();
  return out;
}

/** Text of the document (what a reader sees), decoded. */
function textOf(html: string): string {
  let text = '';
  const p = new Parser({ ontext: (t) => (text += t) }, { decodeEntities: true });
  p.write(html);
  p.end();
  return text;
}

const linePlot = (n: number, over: Partial<Plot> = {}): Plot => ({
  id: 'p',
  title: 'A plot',
  mark: 'line',
  x: { label: 'time', unit: 's' },
  y: { label: 'latency', unit: 'ms' },
  series: [{ name: 'latency', points: Array.from({ length: n }, (_, i) => [i, 10 + (i % 7)] as [number, number]) }],
  ...over,
});

describe('SVG plots', () => {
  it('draws one path per line series, one circle per point, one rect per bar, and says how many points', () => {
    const line = renderPlotSvg(linePlot(100));
    assert.equal((line.match(/<path /g) ?? []).length, 1);
    assert.match(line, /data-points="100"/);
    const points = renderPlotSvg(linePlot(40, { mark: 'point' }));
    assert.equal((points.match(/<circle /g) ?? []).length, 40);
    const bars = renderPlotSvg(linePlot(12, { mark: 'bar' }));
    assert.equal(elements(bars).filter((e) => e.name === 'rect').length, 12);
  });

  it('downsamples a long series to the cap and keeps its extremes', () => {
    const pts = Array.from({ length: 100_000 }, (_, i) => [i, i === 77_777 ? 5000 : 1 + (i % 3)] as [number, number]);
    const d = downsample(pts, 600, 'line');
    assert.ok(d.length <= 600, `${d.length} points`);
    assert.ok(d.some(([x, y]) => x === 77_777 && y === 5000), 'the spike survives');
    assert.deepEqual(d[0], pts[0]);
    assert.deepEqual(d[d.length - 1], pts[pts.length - 1]);
    const s = downsample(pts, 500, 'point');
    assert.equal(s.length, 500);
    const svg = renderPlotSvg({ ...linePlot(0), series: [{ name: 'x', points: pts }] });
    assert.ok(svg.length < 40_000, `${svg.length} bytes`);
  });

  it('drops non-finite values and, on a log axis, values at or below zero', () => {
    const svg = renderPlotSvg(
      linePlot(0, {
        mark: 'point',
        y: { label: 'ms', scale: 'log' },
        series: [{ name: 's', points: [[1, 0], [2, -1], [3, Number.NaN], [4, 10], [5, 1000]] }],
      }),
    );
    assert.match(svg, /data-points="2"/);
    assert.doesNotMatch(svg, /NaN|Infinity/);
  });

  it('ticks: 1/2/5 steps on a linear axis, powers of ten on a log axis, declared ticks when given', () => {
    assert.deepEqual(linearTicks(0, 97), [0, 20, 40, 60, 80, 100].filter((v) => v <= 97));
    assert.deepEqual(logTicks(1, 1000), [1, 10, 100, 1000]);
    const svg = renderPlotSvg(
      linePlot(0, {
        x: { label: 'percentile', scale: 'log', ticks: [{ value: 2, label: '50%' }, { value: 100, label: '99%' }, { value: 1e6, label: 'beyond' }] },
        series: [{ name: 'latency', points: [[1, 3], [2, 4], [150, 9]] }],
      }),
    );
    assert.match(svg, />50%</);
    assert.match(svg, />99%</);
    assert.doesNotMatch(svg, />beyond</, 'a declared tick outside the domain is not drawn');
  });

  it('draws rules with their labels, and an empty plot says so', () => {
    const svg = renderPlotSvg(linePlot(3, { rules: [{ axis: 'y', value: 15, label: 'SLO 15 ms' }, { axis: 'x', value: 1, label: 'stall' }] }));
    assert.equal((svg.match(/<g class="rules">/g) ?? []).length, 1);
    assert.match(svg, />SLO 15 ms</);
    assert.match(renderPlotSvg(linePlot(0)), />no data</);
  });

  it('escapes every text it prints', () => {
    const evil = '</svg><script>alert(1)</script>"\'&';
    const svg = renderPlotSvg(linePlot(2, { title: evil, description: evil, x: { label: evil }, series: [{ name: evil, points: [[1, 1]] }, { name: 'b', points: [[2, 2]] }], rules: [{ axis: 'y', value: 1, label: evil }] }));
    assert.doesNotMatch(svg, /<script/);
    assert.equal(elements(svg).filter((e) => e.name === 'script').length, 0);
    assert.ok(textOf(svg).includes(evil), 'shown as text');
  });
});

const base = { level: 'error' as const, stage: 'smoke', startedAt: '2026-01-01T12:00:00.000Z', durationMs: 12, warnings: [] as string[], metrics: {}, artifacts: [] as string[] };
const hostile = '<img src=x onerror=alert(1)></script><script>alert(2)</script>\u001b[31m"quoted"';

function reportOf(checks: CheckResult[], verdict: Report['verdict'] = 'GO'): Report {
  return {
    schemaVersion: '1.1.0',
    tool: { name: 'golive', version: '0.0.0-test' },
    runId: 'run-1',
    startedAt: '2026-01-01T12:00:00.000Z',
    finishedAt: '2026-01-01T12:00:01.000Z',
    durationMs: 1000,
    target: { baseUrl: 'http://svc.test', managed: false },
    source: 'test',
    label: 'test',
    release: null,
    verdict,
    exitCode: verdict === 'GO' ? 0 : 1,
    totals: computeTotals(checks),
    stages: [{ name: 'smoke', status: 'pass', failPolicy: 'continue', durationMs: 20, checks }],
  } as Report;
}

describe('HTML report', () => {
  const checks: CheckResult[] = [
    {
      ...base,
      id: 'canary',
      kind: 'canary',
      title: 'Canary',
      status: 'pass',
      observations: [{ name: 'p95', expected: '< 100 ms', actual: '12 ms', passed: true, message: 'ok' }],
      summary: '5/5 ok',
      presentation: { keyFigure: 'p95 12 ms', plots: [linePlot(5, { id: 'samples', mark: 'point' })] },
    },
    {
      ...base,
      id: 'hostile',
      kind: 'http',
      title: hostile,
      status: 'fail',
      observations: [{ name: 'body', expected: 'x', actual: hostile, passed: false, code: 'HTTP_BODY', message: `answered ${hostile}` }],
      summary: hostile,
      data: { body: hostile },
      presentation: { tables: [{ id: 't', title: hostile, columns: [hostile], rows: [[hostile], [null], [2.71]] }] },
    },
    { ...base, id: 'skipped', kind: 'http', title: 'S', status: 'skip', reason: hostile, observations: [], summary: '' },
    { ...base, id: 'errored', kind: 'http', title: 'E', status: 'error', error: { code: 'GOLIVE_ERR_X', message: hostile }, observations: [], summary: '' },
  ];
  const html = renderHtml(reportOf(checks, 'NO-GO'));

  it('is one document with the verdict, the counts, a section and a table row per check', () => {
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /id="verdict">NO-GO</);
    const els = elements(html);
    assert.equal(els.filter((e) => e.name === 'section' && e.attrs.class === 'check').length, 4);
    assert.equal(els.filter((e) => e.name === 'tr' && e.attrs['data-check']).length, 4);
    assert.equal(els.filter((e) => e.name === 'svg').length, 1);
    assert.ok(textOf(html).includes('1 passed'));
  });

  it('target text renders as text: no element, attribute or script comes from it', () => {
    const els = elements(html);
    assert.equal(els.filter((e) => e.name === 'script' || e.name === 'img').length, 0);
    assert.ok(!els.some((e) => Object.keys(e.attrs).some((a) => a.startsWith('on'))), 'no event handler attribute');
    const text = textOf(html);
    assert.ok(text.includes('<img src=x onerror=alert(1)></script><script>alert(2)</script>'), 'the hostile text is shown as written');
    assert.ok(!html.includes('\u001b'), 'control characters are escaped');
    assert.ok(text.includes('\\u001b[31m'));
  });

  it('fetches nothing and allows no script: a strict policy, no external URL', () => {
    const meta = elements(html).find((e) => e.name === 'meta' && e.attrs['http-equiv'] === 'Content-Security-Policy');
    assert.equal(meta?.attrs.content, PAGE_CSP);
    assert.match(PAGE_CSP, /default-src 'none'/);
    assert.doesNotMatch(PAGE_CSP, /script-src|unsafe/);
    for (const e of elements(html)) for (const a of ['src', 'href']) if (e.attrs[a]) assert.doesNotMatch(e.attrs[a] as string, /^(https?:)?\/\//, `${e.name} ${a}`);
  });

  it('failed and errored checks open their evidence; passed ones keep it folded', () => {
    const details = elements(html).filter((e) => e.name === 'details' && e.attrs.class === 'evidence-details');
    assert.deepEqual(
      details.map((d) => 'open' in d.attrs),
      [false, true, true, true],
    );
  });
});
