// Unauthenticated floods: /v1/* is limited per client address before authentication, failed
// authentications are limited (no key lookup past the budget), 404 and 414 answers count, and wrong
// keys never push real tenants out of the API-key cache.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildApp } from '../../src/app.ts';
import { type Db, openDatabase } from '../../src/db/index.ts';
import { hashApiKey, TenantDirectory, upsertTenant } from '../../src/services/tenants.ts';
import { makeApp, TENANT_A, testConfig, uniq } from '../helpers.ts';

const TENANT_LOOKUP = 'FROM tenants WHERE api_key_hash';

/** Wraps a database, recording the api-key hash of every tenant lookup. */
function countingDb(db: Db): { db: Db; lookups: string[] } {
  const lookups: string[] = [];
  const wrapped = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'query') {
        return (sql: string, params?: unknown[]) => {
          if (sql.includes(TENANT_LOOKUP)) lookups.push(String(params?.[0]));
          return target.query(sql, params);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { db: wrapped, lookups };
}

test('a wrong-key flood from one address: key lookups stop at AUTH_FAILURE_MAX, then 429; a known key still works', async () => {
  const config = testConfig({ AUTH_FAILURE_MAX: '10', RATE_LIMIT_IP_MAX: '100000', RATE_LIMIT_MAX: '100000' });
  const raw = await openDatabase(config, { info() {}, error() {} });
  const { db, lookups } = countingDb(raw);
  const app = await buildApp({ config, db, logger: false });
  try {
    const codes = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const r = await app.inject({
        method: 'GET',
        url: '/v1/events',
        remoteAddress: '10.0.0.1',
        headers: { authorization: `Bearer wrong-${uniq()}-0123456789` },
      });
      codes.set(r.statusCode, (codes.get(r.statusCode) ?? 0) + 1);
      if (r.statusCode === 429) {
        assert.equal(r.json().error, 'auth_rate_limited');
        assert.match(String(r.headers['retry-after']), /^\d+$/);
      }
    }
    assert.ok(lookups.length <= 11, `${lookups.length} key lookups for 300 wrong keys (AUTH_FAILURE_MAX=10)`);
    assert.ok((codes.get(429) ?? 0) >= 289, `answers: ${JSON.stringify([...codes])}`);
    // Another address is not affected; once its key is known good, it passes from the blocked address too.
    const other = await app.inject({
      method: 'GET',
      url: '/v1/events',
      remoteAddress: '10.0.0.2',
      headers: { authorization: `Bearer ${TENANT_A.apiKey}` },
    });
    assert.equal(other.statusCode, 200);
    const same = await app.inject({
      method: 'GET',
      url: '/v1/events',
      remoteAddress: '10.0.0.1',
      headers: { authorization: `Bearer ${TENANT_A.apiKey}` },
    });
    assert.equal(same.statusCode, 200);
  } finally {
    await app.close();
    await raw.close();
  }
});

test('/v1/* without credentials is limited per address before authentication (RATE_LIMIT_IP_MAX)', async () => {
  const app = await makeApp({ RATE_LIMIT_IP_MAX: '20', AUTH_FAILURE_MAX: '100000', RATE_LIMIT_MAX: '100000' });
  try {
    const codes: number[] = [];
    for (let i = 0; i < 30; i++) {
      codes.push((await app.inject({ method: 'POST', url: '/v1/events', remoteAddress: '10.0.0.3', payload: {} })).statusCode);
    }
    assert.deepEqual(codes.slice(0, 20), Array(20).fill(401));
    assert.deepEqual(codes.slice(20), Array(10).fill(429));
    const limited = await app.inject({ method: 'GET', url: '/v1/events', remoteAddress: '10.0.0.3' });
    assert.equal(limited.json().error, 'rate_limited');
    assert.match(String(limited.headers['retry-after']), /^\d+$/);
    assert.ok(limited.headers['content-security-policy']);
    // Probes are never limited.
    assert.equal((await app.inject({ method: 'GET', url: '/health/live', remoteAddress: '10.0.0.3' })).statusCode, 200);
  } finally {
    await app.close();
  }
});

test('404 and 414 answers count against the address budget', async () => {
  const app = await makeApp({ RATE_LIMIT_IP_MAX: '5', RATE_LIMIT_MAX: '100000' });
  try {
    const notFound: number[] = [];
    for (let i = 0; i < 6; i++) {
      notFound.push((await app.inject({ method: 'GET', url: `/nope/${i}`, remoteAddress: '10.0.0.4' })).statusCode);
    }
    assert.deepEqual(notFound, [404, 404, 404, 404, 404, 429]);
    const tooLong: number[] = [];
    for (let i = 0; i < 6; i++) {
      tooLong.push(
        (await app.inject({ method: 'GET', url: `/v1/events/${'x'.repeat(3000)}`, remoteAddress: '10.0.0.5' })).statusCode,
      );
    }
    assert.deepEqual(tooLong, [414, 414, 414, 414, 414, 429]);
  } finally {
    await app.close();
  }
});

test('the API-key cache: wrong keys filling it never evict a known tenant', async () => {
  const config = testConfig();
  const raw = await openDatabase(config, { info() {}, error() {} });
  await upsertTenant(raw, { tenantId: 'evict-me-not', apiKey: 'evict-me-not-0123456789', signingSecret: 's'.repeat(20), keyId: 'k1' });
  const { db, lookups } = countingDb(raw);
  const tenants = new TenantDirectory(db, 60_000, 8);
  try {
    assert.equal((await tenants.resolve('evict-me-not-0123456789'))?.tenantId, 'evict-me-not');
    for (let i = 0; i < 50; i++) assert.equal(await tenants.resolve(`wrong-${i}-0123456789`), null);
    assert.equal((await tenants.resolve('evict-me-not-0123456789'))?.tenantId, 'evict-me-not');
    const real = hashApiKey('evict-me-not-0123456789');
    assert.equal(lookups.filter((h) => h === real).length, 1, 'the known tenant was looked up again: evicted');
    // Negative entries are cached too (bounded): the most recent wrong key is not looked up again.
    const before = lookups.length;
    assert.equal(await tenants.resolve('wrong-49-0123456789'), null);
    assert.equal(lookups.length, before);
  } finally {
    await raw.close();
  }
});
