/**
 * Differential test: every page of the corpus (test/fixtures/metrics-pages.ts) goes to golive's parser and to
 * `promtool check metrics` (Debian's prometheus package) on stdin, and both must agree on acceptance, on the
 * line of the first syntax error and on the lint problems. promtool exits 0 (clean), 3 (lint problems, one
 * `metric text` per line) or 1 (`text format parsing error in line N`).
 *
 * Deliberate differences, each recorded in the corpus with its reason:
 * - OpenMetrics pages: Debian's promtool (2.42) reads every page as text 0.0.4, so it cannot judge OpenMetrics
 *   rules (`# EOF`, contiguous families, exemplars, float timestamps, `info`); golive follows the OpenMetrics
 *   specification there, and the corpus records what promtool says instead, which this test also checks.
 * - Bytes that are not UTF-8: the check refuses the whole page before parsing (METRICS_SYNTAX); promtool
 *   refuses them only inside label values. (A JavaScript string cannot carry them, so no page here does.)
 * - Ingestion problems (duplicate series, broken histograms) are not promtool's concern: it accepts those pages,
 *   and so does golive's syntax layer; they are judged by the ingestion layer (and by a real Prometheus in
 *   metrics-prometheus.test.ts).
 *
 * promtool missing: the test skips, except with CI=true, where it fails (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { lintFamilies, parseMetricsPage } from '../../src/checks/util/prom-text.ts';
import { METRICS_PAGES } from '../fixtures/metrics-pages.ts';

const PROMTOOL = '/usr/bin/promtool';
const CI = process.env.CI === 'true';
const present = existsSync(PROMTOOL);
const skip = !present && !CI ? `${PROMTOOL} is not installed (apt-get install prometheus; set CI=true to make this a failure)` : false;

/** What promtool says about a page: 'ok' or the error line, and its lint problems. */
function promtool(body: string): { syntax: 'ok' | number; lint: string[]; raw: string } {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: body, encoding: 'utf8', timeout: 20_000 });
  const raw = `${r.stdout}${r.stderr}`.trim();
  if (r.status === 1) {
    const m = /parsing error in line (\d+)/.exec(raw);
    assert.ok(m, `promtool exited 1 without a line: ${raw}`);
    return { syntax: Number(m[1]), lint: [], raw };
  }
  assert.ok(r.status === 0 || r.status === 3, `promtool exited ${r.status}: ${raw}`);
  return { syntax: 'ok', lint: r.status === 3 ? raw.split('\n').filter(Boolean).sort() : [], raw };
}

describe('metrics parser agrees with promtool check metrics', { skip }, () => {
  it('promtool is installed', () => {
    assert.ok(present, `${PROMTOOL} is required when CI=true (Debian package prometheus)`);
  });
  for (const p of METRICS_PAGES) {
    it(`${p.format}: ${p.name}`, () => {
      const ours = parseMetricsPage(p.body, p.format);
      const oursSyntax = ours.error ? ours.error.line : 'ok';
      const oursLint = ours.error ? [] : lintFamilies(ours).map((l) => `${l.metric} ${l.text}`).sort();
      const theirs = promtool(p.body);
      if (p.promtool) {
        // A recorded difference: promtool must still say what the corpus records, so the record stays true.
        assert.equal(p.format, 'openmetrics', 'only OpenMetrics pages may differ from promtool');
        assert.equal(theirs.syntax, p.promtool.syntax, theirs.raw);
        assert.deepEqual(theirs.lint, [...(p.promtool.lint ?? [])].sort(), theirs.raw);
        return;
      }
      assert.equal(oursSyntax, theirs.syntax, `golive: ${ours.error?.message ?? 'ok'}; promtool: ${theirs.raw}`);
      assert.deepEqual(oursLint, theirs.lint, theirs.raw);
    });
  }
});
