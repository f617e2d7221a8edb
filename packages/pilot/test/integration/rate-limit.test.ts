// Rate limits: per tenant after authentication, 429 with Retry-After and RateLimit headers, the
// security headers kept on 429, and one budget shared by two instances through the real Redis.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { buildApp } from '../../src/app.ts';
import { makeApp, reachable, requireService, TENANT_A, TENANT_B, testConfig, uniq } from '../helpers.ts';

const authA = { authorization: `Bearer ${TENANT_A.apiKey}` };
const authB = { authorization: `Bearer ${TENANT_B.apiKey}` };

test('in memory: the 4th request of a tenant in the window → 429 with Retry-After and RateLimit headers', async () => {
  const app = await makeApp({ RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' });
  try {
    for (let i = 0; i < 3; i++) {
      const r = await app.inject({ method: 'GET', url: '/v1/events?limit=1', headers: authA });
      assert.equal(r.statusCode, 200);
      assert.equal(r.headers['ratelimit-limit'], '3');
      assert.equal(r.headers['ratelimit-remaining'], String(2 - i));
    }
    const limited = await app.inject({ method: 'GET', url: '/v1/events?limit=1', headers: authA });
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.json().error, 'rate_limited');
    assert.match(String(limited.headers['retry-after']), /^\d+$/);
    assert.ok(limited.headers['ratelimit-reset'] !== undefined);
    assert.match(String(limited.headers['content-security-policy']), /default-src 'self'/);
    assert.ok(limited.headers['strict-transport-security']);
    // Another tenant has its own budget, and probes are never limited.
    assert.equal((await app.inject({ method: 'GET', url: '/v1/events?limit=1', headers: authB })).statusCode, 200);
    for (let i = 0; i < 5; i++) {
      assert.equal((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200);
    }
  } finally {
    await app.close();
  }
});

test('in memory: unauthenticated routes are limited per IP', async () => {
  const app = await makeApp({ RATE_LIMIT_MAX: '2' });
  try {
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await app.inject({ method: 'GET', url: '/config' })).statusCode);
    assert.deepEqual(codes, [200, 200, 429]);
  } finally {
    await app.close();
  }
});

test('Redis: two app instances share one budget', async (t) => {
  if (!(await requireService(t, 'Redis', 6379))) return;
  const nameSpace = `pilot-test-${uniq()}-`;
  const config = testConfig({ REDIS_URL: 'redis://127.0.0.1:6379', RATE_LIMIT_MAX: '4', RATE_LIMIT_WINDOW_MS: '60000' });
  const one = await buildApp({ config, logger: false, rateLimitNameSpace: nameSpace });
  const two = await buildApp({ config, logger: false, rateLimitNameSpace: nameSpace });
  try {
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) {
      codes.push((await one.inject({ method: 'GET', url: '/v1/events?limit=1', headers: authA })).statusCode);
      codes.push((await two.inject({ method: 'GET', url: '/v1/events?limit=1', headers: authA })).statusCode);
    }
    // 4 allowed in total across both instances, whichever served them.
    assert.deepEqual(codes, [200, 200, 200, 200, 429, 429]);
    const last = await two.inject({ method: 'GET', url: '/v1/events?limit=1', headers: authA });
    assert.equal(last.statusCode, 429);
    assert.match(String(last.headers['retry-after']), /^\d+$/);
  } finally {
    await one.close();
    await two.close();
    if (await reachable(6379)) {
      const r = new Redis('redis://127.0.0.1:6379');
      const keys = await r.keys(`${nameSpace}*`);
      if (keys.length > 0) await r.del(...keys);
      await r.quit();
    }
  }
});

test('Redis unreachable: requests are still served (the limiter fails open)', async () => {
  const app = await makeApp({ REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_MAX: '2' });
  try {
    const r = await app.inject({ method: 'GET', url: '/v1/events?limit=1', headers: authA });
    assert.equal(r.statusCode, 200);
  } finally {
    await app.close();
  }
});
