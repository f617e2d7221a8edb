import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CONFIG_VARIABLES, parseConfig, redactUrl, SECRET_VARIABLES, sanitizeConfig } from '../../src/config.ts';

const issuesOf = (env: Record<string, string>) => {
  const r = parseConfig(env);
  assert.equal(r.ok, false, 'expected the environment to be refused');
  return r.ok ? [] : r.issues;
};

describe('parseConfig defaults', () => {
  test('an empty environment is a valid development configuration', () => {
    const r = parseConfig({});
    assert.ok(r.ok);
    assert.equal(r.config.appEnv, 'development');
    assert.equal(r.config.port, 8000);
    assert.equal(r.config.host, '127.0.0.1');
    assert.equal(r.config.dataDir, '.pilot-data');
    assert.equal(r.config.notifyMode, 'mock');
    assert.equal(r.config.bootstrap, undefined);
    assert.equal(r.config.adminTokenGenerated, true);
    assert.ok(r.config.adminToken.length >= 32);
  });
  test('APP_ENV=test defaults to in-memory storage', () => {
    const r = parseConfig({ APP_ENV: 'test' });
    assert.ok(r.ok);
    assert.equal(r.config.dataDir, 'memory://');
  });
  test('PORT=0 is allowed', () => {
    const r = parseConfig({ PORT: '0' });
    assert.ok(r.ok);
    assert.equal(r.config.port, 0);
  });
  test('STRIPE_SIGNING_SECRET is an alias of STRIPE_WEBHOOK_SECRET', () => {
    const r = parseConfig({ STRIPE_SIGNING_SECRET: 'whsec_abc' });
    assert.ok(r.ok);
    assert.equal(r.config.stripeWebhookSecret, 'whsec_abc');
  });
  test('the bootstrap tenant: all three variables, key id defaults to k1', () => {
    const r = parseConfig({
      PILOT_BOOTSTRAP_TENANT: 't1',
      PILOT_BOOTSTRAP_API_KEY: 'k'.repeat(20),
      PILOT_BOOTSTRAP_SIGNING_SECRET: 's'.repeat(20),
    });
    assert.ok(r.ok);
    assert.deepEqual(r.config.bootstrap, { tenantId: 't1', apiKey: 'k'.repeat(20), signingSecret: 's'.repeat(20), keyId: 'k1' });
  });
});

describe('parseConfig refusals (each names the variable)', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['PORT not a number', { PORT: 'http' }, 'PORT'],
    ['PORT out of range', { PORT: '70000' }, 'PORT'],
    ['unknown APP_ENV', { APP_ENV: 'prod' }, 'APP_ENV'],
    ['bad LOG_LEVEL', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    ['DATABASE_URL not postgres', { DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    ['REDIS_URL not redis', { REDIS_URL: 'http://x' }, 'REDIS_URL'],
    ['STRIPE_WEBHOOK_SECRET without whsec_', { STRIPE_WEBHOOK_SECRET: 'abc' }, 'STRIPE_WEBHOOK_SECRET'],
    ['STRIPE_SECRET_KEY malformed', { STRIPE_SECRET_KEY: 'pk_test_x' }, 'STRIPE_SECRET_KEY'],
    ['alias disagrees', { STRIPE_WEBHOOK_SECRET: 'whsec_a', STRIPE_SIGNING_SECRET: 'whsec_b' }, 'STRIPE_SIGNING_SECRET'],
    ['unknown NOTIFY_MODE', { NOTIFY_MODE: 'pigeon' }, 'NOTIFY_MODE'],
    ['smtp without EMAIL_FROM', { NOTIFY_MODE: 'smtp', SMTP_URL: 'smtp://mail:25' }, 'EMAIL_FROM'],
    ['smtp without SMTP_URL', { NOTIFY_MODE: 'smtp', EMAIL_FROM: 'a@example.com' }, 'SMTP_URL'],
    ['EMAIL_FROM not an address', { EMAIL_FROM: 'nobody' }, 'EMAIL_FROM'],
    ['ADMIN_TOKEN too short', { ADMIN_TOKEN: 'short' }, 'ADMIN_TOKEN'],
    ['production without ADMIN_TOKEN', { APP_ENV: 'production', STRIPE_WEBHOOK_SECRET: 'whsec_a', DATABASE_URL: 'postgres://h/db' }, 'ADMIN_TOKEN'],
    ['production without webhook secret', { APP_ENV: 'production', ADMIN_TOKEN: 'a'.repeat(30), DATABASE_URL: 'postgres://h/db' }, 'STRIPE_WEBHOOK_SECRET'],
    ['production with memory storage', { APP_ENV: 'production', ADMIN_TOKEN: 'a'.repeat(30), STRIPE_WEBHOOK_SECRET: 'whsec_a', PILOT_DATA_DIR: 'memory://' }, 'PILOT_DATA_DIR'],
    ['RATE_LIMIT_MAX zero', { RATE_LIMIT_MAX: '0' }, 'RATE_LIMIT_MAX'],
    ['BODY_LIMIT_BYTES negative', { BODY_LIMIT_BYTES: '-1' }, 'BODY_LIMIT_BYTES'],
    ['DRAIN_DELAY_MS above the grace period', { DRAIN_DELAY_MS: '30000', SHUTDOWN_GRACE_MS: '20000' }, 'DRAIN_DELAY_MS'],
    ['HEADERS_TIMEOUT_MS above REQUEST_TIMEOUT_MS', { HEADERS_TIMEOUT_MS: '40000', REQUEST_TIMEOUT_MS: '30000' }, 'HEADERS_TIMEOUT_MS'],
    ['bootstrap tenant id invalid', { PILOT_BOOTSTRAP_TENANT: 'a b', PILOT_BOOTSTRAP_API_KEY: 'k'.repeat(20), PILOT_BOOTSTRAP_SIGNING_SECRET: 's'.repeat(20) }, 'PILOT_BOOTSTRAP_TENANT'],
    ['bootstrap API key alone', { PILOT_BOOTSTRAP_API_KEY: 'k'.repeat(20) }, 'PILOT_BOOTSTRAP_TENANT'],
    ['bootstrap without signing secret', { PILOT_BOOTSTRAP_TENANT: 't', PILOT_BOOTSTRAP_API_KEY: 'k'.repeat(20) }, 'PILOT_BOOTSTRAP_SIGNING_SECRET'],
  ];
  for (const [name, env, variable] of cases) {
    test(name, () => {
      const issues = issuesOf(env);
      assert.ok(
        issues.some((i) => i.variable === variable),
        `expected an issue for ${variable}, got ${JSON.stringify(issues)}`,
      );
      for (const [name, value] of Object.entries(env)) {
        if ((SECRET_VARIABLES as readonly string[]).includes(name)) {
          assert.ok(!JSON.stringify(issues).includes(value), `an issue quoted the value of ${name}`);
        }
      }
    });
  }
  test('every problem is reported at once', () => {
    const issues = issuesOf({ PORT: 'x', APP_ENV: 'nope', PILOT_BOOTSTRAP_API_KEY: 'k'.repeat(20) });
    const names = issues.map((i) => i.variable).sort();
    assert.deepEqual(names, ['APP_ENV', 'PILOT_BOOTSTRAP_SIGNING_SECRET', 'PILOT_BOOTSTRAP_TENANT', 'PORT']);
  });
});

describe('sanitizeConfig', () => {
  test('never contains a secret value', () => {
    const env = {
      DATABASE_URL: 'postgres://app:db-password-XYZ@db:5432/pilot',
      REDIS_URL: 'redis://:redis-password-XYZ@cache:6379',
      STRIPE_WEBHOOK_SECRET: 'whsec_secret-XYZ',
      STRIPE_SECRET_KEY: 'sk_live_secret-XYZ',
      ADMIN_TOKEN: 'admin-token-secret-XYZ-0123456789',
      NOTIFY_MODE: 'smtp',
      SMTP_URL: 'smtp://user:smtp-password-XYZ@mail:587',
      EMAIL_FROM: 'noreply@example.com',
      PILOT_BOOTSTRAP_TENANT: 't1',
      PILOT_BOOTSTRAP_API_KEY: 'bootstrap-key-XYZ-0123',
      PILOT_BOOTSTRAP_SIGNING_SECRET: 'bootstrap-secret-XYZ-0123',
    };
    const r = parseConfig(env);
    assert.ok(r.ok);
    const text = JSON.stringify(sanitizeConfig(r.config));
    assert.doesNotMatch(text, /XYZ/);
    assert.match(text, /\[set: live\]/);
    assert.match(text, /db:5432/);
  });
  test('redactUrl hides credentials and unparsable values', () => {
    assert.equal(redactUrl('postgres://u:p@h/db'), 'postgres://***:***@h/db');
    assert.equal(redactUrl('not a url p@ss'), '[unparsable]');
  });
  test('CONFIG_VARIABLES lists the contract names', () => {
    for (const name of ['PORT', 'HOST', 'DATABASE_URL', 'PILOT_DATA_DIR', 'REDIS_URL', 'STRIPE_WEBHOOK_SECRET', 'STRIPE_SIGNING_SECRET', 'STRIPE_SECRET_KEY', 'NOTIFY_MODE', 'SMTP_URL', 'EMAIL_FROM', 'ADMIN_TOKEN', 'RATE_LIMIT_MAX', 'RATE_LIMIT_WINDOW_MS', 'BODY_LIMIT_BYTES', 'DRAIN_DELAY_MS', 'SHUTDOWN_GRACE_MS', 'LOG_LEVEL', 'APP_ENV', 'PILOT_BOOTSTRAP_TENANT', 'PILOT_BOOTSTRAP_API_KEY', 'PILOT_BOOTSTRAP_SIGNING_SECRET', 'PILOT_BOOTSTRAP_KEY_ID']) {
      assert.ok(CONFIG_VARIABLES.includes(name), name);
    }
  });
});

describe('TRUST_PROXY', () => {
  const table: [string, boolean | number | string[]][] = [
    ['false', false],
    ['true', true],
    ['2', 2],
    ['10.0.0.0/8, 127.0.0.1', ['10.0.0.0/8', '127.0.0.1']],
  ];
  for (const [input, expected] of table) {
    test(`${input} → ${JSON.stringify(expected)}`, () => {
      const r = parseConfig({ TRUST_PROXY: input });
      assert.ok(r.ok);
      assert.deepEqual(r.config.trustProxy, expected);
    });
  }
  test('garbage is refused', () => {
    assert.ok(issuesOf({ TRUST_PROXY: 'yes please' }).some((i) => i.variable === 'TRUST_PROXY'));
  });
});

describe('every problem at once', () => {
  test('APP_ENV=production PORT=abc names PORT and every missing production variable in one run', () => {
    const names = issuesOf({ APP_ENV: 'production', PORT: 'abc' }).map((i) => i.variable);
    for (const n of ['PORT', 'ADMIN_TOKEN', 'STRIPE_WEBHOOK_SECRET', 'DATABASE_URL']) assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
  });
  test('malformed values and cross-variable rules together; a malformed value is not also "missing"', () => {
    const issues = issuesOf({
      APP_ENV: 'production',
      ADMIN_TOKEN: 'short',
      LOG_LEVEL: 'loud',
      HEADERS_TIMEOUT_MS: '20000',
      REQUEST_TIMEOUT_MS: '10000',
      NOTIFY_MODE: 'smtp',
    });
    const names = issues.map((i) => i.variable);
    for (const n of ['ADMIN_TOKEN', 'LOG_LEVEL', 'HEADERS_TIMEOUT_MS', 'SMTP_URL', 'EMAIL_FROM', 'STRIPE_WEBHOOK_SECRET', 'DATABASE_URL']) {
      assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
    }
    assert.equal(names.filter((n) => n === 'ADMIN_TOKEN').length, 1, 'ADMIN_TOKEN is malformed, not missing');
    assert.ok(!JSON.stringify(issues).includes('short'), 'values are never quoted');
  });
});

describe('operations variables', () => {
  test('defaults: worker on, nightly reconcile over a day, 5 min lag, 1 % threshold', () => {
    const r = parseConfig({});
    assert.ok(r.ok);
    assert.equal(r.config.enrichWorker, true);
    assert.equal(r.config.enrichPollIntervalMs, 1000);
    assert.equal(r.config.enrichBatchSize, 100);
    assert.equal(r.config.reconcileIntervalSec, 86_400);
    assert.equal(r.config.reconcileWindowSec, 86_400);
    assert.equal(r.config.reconcileLagSec, 300);
    assert.equal(r.config.reconcileDriftThreshold, 0.01);
  });
  test('values are parsed; RECONCILE_INTERVAL_SEC=0 turns the schedule off', () => {
    const r = parseConfig({ ENRICH_WORKER: 'off', RECONCILE_INTERVAL_SEC: '0', RECONCILE_DRIFT_THRESHOLD: '0.005' });
    assert.ok(r.ok);
    assert.equal(r.config.enrichWorker, false);
    assert.equal(r.config.reconcileIntervalSec, 0);
    assert.equal(r.config.reconcileDriftThreshold, 0.005);
  });
  test('bad values name their variable', () => {
    const bad: Record<string, string> = {
      ENRICH_WORKER: 'maybe',
      ENRICH_POLL_INTERVAL_MS: '10',
      ENRICH_BATCH_SIZE: '0',
      RECONCILE_INTERVAL_SEC: '-1',
      RECONCILE_WINDOW_SEC: '59',
      RECONCILE_LAG_SEC: 'soon',
      RECONCILE_DRIFT_THRESHOLD: '2',
    };
    const named = new Set(issuesOf(bad).map((i) => i.variable));
    for (const v of Object.keys(bad)) assert.ok(named.has(v), v);
    assert.ok(issuesOf({ RECONCILE_DRIFT_THRESHOLD: '1e-2' }).some((i) => i.variable === 'RECONCILE_DRIFT_THRESHOLD'));
  });
});
