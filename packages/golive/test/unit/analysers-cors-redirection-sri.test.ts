import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeCors, DEFAULT_PROBE_ORIGIN } from '../../src/analysers/cors.ts';
import { analyzeRedirection } from '../../src/analysers/redirection.ts';
import { analyzeSri } from '../../src/analysers/sri.ts';
import type { CorsProbeRecord, RedirectionRecord } from '../../src/analysers/types.ts';

describe('CORS', () => {
  const probe = (h: Record<string, string>): CorsProbeRecord => ({ origin: DEFAULT_PROBE_ORIGIN, headers: h });
  const cases: Array<[string, CorsProbeRecord | undefined, Record<string, string>, string, string[]]> = [
    ['no CORS headers', probe({}), {}, 'cross-origin-resource-sharing-not-implemented', []],
    ['wildcard', probe({ 'access-control-allow-origin': '*' }), {}, 'cross-origin-resource-sharing-implemented-with-public-access', ['CORS_WILDCARD']],
    [
      'wildcard with credentials',
      probe({ 'access-control-allow-origin': '*', 'access-control-allow-credentials': 'true' }),
      {},
      'cross-origin-resource-sharing-implemented-with-public-access',
      ['CORS_WILDCARD_WITH_CREDENTIALS'],
    ],
    // The Observatory scores a reflected origin without credentials as restricted access; golive still warns.
    ['reflected origin', probe({ 'access-control-allow-origin': DEFAULT_PROBE_ORIGIN }), {}, 'cross-origin-resource-sharing-implemented-with-restricted-access', ['CORS_REFLECTED_ORIGIN']],
    [
      'reflected origin with credentials',
      probe({ 'access-control-allow-origin': DEFAULT_PROBE_ORIGIN, 'access-control-allow-credentials': 'true' }),
      {},
      'cross-origin-resource-sharing-implemented-with-universal-access',
      ['CORS_REFLECTED_ORIGIN_WITH_CREDENTIALS'],
    ],
    ['a fixed allowed origin', probe({ 'access-control-allow-origin': 'https://app.example.com' }), {}, 'cross-origin-resource-sharing-implemented-with-restricted-access', []],
    ['null origin with credentials', probe({ 'access-control-allow-origin': 'null', 'access-control-allow-credentials': 'true' }), {}, 'cross-origin-resource-sharing-implemented-with-restricted-access', ['CORS_NULL_ORIGIN']],
    ['no probe: the response itself is judged', undefined, { 'access-control-allow-origin': '*' }, 'cross-origin-resource-sharing-implemented-with-public-access', ['CORS_WILDCARD']],
  ];
  for (const [name, p, own, result, codes] of cases) {
    it(name, () => {
      const r = analyzeCors(own, p);
      assert.equal(r.result, result);
      assert.deepEqual(r.findings.map((f) => f.code), codes);
    });
  }
  it('reflected origin with credentials is an error', () => {
    const r = analyzeCors({}, probe({ 'access-control-allow-origin': DEFAULT_PROBE_ORIGIN, 'access-control-allow-credentials': 'true' }));
    assert.equal(r.findings[0]?.severity, 'error');
  });
});

describe('redirection', () => {
  const start = 'http://example.com/';
  const cases: Array<[string, RedirectionRecord, string, string[]]> = [
    ['nothing listens on http', { startUrl: start, hops: [], error: 'refused' }, 'redirection-not-needed-no-http', []],
    ['same host https first', { startUrl: start, hops: [{ status: 301, location: 'https://example.com/' }], final: { url: 'https://example.com/', status: 200 } }, 'redirection-to-https', []],
    ['answers over http', { startUrl: start, hops: [], final: { url: start, status: 200 } }, 'redirection-missing', ['REDIRECT_MISSING']],
    ['redirects but stays on http', { startUrl: start, hops: [{ status: 302, location: 'http://example.com/home' }], final: { url: 'http://example.com/home', status: 200 } }, 'redirection-not-to-https', ['REDIRECT_NOT_TO_HTTPS']],
    [
      'http hop before https',
      { startUrl: start, hops: [{ status: 301, location: 'http://www.example.com/' }, { status: 301, location: 'https://www.example.com/' }], final: { url: 'https://www.example.com/', status: 200 } },
      'redirection-not-to-https-on-initial-redirection',
      ['REDIRECT_NOT_HTTPS_FIRST'],
    ],
    ['off host first', { startUrl: start, hops: [{ status: 301, location: 'https://www.example.com/' }], final: { url: 'https://www.example.com/', status: 200 } }, 'redirection-off-host-from-http', ['REDIRECT_OFF_HOST_FIRST']],
    ['invalid certificate', { startUrl: start, hops: [{ status: 301, location: 'https://example.com/' }], error: 'tls' }, 'redirection-invalid-cert', ['REDIRECT_INVALID_CERT']],
  ];
  for (const [name, rec, result, codes] of cases) {
    it(name, () => {
      const r = analyzeRedirection(rec);
      assert.equal(r.result, result);
      assert.deepEqual(r.findings.map((f) => f.code), codes);
    });
  }
});

describe('Subresource Integrity', () => {
  const page = 'https://example.com/';
  const cases: Array<[string, string | undefined, boolean, string, string[]]> = [
    ['not HTML', '{"a":1}', false, 'sri-not-implemented-response-not-html', []],
    ['no scripts', '<html><body>hi</body></html>', true, 'sri-not-implemented-but-no-scripts-loaded', []],
    ['inline script only', '<script>var a</script>', true, 'sri-not-implemented-but-all-scripts-loaded-from-secure-origin', []],
    ['same-origin scripts', '<script src="/app.js"></script><script src="https://example.com/b.js"></script>', true, 'sri-not-implemented-but-all-scripts-loaded-from-secure-origin', []],
    ['external with integrity', '<script src="/a.js"></script><script src="https://cdn.example/x.js" integrity="sha384-abc" crossorigin="anonymous"></script>', true, 'sri-implemented-and-external-scripts-loaded-securely', []],
    ['every script with integrity', '<script src="/a.js" integrity="sha384-a"></script><script src="https://cdn.example/x.js" integrity="sha384-abc"></script>', true, 'sri-implemented-and-all-scripts-loaded-securely', []],
    ['external without integrity', '<script src="https://cdn.example/x.js"></script>', true, 'sri-not-implemented-but-external-scripts-loaded-securely', ['SRI_MISSING']],
    ['external over http with integrity', '<script src="http://cdn.example/x.js" integrity="sha384-abc"></script>', true, 'sri-implemented-but-external-scripts-not-loaded-securely', ['SRI_INSECURE_SCRIPT']],
    ['external over http without integrity', "<script src='http://cdn.example/x.js'></script>", true, 'sri-not-implemented-and-external-scripts-not-loaded-securely', ['SRI_INSECURE_SCRIPT']],
    ['protocol-relative is insecure', '<script src="/a.js"></script><script src="//cdn.example/x.js" integrity="sha384-abc"></script>', true, 'sri-implemented-but-external-scripts-not-loaded-securely', ['SRI_INSECURE_SCRIPT']],
    ['protocol-relative to the same host is insecure too', '<script src="//example.com/x.js"></script>', true, 'sri-not-implemented-and-external-scripts-not-loaded-securely', ['SRI_INSECURE_SCRIPT']],
    ['same registrable domain is same-origin', '<script src="https://static.example.com/x.js"></script>', true, 'sri-not-implemented-but-all-scripts-loaded-from-secure-origin', []],
    ['same registrable domain over http is same-origin too', '<script src="http://static.example.com/x.js"></script>', true, 'sri-not-implemented-but-all-scripts-loaded-from-secure-origin', []],
    ['same-origin script with integrity earns the bonus', '<script src="/a.js" integrity="sha384-a"></script>', true, 'sri-implemented-and-all-scripts-loaded-securely', []],
    ['a sibling under a public suffix is another site', '<script src="https://other.github.io/x.js"></script>', true, 'sri-not-implemented-but-external-scripts-loaded-securely', ['SRI_MISSING']],
    ['commented-out script does not count', '<!-- <script src="http://cdn.example/x.js"></script> -->', true, 'sri-not-implemented-but-no-scripts-loaded', []],
    ['an unterminated comment hides the rest', '<script src="/a.js"></script><!-- <script src="http://cdn.example/x.js"></script>', true, 'sri-not-implemented-but-all-scripts-loaded-from-secure-origin', []],
    ['attributes in any case and quotes', "<SCRIPT SRC=https://cdn.example/x.js INTEGRITY='sha384-abc'></SCRIPT>", true, 'sri-implemented-and-external-scripts-loaded-securely', []],
  ];
  for (const [name, html, isHtml, result, codes] of cases) {
    it(name, () => {
      const r = analyzeSri(html, isHtml, page);
      assert.equal(r.result, result);
      assert.deepEqual(r.findings.map((f) => f.code), codes);
    });
  }
});
