import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { canaryCheck } from '../../src/checks/canary.ts';
import { healthCheck } from '../../src/checks/health.ts';
import { securityHeadersCheck } from '../../src/checks/security-headers.ts';
import { type CheckDefinition, defineCheck, observe } from '../../src/checks/types.ts';
import { resolveConfig } from '../../src/index.ts';
import type { GoliveConfig } from '../../src/config/schema.ts';
import { CheckError } from '../../src/core/errors.ts';
import type { CheckResult, Report } from '../../src/core/result.ts';
import type { RunEvent } from '../../src/runner/events.ts';
import { buildRedactor, checkTimeoutMs, runGate } from '../../src/runner/run-gate.ts';

// Test-local kinds: no network, fully deterministic outcomes.
const outcome = defineCheck({
  kind: 't-outcome',
  title: 'Outcome',
  description: 'Returns what its options say.',
  options: z
    .object({
      pass: z.boolean().default(true),
      warn: z.boolean().default(false),
      message: z.string().default('ok'),
      data: z.record(z.string(), z.string()).default({}),
    })
    .strict(),
  async run(ctx, o) {
    const obs = [observe('outcome', o.pass, 'pass', o.pass ? 'pass' : 'fail', { message: o.message, code: 'T_FAIL' })];
    if (o.warn) obs.push(observe('advice', false, 'quiet', 'noisy', { severity: 'warn', message: `advice for ${ctx.id}` }));
    return { observations: obs, data: o.data, metrics: { value: 1 } };
  },
});
const thrower = defineCheck({
  kind: 't-throw',
  title: 'Thrower',
  description: 'Throws.',
  options: z.object({ checkError: z.boolean().default(false), secret: z.string().default('') }).strict(),
  async run(_ctx, o) {
    if (o.checkError) throw new CheckError('GOLIVE_ERR_INSUFFICIENT_SAMPLES', `only 1 sample ${o.secret}`);
    throw new TypeError(`boom ${o.secret}`);
  },
});
const sleeper = defineCheck({
  kind: 't-sleep',
  title: 'Sleeper',
  description: 'Sleeps; optionally ignores its signal.',
  options: z.object({ ms: z.number().default(10_000), ignoreSignal: z.boolean().default(false) }).strict(),
  async run(ctx, o) {
    ctx.progress({ message: 'halfway there' });
    if (o.ignoreSignal) await new Promise((r) => setTimeout(r, o.ms).unref());
    else await ctx.clock.sleep(o.ms, ctx.signal);
    return { observations: [observe('slept', true, 'sleep', 'slept')] };
  },
});
const writer = defineCheck({
  kind: 't-write',
  title: 'Writer',
  description: 'Writes an artifact containing the environment secret.',
  options: z.object({}).strict(),
  async run(ctx) {
    const p = await ctx.artifacts.write('t/out.txt', `token=${ctx.env.MY_API_TOKEN}`);
    return { observations: [observe('wrote', true, 'file', p, { message: `wrote with ${ctx.env.MY_API_TOKEN}` })] };
  },
});
const empty = defineCheck({
  kind: 't-empty',
  title: 'Empty',
  description: 'Returns nothing (a broken kind).',
  options: z.object({}).strict(),
  async run() {
    return undefined as never;
  },
});
const kinds = [outcome, thrower, sleeper, writer, empty];

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'golive-runner-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(config: GoliveConfig, opts: { env?: Record<string, string>; stages?: string[]; events?: RunEvent[] } = {}): Promise<Report> {
  const env = opts.env ?? {};
  const resolved = resolveConfig({ file: { target: { baseUrl: 'http://127.0.0.1:9' }, ...config }, env, kinds });
  return runGate(resolved, {
    env,
    out: join(dir, 'out'),
    kinds,
    ...(opts.stages ? { stages: opts.stages } : {}),
    onEvent: (e) => opts.events?.push(e),
  });
}

const byId = (report: Report, id: string): CheckResult => {
  const r = report.stages.flatMap((s) => s.checks).find((c) => c.id === id);
  assert.ok(r, `no result ${id}`);
  return r;
};

describe('runCheck through runGate', () => {
  it('derives pass, fail and warnings from observations', async () => {
    const report = await run({
      checks: { a: { kind: 't-outcome' }, b: { kind: 't-outcome', options: { pass: false, message: 'saw 500' } }, c: { kind: 't-outcome', options: { warn: true } } },
    });
    assert.equal(byId(report, 'a').status, 'pass');
    const b = byId(report, 'b');
    assert.equal(b.status, 'fail');
    assert.equal(b.summary, 'saw 500');
    assert.equal(b.observations[0]?.code, 'T_FAIL');
    const c = byId(report, 'c');
    assert.equal(c.status, 'pass');
    assert.deepEqual(c.warnings, ['advice for c']);
    assert.equal(report.verdict, 'NO-GO');
    assert.equal(report.exitCode, 1);
    assert.deepEqual(report.totals, { checks: 3, pass: 2, fail: 1, error: 0, skip: 0, warnings: 1 });
  });

  it('turns a thrown exception into an error result with GOLIVE_ERR_CHECK_CRASHED, and a CheckError into its code', async () => {
    const report = await run({ checks: { x: { kind: 't-throw' }, y: { kind: 't-throw', options: { checkError: true } } } });
    const x = byId(report, 'x');
    assert.equal(x.status, 'error');
    assert.ok(x.status === 'error' && x.error.code === 'GOLIVE_ERR_CHECK_CRASHED');
    assert.match(x.status === 'error' ? x.error.message : '', /TypeError: boom/);
    const y = byId(report, 'y');
    assert.ok(y.status === 'error' && y.error.code === 'GOLIVE_ERR_INSUFFICIENT_SAMPLES');
    assert.equal(report.verdict, 'INCONCLUSIVE');
    assert.equal(report.exitCode, 3);
  });

  it('a kind that returns no outcome is an error, not a crash', async () => {
    const report = await run({ checks: { e: { kind: 't-empty' } } });
    const e = byId(report, 'e');
    assert.ok(e.status === 'error' && e.error.code === 'GOLIVE_ERR_CHECK_CRASHED' && /returned no observations/.test(e.error.message));
  });

  it('fails a check that overruns its timeout with a CHECK_TIMEOUT observation, even when it ignores the signal', async () => {
    const report = await run({
      checks: {
        polite: { kind: 't-sleep', timeoutMs: 50 },
        rude: { kind: 't-sleep', timeoutMs: 50, options: { ignoreSignal: true, ms: 3000 } },
      },
    });
    for (const id of ['polite', 'rude']) {
      const r = byId(report, id);
      assert.equal(r.status, 'fail', id);
      assert.equal(r.observations[0]?.code, 'CHECK_TIMEOUT');
      assert.match(r.summary, /did not finish within its 50 ms timeout \(last progress: halfway there\)/);
      assert.ok(r.durationMs < 2500, `${id} took ${r.durationMs} ms`);
    }
  });

  it('redacts secrets from messages, errors, data and artifacts', async () => {
    const secret = 'tok_4f9a8b7c6d5e4f3a2b1c';
    const env = { MY_API_TOKEN: secret };
    const report = await run(
      {
        checks: {
          e: { kind: 't-throw', options: { secret } },
          d: { kind: 't-outcome', options: { pass: false, message: `leaked ${secret}`, data: { k: secret } } },
          w: { kind: 't-write' },
        },
      },
      { env },
    );
    const text = JSON.stringify(report);
    assert.ok(!text.includes(secret), 'secret in report');
    assert.match(text, /\[REDACTED\]/);
    const w = byId(report, 'w');
    assert.deepEqual(w.artifacts, ['t/out.txt']);
    const file = await readFile(join(dir, 'out', 't/out.txt'), 'utf8');
    assert.equal(file, 'token=[REDACTED]');
  });
});

describe('runGate', () => {
  it('skips a check whose dependency did not pass, naming it', async () => {
    const report = await run({
      checks: { a: { kind: 't-outcome', options: { pass: false } }, b: { kind: 't-outcome', dependsOn: ['a'] }, c: { kind: 't-outcome' } },
    });
    const b = byId(report, 'b');
    assert.equal(b.status, 'skip');
    assert.ok(b.status === 'skip' && /dependency "a" did not pass \(fail\)/.test(b.reason));
    assert.equal(byId(report, 'c').status, 'pass');
  });

  it('fail-fast stops the stage and every later stage; continue runs on', async () => {
    const config: GoliveConfig = {
      checks: {
        a: { kind: 't-outcome', options: { pass: false } },
        b: { kind: 't-outcome' },
        c: { kind: 't-outcome' },
      },
      stages: [
        { name: 'smoke', checks: ['a', 'b'], failPolicy: 'fail-fast' },
        { name: 'go-live', checks: ['c'] },
      ],
    };
    const report = await run(config);
    assert.deepEqual(
      report.stages.map((s) => [s.name, s.status, s.checks.map((c) => c.status)]),
      [
        ['smoke', 'fail', ['fail', 'skip']],
        ['go-live', 'skip', ['skip']],
      ],
    );
    const b = byId(report, 'b');
    assert.ok(b.status === 'skip' && b.reason.includes('fail-fast'));

    const cont = await run({ ...config, stages: [{ name: 'smoke', checks: ['a', 'b'], failPolicy: 'continue' }, { name: 'go-live', checks: ['c'] }] });
    assert.deepEqual(
      cont.stages.flatMap((s) => s.checks.map((c) => c.status)),
      ['fail', 'pass', 'pass'],
    );
    assert.equal(cont.verdict, 'NO-GO');
  });

  it('a warn-level failure never gates and never stops a fail-fast stage; off is not run', async () => {
    const report = await run({
      checks: {
        a: { kind: 't-outcome', level: 'warn', options: { pass: false } },
        b: { kind: 't-throw', level: 'off' },
        c: { kind: 't-outcome' },
      },
      stages: [{ name: 's', checks: ['a', 'b', 'c'], failPolicy: 'fail-fast' }],
    });
    assert.deepEqual(
      report.stages[0]?.checks.map((c) => [c.id, c.status, c.level]),
      [
        ['a', 'fail', 'warn'],
        ['c', 'pass', 'error'],
      ],
    );
    assert.equal(report.verdict, 'GO');
    assert.equal(report.exitCode, 0);
  });

  it('runs only the selected stages and ignores dependencies outside them', async () => {
    const report = await run(
      {
        checks: { a: { kind: 't-outcome', options: { pass: false } }, b: { kind: 't-outcome', dependsOn: ['a'] } },
        stages: [
          { name: 'one', checks: ['a'] },
          { name: 'two', checks: ['b'] },
        ],
      },
      { stages: ['two'] },
    );
    assert.deepEqual(
      report.stages.map((s) => s.name),
      ['two'],
    );
    assert.equal(byId(report, 'b').status, 'pass');
    await assert.rejects(run({ checks: { a: { kind: 't-outcome' } } }, { stages: ['nope'] }), /unknown stage "nope"/);
  });

  it('emits check-start and check-end events in order', async () => {
    const events: RunEvent[] = [];
    await run({ checks: { a: { kind: 't-outcome' }, b: { kind: 't-outcome' } } }, { events });
    const seq = events.filter((e) => e.type === 'check-start' || e.type === 'check-end').map((e) => `${e.type}:${e.type === 'check-end' ? e.result.id : e.type === 'check-start' ? e.id : ''}`);
    assert.deepEqual(seq, ['check-start:a', 'check-end:a', 'check-start:b', 'check-end:b']);
    assert.equal(events[0]?.type, 'run-start');
    assert.equal(events[events.length - 1]?.type, 'run-end');
  });

  it('a cancelled run is never GO', async () => {
    const controller = new AbortController();
    const resolved = resolveConfig({
      file: { target: { baseUrl: 'http://127.0.0.1:9' }, checks: { s: { kind: 't-sleep', options: { ms: 5000 } }, t: { kind: 't-outcome' } } },
      kinds,
    });
    setTimeout(() => controller.abort(), 30);
    const report = await runGate(resolved, { env: {}, out: join(dir, 'out'), kinds, signal: controller.signal });
    assert.deepEqual(
      report.stages[0]?.checks.map((c) => c.status),
      ['skip', 'skip'],
    );
    assert.equal(report.verdict, 'INCONCLUSIVE');
  });
});

describe('checkTimeoutMs', () => {
  it('keeps an explicit timeout, else raises the kind default to fit the requests at their request timeout', () => {
    // The built-in kinds say through `timeoutFor` how their options stretch them; a kind without says nothing.
    const bare = defineCheck({ kind: 't-none', title: 'none', description: 'no timeout knowledge', options: z.object({}), run: async () => ({ observations: [] }) });
    const cases: Array<[CheckDefinition, number | undefined, Record<string, unknown>, number]> = [
      [healthCheck, 3000, { timeoutMs: 5000 }, 3000],
      [healthCheck, undefined, { timeoutMs: 5000 }, 15_000],
      [healthCheck, undefined, { timeoutMs: 30_000 }, 32_000],
      [canaryCheck, undefined, { timeoutMs: 30_000, count: 5, intervalMs: 300 }, 153_500],
      [securityHeadersCheck, undefined, { timeoutMs: 10_000, paths: ['/a'] }, 52_000],
      [bare, undefined, {}, 30_000],
    ];
    for (const [def, timeoutMs, options, expected] of cases) {
      const parsed = def.options.parse(options);
      assert.equal(checkTimeoutMs(def, { timeoutMs, options: parsed }), expected, `${def.kind} ${JSON.stringify(options)}`);
    }
  });
});

describe('buildRedactor', () => {
  it('learns credentials from target headers, declared secrets and start env, not ordinary header values', () => {
    const r = buildRedactor(
      {
        secrets: ['PARTNER_REF'],
        target: {
          headers: { authorization: 'Bearer abcdef123456', 'x-partner-key': 'pk-998877', accept: 'application/json' },
          timeoutMs: 1,
          tls: { rejectUnauthorized: true },
          start: { command: 'x', env: { DB_PASSWORD: 'hunter2hunter2', PORT: '8080' }, timeoutMs: 1, stopTimeoutMs: 1 },
        },
      },
      { PARTNER_REF: 'ref-12345678', HOME: '/home/someone' },
    );
    const text = 'Bearer abcdef123456 abcdef123456 pk-998877 application/json hunter2hunter2 8080 ref-12345678 /home/someone';
    assert.equal(r.redact(text), '[REDACTED] [REDACTED] [REDACTED] application/json [REDACTED] 8080 [REDACTED] /home/someone');
  });
});
