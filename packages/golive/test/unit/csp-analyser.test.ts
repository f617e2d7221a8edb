import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeCsp, cspNonces, staticNonceFinding } from '../../src/analysers/csp.ts';

interface Case {
  name: string;
  header?: string[];
  reportOnly?: string[];
  meta?: string[];
  https?: boolean;
  result: string;
  codes?: string[];
  notCodes?: string[];
}

const STRICT = "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const NONCE = "'nonce-r4nd0mR4nd0mR4nd0m12'";

const cases: Case[] = [
  { name: 'no policy at all', result: 'csp-not-implemented', codes: ['CSP_MISSING'] },
  { name: 'report-only alone', reportOnly: ["default-src 'self'"], result: 'csp-not-implemented-but-reporting-enabled', codes: ['CSP_REPORT_ONLY_ALONE'], notCodes: ['CSP_MISSING'] },
  { name: 'empty header is invalid', header: [''], result: 'csp-header-invalid', codes: ['CSP_INVALID'] },
  {
    name: "the seed's weak policy default-src * 'unsafe-inline' 'unsafe-eval'",
    header: ["default-src * 'unsafe-inline' 'unsafe-eval'"],
    result: 'csp-implemented-with-unsafe-inline',
    codes: ['CSP_SCRIPT_UNSAFE_INLINE', 'CSP_SCRIPT_UNSAFE_EVAL', 'CSP_SCRIPT_BROAD_SOURCE', 'CSP_OBJECT_SRC_UNRESTRICTED'],
  },
  { name: 'strict self policy', header: [STRICT], result: 'csp-implemented-with-no-unsafe', notCodes: ['CSP_BASE_URI_MISSING', 'CSP_FORM_ACTION_MISSING', 'CSP_SCRIPT_UNSAFE_INLINE'] },
  { name: "default-src 'none' alone: form-action unrestricted", header: ["default-src 'none'"], result: 'csp-implemented-with-no-unsafe-default-src-none', codes: ['CSP_BASE_URI_MISSING', 'CSP_FORM_ACTION_MISSING'] },
  { name: "default-src 'none' with form-action 'none'", header: ["default-src 'none'; form-action 'none'"], result: 'csp-implemented-with-no-unsafe-default-src-none', codes: ['CSP_BASE_URI_MISSING'], notCodes: ['CSP_FORM_ACTION_MISSING'] },
  { name: "default-src 'none' with form-action 'self'", header: ["default-src 'none'; form-action 'self'"], result: 'csp-implemented-with-no-unsafe-default-src-none' },
  { name: "default-src 'none' with form-action to a host", header: ["default-src 'none'; form-action https://forms.example.com"], result: 'csp-implemented-with-no-unsafe-default-src-none' },
  { name: "default-src 'none' with form-action 'self' and a host", header: ["default-src 'none'; form-action 'self' https://forms.example.com"], result: 'csp-implemented-with-no-unsafe-default-src-none' },
  { name: "default-src 'none' plus a source is not none", header: ["default-src 'none' 'self'"], result: 'csp-implemented-with-no-unsafe' },
  { name: 'no script-src nor default-src', header: ["img-src 'self'"], result: 'csp-implemented-with-unsafe-inline', codes: ['CSP_SCRIPT_UNRESTRICTED', 'CSP_OBJECT_SRC_UNRESTRICTED'] },
  { name: "script-src 'unsafe-inline'", header: ["default-src 'self'; script-src 'self' 'unsafe-inline'"], result: 'csp-implemented-with-unsafe-inline', codes: ['CSP_SCRIPT_UNSAFE_INLINE'] },
  { name: "a nonce cancels 'unsafe-inline'", header: [`default-src 'self'; script-src 'unsafe-inline' ${NONCE}`], result: 'csp-implemented-with-no-unsafe', notCodes: ['CSP_SCRIPT_UNSAFE_INLINE'] },
  { name: "a hash cancels 'unsafe-inline'", header: ["default-src 'self'; script-src 'unsafe-inline' 'sha256-B2yPHKaXnvFWtRChIbabYmUBFZdVfKKXHbWtWidDVF8='"], result: 'csp-implemented-with-no-unsafe' },
  { name: 'data: in script-src', header: ["default-src 'self'; script-src 'self' data:"], result: 'csp-implemented-with-unsafe-inline', codes: ['CSP_SCRIPT_DATA_SOURCE'] },
  { name: 'https: in script-src is broad', header: ["default-src 'self'; script-src https:"], result: 'csp-implemented-with-unsafe-inline', codes: ['CSP_SCRIPT_BROAD_SOURCE'] },
  { name: '* in script-src is broad', header: ["default-src 'self'; script-src *"], result: 'csp-implemented-with-unsafe-inline', codes: ['CSP_SCRIPT_BROAD_SOURCE'] },
  {
    name: "'strict-dynamic' with a nonce ignores https: and 'unsafe-inline'",
    header: [`default-src 'self'; script-src 'strict-dynamic' ${NONCE} 'unsafe-inline' https:`],
    result: 'csp-implemented-with-no-unsafe',
    notCodes: ['CSP_SCRIPT_BROAD_SOURCE', 'CSP_SCRIPT_UNSAFE_INLINE'],
  },
  { name: "'strict-dynamic' without nonce or hash", header: ["default-src 'self'; script-src 'strict-dynamic' https:"], result: 'csp-header-invalid', codes: ['CSP_STRICT_DYNAMIC_WITHOUT_NONCE', 'CSP_SCRIPT_BROAD_SOURCE'] },
  { name: "'strict-dynamic' alone in default-src", header: ["default-src 'strict-dynamic'"], result: 'csp-header-invalid', codes: ['CSP_STRICT_DYNAMIC_WITHOUT_NONCE'] },
  { name: "'unsafe-eval' in script-src", header: ["default-src 'self'; script-src 'self' 'unsafe-eval'"], result: 'csp-implemented-with-unsafe-eval', codes: ['CSP_SCRIPT_UNSAFE_EVAL'] },
  { name: "'unsafe-inline' in style-src only", header: [`${STRICT}; style-src 'self' 'unsafe-inline'`], result: 'csp-implemented-with-unsafe-inline-in-style-src-only', codes: ['CSP_STYLE_UNSAFE_INLINE'] },
  { name: 'object-src * with a strict script-src', header: ["script-src 'self'; object-src *"], result: 'csp-implemented-with-unsafe-inline', codes: ['CSP_OBJECT_SRC_UNRESTRICTED'] },
  { name: 'object-src falls back to default-src', header: ["default-src 'self'"], result: 'csp-implemented-with-no-unsafe', notCodes: ['CSP_OBJECT_SRC_UNRESTRICTED'] },
  { name: 'http: script source on an https page', header: ["default-src 'self'; script-src 'self' http://cdn.example"], https: true, result: 'csp-implemented-with-insecure-scheme', codes: ['CSP_INSECURE_SCHEME'] },
  { name: 'the same on an http page is not judged', header: ["default-src 'self'; script-src 'self' http://cdn.example"], https: false, result: 'csp-implemented-with-no-unsafe', notCodes: ['CSP_INSECURE_SCHEME'] },
  { name: 'http: image source on an https page', header: ["default-src 'self'; img-src 'self' http://img.example"], https: true, result: 'csp-implemented-with-insecure-scheme-in-passive-content-only', codes: ['CSP_INSECURE_SCHEME_PASSIVE'] },
  // Browsers use the first occurrence of a repeated directive; the Observatory rejects the policy.
  { name: 'duplicate directive: the first wins, the score calls it invalid', header: ["default-src 'self'; script-src 'self'; script-src 'unsafe-inline'"], result: 'csp-header-invalid', codes: ['CSP_DUPLICATE_DIRECTIVE'], notCodes: ['CSP_SCRIPT_UNSAFE_INLINE'] },
  { name: 'duplicate directive: a bad first occurrence stays', header: ["default-src 'self'; script-src *; script-src 'self'"], result: 'csp-header-invalid', codes: ['CSP_DUPLICATE_DIRECTIVE', 'CSP_SCRIPT_BROAD_SOURCE'] },
  { name: 'duplicate directive in a meta policy', meta: ["default-src 'self'; img-src 'self'; img-src *"], result: 'csp-header-invalid', codes: ['CSP_DUPLICATE_DIRECTIVE'] },
  { name: 'the same directive in two policies is no duplicate', header: ["default-src 'self'", "default-src 'self'; object-src 'none'"], result: 'csp-implemented-with-no-unsafe', notCodes: ['CSP_DUPLICATE_DIRECTIVE'] },
  { name: 'duplicate report-uri on a passing policy', header: [`${STRICT}; report-uri /a; report-uri /b`], result: 'csp-implemented-but-duplicate-directives', codes: ['CSP_DUPLICATE_DIRECTIVE'] },
  { name: 'duplicate report-to on a failing policy keeps the failure', header: ["default-src 'self'; script-src 'unsafe-inline'; report-to a; report-to b"], result: 'csp-implemented-with-unsafe-inline' },
  { name: 'duplicates in a report-only policy do not count', header: [STRICT], reportOnly: ["default-src 'self'; default-src *"], result: 'csp-implemented-with-no-unsafe', codes: ['CSP_DUPLICATE_DIRECTIVE'] },
  {
    name: 'two policies: a risk counts only if every policy allows it',
    header: ["default-src * 'unsafe-inline'", "script-src 'self'; object-src 'none'"],
    result: 'csp-implemented-with-unsafe-inline-in-style-src-only',
    notCodes: ['CSP_SCRIPT_UNSAFE_INLINE', 'CSP_SCRIPT_BROAD_SOURCE', 'CSP_OBJECT_SRC_UNRESTRICTED'],
  },
  { name: 'two policies in one header (comma)', header: ["default-src *, default-src 'self'"], result: 'csp-implemented-with-no-unsafe-default-src-none', notCodes: ['CSP_SCRIPT_BROAD_SOURCE'] },
  { name: 'two policies both unsafe', header: ["default-src 'self' 'unsafe-inline'", "script-src 'unsafe-inline' 'self'"], result: 'csp-implemented-with-unsafe-inline-in-style-src-only', codes: ['CSP_SCRIPT_UNSAFE_INLINE'] },
  { name: 'a meta policy alone is enforced', meta: [STRICT], result: 'csp-implemented-with-no-unsafe', notCodes: ['CSP_MISSING'] },
  { name: 'a meta policy restricts a weak header', header: ["default-src *"], meta: ["default-src 'self'; object-src 'none'"], result: 'csp-implemented-with-no-unsafe-default-src-none' },
  { name: 'frame-ancestors in meta is ignored and flagged', meta: ["default-src 'self'; frame-ancestors 'none'"], result: 'csp-implemented-with-no-unsafe', codes: ['CSP_META_FRAME_ANCESTORS_IGNORED'] },
  { name: 'a short nonce is flagged', header: ["default-src 'self'; script-src 'nonce-abc'"], result: 'csp-implemented-with-no-unsafe', codes: ['CSP_NONCE_TOO_SHORT'] },
  { name: 'unknown directive', header: ["default-src 'self'; scirpt-src *"], result: 'csp-implemented-with-no-unsafe', codes: ['CSP_UNKNOWN_DIRECTIVE'] },
  { name: 'base-uri * is not restricted', header: ["default-src 'self'; base-uri *; form-action 'self'"], result: 'csp-implemented-with-no-unsafe', codes: ['CSP_BASE_URI_MISSING'], notCodes: ['CSP_FORM_ACTION_MISSING'] },
];

describe('analyzeCsp', () => {
  for (const c of cases) {
    it(c.name, () => {
      const a = analyzeCsp(c.header ?? [], c.reportOnly ?? [], c.meta ?? [], c.https ?? true);
      assert.equal(a.result, c.result);
      const codes = a.findings.map((f) => f.code);
      for (const code of c.codes ?? []) assert.ok(codes.includes(code), `expected ${code} in ${codes.join(', ')}`);
      for (const code of c.notCodes ?? []) assert.ok(!codes.includes(code), `did not expect ${code} in ${codes.join(', ')}`);
    });
  }

  it('frame-ancestors from a header counts against clickjacking, a broad one does not', () => {
    assert.equal(analyzeCsp(["default-src 'self'; frame-ancestors 'self'"], [], [], true).summary.policy?.antiClickjacking, true);
    assert.equal(analyzeCsp(["default-src 'self'; frame-ancestors *"], [], [], true).summary.policy?.antiClickjacking, false);
    assert.equal(analyzeCsp([], [], ["default-src 'self'; frame-ancestors 'none'"], true).summary.policy?.antiClickjacking, false);
  });

  it('the seed weak policy findings are all error severity', () => {
    const a = analyzeCsp(["default-src * 'unsafe-inline' 'unsafe-eval'"], [], [], true);
    for (const code of ['CSP_SCRIPT_UNSAFE_INLINE', 'CSP_SCRIPT_UNSAFE_EVAL', 'CSP_SCRIPT_BROAD_SOURCE']) {
      assert.equal(a.findings.find((f) => f.code === code)?.severity, 'error');
    }
  });
});

describe('static nonces', () => {
  it('extracts nonce values', () => {
    assert.deepEqual(cspNonces(["script-src 'nonce-AAA' 'self'; style-src 'NONCE-bbb'"]), ['AAA', 'bbb']);
  });
  it('flags a nonce repeated across two answers, not fresh ones', () => {
    const a = "script-src 'nonce-r4nd0mR4nd0mR4nd0m12' 'strict-dynamic'";
    assert.equal(staticNonceFinding([a], [a])?.code, 'CSP_NONCE_REUSED');
    assert.equal(staticNonceFinding([a], ["script-src 'nonce-0therR4nd0mR4nd0m1234' 'strict-dynamic'"]), undefined);
    assert.equal(staticNonceFinding(["default-src 'self'"], ["default-src 'self'"]), undefined);
  });
});
