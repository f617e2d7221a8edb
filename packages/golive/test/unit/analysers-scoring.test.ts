import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeHeaders, analyzeResponses } from '../../src/analysers/analyze.ts';
import { evaluateGate, waiverExpired } from '../../src/analysers/gate.ts';
import { GRADES, gradeAtLeast, gradeOf, OBSERVATORY_TESTS, SCORE_TABLE, scoreOf } from '../../src/analysers/scoring.ts';
import { HELMET_DEFAULTS, WELL_KNOWN_SETS } from '../fixtures/well-known-header-sets.ts';

describe('grade chart', () => {
  const cases: Array<[number, string]> = [
    [135, 'A+'],
    [100, 'A+'],
    [99, 'A'],
    [90, 'A'],
    [89, 'A-'],
    [85, 'A-'],
    [80, 'B+'],
    [79, 'B'],
    [70, 'B'],
    [65, 'B-'],
    [60, 'C+'],
    [55, 'C'],
    [50, 'C'],
    [45, 'C-'],
    [40, 'D+'],
    [35, 'D'],
    [30, 'D'],
    [25, 'D-'],
    [24, 'F'],
    [0, 'F'],
    [-40, 'F'],
  ];
  for (const [score, grade] of cases) it(`${score} → ${grade}`, () => assert.equal(gradeOf(score), grade));
  it('orders grades', () => {
    assert.ok(gradeAtLeast('A', 'B'));
    assert.ok(gradeAtLeast('B', 'B'));
    assert.ok(!gradeAtLeast('B-', 'B'));
    assert.equal(GRADES.length, 13);
  });
});

describe('score', () => {
  it('applies bonuses only when the score without them is at least 90', () => {
    assert.deepEqual(scoreOf([10, 5, -5]), { score: 110, grade: 'A+', uncurvedScore: 95, bonus: 15 });
    assert.deepEqual(scoreOf([10, 5, -15]), { score: 85, grade: 'A-', uncurvedScore: 85, bonus: 0 });
    assert.equal(scoreOf([-10, 5]).score, 95);
  });
  it('never goes below 0', () => assert.equal(scoreOf([-50, -50, -25]).score, 0));
  it('has a table entry for every test', () => {
    for (const t of OBSERVATORY_TESTS) assert.ok(Object.keys(SCORE_TABLE[t]).length >= 3, t);
  });
});

describe('https-only tests on loopback', () => {
  it('reports HSTS and redirection as not applicable on http://127.0.0.1', () => {
    const a = analyzeHeaders({ url: 'http://127.0.0.1:8080/', status: 200, headers: HELMET_DEFAULTS });
    assert.equal(a.httpsApplicable, false);
    assert.equal(a.tests['strict-transport-security'].applicable, false);
    assert.equal(a.tests.redirection.applicable, false);
    assert.ok(!a.findings.some((f) => f.code === 'NO_HTTPS' || f.code === 'HSTS_MISSING'));
  });
  for (const host of ['localhost', '[::1]', '127.1.2.3', 'app.localhost']) {
    it(`${host} is loopback`, () => assert.equal(analyzeHeaders({ url: `http://${host}/`, status: 200, headers: {} }).httpsApplicable, false));
  }
  it('plain http on any other host fails NO_HTTPS and REDIRECT_MISSING', () => {
    const a = analyzeHeaders({ url: 'http://10.0.0.5/', status: 200, headers: HELMET_DEFAULTS });
    const codes = a.findings.map((f) => f.code);
    assert.ok(codes.includes('NO_HTTPS'));
    assert.ok(codes.includes('REDIRECT_MISSING'));
    assert.equal(a.tests['strict-transport-security'].result, 'hsts-not-implemented-no-https');
  });
});

describe('well-known header sets (documented in docs/security-grades.md)', () => {
  const expected: Record<string, [number, string]> = {
    'strict API (default-src none, HSTS 2 years, nosniff, no-referrer, CORP)': [130, 'A+'],
    'helmet defaults over https': [130, 'A+'],
    'helmet defaults, plain http on loopback': [130, 'A+'],
    "helmet defaults with PHP's session cookie readable by scripts (no HttpOnly)": [70, 'B'],
    'Debian nginx default site over https (no security header)': [10, 'F'],
    "stage 4 seed's passing CSP only: default-src * 'unsafe-inline' 'unsafe-eval'": [55, 'C'],
    'report-only CSP with otherwise good headers': [75, 'B'],
    'Express with a reflected-origin CORS middleware and a session cookie without flags': [0, 'F'],
  };
  for (const s of WELL_KNOWN_SETS) {
    it(s.name, () => {
      const a = analyzeHeaders(s.input);
      assert.deepEqual([a.score, a.grade], expected[s.name]);
    });
  }
});

describe("modifiers that differ from older copies of the Observatory's table", () => {
  const cases: Array<[keyof typeof SCORE_TABLE, string, number]> = [
    ['cookies', 'cookies-session-without-httponly-flag', -30],
    ['cross-origin-resource-policy', 'corp-implemented-with-same-origin', 10],
    ['cross-origin-resource-policy', 'corp-implemented-with-same-site', 10],
    ['cross-origin-resource-policy', 'corp-implemented-with-cross-origin', 0],
    ['cross-origin-resource-policy', 'corp-not-implemented', 0],
    ['cross-origin-resource-policy', 'corp-header-invalid', -5],
    ['referrer-policy', 'referrer-policy-unsafe', -5],
  ];
  for (const [t, result, modifier] of cases) it(`${result} ${modifier}`, () => assert.equal((SCORE_TABLE[t] as Record<string, number>)[result], modifier));
  it('has no referrer-policy-no-referrer-when-downgrade result', () => assert.ok(!('referrer-policy-no-referrer-when-downgrade' in SCORE_TABLE['referrer-policy'])));
  it('a CORP of same-site earns its bonus in the score', () => {
    const base = { url: 'https://x.example/', status: 200, headers: { ...HELMET_DEFAULTS } };
    const sameSite = analyzeHeaders({ ...base, headers: { ...HELMET_DEFAULTS, 'cross-origin-resource-policy': 'same-site' } });
    const crossOrigin = analyzeHeaders({ ...base, headers: { ...HELMET_DEFAULTS, 'cross-origin-resource-policy': 'cross-origin' } });
    assert.equal(sameSite.tests['cross-origin-resource-policy'].result, 'corp-implemented-with-same-site');
    assert.equal(sameSite.score - crossOrigin.score, 10);
  });
  it('cookies count as protected by HSTS only when its max-age reaches six months', () => {
    const at = (hsts: string) =>
      analyzeHeaders({ url: 'https://x.example/', status: 200, headers: { 'strict-transport-security': hsts, 'set-cookie': 'theme=dark; SameSite=Lax' } }).tests.cookies.result;
    assert.equal(at('max-age=15768000'), 'cookies-without-secure-flag-but-protected-by-hsts');
    assert.equal(at('max-age=86400'), 'cookies-without-secure-flag');
  });
  it('a preloaded host protects cookies', () => {
    const a = analyzeHeaders({ url: 'https://x.example/', status: 200, hstsPreloaded: true, headers: { 'set-cookie': 'theme=dark; SameSite=Lax' } });
    assert.equal(a.tests.cookies.result, 'cookies-without-secure-flag-but-protected-by-hsts');
  });
});

describe('evaluateGate', () => {
  const weak = analyzeHeaders({ url: 'https://x.example/', status: 200, headers: { 'content-security-policy': "default-src * 'unsafe-inline' 'unsafe-eval'", 'strict-transport-security': 'max-age=31536000; includeSubDomains' } });
  const now = new Date('2026-06-01T12:00:00Z');

  it('fails the grade and names the penalties', () => {
    const items = evaluateGate([{ label: '/', analysis: weak }], { minGrade: 'B', now });
    const grade = items.find((i) => i.code === 'GRADE_BELOW_MINIMUM');
    assert.equal(grade?.passed, false);
    assert.match(grade?.message ?? '', /csp-implemented-with-unsafe-inline \(-20\)/);
    assert.match(grade?.message ?? '', /x-frame-options-not-implemented/);
  });

  it('an active waiver passes the finding and neutralises a test penalty', () => {
    const items = evaluateGate([{ label: '/', analysis: weak }], {
      minGrade: 'A',
      now,
      waivers: [
        { rule: 'x-frame-options', until: '2026-06-01', reason: 'legacy embed, removal planned' },
        { rule: 'CSP_SCRIPT_UNSAFE_EVAL', until: '2026-12-31', reason: 'vendor widget' },
      ],
    });
    assert.equal(items.find((i) => i.code === 'CSP_SCRIPT_UNSAFE_EVAL')?.passed, true);
    assert.equal(items.find((i) => i.code === 'CLICKJACKING_UNPROTECTED')?.passed, true);
    const grade = items.find((i) => i.code === 'GRADE_BELOW_MINIMUM');
    assert.equal(grade?.actual, 'B (75)');
    assert.match(grade?.message ?? '', /Observatory score 55 C; waived: x-frame-options/);
  });

  it('an expired waiver fails naming it and stops waiving', () => {
    const items = evaluateGate([{ label: '/', analysis: weak }], { minGrade: 'F', now, waivers: [{ rule: 'CSP_SCRIPT_UNSAFE_EVAL', until: '2026-05-31', reason: 'vendor widget' }] });
    const expired = items.find((i) => i.code === 'WAIVER_EXPIRED');
    assert.equal(expired?.passed, false);
    assert.match(expired?.message ?? '', /CSP_SCRIPT_UNSAFE_EVAL.*expired on 2026-05-31.*vendor widget/);
    assert.equal(items.find((i) => i.code === 'CSP_SCRIPT_UNSAFE_EVAL')?.passed, false);
  });

  it('a waiver that matches nothing is a warning', () => {
    const items = evaluateGate([{ label: '/', analysis: weak }], { minGrade: 'F', now, waivers: [{ rule: 'CSP_UNSAFE_INLNE', until: '2027-01-01', reason: 'typo' }] });
    const unused = items.find((i) => i.code === 'WAIVER_UNUSED');
    assert.equal(unused?.passed, false);
    assert.equal(unused?.severity, 'warn');
    assert.match(unused?.message ?? '', /CSP_UNSAFE_INLNE/);
    const noPenalty = evaluateGate([{ label: '/', analysis: weak }], { minGrade: 'F', now, waivers: [{ rule: 'referrer-policy', until: '2027-01-01', reason: 'r' }] });
    assert.equal(noPenalty.find((i) => i.code === 'WAIVER_UNUSED')?.name, 'waiver-referrer-policy');
    const used = evaluateGate([{ label: '/', analysis: weak }], { minGrade: 'F', now, waivers: [{ rule: 'x-frame-options', until: '2027-01-01', reason: 'r' }] });
    assert.equal(used.find((i) => i.code === 'WAIVER_UNUSED'), undefined);
  });

  it('waivers hold through their last day (UTC)', () => {
    assert.equal(waiverExpired({ rule: 'X', until: '2026-06-01', reason: 'r' }, new Date('2026-06-01T23:59:59Z')), false);
    assert.equal(waiverExpired({ rule: 'X', until: '2026-06-01', reason: 'r' }, new Date('2026-06-02T00:00:00Z')), true);
  });

  it('a waiver scoped to a path does not waive others', () => {
    const items = evaluateGate(
      [
        { label: '/', analysis: weak },
        { label: '404', analysis: weak },
      ],
      { minGrade: 'F', now, waivers: [{ rule: 'CSP_SCRIPT_UNSAFE_EVAL', until: '2027-01-01', reason: 'r', path: '404' }] },
    );
    const evals = items.filter((i) => i.code === 'CSP_SCRIPT_UNSAFE_EVAL');
    assert.deepEqual(
      evals.map((i) => [i.name, i.passed]),
      [
        ['csp-script-unsafe-eval@/', false],
        ['csp-script-unsafe-eval@404', true],
      ],
    );
  });

  it('per-test requirements', () => {
    const items = evaluateGate([{ label: '/', analysis: weak }], {
      minGrade: 'F',
      now,
      requirements: { 'content-security-policy': ['csp-implemented-with-no-unsafe', 'csp-implemented-with-no-unsafe-default-src-none'], 'strict-transport-security': 'pass' },
    });
    const req = items.filter((i) => i.code === 'TEST_REQUIREMENT_NOT_MET');
    assert.deepEqual(
      req.map((i) => [i.name, i.passed]),
      [
        ['require-content-security-policy@/', false],
        ['require-strict-transport-security@/', true],
      ],
    );
  });

  it('severity overrides and off', () => {
    const items = evaluateGate([{ label: '/', analysis: weak }], { minGrade: 'F', now, severities: { CSP_SCRIPT_UNSAFE_EVAL: 'warn', CLICKJACKING_UNPROTECTED: 'off' } });
    assert.equal(items.find((i) => i.code === 'CSP_SCRIPT_UNSAFE_EVAL')?.severity, 'warn');
    assert.equal(items.find((i) => i.code === 'CLICKJACKING_UNPROTECTED'), undefined);
  });

  it('analyzeResponses reports the worst grade', () => {
    const m = analyzeResponses([
      { url: 'https://x.example/', status: 200, headers: HELMET_DEFAULTS },
      { url: 'https://x.example/missing', status: 404, headers: {} },
    ]);
    assert.equal(m.analyses.length, 2);
    assert.equal(m.worstGrade, m.analyses[1]?.grade);
    assert.ok(m.findings.some((f) => f.url === 'https://x.example/missing' && f.code === 'CSP_MISSING'));
  });
});

describe('analyzeHeaders input', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['relative url', { url: '/x', status: 200, headers: {} }, /not an absolute URL/],
    ['status out of range', { url: 'https://a.example/', status: 42, headers: {} }, /not an HTTP status code/],
    ['headers missing', { url: 'https://a.example/', status: 200 }, /headers must be an object/],
    ['not an object', null, /expected \{ url, status, headers, body\? \}/],
  ];
  for (const [name, input, message] of bad) {
    it(`rejects ${name} with a clear TypeError`, () => {
      assert.throws(() => analyzeHeaders(input as Parameters<typeof analyzeHeaders>[0]), (e: unknown) => e instanceof TypeError && message.test(e.message));
    });
  }
  it('accepts a Uint8Array body and mixed-case header names', () => {
    const a = analyzeHeaders({
      url: 'https://a.example/',
      status: 200,
      headers: { 'Content-Type': 'text/html' },
      body: new TextEncoder().encode('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; form-action \'self\'">'),
    });
    assert.equal(a.tests['content-security-policy'].result, 'csp-implemented-with-no-unsafe-default-src-none');
  });
});
