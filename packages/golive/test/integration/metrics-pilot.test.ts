/**
 * pilot, the reference service, as the target of the `metrics` kind: its prom-client page must pass (lint
 * problems of prom-client's default Node.js metrics are warnings only), golive's lint must match what
 * `promtool check metrics` says about the same page, and a gate whose health check requests /health must see
 * `http_requests_total{route="/health"}` rise between the gate-start and gate-end scrapes.
 */
import assert from 'node:assert/strict';
import { spawnSync, } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { metricsCheck } from '../../src/checks/metrics.ts';
import { lintFamilies, parseMetricsPage } from '../../src/checks/util/prom-text.ts';
import { resolveConfig } from '../../src/index.ts';
import { runGate } from '../../src/runner/run-gate.ts';
import { failed, makeContext, runCheck } from '../helpers/context.ts';
import { type RunningPilot, startPilot } from '../helpers/pilot.ts';

const PROMTOOL = '/usr/bin/promtool';
const CI = process.env.CI === 'true';

describe('metrics against pilot', { timeout: 120_000 }, () => {
  let pilot: RunningPilot | undefined;
  let dir = '';
  let baseUrl = '';
  before(async () => {
    pilot = await startPilot({});
    dir = pilot.dir;
    baseUrl = pilot.baseUrl;
  });
  after(async () => {
    await pilot?.stop();
  });

  it('passes pilot\'s page, and its lint agrees with promtool on it', async () => {
    await fetch(`${baseUrl}/health`);
    const t = await makeContext({ baseUrl, id: 'pilot-metrics' });
    try {
      const out = await runCheck(metricsCheck, t.ctx, { required: ['http_requests_total{route="/health"}', 'http_request_duration_seconds_count{route="/health"}', 'process_start_time_seconds'] });
      assert.equal(failed(out), false, JSON.stringify(out.observations.filter((o) => !o.passed)));
      const page = await readFile(join(t.dir, 'metrics/pilot-metrics.txt'), 'utf8');
      const parsed = parseMetricsPage(page, out.data?.format === 'openmetrics' ? 'openmetrics' : 'text');
      assert.equal(parsed.error, undefined);
      if (!existsSync(PROMTOOL)) {
        assert.ok(!CI, `${PROMTOOL} is required when CI=true`);
        return;
      }
      const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: page, encoding: 'utf8', timeout: 20_000 });
      const theirs = r.status === 3 ? `${r.stdout}${r.stderr}`.trim().split('\n').filter(Boolean).sort() : [];
      assert.ok(r.status === 0 || r.status === 3, `${r.status} ${r.stdout}${r.stderr}`);
      assert.deepEqual(lintFamilies(parsed).map((l) => `${l.metric} ${l.text}`).sort(), theirs);
    } finally {
      await t.close();
    }
  });

  it('sees http_requests_total{route="/health"} rise over a gate whose health check requests /health', async () => {
    const resolved = resolveConfig({
      file: {
        target: { baseUrl },
        checks: {
          health: { kind: 'health' },
          metrics: { kind: 'metrics', options: { deltas: [{ series: 'http_requests_total{route="/health"}', minIncrease: 1 }] } },
        },
        stages: [{ name: 'go-live', checks: ['health', 'metrics'] }],
      },
      env: {},
    });
    const report = await runGate(resolved, { env: {}, out: join(dir, 'out') });
    const m = report.stages.flatMap((s) => s.checks).find((c) => c.id === 'metrics');
    assert.equal(m?.status, 'pass', JSON.stringify(m?.observations.filter((o) => !o.passed)));
    const delta = m?.observations.find((o) => o.name.startsWith('delta '));
    assert.match(delta?.message ?? '', /http_requests_total\{route="\/health"\} rose by [1-9]/);
  });
});
