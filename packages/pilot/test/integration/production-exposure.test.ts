// Production defaults that exposed data: the notify mode must be chosen, the outbox and detailed health
// need a token, /metrics carries no tenant ids, error logs carry no payload bytes.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp, createLogger, parseConfig } from '../../src/app.ts';
import type { Db } from '../../src/db/index.ts';
import { ADMIN_TOKEN, makeApp, signedIngest, TENANT_A, testConfig, testEnv, uniq } from '../helpers.ts';

const OPS_TOKEN = 'ops-token-0123456789abcdef0123';
const production = { APP_ENV: 'production', PILOT_DATA_DIR: '/nonexistent/unused', NOTIFY_MODE: 'mock', OPS_TOKEN };

test('production refuses to start without an explicit NOTIFY_MODE', () => {
  const r = parseConfig(testEnv({ ...production, NOTIFY_MODE: undefined }));
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.issues.some((i) => i.variable === 'NOTIFY_MODE'), JSON.stringify(r));
  // Outside production mock stays the default.
  const dev = parseConfig(testEnv({ APP_ENV: 'development' }));
  assert.ok(dev.ok && dev.config.notifyMode === 'mock');
});

describe('production: operator endpoints need a token', () => {
  let app: FastifyInstance;
  before(async () => {
    // The production configuration, on an in-memory database (the data directory is never opened).
    app = await buildApp({ config: { ...testConfig(production), dataDir: 'memory://' }, logger: false });
    await app.pilot.notifier.send({ to: 'someone@example.com', subject: 'private', text: 'body' });
  });
  after(async () => {
    await app?.close();
  });

  for (const url of ['/api/notify/outbox', '/health/detailed']) {
    test(`${url}: 401 without a token or with a wrong one; 200 with OPS_TOKEN or ADMIN_TOKEN`, async () => {
      const none = await app.inject({ method: 'GET', url });
      assert.equal(none.statusCode, 401, none.body);
      assert.ok(!none.body.includes('someone@example.com') && !none.body.includes(process.version));
      const wrong = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${OPS_TOKEN}x` } });
      assert.equal(wrong.statusCode, 401);
      for (const token of [OPS_TOKEN, ADMIN_TOKEN]) {
        const ok = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
        assert.equal(ok.statusCode, 200, `${url} with a token: ${ok.body}`);
      }
    });
  }

  test('the probes the orchestrator needs stay open', async () => {
    for (const url of ['/health', '/health/live', '/health/ready', '/health/startup', '/metrics']) {
      assert.equal((await app.inject({ method: 'GET', url })).statusCode, 200, url);
    }
  });
});

test('outside production without OPS_TOKEN the operator endpoints stay open (probes and the gate read them)', async () => {
  const app = await makeApp();
  try {
    assert.equal((await app.inject({ method: 'GET', url: '/api/notify/outbox' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/health/detailed' })).statusCode, 200);
  } finally {
    await app.close();
  }
});

test('/metrics carries aggregate ingest series only: no tenant id, no per-tenant volume', async () => {
  const app = await makeApp();
  try {
    const key = uniq();
    const t0 = Math.floor(Date.now() / 1000);
    for (const back of [0, 1]) {
      const r = await app.inject(signedIngest({ body: { m: 1 }, key, timestamp: t0 - back }));
      assert.equal(r.statusCode, 201, r.body);
    }
    const m = await app.inject({ method: 'GET', url: '/metrics' });
    assert.ok(!m.body.includes(TENANT_A.tenantId), 'a tenant id is published in /metrics');
    assert.doesNotMatch(m.body, /tenant=/);
    assert.match(m.body, /^pilot_events_ingested_total 1$/m);
    assert.match(m.body, /^pilot_events_deduplicated_total\{outcome="replayed"\} 1$/m);
  } finally {
    await app.close();
  }
});

test('an error log carries no payload bytes (database errors hold the statement parameters)', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const base = await makeApp();
  const marker = `PAYLOAD-${uniq()}`;
  const inner = base.pilot.db;
  // The real database, except that ingest fails the way PGlite and pg report errors: parameters,
  // detail and context quoting the JSON.
  const failing: Db = {
    kind: inner.kind,
    get closed() {
      return inner.closed;
    },
    query: async <T,>(sql: string, params?: unknown[]) => {
      if (sql.includes('pilot_ingest')) {
        throw Object.assign(new Error(`could not write block: "${marker}"`), {
          code: 'XX000',
          detail: `Token "${marker}" is invalid.`,
          where: `JSON data, line 1: {"secret":"${marker}`,
          query: sql,
          params,
        });
      }
      return inner.query<T>(sql, params);
    },
    tx: (fn, o) => inner.tx(fn, o),
    ping: () => inner.ping(),
    close: async () => {},
  };
  const app = await buildApp({ config: testConfig({ LOG_LEVEL: 'info' }), db: failing, logger: createLogger('info', sink) });
  try {
    const r = await app.inject(signedIngest({ body: { secret: marker }, key: uniq() }));
    assert.equal(r.statusCode, 500);
    // A JSON syntax error quotes the body in its message, too.
    app.log.error({ err: new SyntaxError(`Unexpected token 'x', "{"secret":"${marker}"x" is not valid JSON`) }, 'probe');
    app.log.error({ err: Object.assign(new Error(`invalid input syntax for type uuid: "${marker}"`), { code: '22P02' }) }, 'probe');
  } finally {
    await app.close();
    await base.close();
  }
  const all = lines.join('');
  assert.match(all, /"msg":"request failed"/);
  assert.match(all, /"code":"XX000"/, 'the error code is kept');
  assert.ok(!all.includes(marker), `payload bytes in the logs: ${all.slice(all.indexOf(marker) - 200, all.indexOf(marker) + 50)}`);
});
