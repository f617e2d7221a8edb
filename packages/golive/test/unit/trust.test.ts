/**
 * "The gate never lies and never leaks", unit half: redaction of keys and escaped forms, URL userinfo, the depth
 * cap, the regex guard, config parse errors without config text, header values with line breaks, the one
 * sensitive-header list and the network-error classifier.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinChecks } from '../../src/checks/registry.ts';
import { buildConfigSchema } from '../../src/config/schema.ts';
import { configErrorReason } from '../../src/config/load.ts';
import { resolveConfig } from '../../src/config/resolve.ts';
import { DEPTH_MARKER, MAX_REPORT_DEPTH, capDepth, maxDepthOf } from '../../src/core/depth.ts';
import { REDACTED, Redactor, isSensitiveHeader } from '../../src/core/redact.ts';
import { regexProblem, testPattern } from '../../src/core/regex.ts';
import { stripUserinfo, stripUserinfoInText, urlCredentials } from '../../src/core/url.ts';
import { isNetworkError } from '../../src/http/errors.ts';
import { headersForRedirect } from '../../src/http/redirect.ts';
import { parseHeaders } from '../../src/cli/args.ts';

/** A value nested `depth` levels deep: `{"d":{"d":...{"d":"leaf"}}}`, built without recursion. */
function nested(depth: number, leaf: unknown = 'leaf'): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? { d: v } : [v];
  return v;
}

describe('redaction of keys and escaped forms', () => {
  const secret = 'pa"ss\\x-Planted77';
  const r = Redactor.fromEnv({ API_TOKEN: secret, STRIPE_WEBHOOK_SECRET: 'whsec_KeyInAnObject99' });

  it('redacts object keys, not only values', () => {
    const out = r.redactDeep({ 'env:whsec_KeyInAnObject99': 1, nested: { [`x-${secret}`]: 'v' } });
    assert.deepEqual(out, { [`env:${REDACTED}`]: 1, nested: { [`x-${REDACTED}`]: 'v' } });
  });

  it('redacts the JSON-escaped, doubly escaped and URL-encoded forms of a secret', () => {
    const json = JSON.stringify({ echo: secret });
    assert.ok(json.includes('pa\\"ss\\\\x'), 'the body really holds the escaped form');
    for (const text of [json, JSON.stringify(json), `q=${encodeURIComponent(secret)}`, encodeURI(secret)]) {
      const out = r.redact(text);
      assert.ok(!out.includes('Planted77'), `${text} → ${out}`);
    }
  });

  it('learns header values by the header name, wherever the header comes from', () => {
    const h = Redactor.fromEnv({});
    h.addHeader('authorization', 'Bearer PlainLoadToken123456').addHeader('X-Partner-Token', 'partner-abcdef-123').addHeader('accept', 'application/json');
    assert.equal(h.redact('a PlainLoadToken123456 b partner-abcdef-123 application/json'), `a ${REDACTED} b ${REDACTED} application/json`);
  });

  it('learns credential headers from check options at any depth', () => {
    const h = Redactor.fromEnv({}).addHeadersIn({
      headers: { Authorization: 'Bearer OptionToken-123456' },
      paths: [{ path: '/x', headers: { 'x-partner-token': 'partner-tok-654321' } }],
      request: { headers: { accept: 'application/json' } },
    });
    assert.equal(h.redact('OptionToken-123456 partner-tok-654321 application/json'), `${REDACTED} ${REDACTED} application/json`);
  });

  it('has one sensitive-header list, with the signature headers on it', () => {
    for (const n of ['Authorization', 'cookie', 'X-Api-Key', 'stripe-signature', 'x-hub-signature-256', 'x-signature', 'x-partner-token']) assert.ok(isSensitiveHeader(n), n);
    for (const n of ['accept', 'content-type', 'www-authenticate', 'access-control-allow-credentials', 'keep-alive']) assert.ok(!isSensitiveHeader(n), n);
  });
});

describe('URL userinfo', () => {
  it('is stripped from URLs and from URLs inside text', () => {
    assert.equal(stripUserinfo('http://user:pw@host:8080/x?y=1'), 'http://host:8080/x?y=1');
    assert.equal(stripUserinfo('https://host/'), 'https://host/');
    assert.equal(stripUserinfoInText('listening on http://admin:p%40ss@127.0.0.1:3000 and https://tok@h/x, mail a@b.c'), 'listening on http://127.0.0.1:3000 and https://h/x, mail a@b.c');
  });

  it('yields the password decoded and encoded for the redactor', () => {
    assert.deepEqual(urlCredentials('http://golive:S3cr%40tUrlPass@h/').sort(), ['S3cr%40tUrlPass', 'S3cr@tUrlPass'].sort());
    assert.deepEqual(urlCredentials('http://golive@h/'), []);
    const r = Redactor.fromEnv({}).addUrl('http://user:S3cr%40tUrlPass@h/');
    assert.equal(r.redact('pw S3cr@tUrlPass or S3cr%40tUrlPass'), `pw ${REDACTED} or ${REDACTED}`);
    // A redactor strips userinfo from any URL it sees, even one whose password it never learnt.
    assert.equal(Redactor.fromEnv({}).redact('GET http://u:unknownPw9@h/health'), 'GET http://h/health');
  });
});

describe('depth cap', () => {
  it('copies a value 100 000 levels deep without recursion, cut at the report depth with a marker', () => {
    const deep = nested(100_000);
    const out = capDepth(deep);
    assert.ok(maxDepthOf(out) <= MAX_REPORT_DEPTH);
    assert.ok(JSON.stringify(out).includes(DEPTH_MARKER));
    // redactDeep (every report goes through it) is the same walk.
    const red = Redactor.fromEnv({ API_TOKEN: 'leaf-secret-1' }).redactDeep({ body: nested(2000, 'leaf-secret-1') });
    assert.ok(maxDepthOf(red) <= MAX_REPORT_DEPTH);
  });

  it('keeps shallow values whole and in order', () => {
    const v = { a: [1, 'two', { b: null, c: [true, false] }], d: 'e' };
    assert.deepEqual(capDepth(v), v);
    assert.deepEqual(capDepth(nested(MAX_REPORT_DEPTH)), nested(MAX_REPORT_DEPTH));
    assert.equal(maxDepthOf(nested(MAX_REPORT_DEPTH)), MAX_REPORT_DEPTH);
    assert.notDeepEqual(capDepth(nested(MAX_REPORT_DEPTH + 1)), nested(MAX_REPORT_DEPTH + 1));
    assert.equal(maxDepthOf(capDepth(nested(MAX_REPORT_DEPTH + 1))), MAX_REPORT_DEPTH);
  });
});

describe('regular expressions from config', () => {
  it('refuses patterns that need backtracking, naming the field', () => {
    assert.match(regexProblem('(a+)\\1') ?? '', /linear time/);
    assert.match(regexProblem('foo(?=bar)') ?? '', /linear time/);
    assert.match(regexProblem('(') ?? '', /not a valid regular expression/);
    assert.equal(regexProblem('(a+)+$'), undefined, 'nested quantifiers are fine for a linear-time engine');
    assert.equal(regexProblem('"status"\\s*:\\s*"ok"'), undefined);
    assert.throws(
      () =>
        resolveConfig({
          kinds: builtinChecks,
          file: { target: { baseUrl: 'http://127.0.0.1:1' }, checks: { smoke: { kind: 'http', options: { expect: { bodyMatches: '^(a|aa)+\\1$' } } } } },
        }),
      (e: Error & { code?: string }) => e.code === 'GOLIVE_ERR_CONFIG_INVALID' && /checks\.smoke\.options\.expect\.bodyMatches: .*linear time/.test(e.message),
    );
  });

  it('matches a catastrophic pattern against 50 000 characters in bounded time', () => {
    const text = `${'a'.repeat(50_000)}!`;
    const t0 = performance.now();
    assert.equal(testPattern('(a+)+$', text), false);
    assert.equal(testPattern('^(a+)+!$', text), true);
    // Not a speed assertion: a backtracking engine does not return at all (minutes); this bounds a hang.
    assert.ok(performance.now() - t0 < 10_000);
    assert.equal(testPattern('OK', 'status ok', { ignoreCase: true }), true);
    assert.equal(testPattern('^b', 'a\nb', { multiline: true }), true);
  });
});

describe('config parse errors', () => {
  it('do not quote the config line (a secret may exist only there)', async () => {
    const { parse } = await import('yaml');
    let err: unknown;
    try {
      parse('target:\n  headers:\n    authorization: Bearer S3cretOnlyInFile: x\n');
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof Error && err.message.includes('S3cretOnlyInFile'), 'the YAML library quotes the line');
    const reason = configErrorReason(err);
    assert.ok(!reason.includes('S3cretOnlyInFile'), reason);
    assert.match(reason, /line 3, column \d+/);
    try {
      JSON.parse('{"authorization": "Bearer S3cretOnlyInFile" x}');
    } catch (e) {
      assert.ok(!configErrorReason(e).includes('S3cretOnlyInFile'));
    }
    try {
      JSON.parse('Bearer S3cretOnlyInFile');
    } catch (e) {
      assert.ok(!configErrorReason(e).includes('S3cretOnlyInFile'), configErrorReason(e));
    }
  });
});

describe('header values with CR or LF', () => {
  it('are refused by the config schema naming the header, never echoing the value', () => {
    const parsed = buildConfigSchema(builtinChecks).safeParse({ target: { headers: { authorization: 'Bearer tok-LineBreak123\n' } } });
    assert.equal(parsed.success, false);
    const issue = parsed.error?.issues[0];
    assert.deepEqual(issue?.path, ['target', 'headers', 'authorization']);
    assert.ok(!issue?.message.includes('tok-LineBreak123'));
    const check = buildConfigSchema(builtinChecks).safeParse({ checks: { h: { kind: 'health', options: { headers: { 'x-a': 'a\r\nX-B: 1' } } } } });
    assert.equal(check.success, false);
  });

  it('are refused on the command line naming the header', () => {
    assert.throws(() => parseHeaders(['X-A: a\r\nX-B: 1']), (e: Error) => /--header X-A: .*line break/.test(e.message) && !e.message.includes('X-B: 1'));
    assert.deepEqual(parseHeaders(['X-A:  a b ']), { 'x-a': 'a b' });
  });
});

describe('redirects and network errors', () => {
  it('drop every target header and every sensitive header on a cross-origin hop, and name them', () => {
    const headers = { 'user-agent': 'golive', Authorization: 'Bearer t', 'X-Api-Key': 'k', Cookie: 'c=1', 'X-Tenant': 'acme', accept: 'text/html', 'stripe-signature': 's' };
    const a = new URL('http://a.example/x');
    const same = headersForRedirect(headers, a, new URL('http://a.example/y'), ['Authorization', 'X-Api-Key', 'Cookie', 'X-Tenant']);
    assert.deepEqual(same, { kept: headers, dropped: [] });
    const other = headersForRedirect(headers, a, new URL('http://b.example/y'), ['Authorization', 'X-Api-Key', 'Cookie', 'X-Tenant']);
    assert.deepEqual(other.kept, { 'user-agent': 'golive', accept: 'text/html' });
    assert.deepEqual(other.dropped, ['authorization', 'cookie', 'stripe-signature', 'x-api-key', 'x-tenant']);
    // Another port or scheme is another origin.
    assert.deepEqual(headersForRedirect(headers, a, new URL('https://a.example/x'), []).dropped, ['authorization', 'cookie', 'stripe-signature', 'x-api-key']);
  });

  it('only network and protocol failures count as the target', () => {
    const sys = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect' });
    assert.ok(isNetworkError(sys));
    assert.ok(isNetworkError(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })));
    assert.ok(isNetworkError(Object.assign(new Error('wrapped'), { cause: sys })));
    assert.ok(isNetworkError(Object.assign(new Error('Parse Error'), { code: 'HPE_INVALID_CONSTANT' })));
    assert.ok(isNetworkError(Object.assign(new Error('cert'), { code: 'CERT_HAS_EXPIRED' })));
    assert.ok(!isNetworkError(new TypeError("Cannot read properties of undefined (reading 'bind')")));
    assert.ok(!isNetworkError(Object.assign(new Error('invalid header'), { code: 'UND_ERR_INVALID_ARG' })));
    assert.ok(!isNetworkError(new RangeError('Maximum call stack size exceeded')));
    // The peer's TLS answer is the target's; a CA file golive cannot read is golive's configuration.
    assert.ok(isNetworkError(Object.assign(new Error('wrong version number'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' })));
    assert.ok(isNetworkError(Object.assign(new Error('bad record'), { code: 'ERR_OSSL_SSL_BAD_RECORD_MAC' })));
    assert.ok(!isNetworkError(Object.assign(new Error('no start line'), { code: 'ERR_OSSL_PEM_NO_START_LINE' })));
    assert.ok(!isNetworkError(Object.assign(new Error('bad cert'), { code: 'ERR_OSSL_X509_KEY_VALUES_MISMATCH' })));
  });
});
