/** The JUnit XML reporter: a testsuite per stage, a testcase per check (fail → failure, error → error, skip → skipped). */
import { escapeControl } from '../core/inert.ts';
import type { Report } from '../core/result.ts';
import { failureLines } from './format.ts';

/** File name of the JUnit report inside the output directory. */
export const JUNIT_REPORT_FILE = 'junit.xml';

/**
 * Escapes text for XML attributes and text nodes. Control characters (which XML 1.0 forbids, or which a
 * terminal would act on) are shown as `\xHH`; what remains outside XML's character range is dropped.
 */
export function xmlEscape(text: string): string {
  return escapeControl(text)
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const secs = (ms: number) => (ms / 1000).toFixed(3);

/** Renders the report as JUnit XML. */
export function renderJunit(report: Report): string {
  const t = report.totals;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="golive" tests="${t.checks}" failures="${t.fail}" errors="${t.error}" skipped="${t.skip}" time="${secs(report.durationMs)}" timestamp="${xmlEscape(report.startedAt)}">`,
  ];
  for (const stage of report.stages) {
    const count = (s: string) => stage.checks.filter((c) => c.status === s).length;
    out.push(
      `  <testsuite name="${xmlEscape(stage.name)}" tests="${stage.checks.length}" failures="${count('fail')}" errors="${count('error')}" skipped="${count('skip')}" time="${secs(stage.durationMs)}">`,
    );
    for (const r of stage.checks) {
      const name = `${r.id}: ${r.title}${r.level === 'warn' ? ' (warn)' : ''}`;
      out.push(`    <testcase classname="golive.${xmlEscape(stage.name)}" name="${xmlEscape(name)}" time="${secs(r.durationMs)}">`);
      if (r.status === 'fail') {
        out.push(`      <failure message="${xmlEscape(r.summary)}" type="${xmlEscape(r.observations.find((o) => !o.passed)?.code ?? 'fail')}">${xmlEscape(failureLines(r).join('\n'))}</failure>`);
      } else if (r.status === 'error') {
        out.push(`      <error message="${xmlEscape(r.error.message)}" type="${xmlEscape(r.error.code)}"/>`);
      } else if (r.status === 'skip') {
        out.push(`      <skipped message="${xmlEscape(r.reason)}"/>`);
      }
      const sysout = r.observations.map((o) => `${o.passed ? 'ok' : 'not ok'} ${o.name}: ${o.message}`).concat(r.warnings.map((w) => `warning: ${w}`));
      if (sysout.length) out.push(`      <system-out>${xmlEscape(sysout.join('\n'))}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}
