// The database frozen (SIGSTOP-like), partitioned or down: every route answers 503
// `database_unavailable` with Retry-After within the configured timeouts, instead of hanging for the
// whole outage or answering 500; service resumes when the database is back. PostgreSQL is reached
// through a TCP proxy the test breaks (the machine's server itself is never stopped); PGlite's single
// connection held by a long transaction gives the same answer after the acquire timeout.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import Stripe from 'stripe';
import { startFaultProxy } from '../fault-proxy.ts';
import { createTestDatabase, makeApp, requireService, STRIPE_SECRET, signedIngest, TENANT_A, TENANT_B, uniq } from '../helpers.ts';

const QUERY_TIMEOUT_MS = 500;
const ACQUIRE_TIMEOUT_MS = 500;
// Worst case of one request: a pooled connection at once, its statement given up by the client after
// QUERY_TIMEOUT_MS + 1 s; margin for 2 shared CPUs.
const BOUND_MS = QUERY_TIMEOUT_MS + 1_000 + ACQUIRE_TIMEOUT_MS + 1_000;
// Without client-side timeouts the requests hang for the whole outage; stop waiting after this.
const HANG_MS = 8_000;

interface Timed {
  label: string;
  status: number;
  ms: number;
  response?: LightMyRequestResponse;
}

async function timed(label: string, p: Promise<LightMyRequestResponse>): Promise<Timed> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), HANG_MS);
  });
  const r = await Promise.race([p, hang]);
  clearTimeout(timer);
  const ms = Math.round(performance.now() - t0);
  return r ? { label, status: r.statusCode, ms, response: r } : { label, status: 0, ms };
}

function assertUnavailable(results: Timed[], bound: number): void {
  for (const r of results) {
    assert.notEqual(r.status, 0, `${r.label}: no answer within ${HANG_MS} ms (hangs for the outage)`);
    assert.ok(r.ms < bound, `${r.label}: answered after ${r.ms} ms (bound ${bound} ms)`);
    if (r.label.startsWith('GET /health')) {
      assert.equal(r.status, 503, r.label);
      continue;
    }
    assert.equal(r.status, 503, `${r.label}: ${r.status} ${r.response?.body}`);
    assert.equal(r.response?.json().error, 'database_unavailable', r.label);
    assert.match(String(r.response?.headers['retry-after']), /^\d+$/, `${r.label}: Retry-After`);
    assert.ok(r.response?.headers['content-security-policy'], `${r.label}: security headers`);
  }
}

/** One request on every route that touches the database; fresh keys and signatures each call. */
function everyRoute(app: FastifyInstance, eventId: string): Array<Promise<Timed>> {
  const payload = JSON.stringify({ id: `evt_${uniq()}`, type: 'charge.succeeded' });
  const stripeSig = Stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_SECRET });
  const authA = { authorization: `Bearer ${TENANT_A.apiKey}` };
  return [
    ...Array.from({ length: 8 }, (_, i) =>
      timed(`POST /v1/events #${i}`, app.inject(signedIngest({ body: { fault: uniq() }, key: uniq() }))),
    ),
    timed('GET /v1/events', app.inject({ method: 'GET', url: '/v1/events?limit=5', headers: authA })),
    timed('GET /v1/events/:id', app.inject({ method: 'GET', url: `/v1/events/${eventId}`, headers: authA })),
    timed('DELETE /v1/events/:id', app.inject({ method: 'DELETE', url: `/v1/events/${eventId}`, headers: authA })),
    // Tenant B's key is not cached: authentication itself needs the database.
    timed(
      'GET /v1/events (uncached key)',
      app.inject({ method: 'GET', url: '/v1/events', headers: { authorization: `Bearer ${TENANT_B.apiKey}` } }),
    ),
    timed('GET /config', app.inject({ method: 'GET', url: '/config' })),
    timed(
      'POST /api/stripe/webhook',
      app.inject({
        method: 'POST',
        url: '/api/stripe/webhook',
        headers: { 'content-type': 'application/json', 'stripe-signature': stripeSig },
        payload,
      }),
    ),
    timed('GET /health/ready', app.inject({ method: 'GET', url: '/health/ready' })),
  ];
}

async function waitForRecovery(app: FastifyInstance): Promise<void> {
  const deadline = Date.now() + 10_000;
  let last = 0;
  while (Date.now() < deadline) {
    last = (await app.inject(signedIngest({ body: { back: uniq() }, key: uniq() }))).statusCode;
    if (last === 201) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`ingest did not recover after the database came back (last status ${last})`);
}

test('PostgreSQL frozen, then down, then back: 503 + Retry-After within the timeouts on every route', async (t) => {
  if (!(await requireService(t, 'PostgreSQL', 5432))) return;
  const db = await createTestDatabase();
  const proxy = await startFaultProxy({ port: 5432 });
  let app: FastifyInstance | undefined;
  try {
    const url = new URL(db.url);
    url.port = String(proxy.port);
    app = await makeApp({
      DATABASE_URL: url.toString(),
      DATABASE_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
      DATABASE_ACQUIRE_TIMEOUT_MS: String(ACQUIRE_TIMEOUT_MS),
      RATE_LIMIT_MAX: '100000',
    });
    const created = await app.inject(signedIngest({ body: { warm: 1 }, key: uniq() }));
    assert.equal(created.statusCode, 201, created.body);
    const eventId = created.json().id as string;

    proxy.setMode('freeze');
    const frozen = await Promise.all(everyRoute(app, eventId));
    t.diagnostic(`frozen: ${frozen.map((r) => `${r.label} ${r.status} ${r.ms}ms`).join('; ')}`);
    assertUnavailable(frozen, BOUND_MS);

    proxy.setMode('down');
    const down = await Promise.all(everyRoute(app, eventId));
    t.diagnostic(`down: ${down.map((r) => `${r.label} ${r.status} ${r.ms}ms`).join('; ')}`);
    assertUnavailable(down, BOUND_MS);

    proxy.setMode('pass');
    await waitForRecovery(app);
    assert.equal((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200);
  } finally {
    proxy.setMode('pass');
    await app?.close();
    await proxy.close();
    await db.drop();
  }
});

test('PGlite: its one connection held past the acquire timeout → 503 + Retry-After, not a wait for all of it', async () => {
  const app = await makeApp({ DATABASE_ACQUIRE_TIMEOUT_MS: String(ACQUIRE_TIMEOUT_MS), RATE_LIMIT_MAX: '100000' });
  try {
    const created = await app.inject(signedIngest({ body: { warm: 1 }, key: uniq() }));
    assert.equal(created.statusCode, 201, created.body);
    const holdMs = 4_000;
    const held = app.pilot.db.tx(() => new Promise((r) => setTimeout(r, holdMs)));
    const results = await Promise.all([
      timed('POST /v1/events', app.inject(signedIngest({ body: { fault: uniq() }, key: uniq() }))),
      timed('GET /v1/events', app.inject({ method: 'GET', url: '/v1/events', headers: { authorization: `Bearer ${TENANT_A.apiKey}` } })),
      timed('GET /config', app.inject({ method: 'GET', url: '/config' })),
    ]);
    assertUnavailable(results, ACQUIRE_TIMEOUT_MS + 1_000);
    await held;
    await waitForRecovery(app);
  } finally {
    await app.close();
  }
});

test('errors that mean "unavailable" are told apart from bugs and bad requests', async () => {
  const { isDatabaseUnavailable } = await import('../../src/db/errors.ts');
  const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
  const cases: Array<[unknown, boolean]> = [
    [withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), true],
    [withCode('read ECONNRESET', 'ECONNRESET'), true],
    [new Error('timeout exceeded when trying to connect'), true],
    [new Error('Query read timeout'), true],
    [new Error('Connection terminated unexpectedly'), true],
    [new Error('Cannot use a pool after calling end on the pool'), true],
    [new Error('PGlite is closed'), true],
    [withCode('canceling statement due to statement timeout', '57014'), true],
    [withCode('sorry, too many clients already', '53300'), true],
    [withCode('terminating connection due to administrator command', '57P01'), true],
    [withCode('the database system is starting up', '57P03'), true],
    [withCode('connection failure', '08006'), true],
    [withCode('duplicate key value violates unique constraint', '23505'), false],
    [withCode('syntax error at or near "SELEC"', '42601'), false],
    [withCode('invalid input syntax for type uuid', '22P02'), false],
    [new TypeError('cannot read properties of undefined'), false],
    ['not an error', false],
  ];
  for (const [err, expected] of cases) assert.equal(isDatabaseUnavailable(err), expected, String((err as Error).message ?? err));
});
