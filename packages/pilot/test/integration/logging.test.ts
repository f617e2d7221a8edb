// JSON logs: every line parses, request lines carry reqId and tenantId, secrets never appear.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { buildApp, createLogger } from '../../src/app.ts';
import { ADMIN_TOKEN, signedIngest, STRIPE_SECRET, TENANT_A, testConfig, uniq } from '../helpers.ts';

test('logs are JSON with reqId and tenantId, and redact authorization, cookies, signatures and secrets', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger('info', sink);
  const app = await buildApp({ config: testConfig({ LOG_LEVEL: 'info' }), logger });
  try {
    const req = signedIngest({ body: { log: uniq() }, key: uniq(), headers: { cookie: 'session=cookie-SECRET', 'x-request-id': 'log-test-0001' } });
    const r = await app.inject(req);
    assert.equal(r.statusCode, 201);
    // A handler that logs a whole object with secrets in it gets them redacted.
    app.log.info({ headers: req.headers, config: { adminToken: ADMIN_TOKEN, secret: STRIPE_SECRET } }, 'redaction probe');
  } finally {
    await app.close();
  }
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const mine = parsed.filter((l) => l.reqId === 'log-test-0001');
  assert.ok(mine.length >= 2, 'request lines carry the request id');
  assert.ok(mine.some((l) => l.tenantId === TENANT_A.tenantId), 'lines after authentication carry tenantId');
  const all = lines.join('\n');
  for (const secret of [TENANT_A.apiKey, 'cookie-SECRET', ADMIN_TOKEN, STRIPE_SECRET]) {
    assert.ok(!all.includes(secret), `a secret reached the logs: ${secret.slice(0, 6)}…`);
  }
  assert.ok(!all.includes(String(signedIngest({ body: {}, key: 'x' }).headers['x-signature']).slice(-64)));
  assert.match(all, /\[redacted\]/);
});
