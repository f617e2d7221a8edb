/**
 * The stage 3 artifacts (`qa/stage3/v0.3.0/`: smoke_results.json, summary.json, release_gate_stdout.txt,
 * release_gate_stderr.txt, tests.txt) in the shapes the stage 3 script documented. A pure function of the
 * report and of the ids the stage3 preset maps to the seed's parts (`smokeStage`, `health`, `releaseGate`):
 * smoke entries come from the checks of the smoke stage (status code and body from their typed `data`), the
 * release gate from its check (exit code from its data, output from its artifacts).
 */
import type { CommandData } from '../checks/command.data.ts';
import type { HealthData } from '../checks/health.data.ts';
import type { HttpData } from '../checks/http.data.ts';
import { inertText } from '../core/inert.ts';
import type { CheckResult, Report } from '../core/result.ts';
import { type CompatChecks, type CompatFile, dataOf, findResult, healthUrlOf, num, seedBaseUrl, seedTimestamp, typedData } from './compat.ts';

/** Directory of the stage 3 artifacts, relative to the compat root. */
export const STAGE3_DIR = 'qa/stage3/v0.3.0';
/** Stage name the seed wrote in summary.json. */
export const STAGE3_NAME = 'stage3_v0_3_0';

/** One smoke entry of smoke_results.json. */
export interface Stage3SmokeCheck {
  check: string;
  status: 'PASS' | 'FAIL';
  status_code: number | null;
  body?: string;
}

/** smoke_results.json. */
export interface Stage3Smoke {
  started: string;
  finished: string;
  status: 'PASS' | 'FAIL';
  checks: Stage3SmokeCheck[];
}

/** summary.json. */
export interface Stage3Summary {
  stage: string;
  started: string;
  finished: string;
  base_url: string;
  health_url: string;
  smoke: { status: 'PASS' | 'FAIL'; checks: Stage3SmokeCheck[] };
  release_gate_exit_code: number | null;
  status: 'PASS' | 'FAIL';
}

/** The checks of the smoke stage; without one, every check but the release gate and the managed target's. */
function smokeResults(report: Report, checks: CompatChecks): CheckResult[] {
  const smoke = report.stages.find((s) => s.name === (checks.smokeStage ?? 'smoke'));
  if (smoke) return smoke.checks;
  const target = report.target.managed ? report.stages[0]?.checks[0]?.id : undefined;
  return report.stages.flatMap((s) => s.checks).filter((r) => r.id !== checks.releaseGate && r.id !== target);
}

function releaseGate(report: Report, checks: CompatChecks): CheckResult | undefined {
  return findResult(report, checks.releaseGate);
}

function smokeEntry(r: CheckResult, checks: CompatChecks): Stage3SmokeCheck {
  const entry: Stage3SmokeCheck = {
    check: r.id.replace(/-/g, '_'),
    // A warn-level smoke check never gates, as in the golive verdict.
    status: r.status === 'pass' || (r.level === 'warn' && r.status !== 'skip') ? 'PASS' : 'FAIL',
    status_code: num(dataOf(r, 'statusCode')),
  };
  // The seed recorded the health body (its JSON payload); the other smoke requests only their status.
  if (r.id === checks.health) {
    const h = typedData<HealthData & HttpData>(r);
    if (typeof h.body === 'string') entry.body = h.body;
    else if (h.payload !== undefined && h.payload !== null) entry.body = JSON.stringify(h.payload);
  }
  return entry;
}

/** Builds smoke_results.json; `ids` maps the seed's parts to check ids (the stage3 preset's). */
export function stage3Smoke(report: Report, ids: CompatChecks): Stage3Smoke {
  const results = smokeResults(report, ids);
  const checks = results.map((r) => smokeEntry(r, ids));
  const first = results[0];
  const last = results[results.length - 1];
  const finishedMs = last ? Date.parse(last.startedAt) + last.durationMs : Date.parse(report.finishedAt);
  return {
    started: seedTimestamp(first ? first.startedAt : report.startedAt),
    finished: seedTimestamp(new Date(Number.isFinite(finishedMs) ? finishedMs : Date.parse(report.finishedAt)).toISOString()),
    status: checks.length > 0 && checks.every((c) => c.status === 'PASS') ? 'PASS' : 'FAIL',
    checks,
  };
}

/** Builds summary.json. */
export function stage3Summary(report: Report, ids: CompatChecks, smoke: Stage3Smoke = stage3Smoke(report, ids)): Stage3Summary {
  const gate = releaseGate(report, ids);
  return {
    stage: STAGE3_NAME,
    started: seedTimestamp(report.startedAt),
    finished: seedTimestamp(report.finishedAt),
    base_url: seedBaseUrl(report.target.baseUrl),
    health_url: healthUrlOf(report, ids.health),
    smoke: { status: smoke.status, checks: smoke.checks },
    release_gate_exit_code: num(typedData<CommandData>(gate).exitCode),
    status: report.verdict === 'GO' && smoke.status === 'PASS' ? 'PASS' : 'FAIL',
  };
}

function gateOutput(gate: CheckResult | undefined, stream: 'stdout' | 'stderr'): CompatFile {
  const path = `${STAGE3_DIR}/release_gate_${stream}.txt`;
  if (!gate) return { path, content: 'release gate not configured (set GOLIVE_RELEASE_GATE_COMMAND to run it as the last stage)\n' };
  const inline = dataOf(gate, stream);
  if (typeof inline === 'string') return { path, content: inline };
  const artifact = gate.artifacts.find((a) => a.toLowerCase().includes(stream));
  const fallback = gate.status === 'skip' ? `release gate not run: ${gate.reason}\n` : '';
  return artifact ? { path, copyOf: artifact, fallback } : { path, content: fallback };
}

/** Builds tests.txt. */
export function stage3Text(report: Report, ids: CompatChecks, summary: Stage3Summary): string {
  const lines = [
    'Stage 3 — Staging Pilot (v0.3.0)',
    `Started: ${summary.started}`,
    `Finished: ${summary.finished}`,
    `Base URL: ${summary.base_url}`,
    `Health URL: ${summary.health_url}`,
    '',
    `Smoke: ${summary.smoke.status} (${summary.smoke.checks.filter((c) => c.status === 'PASS').length}/${summary.smoke.checks.length})`,
  ];
  for (const r of smokeResults(report, ids)) {
    const e = smokeEntry(r, ids);
    lines.push(`${e.status === 'PASS' ? '✅' : '❌'} ${e.check}: ${e.status}${e.status_code === null ? '' : ` (${e.status_code})`}${e.status === 'PASS' ? '' : ` — ${r.status === 'skip' ? `skipped: ${r.reason}` : r.summary}`}`);
  }
  const gate = releaseGate(report, ids);
  lines.push(
    '',
    gate
      ? `Release gate: ${summary.release_gate_exit_code === null ? gate.status.toUpperCase() : `exit ${summary.release_gate_exit_code}`} — ${gate.summary}`
      : 'Release gate: not configured',
    '',
    `Status: ${summary.status}`,
    '',
  );
  return lines.join('\n');
}

/** The stage 3 files of a report. */
export function renderStage3(report: Report, ids: CompatChecks): CompatFile[] {
  const smoke = stage3Smoke(report, ids);
  const summary = stage3Summary(report, ids, smoke);
  const gate = releaseGate(report, ids);
  return [
    { path: `${STAGE3_DIR}/smoke_results.json`, content: `${JSON.stringify(smoke, null, 2)}\n` },
    { path: `${STAGE3_DIR}/summary.json`, content: `${JSON.stringify(summary, null, 2)}\n` },
    gateOutput(gate, 'stdout'),
    gateOutput(gate, 'stderr'),
    { path: `${STAGE3_DIR}/tests.txt`, content: inertText(stage3Text(report, ids, summary)) },
  ];
}
