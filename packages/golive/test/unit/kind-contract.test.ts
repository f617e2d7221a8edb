/**
 * The kind contract, end to end: a kind registered only here declares its timeout, the environment variables
 * it reads, typed data, a presentation and gate hooks, and the config layer, the runner and the reporters
 * honour each declaration without naming it (they cannot: the kind exists only in this file).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineCheck, mutatesTarget, observe } from '../../src/checks/types.ts';
import { envVariables } from '../../src/config/env.ts';
import { resolveConfig } from '../../src/config/resolve.ts';
import type { CheckResult, Report } from '../../src/core/result.ts';
import { compatChecksOf } from '../../src/presets/index.ts';
import { stage4Summary } from '../../src/reporters/compat-stage4.ts';
import { renderConsole } from '../../src/reporters/console.ts';
import { renderMarkdown } from '../../src/reporters/markdown.ts';
import { renderText } from '../../src/reporters/text.ts';
import { runGate } from '../../src/runner/run-gate.ts';

/** The data of the fake kind, as a kind's `<kind>.data.ts` would declare it. */
type WidgetData = {
  widgets: number;
  path: string;
  mode: string | null;
  requestMs: number;
  timeoutMs: number;
  startState: { startedWith: number } | null;
  // Fields a seed writer reads when the preset maps this check to the seed's health block.
  statusCode: number;
  latencyMs: number;
  payload: { status: string };
};

const widgetOptions = z
  .object({
    path: z.string().default('/from-schema'),
    requestMs: z.number().int().positive().default(1000),
    workMs: z.number().int().min(0).default(0),
    steps: z.number().int().positive().default(10),
    failAtEnd: z.boolean().default(false),
    write: z.boolean().default(false),
  })
  .strict();

const widgets = defineCheck<typeof widgetOptions, WidgetData>({
  kind: 'x-widgets',
  title: 'Widgets',
  description: 'A kind that exists only in this test.',
  options: widgetOptions,
  defaultTimeoutMs: 60_000,
  // 50 ms per step: small on purpose, so the test sees the runner obey it.
  timeoutFor: (o) => o.steps * 50,
  requestTimeoutOption: 'requestMs',
  env: [
    { names: ['GOLIVE_WIDGET_PATH', 'WIDGET_PATH'], option: 'path', description: 'the path counted' },
    { names: ['GOLIVE_WIDGET_MODE', 'WIDGET_MODE'], description: 'how widgets are counted' },
  ],
  metrics: { widgets: { direction: 'higher', tolerance: 0.1 } },
  mutates: (o) => o.write,
  present: ({ data, status }) => ({
    keyFigure: `${data?.widgets ?? '?'} widgets (${status})`,
    tables: [{ id: 'widgets', title: 'Widget counts', columns: ['path', 'widgets'], rows: [[data?.path ?? '', data?.widgets ?? null]] }],
  }),
  hooks: {
    gateStart: async () => ({ startedWith: 41 }),
    gateEnd: async (_ctx, o, state) => ({
      observations: [
        observe('delta', !o.failAtEnd, 'the count rose', o.failAtEnd ? 'no change' : 'rose', {
          code: 'WIDGETS_FLAT',
          message: o.failAtEnd ? `widgets did not rise after ${JSON.stringify(state)}` : 'widgets rose',
        }),
      ],
      metrics: { widgetsAtEnd: 9 },
    }),
  },
  async run(ctx, o) {
    if (o.workMs > 0) await sleep(o.workMs, undefined, { signal: ctx.signal });
    const state = ctx.gateStartState as { startedWith: number } | undefined;
    return {
      observations: [observe('count', true, '>= 1', '7')],
      data: {
        widgets: 7,
        path: o.path,
        mode: ctx.env.WIDGET_MODE ?? null,
        requestMs: o.requestMs,
        timeoutMs: ctx.timeoutMs,
        startState: state ?? null,
        statusCode: 200,
        latencyMs: 1.234,
        payload: { status: 'ok' },
      },
      summary: 'counted',
    };
  },
});
const kinds = [widgets];
const target = { baseUrl: 'http://127.0.0.1:9/' };

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'golive-kind-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(checks: Record<string, unknown>, env: Record<string, string> = {}, extra: Record<string, unknown> = {}): Promise<Report> {
  const config = resolveConfig({ file: { target, checks, ...extra }, env, kinds });
  return runGate(config, { env, out: join(dir, String(Math.random()).slice(2)), kinds });
}

const only = (report: Report, id: string): CheckResult => {
  const r = report.stages.flatMap((s) => s.checks).find((c) => c.id === id);
  assert.ok(r, `no result ${id}`);
  return r;
};

describe('the kind contract', () => {
  it('config: the kind’s variable sets its option over the file, the target timeout reaches the option it names', () => {
    const file = { target, checks: { w: { kind: 'x-widgets', options: { path: '/from-file', requestMs: 500 } } } };
    const plain = resolveConfig({ file, env: {}, kinds });
    assert.deepEqual([plain.checks.w?.options], [{ path: '/from-file', requestMs: 500, workMs: 0, steps: 10, failAtEnd: false, write: false }]);
    const env = { WIDGET_PATH: '/from-env', GOLIVE_WIDGET_PATH: '/from-golive-env', S4_TIMEOUT: '3' };
    const config = resolveConfig({ file, env, kinds });
    const opts = (c: typeof config) => (c.checks.w?.options ?? {}) as { path?: string; requestMs?: number };
    assert.equal(opts(config).path, '/from-golive-env', 'the GOLIVE_ name wins');
    assert.equal(opts(config).requestMs, 3000, 'S4_TIMEOUT in seconds');
    const cli = resolveConfig({ file, env, kinds, cli: { timeoutMs: 750 } });
    assert.equal(opts(cli).requestMs, 750, 'the command line wins');
  });

  it('config: the variables table lists the kind’s variables with what they do', () => {
    const rows = envVariables(kinds);
    assert.deepEqual(
      rows.filter((r) => r.names.some((n) => n.includes('WIDGET'))),
      [
        { names: ['GOLIVE_WIDGET_PATH', 'WIDGET_PATH'], sets: 'x-widgets: the path counted' },
        { names: ['GOLIVE_WIDGET_MODE', 'WIDGET_MODE'], sets: 'x-widgets: how widgets are counted' },
      ],
    );
  });

  it('runner: timeoutFor sets the deadline, the GOLIVE_ variable reaches the name the check reads, gate-start state arrives', async () => {
    const report = await run({ w: { kind: 'x-widgets', options: { steps: 40 } } }, { GOLIVE_WIDGET_MODE: 'strict' });
    const r = only(report, 'w');
    assert.equal(r.status, 'pass');
    assert.equal(r.data?.timeoutMs, 2000, 'timeoutFor: 40 steps × 50 ms');
    assert.equal(r.data?.mode, 'strict');
    assert.deepEqual(r.data?.startState, { startedWith: 41 });
    assert.equal(r.metrics.widgetsAtEnd, 9, 'gate-end metrics joined the result');
    assert.equal(r.observations.at(-1)?.name, 'delta');
  });

  it('runner: a check that outlives its timeoutFor deadline fails with CHECK_TIMEOUT at that deadline', async () => {
    const report = await run({ slow: { kind: 'x-widgets', options: { steps: 2, workMs: 2000 } } });
    const r = only(report, 'slow');
    assert.equal(r.status, 'fail');
    assert.equal(r.observations[0]?.code, 'CHECK_TIMEOUT');
    assert.match(r.observations[0]?.message ?? '', /within its 100 ms timeout/);
    assert.ok(r.durationMs < 1500, `stopped at the deadline, not after the work (${r.durationMs} ms)`);
  });

  it('runner: a gate-end observation that fails turns the check, its stage and the verdict', async () => {
    const report = await run({ w: { kind: 'x-widgets', options: { failAtEnd: true } } });
    const r = only(report, 'w');
    assert.equal(r.status, 'fail');
    assert.equal(r.observations.find((o) => !o.passed)?.code, 'WIDGETS_FLAT');
    assert.match(r.summary, /did not rise after \{"startedWith":41\}/);
    assert.equal(report.stages.at(-1)?.status, 'fail');
    assert.equal(report.verdict, 'NO-GO');
  });

  it('reporters: the presentation the kind declares is shown without the reporters knowing the kind', async () => {
    const report = await run({ w: { kind: 'x-widgets' } });
    const r = only(report, 'w');
    assert.deepEqual(r.presentation?.keyFigure, '7 widgets (pass)');
    const consoleText = renderConsole(report, { color: false });
    assert.match(consoleText, /PASS\s+go-live\s+w\s+.*7 widgets \(pass\)/);
    const md = renderMarkdown(report);
    assert.match(md, /\| `7 widgets \(pass\)` \|/);
    assert.match(md, /<summary>w\\: Widget counts<\/summary>/);
    assert.match(md, /\| `\/from-schema` \| `7` \|/);
    assert.match(renderText(report), /\[w\]: PASS — 7 widgets \(pass\)/);
  });

  it('runner: the presentation is drawn again from what the gate-end hook added', async () => {
    const late = defineCheck({
      kind: 'x-late',
      title: 'Late',
      description: 'Knows its figure only at the gate end.',
      options: z.object({}).strict(),
      present: ({ data }) => ({ keyFigure: data?.end === undefined ? 'pending' : `end ${String(data.end)}` }),
      hooks: { gateEnd: async () => ({ observations: [observe('end', true, 'an end', '42')], data: { end: 42 } }) },
      async run() {
        return { observations: [observe('ran', true, 'ran', 'ran')], data: { start: 1 } };
      },
    });
    const config = resolveConfig({ file: { target, checks: { l: { kind: 'x-late' } } }, env: {}, kinds: [late] });
    const report = await runGate(config, { env: {}, out: join(dir, 'late'), kinds: [late] });
    assert.equal(only(report, 'l').presentation?.keyFigure, 'end 42');
  });

  it('seed writers read a check by the id the seed preset maps, whatever its kind', async () => {
    const report = await run({ health: { kind: 'x-widgets' } }, {}, { compat: 'stage4' });
    const s = stage4Summary(report, compatChecksOf('stage4'));
    assert.deepEqual(s.checks.health, { ok: true, status_code: 200, latency_ms: 1.23, payload: { status: 'ok' } });
  });

  it('runner: a mutating check runs against loopback, private or managed targets, elsewhere only when allowed, never live', async () => {
    const go = async (baseUrl: string, env: Record<string, string> = {}, allowMutation = false) => {
      const config = resolveConfig({ file: { target: { baseUrl }, allowMutation, checks: { w: { kind: 'x-widgets', options: { write: true } }, r: { kind: 'x-widgets' } } }, env, kinds });
      const report = await runGate(config, { env, out: join(dir, String(Math.random()).slice(2)), kinds });
      return [only(report, 'w'), only(report, 'r')] as const;
    };
    for (const local of ['http://127.0.0.1:9/', 'http://[::1]:9/', 'http://10.1.2.3/', 'http://192.168.1.10/', 'http://localhost:9/']) {
      const [w] = await go(local);
      assert.equal(w.status, 'pass', `${local}: ${w.summary}`);
    }
    const [w, r] = await go('https://staging.example.com/');
    assert.equal(w.status, 'error');
    assert.equal(w.status === 'error' && w.error.code, 'GOLIVE_ERR_MUTATION_REFUSED');
    assert.match(w.summary, /allowMutation: true in the config or --allow-mutation/);
    assert.equal(r.status, 'pass', 'a check that does not mutate is not affected');
    assert.equal(resolveConfig({ file: { target: { baseUrl: 'https://x.example/' } }, kinds, cli: { allowMutation: true } }).allowMutation, true, '--allow-mutation');
    const [allowed] = await go('https://staging.example.com/', {}, true);
    assert.equal(allowed.status, 'pass');
    const [live] = await go('https://staging.example.com/', { EXPECT_LIVE: '1' }, true);
    assert.equal(live.status, 'error');
    assert.match(live.summary, /EXPECT_LIVE=1/);
    const [liveLocal] = await go('http://127.0.0.1:9/', { GOLIVE_EXPECT_LIVE: '1' });
    assert.equal(liveLocal.status, 'error', 'live production is never mutated, even on a private address');
  });

  it('mutation is declared by the kind, per options', () => {
    assert.equal(mutatesTarget(widgets, widgets.options.parse({ write: true })), true);
    assert.equal(mutatesTarget(widgets, widgets.options.parse({})), false);
  });
});
