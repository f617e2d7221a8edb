// The alerting and recording rules of deploy/prometheus: promtool's syntax check and unit tests, and the
// agreement of the alerts with the on-call runbook.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { loadRules, PROMTOOL, RULES_FILE, readRepo, requireTool, run } from './deploy-helpers.ts';

const TEST_FILES = ['deploy/prometheus/tests/pilot.rules.test.yml', 'deploy/prometheus/tests/pilot.rules.days.test.yml'];
const ONCALL = 'packages/pilot/docs/runbooks/oncall.md';
const alerts = loadRules().filter((r) => r.alert !== undefined);

test('promtool check rules accepts the rules file and refuses a broken one', (t) => {
  if (!requireTool(t, PROMTOOL)) return;
  const ok = run(PROMTOOL, ['check', 'rules', RULES_FILE]);
  assert.equal(ok.status, 0, ok.out);
  assert.match(ok.out, new RegExp(`SUCCESS: ${loadRules().length} rules found`));
  const dir = mkdtempSync(join(tmpdir(), 'pilot-rules-'));
  try {
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, 'groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: sum(rate(x[5m])\n');
    const r = run(PROMTOOL, ['check', 'rules', bad]);
    assert.notEqual(r.status, 0, r.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('promtool check config accepts the staging Prometheus configuration (and its rule files)', (t) => {
  if (!requireTool(t, PROMTOOL)) return;
  const r = run(PROMTOOL, ['check', 'config', 'deploy/prometheus/prometheus.yml']);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /pilot\.rules\.yml/);
});

test('promtool test rules: every alert fires and does not fire on synthetic series', (t) => {
  if (!requireTool(t, PROMTOOL)) return;
  const r = run(PROMTOOL, ['test', 'rules', ...TEST_FILES]);
  assert.equal(r.status, 0, r.out);
  assert.equal(r.out.match(/SUCCESS/g)?.length, TEST_FILES.length, r.out);
  // Coverage: each alert has a case where it fires and one where it does not.
  const cases = TEST_FILES.flatMap((f) => {
    const doc = parseYaml(readRepo(f)) as {
      tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
    };
    return doc.tests.flatMap((c) => c.alert_rule_test ?? []);
  });
  for (const a of alerts) {
    const mine = cases.filter((c) => c.alertname === a.alert);
    assert.ok(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${a.alert}: no case where it fires`);
    assert.ok(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${a.alert}: no case where it does not fire`);
  }
  for (const c of cases) assert.ok(alerts.some((a) => a.alert === c.alertname), `test of unknown alert ${c.alertname}`);
});

test('the seeds\' four alerts and the two reconcile alerts exist with their thresholds and severities', () => {
  const byName = new Map(alerts.map((a) => [a.alert!, a]));
  const expect: [string, RegExp, string | undefined, string][] = [
    ['PilotIngestLatencyHigh', /> 1$/, '10m', 'page'],
    ['PilotHttpErrorRateHigh', /> 0\.02$/, '5m', 'page'],
    ['PilotNoIngest', /pilot:business_hours:active/, undefined, 'warn'],
    ['PilotDeadLetterBurst', /> 10$/, undefined, 'warn'],
    ['PilotReconcileDriftHigh', /> 0\.01$/, undefined, 'warn'],
    ['PilotReconcileNotRun', /> 26 \* 3600$/, undefined, 'warn'],
  ];
  assert.deepEqual([...byName.keys()].sort(), expect.map((e) => e[0]).sort());
  for (const [name, expr, dur, severity] of expect) {
    const a = byName.get(name)!;
    assert.match(a.expr.trim(), expr, name);
    assert.equal(a.for, dur, name);
    assert.equal(a.labels?.severity, severity, name);
  }
  // Business hours are defined once, by the recording rule.
  const hours = loadRules().filter((r) => /hour\(\)|day_of_week\(\)/.test(r.expr));
  assert.deepEqual(
    hours.map((r) => r.record),
    ['pilot:business_hours:active'],
  );
});

test('every alert has a section in the on-call runbook, and every alert there exists', () => {
  const doc = readRepo(ONCALL);
  const headings = [...doc.matchAll(/^### (Pilot[A-Za-z]+)\s*$/gm)].map((m) => m[1]!);
  assert.deepEqual([...headings].sort(), alerts.map((a) => a.alert!).sort());
  for (const a of alerts) {
    assert.equal(a.annotations?.runbook, `${ONCALL}#${a.alert!.toLowerCase()}`, `${a.alert}: runbook annotation`);
    assert.ok(a.annotations?.summary, `${a.alert}: summary`);
  }
  // Names the runbook mentions anywhere (tables, text) are alerts too.
  for (const m of doc.matchAll(/`(Pilot[A-Z][A-Za-z]+)`/g)) {
    assert.ok(alerts.some((a) => a.alert === m[1]), `${ONCALL} names ${m[1]}, which is not an alert`);
  }
});
