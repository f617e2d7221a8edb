/**
 * The security-headers check's Observatory-compatible output: the artifact validates against the
 * Observatory's declared v2 analyze response schema, carries algorithm version 6, the twelve tests with
 * their parsed data, and never a credential (cookie values and sensitive headers are redacted).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import type { ObservatoryAnalyzeResponse } from '../../src/analysers/observatory-output.ts';
import { securityHeadersCheck } from '../../src/checks/security-headers.ts';
import { HELMET_DEFAULTS } from '../fixtures/well-known-header-sets.ts';
import { serverPool } from '../helpers/check-servers.ts';
import { makeContext, runCheck } from '../helpers/context.ts';

const schema = JSON.parse(readFileSync(new URL('../fixtures/observatory/analyze-response.schema.json', import.meta.url), 'utf8'));
const { serve } = serverPool();
const SESSION_VALUE = 's3cr3t-session-value-4b1d';
const { 'strict-transport-security': _hsts, ...GOOD } = HELMET_DEFAULTS;

describe('security-headers: Observatory-compatible output', () => {
  it('writes a v2 analyze response that validates against the Observatory schema', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, {
        'content-type': 'text/html',
        ...GOOD,
        'cross-origin-embedder-policy': 'require-corp',
        'set-cookie': `SESSIONID=${SESSION_VALUE}; Path=/; HttpOnly; SameSite=Lax`,
        'x-api-key': SESSION_VALUE,
      });
      res.end('<!doctype html><html><head><script src="/app.js" integrity="sha384-abc"></script></head></html>');
    });
    const t = await makeContext({ baseUrl: url, id: 'security headers' });
    try {
      const out = await runCheck(securityHeadersCheck, t.ctx, { observatoryOutput: true, notFoundProbe: false });
      assert.deepEqual(out.artifacts, ['security/security_headers.observatory.json']);
      const text = await readFile(join(t.dir, 'security/security_headers.observatory.json'), 'utf8');
      assert.ok(!text.includes(SESSION_VALUE), 'a cookie value or a credential header leaked into the output');
      const validate = new Ajv({ strict: false }).compile(schema);
      assert.ok(validate(JSON.parse(text)), JSON.stringify(validate.errors));
      const doc = JSON.parse(text) as ObservatoryAnalyzeResponse;
      assert.equal(doc.scan.algorithm_version, 6);
      assert.equal(doc.scan.tests_quantity, 12);
      assert.equal(doc.scan.tests_passed + doc.scan.tests_failed, 12);
      assert.equal(doc.scan.status_code, 200);
      assert.equal(doc.scan.grade, out.data?.grade);
      assert.equal(doc.scan.score, out.data?.score);
      assert.equal(doc.scan.response_headers?.['set-cookie'], '[REDACTED]');
      assert.equal(doc.scan.response_headers?.['x-api-key'], '[REDACTED]');
      assert.equal(doc.scan.response_headers?.['cross-origin-opener-policy'], 'same-origin');
      assert.equal(Object.keys(doc.tests).length, 12);
      for (const [name, test] of Object.entries(doc.tests)) {
        assert.equal(test.name, name);
        for (const field of ['expectation', 'title', 'link', 'result', 'score_description', 'score_modifier']) assert.ok(field in test, `${name} lacks ${field}`);
      }
      const tests = doc.tests as Record<string, Record<string, unknown>>;
      assert.equal(tests['cross-origin-opener-policy']?.result, 'coop-implemented-with-same-origin');
      assert.equal(tests['cross-origin-opener-policy']?.score_modifier, 10);
      assert.equal(tests['cross-origin-embedder-policy']?.result, 'coep-implemented-with-require-corp');
      assert.equal(tests['content-security-policy']?.num_policies, 1);
      assert.deepEqual((tests['content-security-policy']?.data as Record<string, string[]> | undefined)?.['object-src'], ["'none'"]);
      const policy = tests['content-security-policy']?.policy as Record<string, { pass: unknown }> | undefined;
      assert.equal(policy?.unsafeInline?.pass, false);
      assert.equal(policy?.strictDynamic?.pass, null);
      assert.deepEqual(tests.cookies?.data, { SESSIONID: { domain: null, expires: null, httponly: true, 'max-age': null, path: '/', port: null, samesite: 'lax', secure: false } });
      // A same-origin script with integrity earns the bonus only over https; this target is plain http.
      assert.equal(tests['subresource-integrity']?.result, 'sri-not-implemented-but-all-scripts-loaded-from-secure-origin');
      assert.equal(tests['referrer-policy']?.http, true);
      assert.equal(tests['referrer-policy']?.pass, true);
      // The check's own data carries the same counters.
      assert.equal(out.data?.algorithmVersion, 6);
      assert.equal(out.data?.testsQuantity, 12);
    } finally {
      await t.close();
    }
  });

  it('writes nothing unless asked', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', ...GOOD });
      res.end('<!doctype html>');
    });
    const t = await makeContext({ baseUrl: url });
    try {
      const out = await runCheck(securityHeadersCheck, t.ctx, { notFoundProbe: false });
      assert.equal(out.artifacts, undefined);
      assert.deepEqual(t.written, []);
    } finally {
      await t.close();
    }
  });
});
