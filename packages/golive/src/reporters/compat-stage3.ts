/**
 * The stage 3 artifacts (`qa/stage3/v0.3.0/`: smoke_results.json, summary.json, release_gate_stdout.txt,
 * release_gate_stderr.txt, tests.txt) in the shapes the stage 3 script documented. A pure function of the
 * report: smoke entries come from the checks of the `smoke` stage (status code and body from their `data`),
 * the release gate from the `command` check (exit code from its data, output from its artifacts).
 */
import type { CheckResult, Report } from '../core/result.ts';
import { type CompatFile, dataOf, findResult, healthUrlOf, num, seedBaseUrl, seedTimestamp } from './compat.ts';

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

function smokeResults(report: Report): CheckResult[] {
  const smoke = report.stages.find((s) => s.name === 'smoke');
  if (smoke) return smoke.checks;
  return report.stages.flatMap((s) => s.checks).filter((r) => r.kind !== 'command' && r.kind !== 'target');
}

function releaseGate(report: Report): CheckResult | undefined {
  return findResult(report, 'command', 'release-gate');
}

function smokeEntry(r: CheckResult): Stage3SmokeCheck {
  const entry: Stage3SmokeCheck = {
    check: r.id.replace(/-/g, '_'),
    // A warn-level smoke check never gates, as in the golive verdict.
    status: r.status === 'pass' || (r.level === 'warn' && r.status !== 'skip') ? 'PASS' : 'FAIL',
    status_code: num(dataOf(r, 'statusCode')),
  };
  if (r.kind === 'health') {
    const body = dataOf(r, 'body');
    const payload = dataOf(r, 'payload');
    if (typeof body === 'string') entry.body = body;
    else if (payload !== undefined && payload !== null) entry.body = JSON.stringify(payload);
  }
  return entry;
}

/** Builds smoke_results.json. */
export function stage3Smoke(report: Report): Stage3Smoke {
  const results = smokeResults(report);
  const checks = results.map(smokeEntry);
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
export function stage3Summary(report: Report, smoke: Stage3Smoke = stage3Smoke(report)): Stage3Summary {
  const gate = releaseGate(report);
  return {
    stage: STAGE3_NAME,
    started: seedTimestamp(report.startedAt),
    finished: seedTimestamp(report.finishedAt),
    base_url: seedBaseUrl(report.target.baseUrl),
    health_url: healthUrlOf(report),
    smoke: { status: smoke.status, checks: smoke.checks },
    release_gate_exit_code: num(dataOf(gate, 'exitCode')),
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
export function stage3Text(report: Report, summary: Stage3Summary): string {
  const lines = [
    'Stage 3 — Staging Pilot (v0.3.0)',
    `Started: ${summary.started}`,
    `Finished: ${summary.finished}`,
    `Base URL: ${summary.base_url}`,
    `Health URL: ${summary.health_url}`,
    '',
    `Smoke: ${summary.smoke.status} (${summary.smoke.checks.filter((c) => c.status === 'PASS').length}/${summary.smoke.checks.length})`,
  ];
  for (const r of smokeResults(report)) {
    const e = smokeEntry(r);
    lines.push(`${e.status === 'PASS' ? '✅' : '❌'} ${e.check}: ${e.status}${e.status_code === null ? '' : ` (${e.status_code})`}${e.status === 'PASS' ? '' : ` — ${r.status === 'skip' ? `skipped: ${r.reason}` : r.summary}`}`);
  }
  const gate = releaseGate(report);
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
export function renderStage3(report: Report): CompatFile[] {
  const smoke = stage3Smoke(report);
  const summary = stage3Summary(report, smoke);
  const gate = releaseGate(report);
  return [
    { path: `${STAGE3_DIR}/smoke_results.json`, content: `${JSON.stringify(smoke, null, 2)}\n` },
    { path: `${STAGE3_DIR}/summary.json`, content: `${JSON.stringify(summary, null, 2)}\n` },
    gateOutput(gate, 'stdout'),
    gateOutput(gate, 'stderr'),
    { path: `${STAGE3_DIR}/tests.txt`, content: stage3Text(report, summary) },
  ];
}
