import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeCoep, analyzeCoop, analyzeCorp, analyzeExtras, analyzeHsts, analyzeReferrerPolicy, analyzeXcto, analyzeXfo, parseHsts } from '../../src/analysers/headers.ts';

const HTTPS = { https: true, httpsApplicable: true, preloaded: false, minMaxAgeSeconds: 31_536_000 };

describe('HSTS', () => {
  const cases: Array<{ value?: string; ctx?: Partial<typeof HTTPS>; result: string; codes: string[] }> = [
    { value: 'max-age=63072000; includeSubDomains; preload', result: 'hsts-implemented-max-age-at-least-six-months', codes: [] },
    { value: 'max-age=31536000; includeSubDomains', result: 'hsts-implemented-max-age-at-least-six-months', codes: [] },
    { value: 'max-age=15768000; includeSubDomains', result: 'hsts-implemented-max-age-at-least-six-months', codes: ['HSTS_MAX_AGE_TOO_SHORT'] },
    { value: 'max-age=15551999; includeSubDomains', result: 'hsts-implemented-max-age-less-than-six-months', codes: ['HSTS_MAX_AGE_TOO_SHORT'] },
    // The Observatory's scanner takes 180 days (15552000) as six months.
    { value: 'max-age=15552000; includeSubDomains', result: 'hsts-implemented-max-age-at-least-six-months', codes: ['HSTS_MAX_AGE_TOO_SHORT'] },
    { value: 'max-age=31536000, max-age=31536000', result: 'hsts-header-invalid', codes: ['HSTS_INVALID'] },
    { value: 'max-age=31536000', result: 'hsts-implemented-max-age-at-least-six-months', codes: ['HSTS_NO_INCLUDE_SUBDOMAINS'] },
    { value: 'max-age=31536000; preload', result: 'hsts-implemented-max-age-at-least-six-months', codes: ['HSTS_NO_INCLUDE_SUBDOMAINS', 'HSTS_PRELOAD_NOT_READY'] },
    { value: 'max-age=86400; includeSubDomains; preload', result: 'hsts-implemented-max-age-less-than-six-months', codes: ['HSTS_MAX_AGE_TOO_SHORT', 'HSTS_PRELOAD_NOT_READY'] },
    { value: 'max-age="31536000"; includeSubDomains', result: 'hsts-implemented-max-age-at-least-six-months', codes: [] },
    { value: 'includeSubDomains', result: 'hsts-header-invalid', codes: ['HSTS_INVALID'] },
    { value: 'max-age=abc', result: 'hsts-header-invalid', codes: ['HSTS_INVALID'] },
    { value: 'max-age=1; max-age=2', result: 'hsts-header-invalid', codes: ['HSTS_INVALID'] },
    { result: 'hsts-not-implemented', codes: ['HSTS_MISSING'] },
    { value: 'max-age=31536000; includeSubDomains', ctx: { minMaxAgeSeconds: 63_072_000 }, result: 'hsts-implemented-max-age-at-least-six-months', codes: ['HSTS_MAX_AGE_TOO_SHORT'] },
    { ctx: { preloaded: true }, result: 'hsts-preloaded', codes: [] },
    { value: 'max-age=31536000', ctx: { https: false, httpsApplicable: false }, result: 'not-applicable', codes: [] },
    { ctx: { https: false, httpsApplicable: true }, result: 'hsts-not-implemented-no-https', codes: ['NO_HTTPS'] },
  ];
  for (const c of cases) {
    it(`${c.value ?? '(absent)'} ${JSON.stringify(c.ctx ?? {})} → ${c.result}`, () => {
      const r = analyzeHsts(c.value === undefined ? {} : { 'Strict-Transport-Security': c.value }, { ...HTTPS, ...c.ctx });
      assert.equal(r.result, c.result);
      assert.deepEqual(r.findings.map((f) => f.code).sort(), [...c.codes].sort());
    });
  }
  it('uses only the first of several headers and says so', () => {
    const r = analyzeHsts({ 'strict-transport-security': ['max-age=31536000; includeSubDomains', 'max-age=0'] }, HTTPS);
    assert.equal(r.result, 'hsts-implemented-max-age-at-least-six-months');
    assert.deepEqual(r.findings.map((f) => f.code), ['HSTS_MULTIPLE']);
  });
  it('parses directives case-insensitively', () => {
    assert.deepEqual(parseHsts('Max-Age=10; INCLUDESUBDOMAINS; Preload'), { maxAge: 10, includeSubDomains: true, preload: true });
  });
});

describe('X-Content-Type-Options', () => {
  const cases: Array<[string | undefined, string, string[]]> = [
    ['nosniff', 'x-content-type-options-nosniff', []],
    [' NoSniff ', 'x-content-type-options-nosniff', []],
    ['sniff', 'x-content-type-options-header-invalid', ['XCTO_INVALID']],
    [undefined, 'x-content-type-options-not-implemented', ['XCTO_MISSING']],
  ];
  for (const [v, result, codes] of cases) {
    it(`${v} → ${result}`, () => {
      const r = analyzeXcto(v === undefined ? {} : { 'x-content-type-options': v });
      assert.equal(r.result, result);
      assert.deepEqual(r.findings.map((f) => f.code), codes);
    });
  }
});

describe('X-Frame-Options vs frame-ancestors', () => {
  const cases: Array<[string | undefined, boolean, string, string[]]> = [
    ['DENY', false, 'x-frame-options-sameorigin-or-deny', []],
    ['sameorigin', false, 'x-frame-options-sameorigin-or-deny', []],
    ['ALLOW-FROM https://a.example', false, 'x-frame-options-allow-from-origin', ['XFO_ALLOW_FROM_UNSUPPORTED']],
    ['ALLOWALL', false, 'x-frame-options-header-invalid', ['XFO_INVALID']],
    [undefined, false, 'x-frame-options-not-implemented', ['CLICKJACKING_UNPROTECTED']],
    [undefined, true, 'x-frame-options-implemented-via-csp', []],
    ['DENY', true, 'x-frame-options-implemented-via-csp', []],
    ['nonsense', true, 'x-frame-options-implemented-via-csp', ['XFO_INVALID']],
  ];
  for (const [v, fa, result, codes] of cases) {
    it(`${v ?? '(absent)'}${fa ? ' + frame-ancestors' : ''} → ${result}`, () => {
      const r = analyzeXfo(v === undefined ? {} : { 'X-Frame-Options': v }, fa);
      assert.equal(r.result, result);
      assert.deepEqual(r.findings.map((f) => f.code), codes);
    });
  }
  const conflicts: Array<[string, string[], boolean]> = [
    ['DENY', ["'self'"], true],
    ['DENY', ["'none'"], false],
    ['SAMEORIGIN', ["'none'"], true],
    ['SAMEORIGIN', ["'self'"], false],
  ];
  for (const [xfo, fa, conflict] of conflicts) {
    it(`X-Frame-Options ${xfo} with frame-ancestors ${fa.join(' ')} ${conflict ? 'conflicts' : 'agrees'}`, () => {
      const codes = analyzeXfo({ 'x-frame-options': xfo }, true, fa).findings.map((f) => f.code);
      assert.deepEqual(codes, conflict ? ['XFO_FRAME_ANCESTORS_CONFLICT'] : []);
    });
  }
  it('a missing XFO without frame-ancestors is an error', () => {
    assert.equal(analyzeXfo({}, false).findings[0]?.severity, 'error');
  });
});

describe('Referrer-Policy', () => {
  const cases: Array<[string | undefined, string | undefined, string, string[]]> = [
    ['no-referrer', undefined, 'referrer-policy-private', []],
    ['same-origin', undefined, 'referrer-policy-private', []],
    ['strict-origin', undefined, 'referrer-policy-private', []],
    ['strict-origin-when-cross-origin', undefined, 'referrer-policy-private', []],
    ['no-referrer-when-downgrade', undefined, 'referrer-policy-unsafe', ['REFERRER_POLICY_UNSAFE']],
    ['origin', undefined, 'referrer-policy-unsafe', ['REFERRER_POLICY_UNSAFE']],
    ['origin-when-cross-origin', undefined, 'referrer-policy-unsafe', ['REFERRER_POLICY_UNSAFE']],
    ['unsafe-url', undefined, 'referrer-policy-unsafe', ['REFERRER_POLICY_UNSAFE']],
    ['unsafe-url, no-referrer', undefined, 'referrer-policy-private', []],
    ['no-referrer, bogus', undefined, 'referrer-policy-private', []],
    ['bogus', undefined, 'referrer-policy-header-invalid', ['REFERRER_POLICY_INVALID']],
    [undefined, undefined, 'referrer-policy-not-implemented', []],
    [undefined, 'no-referrer', 'referrer-policy-private', []],
    ['NO-REFERRER, Unsafe-URL', undefined, 'referrer-policy-unsafe', ['REFERRER_POLICY_UNSAFE']],
    ['no-referrer, no-referrer-when-downgrade', undefined, 'referrer-policy-unsafe', ['REFERRER_POLICY_UNSAFE']],
    ['no-referrer-when-downgrade, strict-origin-when-cross-origin', undefined, 'referrer-policy-private', []],
    ['unsafe-url, bogus', undefined, 'referrer-policy-unsafe', ['REFERRER_POLICY_UNSAFE']],
    // The meta tag comes after the header, so its policy is the last one.
    ['no-referrer', 'unsafe-url', 'referrer-policy-unsafe', ['REFERRER_POLICY_UNSAFE']],
    ['unsafe-url', 'same-origin', 'referrer-policy-private', []],
    ['no-referrer', 'bogus', 'referrer-policy-private', []],
  ];
  for (const [header, meta, result, codes] of cases) {
    it(`${header ?? '(absent)'} / meta ${meta ?? '(absent)'} → ${result}`, () => {
      const r = analyzeReferrerPolicy(header === undefined ? {} : { 'referrer-policy': header }, meta);
      assert.equal(r.result, result);
      assert.deepEqual(r.findings.map((f) => f.code), codes);
    });
  }
});

describe('Cross-Origin-Resource-Policy', () => {
  const cases: Array<[string | undefined, string]> = [
    ['same-origin', 'corp-implemented-with-same-origin'],
    [' Same-Site ', 'corp-implemented-with-same-site'],
    ['cross-origin', 'corp-implemented-with-cross-origin'],
    ['everyone', 'corp-header-invalid'],
    ['same-origin, same-site', 'corp-header-invalid'],
    [undefined, 'corp-not-implemented'],
  ];
  for (const [v, result] of cases) {
    it(`${v} → ${result}`, () => assert.equal(analyzeCorp(v === undefined ? {} : { 'cross-origin-resource-policy': v }).result, result));
  }
});

describe("golive's extra rules", () => {
  const cases: Array<[Record<string, string>, boolean, string[]]> = [
    [{}, true, ['COOP_MISSING', 'PERMISSIONS_POLICY_MISSING']],
    [{}, false, []],
    [{ 'cross-origin-opener-policy': 'same-origin', 'permissions-policy': 'camera=(), geolocation=(self "https://a.example")' }, true, []],
    [{ 'cross-origin-opener-policy': 'isolate', 'permissions-policy': 'camera=()' }, true, ['COOP_INVALID']],
    [{ 'cross-origin-embedder-policy': 'require-corp' }, false, []],
    [{ 'cross-origin-embedder-policy': 'require' }, false, ['COEP_INVALID']],
    [{ 'permissions-policy': "camera 'none'" }, false, ['PERMISSIONS_POLICY_INVALID']],
    [{ server: 'nginx/1.22.1' }, false, ['SERVER_VERSION_LEAK']],
    [{ server: 'nginx' }, false, []],
    [{ 'x-powered-by': 'Express' }, false, ['X_POWERED_BY_LEAK']],
    [{ 'x-powered-by': 'PHP/8.1.2' }, false, ['X_POWERED_BY_LEAK']],
    [{ 'x-aspnet-version': '4.0.30319' }, false, ['X_POWERED_BY_LEAK']],
  ];
  for (const [headers, html, codes] of cases) {
    it(`${JSON.stringify(headers)}${html ? ' (html)' : ''} → ${codes.join(', ') || 'nothing'}`, () => {
      const found = [...analyzeCoop(headers, html).findings, ...analyzeCoep(headers).findings, ...analyzeExtras(headers, html)];
      assert.deepEqual(found.map((f) => f.code), codes);
      for (const f of found) assert.equal(f.severity, 'warn');
    });
  }
});
