/**
 * The security-headers check against small servers on port 0: the seed's behaviour (CSP on /, report-only
 * alone is a warning), the analysis (grade, findings on error answers, CORS probe, a 429 path), waivers and
 * unreachable targets.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { securityHeadersCheck } from '../../src/checks/security-headers.ts';
import { HELMET_DEFAULTS } from '../fixtures/well-known-header-sets.ts';
import { refusedUrl, serverPool } from '../helpers/check-servers.ts';
import { codes, failed, runKind } from '../helpers/context.ts';

const { serve } = serverPool();
const run = (baseUrl: string, opts: Record<string, unknown> = {}) => runKind(securityHeadersCheck, baseUrl, opts);

const { 'strict-transport-security': _hsts, ...GOOD } = HELMET_DEFAULTS;
const page = (res: ServerResponse, status: number, headers: Record<string, string>, body = '<!doctype html><html><body>hi</body></html>') => {
  res.writeHead(status, { 'content-type': 'text/html', ...headers });
  res.end(body);
};

describe('security-headers check', () => {
  it('passes a well-configured service on every path and records the seed fields', async () => {
    const url = await serve((_req, res) => page(res, _req.url === '/' ? 200 : 404, GOOD));
    const out = await run(url);
    assert.equal(failed(out), false, JSON.stringify(out.observations.filter((o) => !o.passed), null, 1));
    assert.equal(out.data?.statusCode, 200);
    assert.equal(out.data?.cspPresent, true);
    assert.equal(out.data?.csp, GOOD['content-security-policy']);
    assert.equal(out.data?.cspReportOnly, null);
    assert.equal(out.data?.grade, 'A+');
    const tests = out.data?.tests as Record<string, { result: string; applicable: boolean }>;
    assert.equal(tests['strict-transport-security']?.applicable, false);
    assert.equal(tests['x-frame-options']?.result, 'x-frame-options-implemented-via-csp');
  });

  it("fails the seed's weak policy default-src * 'unsafe-inline' 'unsafe-eval'", async () => {
    const url = await serve((_req, res) => page(res, 200, { ...GOOD, 'content-security-policy': "default-src * 'unsafe-inline' 'unsafe-eval'" }));
    const out = await run(url);
    assert.equal(failed(out), true);
    const c = codes(out);
    for (const code of ['CSP_SCRIPT_UNSAFE_INLINE', 'CSP_SCRIPT_UNSAFE_EVAL', 'CSP_SCRIPT_BROAD_SOURCE', 'CSP_OBJECT_SRC_UNRESTRICTED']) assert.ok(c.includes(code), c.join(', '));
  });

  it('keeps the seed check with analysis off: the weak policy passes, a missing CSP fails', async () => {
    const weak = await serve((_req, res) => page(res, 200, { 'content-security-policy': "default-src * 'unsafe-inline' 'unsafe-eval'" }));
    const basic = await run(weak, { analysis: false });
    assert.equal(failed(basic), false);
    assert.equal(basic.data?.csp, "default-src * 'unsafe-inline' 'unsafe-eval'");
    assert.equal(basic.data?.grade, undefined);
    const none = await serve((_req, res) => page(res, 200, {}));
    const missing = await run(none, { analysis: false });
    assert.deepEqual(codes(missing), ['CSP_MISSING']);
    assert.equal(missing.data?.cspPresent, false);
  });

  it('report-only alone is a warning, not a failure', async () => {
    const { 'content-security-policy': csp = '', ...rest } = GOOD;
    const url = await serve((_req, res) => page(res, _req.url === '/' ? 200 : 404, { ...rest, 'content-security-policy-report-only': csp }));
    const out = await run(url, { minGrade: 'C' });
    assert.equal(failed(out), false, JSON.stringify(out.observations.filter((o) => !o.passed && o.severity !== 'warn'), null, 1));
    const ro = out.observations.find((o) => o.name === 'csp-enforced');
    assert.equal(ro?.passed, false);
    assert.equal(ro?.severity, 'warn');
    assert.equal(ro?.code, 'CSP_REPORT_ONLY_ALONE');
    assert.equal(out.data?.cspPresent, true);
    assert.equal(out.data?.csp, null);
    assert.equal(out.data?.cspReportOnly, csp);
    const strict = await run(url, { minGrade: 'C', reportOnlyAlone: 'error' });
    assert.equal(failed(strict), true);
  });

  it('error answers need the headers too: a bare 404 fails naming the path', async () => {
    const url = await serve((req, res) => (req.url === '/' ? page(res, 200, GOOD) : page(res, 404, {})));
    const out = await run(url);
    assert.equal(failed(out), true);
    const names = out.observations.filter((o) => !o.passed && (o.severity ?? 'error') === 'error').map((o) => o.name);
    assert.ok(names.includes('csp-missing@404'), names.join(', '));
    assert.ok(names.includes('grade@404'), names.join(', '));
    assert.ok(!names.some((n) => n.endsWith('@/')), names.join(', '));
    const off = await run(url, { notFoundProbe: false });
    assert.equal(failed(off), false);
  });

  it('analyses a rate-limited answer reached with a burst', async () => {
    let hits = 0;
    const url = await serve((req, res) => {
      if (req.url === '/v1/events') {
        hits++;
        if (hits > 3) return page(res, 429, { 'retry-after': '1' }, '{"error":"rate limited"}');
        return page(res, 200, GOOD, '{}');
      }
      page(res, req.url === '/' ? 200 : 404, GOOD);
    });
    const out = await run(url, { paths: [{ path: '/v1/events', label: '429', burst: 3, expectStatus: 429 }] });
    assert.equal(failed(out), true);
    const names = out.observations.filter((o) => !o.passed).map((o) => o.name);
    assert.ok(names.includes('csp-missing@429'), names.join(', '));
    assert.ok(!names.includes('status@429'), 'the path answered the expected 429');
    const paths = out.data?.paths as Array<{ label: string; statusCode: number }>;
    assert.equal(paths.find((p) => p.label === '429')?.statusCode, 429);
  });

  it('catches a reflected Origin with credentials on an API route', async () => {
    const url = await serve((req, res) => {
      const h: Record<string, string> = { ...GOOD };
      if (req.url === '/api/me' && req.headers.origin) {
        h['access-control-allow-origin'] = req.headers.origin;
        h['access-control-allow-credentials'] = 'true';
      }
      page(res, req.url === '/' || req.url === '/api/me' ? 200 : 404, h);
    });
    const out = await run(url, { paths: ['/api/me'] });
    assert.equal(failed(out), true);
    const hit = out.observations.find((o) => o.code === 'CORS_REFLECTED_ORIGIN_WITH_CREDENTIALS');
    assert.equal(hit?.name, 'cors-reflected-origin-with-credentials@/api/me');
    assert.match(hit?.message ?? '', /golive-cors-probe\.example/);
  });

  it('catches a reflected Origin that only the preflight shows', async () => {
    const url = await serve((req, res) => {
      if (req.method === 'OPTIONS' && req.headers.origin) {
        res.writeHead(204, { 'access-control-allow-origin': req.headers.origin, 'access-control-allow-credentials': 'true', 'access-control-allow-methods': 'POST' });
        res.end();
        return;
      }
      page(res, req.url === '/' || req.url === '/api/orders' ? 200 : 404, GOOD);
    });
    const out = await run(url, { paths: ['/api/orders'] });
    assert.ok(out.observations.some((o) => o.name === 'cors-reflected-origin-with-credentials@/api/orders' && !o.passed));
  });

  it('a waiver passes a finding until it expires, then fails naming it', async () => {
    const url = await serve((req, res) => page(res, req.url === '/' ? 200 : 404, { ...GOOD, 'x-frame-options': 'ALLOWALL' }));
    const base = await run(url);
    // frame-ancestors protects, so an invalid XFO is only a warning; make it gate to test waivers.
    const gating = { rules: { XFO_INVALID: 'error' } };
    assert.equal(failed(await run(url, gating)), true);
    assert.equal(failed(base), false);
    const waived = await run(url, { ...gating, waivers: [{ rule: 'XFO_INVALID', until: '2999-12-31', reason: 'legacy partner embed' }] });
    assert.equal(failed(waived), false);
    assert.match(waived.observations.find((o) => o.name === 'xfo-invalid@/')?.message ?? '', /waived until 2999-12-31: legacy partner embed/);
    const expired = await run(url, { ...gating, waivers: [{ rule: 'XFO_INVALID', until: '2020-01-31', reason: 'legacy partner embed' }] });
    assert.equal(failed(expired), true);
    const w = expired.observations.find((o) => o.code === 'WAIVER_EXPIRED');
    assert.match(w?.message ?? '', /XFO_INVALID.*expired on 2020-01-31/);
  });

  it('catches a static CSP nonce, and accepts a fresh one per answer', async () => {
    const staticUrl = await serve((req, res) =>
      page(res, req.url === '/' ? 200 : 404, { ...GOOD, 'content-security-policy': "default-src 'self'; script-src 'nonce-c3RhdGljLW5vbmNlLXZhbHVl' 'strict-dynamic'; object-src 'none'; base-uri 'none'" }),
    );
    const out = await run(staticUrl);
    assert.ok(codes(out).includes('CSP_NONCE_REUSED'), codes(out).join(', '));
    let n = 0;
    const freshUrl = await serve((req, res) =>
      page(res, req.url === '/' ? 200 : 404, { ...GOOD, 'content-security-policy': `default-src 'self'; script-src 'nonce-${String(++n).padStart(24, 'x')}' 'strict-dynamic'; object-src 'none'; base-uri 'none'` }),
    );
    const fresh = await run(freshUrl);
    assert.ok(!codes(fresh).includes('CSP_NONCE_REUSED'), codes(fresh).join(', '));
  });

  it('rejects bad options when the config loads', () => {
    assert.throws(() => securityHeadersCheck.options.parse({ requirements: { 'strict-transport-security': ['hsts-implemented-max-age-at-least-a-year'] } }), /is not a result of strict-transport-security/);
    assert.throws(() => securityHeadersCheck.options.parse({ minGrade: 'Z' }));
    assert.throws(() => securityHeadersCheck.options.parse({ waivers: [{ rule: 'X', until: '31/12/2026', reason: 'why' }] }));
    assert.throws(() => securityHeadersCheck.options.parse({ requirements: { 'no-such-test': 'pass' } }));
    assert.throws(() => securityHeadersCheck.options.parse({ minGrde: 'A' }));
  });

  it('fails with evidence when the target refuses connections', async () => {
    const out = await run(await refusedUrl());
    assert.deepEqual(codes(out), ['SECURITY_HEADERS_UNREACHABLE']);
    assert.equal(out.data?.cspPresent, false);
  });

  it('judges a plain http target on a public host as lacking https', async () => {
    const url = await serve((req, res) => page(res, req.url === '/' ? 200 : 404, GOOD));
    const out = await run(url, { https: 'required' });
    const c = codes(out);
    assert.ok(c.includes('NO_HTTPS'), c.join(', '));
    assert.ok(c.includes('REDIRECT_MISSING'), c.join(', '));
  });
});
