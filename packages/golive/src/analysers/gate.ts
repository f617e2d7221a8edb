/**
 * Turns analyses into gate decisions: a minimum grade, per-test requirements, severity overrides per
 * finding code, and time-boxed waivers (a waiver past its `until` date stops waiving and fails itself).
 * Pure: the current date comes in as an argument.
 */
import { GRADES, type Grade, gradeAtLeast, OBSERVATORY_TESTS, type ObservatoryTest, scoreOf } from './scoring.ts';
import type { SecurityAnalysis } from './types.ts';

/** A time-boxed exception for a finding code or an Observatory test. */
export interface Waiver {
  /** A finding code (`CSP_STYLE_UNSAFE_INLINE`) or an Observatory test name (`x-frame-options`). */
  rule: string;
  /** Last day the waiver holds, `YYYY-MM-DD` (UTC, inclusive). */
  until: string;
  /** Why it is acceptable for now (shown in the report). */
  reason: string;
  /** Only for this path label or path; every path when absent. */
  path?: string;
}

/** What the gate requires. */
export interface GatePolicy {
  /** Lowest acceptable grade per analysed path. */
  minGrade: Grade;
  /** Allowed results per Observatory test, or `pass` (no penalty, or not applicable). */
  requirements?: Partial<Record<ObservatoryTest, readonly string[] | 'pass'>>;
  waivers?: readonly Waiver[];
  /** Severity per finding code, overriding the built-in one (`off` drops the finding). */
  severities?: Readonly<Record<string, 'error' | 'warn' | 'off'>>;
  /** Today, for waiver expiry. */
  now: Date;
}

/** One gate decision, shaped like an observation. */
export interface GateItem {
  name: string;
  passed: boolean;
  severity: 'error' | 'warn';
  code?: string;
  expected: string;
  actual: string;
  message: string;
}

/** An analysed response with the label of its path (e.g. `/`, `404`, `api`). */
export interface LabelledAnalysis {
  label: string;
  analysis: SecurityAnalysis;
}

/** Whether a waiver has expired on a date (it holds through its whole `until` day, UTC). */
export function waiverExpired(w: Waiver, now: Date): boolean {
  const end = Date.parse(`${w.until}T23:59:59.999Z`);
  return !Number.isFinite(end) || now.getTime() > end;
}

function kebab(code: string): string {
  return code.toLowerCase().replaceAll('_', '-');
}

/** Evaluates the gate over analysed responses. */
export function evaluateGate(analyses: readonly LabelledAnalysis[], policy: GatePolicy): GateItem[] {
  const items: GateItem[] = [];
  const waivers = policy.waivers ?? [];
  const active = waivers.filter((w) => !waiverExpired(w, policy.now));
  for (const w of waivers) {
    if (!active.includes(w)) {
      items.push({
        name: `waiver-${kebab(w.rule)}`,
        passed: false,
        severity: 'error',
        code: 'WAIVER_EXPIRED',
        expected: `waiver valid (until ${w.until})`,
        actual: `expired on ${w.until}`,
        message: `the waiver for ${w.rule}${w.path ? ` on ${w.path}` : ''} expired on ${w.until} ("${w.reason}"): fix it or renew the waiver`,
      });
    }
  }
  const used = new Set<Waiver>();
  const waiverFor = (rule: string | undefined, label: string, url: string, mark = true): Waiver | undefined => {
    if (rule === undefined) return undefined;
    const w = active.find((x) => x.rule === rule && (x.path === undefined || x.path === label || x.path === new URL(url).pathname));
    if (w && mark) used.add(w);
    return w;
  };

  for (const { label, analysis } of analyses) {
    const at = `@${label}`;
    // A test waiver counts as used only where the test actually costs points.
    const waivedTests = new Set<ObservatoryTest>(OBSERVATORY_TESTS.filter((t) => waiverFor(t, label, analysis.url, analysis.tests[t].modifier < 0)));
    const modifiers = OBSERVATORY_TESTS.map((t) => (waivedTests.has(t) ? Math.max(0, analysis.tests[t].modifier) : analysis.tests[t].modifier));
    const effective = scoreOf(modifiers);
    const waivedNote = waivedTests.size > 0 ? ` (Observatory score ${analysis.score} ${analysis.grade}; waived: ${[...waivedTests].join(', ')})` : '';
    const gradeOk = gradeAtLeast(effective.grade, policy.minGrade);
    const penalties = OBSERVATORY_TESTS.filter((t) => analysis.tests[t].modifier < 0 && !waivedTests.has(t)).map((t) => `${analysis.tests[t].result} (${analysis.tests[t].modifier})`);
    items.push({
      name: `grade${at}`,
      passed: gradeOk,
      severity: 'error',
      code: 'GRADE_BELOW_MINIMUM',
      expected: `grade ≥ ${policy.minGrade}`,
      actual: `${effective.grade} (${effective.score})`,
      message: gradeOk
        ? `${analysis.url}: grade ${effective.grade} (${effective.score})${waivedNote}`
        : `${analysis.url}: grade ${effective.grade} (${effective.score}) is below ${policy.minGrade}${waivedNote}; penalties: ${penalties.join(', ') || 'none'}`,
    });
    for (const [t, allowed] of Object.entries(policy.requirements ?? {}) as Array<[ObservatoryTest, readonly string[] | 'pass']>) {
      const r = analysis.tests[t];
      if (r === undefined) continue;
      const ok = waivedTests.has(t) || (allowed === 'pass' ? r.modifier >= 0 || !r.applicable : allowed.includes(r.result) || !r.applicable);
      items.push({
        name: `require-${t}${at}`,
        passed: ok,
        severity: 'error',
        code: 'TEST_REQUIREMENT_NOT_MET',
        expected: allowed === 'pass' ? `${t} without penalty` : `${t} in [${allowed.join(', ')}]`,
        actual: r.result,
        message: `${analysis.url}: ${t} is ${r.result}${ok ? '' : `, required ${allowed === 'pass' ? 'no penalty' : allowed.join(' or ')}`}`,
      });
    }
    for (const f of analysis.findings) {
      const override = policy.severities?.[f.code];
      if (override === 'off') continue;
      const severity = override ?? f.severity;
      const w = waiverFor(f.code, label, analysis.url) ?? waiverFor(f.test, label, analysis.url);
      items.push({
        name: `${kebab(f.code)}${at}`,
        passed: w !== undefined,
        severity,
        code: f.code,
        expected: 'no finding',
        actual: f.header ? `${f.header}` : f.code,
        message: w ? `${analysis.url}: ${f.message} (waived until ${w.until}: ${w.reason})` : `${analysis.url}: ${f.message}`,
      });
    }
  }
  for (const w of active) {
    if (used.has(w)) continue;
    // A waiver that matches nothing is a typo or a fixed problem: either way it should go.
    items.push({
      name: `waiver-${kebab(w.rule)}`,
      passed: false,
      severity: 'warn',
      code: 'WAIVER_UNUSED',
      expected: `a finding or test named ${w.rule}`,
      actual: 'nothing matched',
      message: `the waiver for ${w.rule}${w.path ? ` on ${w.path}` : ''} (until ${w.until}) matched no finding and no penalised test: remove it or fix its rule name`,
    });
  }
  return items;
}

/** Parses a grade name, case-insensitively; undefined for anything else. */
export function parseGrade(s: string): Grade | undefined {
  return GRADES.find((g) => g === s.toUpperCase());
}
