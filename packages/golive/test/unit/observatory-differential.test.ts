/**
 * golive against the HTTP Observatory itself. observatory-fixtures.json holds what the Observatory's own
 * analysers (the published npm package, run offline by test/fixtures/observatory/generate.mjs) answered for
 * every header set of the generated corpus; golive must give the same result, pass flag and parsed data for
 * each test, except the documented deliberate differences (docs/security-grades.md) and the rules the
 * Observatory changed after the published package (algorithm version 6, its repository's tests and issues),
 * which the tables below pin instead.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { analyzeHeaders } from '../../src/analysers/analyze.ts';
import { scoreCsp } from '../../src/analysers/csp-score.ts';
import { ALGORITHM_VERSION, OBSERVATORY_TESTS } from '../../src/analysers/scoring.ts';
import type { HeaderMap, SecurityAnalysis } from '../../src/analysers/types.ts';

type Recorded = { result: string; pass: boolean; [k: string]: unknown };
type Case = { id: string; url: string; headers: Record<string, string | string[]>; body?: string; cors?: { origin: string; headers: HeaderMap }; results: Record<string, Recorded> };
const fixture = JSON.parse(readFileSync(new URL('../fixtures/observatory/observatory-fixtures.json', import.meta.url), 'utf8')) as {
  package: string;
  version: string;
  algorithmVersion: number;
  baseline: Record<string, Recorded>;
  cases: Case[];
};
// A case records only the tests whose output differs from the baseline's: complete it.
for (const c of fixture.cases) c.results = { ...fixture.baseline, ...c.results };

function analyse(c: Case): SecurityAnalysis {
  return analyzeHeaders({ url: c.url, status: 200, headers: c.headers, body: c.body ?? '', ...(c.cors ? { cors: c.cors } : {}) });
}

const lines = (c: Case, name: string): string[] => [c.headers[name] ?? []].flat();

/**
 * Where golive and the published package may disagree, and why. `deliberate`: listed in
 * docs/security-grades.md under "Where golive differs, on purpose". `changed`: the Observatory's rule
 * changed after the published package; the current rule is pinned by the tables further down.
 */
const EXPLAINED: ReadonlyArray<{ test: string; kind: 'deliberate' | 'changed'; why: string; applies: (c: Case, a: SecurityAnalysis) => boolean }> = [
  {
    test: 'x-frame-options',
    kind: 'deliberate',
    why: 'framing protection via CSP needs a header frame-ancestors that is not broad (the Observatory credits any frame-ancestors, even * or one in <meta>)',
    applies: (c, a) => c.results['x-frame-options']?.result === 'x-frame-options-implemented-via-csp' && a.csp.policy?.antiClickjacking !== true,
  },
  {
    test: 'strict-transport-security',
    kind: 'deliberate',
    why: 'an HSTS header whose max-age has no number is invalid (browsers ignore it; the Observatory reads NaN as at least six months)',
    applies: (c) => lines(c, 'strict-transport-security').some((v) => /max-age=\s*(;|$)/i.test(v)),
  },
  {
    test: 'content-security-policy',
    kind: 'changed',
    why: 'commas separate policies inside one header since the Observatory split them (after 1.4.8); pinned below',
    applies: (c) => lines(c, 'content-security-policy').some((v) => v.includes(',')),
  },
];

function explanation(test: string, c: Case, a: SecurityAnalysis) {
  return EXPLAINED.find((e) => e.test === test && e.applies(c, a));
}

describe('differential: golive against the Observatory analysers', () => {
  it('the fixtures come from the published package and record its algorithm version', () => {
    assert.equal(fixture.package, '@mdn/mdn-http-observatory');
    assert.equal(fixture.version, '1.4.8');
    assert.equal(fixture.algorithmVersion, 4);
    assert.ok(fixture.cases.length > 800, `a generated corpus, not a handful (${fixture.cases.length})`);
    assert.equal(ALGORITHM_VERSION, 6);
  });

  it('every test result and pass flag agrees, except the explained differences', () => {
    const unexplained: string[] = [];
    const used = new Set<string>();
    let compared = 0;
    for (const c of fixture.cases) {
      const a = analyse(c);
      for (const [test, want] of Object.entries(c.results)) {
        assert.ok((OBSERVATORY_TESTS as readonly string[]).includes(test), test);
        compared++;
        const got = a.tests[test as (typeof OBSERVATORY_TESTS)[number]];
        if (got.result === want.result && got.pass === want.pass) continue;
        const e = explanation(test, c, a);
        if (e) used.add(e.why);
        else unexplained.push(`${c.id} ${test}: Observatory ${want.result} (pass ${want.pass}), golive ${got.result} (pass ${got.pass})`);
      }
    }
    assert.deepEqual(unexplained, []);
    assert.ok(compared > 8000, `${compared} comparisons`);
    // Every explanation is still needed (a fixed difference must leave the list).
    assert.deepEqual(EXPLAINED.map((e) => e.why).filter((w) => !used.has(w)), []);
  });

  it('the parsed data agrees: merged CSP, policy flags, numPolicies, HSTS, cookies, Referrer-Policy, SRI', () => {
    const diffs: string[] = [];
    for (const c of fixture.cases) {
      const a = analyse(c);
      const t = a.tests;
      const cmp = (what: string, got: unknown, want: unknown) => {
        if (JSON.stringify(got) !== JSON.stringify(want)) diffs.push(`${c.id} ${what}: Observatory ${JSON.stringify(want)}, golive ${JSON.stringify(got)}`);
      };
      const csp = c.results['content-security-policy'] as Recorded;
      if (csp.result !== 'csp-header-invalid' && !explanation('content-security-policy', c, a)) {
        const d = t['content-security-policy'].data;
        cmp('csp data', d.data, csp.data);
        cmp('csp policy', d.policy, csp.policy);
        cmp('csp numPolicies', d.numPolicies, csp.numPolicies);
        cmp('csp http/meta', [d.http, d.meta], [csp.http, csp.meta]);
      }
      const hsts = c.results['strict-transport-security'] as Recorded;
      if (hsts.result.startsWith('hsts-implemented') && !explanation('strict-transport-security', c, a)) {
        const d = t['strict-transport-security'].data;
        cmp('hsts', [d.maxAge, d.includeSubDomains, d.preload], [hsts.maxAge, hsts.includeSubDomains, hsts.preload]);
      }
      const ref = c.results['referrer-policy'] as Recorded;
      cmp('referrer', [t['referrer-policy'].data.data, t['referrer-policy'].data.http, t['referrer-policy'].data.meta], [ref.data, ref.http, ref.meta]);
      cmp('sri scripts', t['subresource-integrity'].data.data, (c.results['subresource-integrity'] as Recorded).data ?? {});
      const ck = c.results.cookies as Recorded;
      const cookies = t.cookies.data.data as Record<string, { secure: boolean; httponly: boolean; samesite: string | null }> | null;
      cmp('cookies', cookies && Object.fromEntries(Object.entries(cookies).map(([k, v]) => [k, { secure: v.secure, httponly: v.httponly, samesite: v.samesite }])), ck.data);
      cmp('cookies sameSite', t.cookies.data.sameSite, ck.sameSite);
      for (const n of ['x-frame-options', 'x-content-type-options', 'cross-origin-resource-policy', 'cross-origin-resource-sharing'] as const) cmp(`${n} data`, t[n].data.data, c.results[n]?.data);
    }
    assert.deepEqual(diffs, []);
  });
});

const page = 'https://www.example.org/';
const result = (headers: HeaderMap, test: (typeof OBSERVATORY_TESTS)[number]) => analyzeHeaders({ url: page, status: 200, headers, body: '' }).tests[test];

// Algorithm 6 (the repository's tests of its COOP and COEP analysers, issue #410, pull request #498).
describe('algorithm 6: Cross-Origin-Opener-Policy', () => {
  const table: Array<[string | string[] | undefined, string, number, boolean]> = [
    [undefined, 'coop-not-implemented', 0, true],
    ['same-origin', 'coop-implemented-with-same-origin', 10, true],
    ['same-origin-allow-popups', 'coop-implemented-with-same-origin-allow-popups', 10, true],
    ['noopener-allow-popups', 'coop-implemented-with-noopener-allow-popups', 10, true],
    ['unsafe-none', 'coop-implemented-with-unsafe-none', 0, true],
    ['same-origin; report-to="coop-endpoint"', 'coop-implemented-with-same-origin', 10, true],
    ['same-origin; report-to', 'coop-implemented-with-same-origin', 10, true],
    ['whimsy', 'coop-header-invalid', -5, false],
    ['"same-origin"', 'coop-header-invalid', -5, false],
    ['Same-Origin', 'coop-header-invalid', -5, false],
    ['same-origin; report-to=coop endpoint', 'coop-header-invalid', -5, false],
    [['same-origin', 'unsafe-none'], 'coop-header-invalid', -5, false],
  ];
  for (const [value, want, modifier, pass] of table) {
    it(`${JSON.stringify(value)} → ${want}`, () => {
      const r = result(value === undefined ? {} : { 'cross-origin-opener-policy': value }, 'cross-origin-opener-policy');
      assert.deepEqual([r.result, r.modifier, r.pass], [want, modifier, pass]);
    });
  }
});

describe('algorithm 6: Cross-Origin-Embedder-Policy', () => {
  const table: Array<[string | string[] | undefined, string, number, boolean]> = [
    [undefined, 'coep-not-implemented', 0, true],
    ['require-corp', 'coep-implemented-with-require-corp', 10, true],
    ['credentialless', 'coep-implemented-with-credentialless', 10, true],
    ['unsafe-none', 'coep-implemented-with-unsafe-none', 0, true],
    ['require-corp; report-to="coep-endpoint"', 'coep-implemented-with-require-corp', 10, true],
    ['credentialless; report-to="coep-endpoint"', 'coep-implemented-with-credentialless', 10, true],
    ['require-corp; report-to', 'coep-implemented-with-require-corp', 10, true],
    ['whimsy', 'coep-header-invalid', -5, false],
    ['"require-corp"', 'coep-header-invalid', -5, false],
    ['Require-Corp', 'coep-header-invalid', -5, false],
    ['REQUIRE-CORP', 'coep-header-invalid', -5, false],
    ['require-corp; report-to=coep endpoint', 'coep-header-invalid', -5, false],
    [['require-corp', 'unsafe-none'], 'coep-header-invalid', -5, false],
  ];
  for (const [value, want, modifier, pass] of table) {
    it(`${JSON.stringify(value)} → ${want}`, () => {
      const r = result(value === undefined ? {} : { 'cross-origin-embedder-policy': value }, 'cross-origin-embedder-policy');
      assert.deepEqual([r.result, r.modifier, r.pass], [want, modifier, pass]);
    });
  }
});

describe('algorithm 5 and 6: re-scored and stricter tests', () => {
  it('X-Frame-Options DENY / SAMEORIGIN earns +5 (pull request #332)', () => {
    for (const v of ['DENY', 'SAMEORIGIN', 'sameorigin']) assert.deepEqual([result({ 'x-frame-options': v }, 'x-frame-options').result, result({ 'x-frame-options': v }, 'x-frame-options').modifier], ['x-frame-options-sameorigin-or-deny', 5]);
    assert.equal(result({ 'x-frame-options': 'ALLOW-FROM https://a.example.net' }, 'x-frame-options').modifier, 0);
  });
  it('a repeated Cross-Origin-Resource-Policy header is invalid (issue #554)', () => {
    const r = result({ 'cross-origin-resource-policy': ['same-origin', 'same-origin'] }, 'cross-origin-resource-policy');
    assert.deepEqual([r.result, r.modifier, r.pass], ['corp-header-invalid', -5, false]);
    assert.equal(result({ 'cross-origin-resource-policy': ['same-site'] }, 'cross-origin-resource-policy').result, 'corp-implemented-with-same-site');
  });
  it('the scan counts twelve tests, with the algorithm version', () => {
    const a = analyzeHeaders({ url: page, status: 200, headers: { 'cross-origin-opener-policy': 'same-origin' }, body: '' });
    assert.equal(a.algorithmVersion, 6);
    assert.equal(a.testsQuantity, 12);
    assert.equal(a.testsPassed + a.testsFailed, 12);
    assert.equal(a.testsPassed, OBSERVATORY_TESTS.filter((t) => a.tests[t].pass).length);
  });
});

// The Observatory's current CSP rules that the published package predates (its csp.js and csp.test.js on main).
describe('current CSP rules: commas split policies inside one header', () => {
  const table: Array<[string, string, number]> = [
    ["default-src 'self',", 'csp-header-invalid', 2],
    ["default-src 'self', script-src 'self' 'unsafe-inline'", 'csp-implemented-with-no-unsafe', 2],
    ["default-src 'self' 'unsafe-inline', default-src 'unsafe-inline' https:", 'csp-implemented-with-unsafe-inline', 2],
    ["default-src 'none', default-src 'none'", 'csp-implemented-with-no-unsafe-default-src-none', 2],
  ];
  for (const [value, want, numPolicies] of table) {
    it(`${value} → ${want}`, () => {
      const s = scoreCsp([value], [], [], true);
      assert.equal(s.result, want);
      assert.equal(s.numPolicies, numPolicies);
      assert.equal(result({ 'content-security-policy': value }, 'content-security-policy').result, want);
    });
  }
  it('a directive only the second policy names allows nothing', () => {
    assert.deepEqual(scoreCsp(["default-src 'self'", "script-src 'unsafe-inline'"], [], [], true).data, { 'default-src': ["'self'"], 'script-src': ["'none'"] });
  });
});

// The rules where golive used to disagree with the Observatory, each pinned on its own (the corpus covers them too).
describe('rules golive now shares with the Observatory', () => {
  const html = (meta: string) => `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${meta}"></head></html>`;
  const cases: Array<[string, HeaderMap, string | undefined, string, string, boolean]> = [
    ['a value that is not a policy', { 'content-security-policy': 'defa' }, undefined, 'content-security-policy', 'csp-header-invalid', false],
    ['a meta policy with only frame-ancestors', {}, html("frame-ancestors 'none'"), 'content-security-policy', 'csp-not-implemented', false],
    ['an empty default-src is none', { 'content-security-policy': 'default-src' }, undefined, 'content-security-policy', 'csp-implemented-with-no-unsafe-default-src-none', true],
    ["default-src 'none' without form-action", { 'content-security-policy': "default-src 'none'" }, undefined, 'content-security-policy', 'csp-implemented-with-no-unsafe-default-src-none', true],
    ['a header policy and a meta policy merge', { 'content-security-policy': "default-src 'self'; object-src 'none'" }, html("script-src 'self' 'unsafe-inline'"), 'content-security-policy', 'csp-implemented-with-no-unsafe', true],
    ['HSTS set twice in one value', { 'strict-transport-security': 'max-age=31536000, max-age=31536000' }, undefined, 'strict-transport-security', 'hsts-header-invalid', false],
    ['passive insecure content passes', { 'content-security-policy': "default-src 'self'; img-src http:" }, undefined, 'content-security-policy', 'csp-implemented-with-insecure-scheme-in-passive-content-only', true],
    ['a protocol-relative script is insecure', { 'content-type': 'text/html' }, '<script src="//cdn.example.net/x.js"></script>', 'subresource-integrity', 'sri-not-implemented-and-external-scripts-not-loaded-securely', false],
    ['a script on the registrable domain is same-origin', { 'content-type': 'text/html' }, '<script src="https://static.example.org/x.js"></script>', 'subresource-integrity', 'sri-not-implemented-but-all-scripts-loaded-from-secure-origin', true],
    ['a same-origin script with integrity earns the bonus', { 'content-type': 'text/html' }, '<script src="/x.js" integrity="sha384-abc"></script>', 'subresource-integrity', 'sri-implemented-and-all-scripts-loaded-securely', true],
  ];
  for (const [name, headers, body, test, want, pass] of cases) {
    it(`${name}: ${want}`, () => {
      const r = analyzeHeaders({ url: page, status: 200, headers: { 'content-type': 'text/html', ...headers }, body: body ?? '' }).tests[test as (typeof OBSERVATORY_TESTS)[number]];
      assert.deepEqual([r.result, r.pass], [want, pass]);
    });
  }
});
