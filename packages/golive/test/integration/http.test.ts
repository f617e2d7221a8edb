import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { httpCheck } from '../../src/checks/http.ts';
import type { CheckOutcome } from '../../src/checks/types.ts';
import { type TestServer, refusedUrl, sendJson, startServer } from '../helpers/check-servers.ts';
import { codes, failed, makeContext, runCheck } from '../helpers/context.ts';

async function runHttp(baseUrl: string, opts: Record<string, unknown>, env?: Record<string, string>): Promise<CheckOutcome> {
  const t = await makeContext(env ? { baseUrl, env } : { baseUrl });
  try {
    return await runCheck(httpCheck, t.ctx, opts);
  } finally {
    await t.close();
  }
}

/** The stage 3 smoke set, as a preset would declare it. */
const STAGE3_SMOKE: Array<[string, Record<string, unknown>]> = [
  ['auth_csrf', { path: '/api/auth/csrf', expect: { status: 200 } }],
  ['security_csrf', { path: '/api/security/csrf', expect: { status: 200 } }],
  ['stripe_webhook', { method: 'POST', path: '/api/stripe/webhook', body: {}, expect: { status: [400, 401, 403], notStatus: ['5xx'] } }],
  ['notify_outbox', { path: '/api/notify/outbox', expect: { status: 200 } }],
];

function stage3Server(webhook: (sig: string | undefined) => number): Promise<TestServer> {
  return startServer((req, res, body) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/api/auth/csrf' || path === '/api/security/csrf') return sendJson(res, 200, { csrfToken: 'tok-abc' });
    if (path === '/api/notify/outbox') return sendJson(res, 200, { items: [] });
    if (path === '/api/stripe/webhook' && req.method === 'POST') {
      const status = webhook(req.headers['stripe-signature'] as string | undefined);
      return sendJson(res, status, status < 300 ? { received: true, body } : { error: 'missing signature' });
    }
    sendJson(res, 404, { error: 'not found' });
  });
}

describe('http check: the stage 3 smoke', () => {
  it('passes against a service that rejects the unsigned webhook', async () => {
    const srv = await stage3Server((sig) => (sig ? 200 : 400));
    try {
      for (const [name, opts] of STAGE3_SMOKE) {
        const out = await runHttp(srv.url, opts);
        assert.equal(failed(out), false, `${name}: ${JSON.stringify(out.observations)}`);
      }
      const hook = srv.seen.find((r) => r.url === '/api/stripe/webhook');
      assert.equal(hook?.body, '{}');
      assert.equal(hook?.headers['content-type'], 'application/json');
    } finally {
      await srv.close();
    }
  });

  it('fails a webhook that accepts the unsigned POST with 2xx, with a clear finding', async () => {
    const srv = await stage3Server(() => 200);
    try {
      const out = await runHttp(srv.url, STAGE3_SMOKE[2]![1]);
      assert.equal(failed(out), true);
      assert.deepEqual(codes(out), ['HTTP_UNEXPECTED_SUCCESS']);
      assert.match(out.observations[0]?.message ?? '', /POST \/api\/stripe\/webhook was accepted with 200.*received/);
      assert.equal(out.data?.statusCode, 200);
      assert.equal(out.data?.method, 'POST');
      assert.equal(out.data?.path, '/api/stripe/webhook');
    } finally {
      await srv.close();
    }
  });

  it('fails a webhook that crashes with 500 (never 5xx)', async () => {
    const srv = await stage3Server(() => 500);
    try {
      const out = await runHttp(srv.url, STAGE3_SMOKE[2]![1]);
      assert.deepEqual(codes(out), ['HTTP_SERVER_ERROR', 'HTTP_SERVER_ERROR']);
    } finally {
      await srv.close();
    }
  });
});

describe('http check: expectations and failure modes', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/json') {
        res.setHeader('x-frame-options', 'DENY');
        return sendJson(res, 200, { status: 'ok', data: { items: [{ id: 7 }] }, token: 'sk_live_abcdefghijklmnop1234' });
      }
      if (path === '/text') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end('hello world');
      }
      if (path === '/big') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(`{"pad":"${'x'.repeat(200_000)}"}`);
      }
      if (path === '/reset') return req.socket.destroy();
      if (path === '/hang') return;
      sendJson(res, 404, {});
    });
  });
  after(() => srv.close());

  it('passes headers, JSON paths and body expectations that hold', async () => {
    const out = await runHttp(srv.url, {
      path: '/json',
      expect: {
        status: '2xx',
        headers: { 'content-type': { contains: 'json' }, 'x-frame-options': 'DENY', server: false },
        json: { status: { equals: 'ok' }, 'data.items[0].id': { type: 'number', equals: 7 } },
        bodyContains: 'items',
        maxLatencyMs: 10_000,
      },
    });
    assert.equal(failed(out), false, JSON.stringify(out.observations));
    assert.equal(out.observations.length, 8);
  });

  it('fails each expectation that does not hold, with its code', async () => {
    const out = await runHttp(srv.url, {
      path: '/json',
      expect: {
        headers: { 'strict-transport-security': true, 'x-frame-options': false },
        json: { status: { equals: 'degraded' }, missing: {} },
        bodyNotContains: 'items',
        bodyMatches: '^<html',
      },
    });
    assert.deepEqual(codes(out), ['HTTP_HEADER_MISSING', 'HTTP_HEADER_PRESENT', 'HTTP_JSON_PATH', 'HTTP_JSON_PATH', 'HTTP_BODY', 'HTTP_BODY']);
  });

  it('fails JSON expectations on a non-JSON body', async () => {
    const out = await runHttp(srv.url, { path: '/text', expect: { json: { status: { equals: 'ok' } } } });
    assert.deepEqual(codes(out), ['HTTP_NOT_JSON']);
    assert.match(out.observations[1]?.message ?? '', /text\/plain.*hello world/);
  });

  it('reports a body over the cap instead of judging it', async () => {
    const out = await runHttp(srv.url, { path: '/big', maxBodyBytes: 1024, expect: { json: { pad: { type: 'string' } } } });
    assert.deepEqual(codes(out), ['HTTP_BODY_TOO_LARGE']);
    assert.equal(out.data?.bodyTruncated, true);
  });

  it('redacts secrets in the recorded body', async () => {
    const out = await runHttp(srv.url, { path: '/json' }, { STRIPE_SECRET_KEY: 'sk_live_abcdefghijklmnop1234' });
    assert.ok(!JSON.stringify(out).includes('sk_live_abcdefghijklmnop1234'));
    assert.match(String(out.data?.body), /\[REDACTED\]/);
  });

  it('fails refused, reset and hanging targets with evidence', async () => {
    assert.deepEqual(codes(await runHttp(await refusedUrl(), { path: '/x' })), ['HTTP_UNREACHABLE']);
    assert.deepEqual(codes(await runHttp(srv.url, { path: '/reset' })), ['HTTP_RESET']);
    const hang = await runHttp(srv.url, { path: '/hang', timeoutMs: 200 });
    assert.deepEqual(codes(hang), ['HTTP_TIMEOUT']);
    assert.match(hang.observations[0]?.message ?? '', /GET http:\/\/127\.0\.0\.1:\d+\/hang → timeout/);
  });

  it('rejects unknown options and bad regular expressions', () => {
    assert.throws(() => httpCheck.options.parse({ expect: { stauts: 200 } }));
    assert.throws(() => httpCheck.options.parse({ expect: { bodyMatches: '(' } }));
    assert.throws(() => httpCheck.options.parse({ expect: { json: { 'a..b': {} } } }));
  });
});
