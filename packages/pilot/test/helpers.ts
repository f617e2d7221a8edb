// Shared fixtures of pilot's tests: configuration, signed requests, and real PostgreSQL / Redis.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { buildApp, type PilotConfig, parseConfig, signRequest } from '../src/app.ts';
import type { Db } from '../src/db/index.ts';

/** Credentials of the tenants every test app provisions. */
export const TENANT_A = { tenantId: 'tenant-a', apiKey: 'key-a-0123456789abcdef', secret: 'secret-a-0123456789abcdef', keyId: 'k1' };
export const TENANT_B = { tenantId: 'tenant-b', apiKey: 'key-b-0123456789abcdef', secret: 'secret-b-0123456789abcdef', keyId: 'k1' };
export const ADMIN_TOKEN = 'admin-token-0123456789abcdef0123';
export const STRIPE_SECRET = 'whsec_test_0123456789abcdef';

/** The environment tests start from: in-memory PGlite, tenant A bootstrapped, mock notify. */
export function testEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    APP_ENV: 'test',
    PILOT_DATA_DIR: 'memory://',
    LOG_LEVEL: 'silent',
    PILOT_BOOTSTRAP_TENANT: TENANT_A.tenantId,
    PILOT_BOOTSTRAP_API_KEY: TENANT_A.apiKey,
    PILOT_BOOTSTRAP_SIGNING_SECRET: TENANT_A.secret,
    STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
    ADMIN_TOKEN,
    ...overrides,
  };
}

/** Parses {@link testEnv}; fails the test on an invalid configuration. */
export function testConfig(overrides: Record<string, string | undefined> = {}): PilotConfig {
  const r = parseConfig(testEnv(overrides));
  if (!r.ok) throw new Error(`test config invalid: ${JSON.stringify(r.issues)}`);
  return r.config;
}

/** Builds an app with tenants A and B. */
export async function makeApp(overrides: Record<string, string | undefined> = {}, db?: Db) {
  const app = await buildApp({ config: testConfig(overrides), logger: false, ...(db ? { db } : {}) });
  const { upsertTenant } = await import('../src/services/tenants.ts');
  await upsertTenant(app.pilot.db, { ...TENANT_B, signingSecret: TENANT_B.secret });
  return app;
}

/** Inject options of a signed `POST /v1/events`. */
export function signedIngest(o: {
  body: unknown;
  key?: string | undefined;
  tenant?: typeof TENANT_A;
  timestamp?: number;
  kid?: string;
  secret?: string;
  headers?: Record<string, string>;
  /** Signature scheme: v2 (default when a key is given; it signs the key) or the legacy v1. */
  version?: 'v1' | 'v2';
}) {
  const tenant = o.tenant ?? TENANT_A;
  const raw = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  const signature = signRequest({
    secret: o.secret ?? tenant.secret,
    method: 'POST',
    path: '/v1/events',
    body: raw,
    ...(o.key !== undefined && o.version !== 'v1' ? { idempotencyKey: o.key } : {}),
    ...(o.timestamp !== undefined ? { timestamp: o.timestamp } : {}),
    ...(o.kid ? { keyId: o.kid } : {}),
  });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    authorization: `Bearer ${tenant.apiKey}`,
    'x-signature': signature,
    ...(o.key !== undefined ? { 'idempotency-key': o.key } : {}),
    ...o.headers,
  };
  return { method: 'POST' as const, url: '/v1/events', headers, payload: raw };
}

/** A random suffix for names (keys, databases, namespaces). */
export function uniq(): string {
  return randomBytes(6).toString('hex');
}

/** Whether a TCP port accepts connections. */
export function reachable(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Skips the test when a service is down, except under CI=true where a missing service is a
 * failure: CI must not go green by skipping the tests that need real infrastructure.
 */
export async function requireService(t: TestContext, name: string, port: number): Promise<boolean> {
  if (await reachable(port)) return true;
  if (process.env.CI === 'true') throw new Error(`${name} on 127.0.0.1:${port} is unreachable (CI=true: not skipping)`);
  t.skip(`${name} on 127.0.0.1:${port} is unreachable`);
  return false;
}

/** Admin connection string of the machine's PostgreSQL. */
export const PG_ADMIN_URL = process.env.PILOT_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh database owned by a fresh NOSUPERUSER NOBYPASSRLS role; `drop()` removes both. */
export interface TestDatabase {
  url: string;
  role: string;
  database: string;
  drop(): Promise<void>;
}

/** Creates a {@link TestDatabase}; `superuser: true` makes an unsafe role (to test the refusal). */
export async function createTestDatabase(o: { superuser?: boolean; bypassRls?: boolean } = {}): Promise<TestDatabase> {
  const name = `pilot_t_${uniq()}`;
  const password = randomBytes(12).toString('hex');
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    const attrs = [
      'LOGIN',
      o.superuser ? 'SUPERUSER' : 'NOSUPERUSER',
      o.bypassRls ? 'BYPASSRLS' : 'NOBYPASSRLS',
      'NOCREATEDB',
      'NOCREATEROLE',
    ].join(' ');
    await admin.query(`CREATE ROLE ${name} ${attrs} PASSWORD '${password}'`);
    await admin.query(`CREATE DATABASE ${name} OWNER ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://${name}:${password}@127.0.0.1:5432/${name}`,
    role: name,
    database: name,
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
        await c.query(`DROP DATABASE IF EXISTS ${name}`);
        await c.query(`DROP ROLE IF EXISTS ${name}`);
      } finally {
        await c.end();
      }
    },
  };
}
