/**
 * The metrics parser (checks/util/prom-text.ts) against the page corpus (test/fixtures/metrics-pages.ts): what
 * each page's syntax, ingestion problems and lint problems are. The same corpus is the differential test against
 * `promtool check metrics` (test/integration/metrics-promtool.test.ts). Also selectors, hostile input and bounds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ingestionProblems, lintFamilies, parseGoFloat, parseMetricsPage, parseSelector, quote, selectSamples, seriesKey } from '../../src/checks/util/prom-text.ts';
import { METRICS_PAGES } from '../fixtures/metrics-pages.ts';

describe('metrics parser: the page corpus', () => {
  for (const p of METRICS_PAGES) {
    it(`${p.format}: ${p.name}`, () => {
      const parsed = parseMetricsPage(p.body, p.format);
      assert.equal(parsed.error ? parsed.error.line : 'ok', p.syntax, parsed.error?.message);
      if (parsed.error) return;
      assert.deepEqual(
        ingestionProblems(parsed).map((i) => i.kind),
        p.ingestion ?? [],
      );
      assert.deepEqual(lintFamilies(parsed).map((l) => `${l.metric} ${l.text}`).sort(), [...(p.lint ?? [])].sort());
    });
  }
  it('holds both formats and at least 60 pages, valid and invalid', () => {
    assert.ok(METRICS_PAGES.length >= 60, String(METRICS_PAGES.length));
    for (const format of ['text', 'openmetrics'] as const) {
      assert.ok(METRICS_PAGES.some((p) => p.format === format && p.syntax === 'ok'));
      assert.ok(METRICS_PAGES.some((p) => p.format === format && p.syntax !== 'ok'));
    }
  });
});

describe('metrics parser: values and samples', () => {
  const floats: Array<[string, number | undefined]> = [
    ['1', 1],
    ['-1.5e3', -1500],
    ['.5', 0.5],
    ['5.', 5],
    ['+Inf', Number.POSITIVE_INFINITY],
    ['-infinity', Number.NEGATIVE_INFINITY],
    ['NaN', Number.NaN],
    ['nan', Number.NaN],
    ['+NaN', undefined],
    ['0x10', undefined],
    ['1_000', undefined],
    ['1e', undefined],
    ['.', undefined],
    ['', undefined],
    ['1e400', undefined],
    ['infin', undefined],
  ];
  for (const [text, want] of floats) {
    it(`float ${JSON.stringify(text)}`, () => {
      assert.deepEqual(parseGoFloat(text), want);
    });
  }
  it('reads labels, values and timestamps', () => {
    const page = parseMetricsPage('# TYPE a_total counter\na_total{x="1",y="q\\"n"} 2 1700\n', 'text');
    const s = page.families[0]?.samples[0];
    assert.deepEqual(s?.labels, [
      ['x', '1'],
      ['y', 'q"n'],
    ]);
    assert.equal(s?.value, 2);
    assert.equal(s?.timestamp, 1700);
    assert.equal(page.families[0]?.type, 'counter');
  });
  it('files histogram and summary samples under their family', () => {
    const page = parseMetricsPage('# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 0\n', 'text');
    assert.equal(page.families.length, 1);
    assert.equal(page.families[0]?.samples.length, 4);
  });
  it('keys series with labels sorted, escaping what a terminal would act on', () => {
    assert.equal(seriesKey('a', [['b', '2'], ['a', '1']]), 'a{a="1",b="2"}');
    assert.equal(seriesKey('a', [['x', '\u001b[31m\u009b\u202e']]), 'a{x="\\u001b[31m\\u009b\\u202e"}');
    const q = quote('\u0007x'.repeat(100));
    assert.ok(q.length < 500 && !q.includes('\u0007'), q);
  });
});

describe('metrics parser: selectors', () => {
  it('parses names and equality / inequality matchers', () => {
    const sel = parseSelector('http_requests_total{route="/v1/events", code!="500"}');
    assert.ok(typeof sel !== 'string', String(sel));
    assert.equal(sel.name, 'http_requests_total');
    assert.deepEqual(sel.matchers, [
      { label: 'route', op: '=', value: '/v1/events' },
      { label: 'code', op: '!=', value: '500' },
    ]);
    assert.deepEqual(parseSelector('up'), { name: 'up', matchers: [], text: 'up' });
  });
  const bad: Array<[string, RegExp]> = [
    ['', /metric name/],
    ['9up', /metric name/],
    ['a{b=~"x"}', /regular-expression/],
    ['a{b="x"', /unterminated|final/],
    ['a{b=x}', /double-quoted/],
    ['a{b="x"}junk', /final/],
    ['a b', /"\{"/],
  ];
  for (const [text, why] of bad) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      const r = parseSelector(text);
      assert.equal(typeof r, 'string');
      assert.match(r as string, why);
    });
  }
  it('selects samples, a missing label counting as empty', () => {
    const page = parseMetricsPage('a_total{r="/x"} 1\na_total{r="/y"} 2\na_total 3\n', 'text');
    const sel = (t: string) => parseSelector(t) as Exclude<ReturnType<typeof parseSelector>, string>;
    assert.deepEqual(selectSamples(page, sel('a_total{r="/y"}')).map((s) => s.value), [2]);
    assert.deepEqual(selectSamples(page, sel('a_total{r=""}')).map((s) => s.value), [3]);
    assert.deepEqual(selectSamples(page, sel('a_total{r!="/x"}')).map((s) => s.value), [2, 3]);
  });
});

describe('metrics parser: hostile pages', () => {
  it('parses a 4 MB page in bounded time, linearly', () => {
    const line = 'x_total{a="' + 'y'.repeat(100) + '"} 1\n';
    const body = `# HELP x_total X.\n# TYPE x_total counter\n${Array.from({ length: 35_000 }, (_, i) => line.replace('"} ', `${i}"} `)).join('')}`;
    const t0 = performance.now();
    const page = parseMetricsPage(body, 'text');
    ingestionProblems(page);
    lintFamilies(page);
    assert.equal(page.error, undefined);
    assert.ok(performance.now() - t0 < 3000, `${performance.now() - t0} ms`);
  });
  it('survives pathological input without throwing', () => {
    const inputs = ['{'.repeat(100_000), '"'.repeat(100_000), `a{${'b="c",'.repeat(20_000)}`, '\\'.repeat(50_000), '#'.repeat(10_000), '\u0000\u0001\u0002', 'a 1 2 3 4'];
    for (const body of inputs) {
      for (const format of ['text', 'openmetrics'] as const) {
        const page = parseMetricsPage(body, format);
        assert.ok(page.error, `${format} ${body.slice(0, 20)}`);
        assert.doesNotMatch(page.error.message, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      }
    }
  });
});
