import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyStripeKey, evaluateProviders, evaluateRule, isEmailAddress, parseFlag, providerConfigCheck } from '../../src/checks/provider-config.ts';

const LIVE = {
  STRIPE_TEST: '0',
  STRIPE_SIGNING_SECRET: 'whsec_live0123456789abcdef',
  NOTIFY_MODE: 'resend',
  EMAIL_FROM: 'noreply@example.com',
};

function failing(env: Record<string, string | undefined>): string[] {
  return evaluateProviders(env, ['stripe', 'email'])
    .findings.filter((f) => !f.passed)
    .map((f) => f.code);
}

describe('built-in provider policy', () => {
  const cases: Array<[string, Record<string, string | undefined>, string[]]> = [
    ['the seed production environment', LIVE, []],
    ['nothing set (seed defaults: test, mock)', {}, ['PROVIDER_STRIPE_TEST_MODE', 'PROVIDER_SIGNING_SECRET_MISSING', 'PROVIDER_NOTIFY_MOCK', 'PROVIDER_EMAIL_FROM_MISSING']],
    ['STRIPE_TEST=1', { ...LIVE, STRIPE_TEST: '1' }, ['PROVIDER_STRIPE_TEST_MODE']],
    ['STRIPE_TEST=maybe', { ...LIVE, STRIPE_TEST: 'maybe' }, ['PROVIDER_STRIPE_MODE_INVALID']],
    ['live from the key prefix', { ...LIVE, STRIPE_TEST: undefined, STRIPE_SECRET_KEY: 'sk_live_0123456789abcdefgh' }, []],
    ['restricted live key', { ...LIVE, STRIPE_TEST: undefined, STRIPE_SECRET_KEY: 'rk_live_0123456789abcdefgh' }, []],
    ['test from the key prefix', { ...LIVE, STRIPE_TEST: undefined, STRIPE_SECRET_KEY: 'sk_test_0123456789abcdefgh' }, ['PROVIDER_STRIPE_TEST_MODE']],
    ['STRIPE_TEST=0 with a test key', { ...LIVE, STRIPE_SECRET_KEY: 'sk_test_0123456789abcdefgh' }, ['PROVIDER_STRIPE_MODE_CONFLICT']],
    ['a publishable key as secret key', { ...LIVE, STRIPE_SECRET_KEY: 'pk_live_0123456789abcdefgh' }, ['PROVIDER_STRIPE_KEY_INVALID']],
    ['STRIPE_WEBHOOK_SECRET instead', { ...LIVE, STRIPE_SIGNING_SECRET: undefined, STRIPE_WEBHOOK_SECRET: 'whsec_0123456789abcdef' }, []],
    ['signing secret without whsec_', { ...LIVE, STRIPE_SIGNING_SECRET: 'not-a-stripe-secret' }, ['PROVIDER_SIGNING_SECRET_INVALID']],
    ['NOTIFY_MODE=mock', { ...LIVE, NOTIFY_MODE: 'mock' }, ['PROVIDER_NOTIFY_MOCK']],
    ['NOTIFY_MODE=MOCK', { ...LIVE, NOTIFY_MODE: 'MOCK' }, ['PROVIDER_NOTIFY_MOCK']],
    ['NOTIFY_MODE=provider', { ...LIVE, NOTIFY_MODE: 'provider' }, []],
    ['EMAIL_FROM with a display name', { ...LIVE, EMAIL_FROM: 'Acme <noreply@acme.io>' }, []],
    ['EMAIL_FROM not an address', { ...LIVE, EMAIL_FROM: 'noreply' }, ['PROVIDER_EMAIL_FROM_INVALID']],
    ['EMAIL_FROM empty', { ...LIVE, EMAIL_FROM: '' }, ['PROVIDER_EMAIL_FROM_MISSING']],
  ];
  for (const [name, env, want] of cases) it(name, () => assert.deepEqual(failing(env), want));

  it('mirrors the seed provider_config keys', () => {
    const { config } = evaluateProviders({ STRIPE_TEST: '1', STRIPE_SIGNING_SECRET: 'whsec_x1234567', NOTIFY_MODE: 'mock' }, ['stripe', 'email']);
    assert.equal(config.STRIPE_MODE, '1');
    assert.equal(config.STRIPE_SIGNING_SECRET_set, true);
    assert.equal(config.NOTIFY_MODE, 'mock');
    assert.equal(config.EMAIL_FROM_set, false);
  });

  it('checks only the providers asked for', () => {
    const r = evaluateProviders({}, ['email']);
    assert.deepEqual(Object.keys(r.config).sort(), ['EMAIL_FROM_set', 'NOTIFY_MODE']);
  });
});

describe('helpers', () => {
  it('parses flags', () => {
    assert.equal(parseFlag('X', '1'), true);
    assert.equal(parseFlag('X', 'TRUE'), true);
    assert.equal(parseFlag('X', '0'), false);
    assert.equal(parseFlag('X', 'off'), false);
    assert.equal(parseFlag('X', undefined), undefined);
    assert.equal(parseFlag('X', ' '), undefined);
    assert.throws(() => parseFlag('X', 'maybe'), /X must be 1 or 0/);
  });
  it('classifies Stripe keys by prefix only', () => {
    assert.equal(classifyStripeKey('sk_live_abc'), 'sk_live');
    assert.equal(classifyStripeKey('rk_test_abc'), 'rk_test');
    assert.equal(classifyStripeKey('pk_live_abc'), 'pk_live');
    assert.equal(classifyStripeKey('whatever'), 'other');
    assert.equal(classifyStripeKey(undefined), 'unset');
  });
  it('recognises addresses', () => {
    for (const ok of ['a@b.co', 'No Reply <noreply@x.example.com>', 'first.last+tag@sub.domain.org']) assert.equal(isEmailAddress(ok), true, ok);
    for (const bad of ['a@b', 'noreply', '@x.com', 'a b@c.com', 'Name <>']) assert.equal(isEmailAddress(bad), false, bad);
  });
});

describe('user rules', () => {
  const parse = (rule: Record<string, unknown>) => providerConfigCheck.options.parse({ rules: [rule] }).rules[0]!;
  const cases: Array<[string, Record<string, unknown>, Record<string, string>, string | undefined, boolean | undefined, string | undefined]> = [
    ['required and set', { variable: 'DB', required: true }, { DB: 'x' }, undefined, true, undefined],
    ['required and unset', { variable: 'DB', required: true }, {}, undefined, false, 'PROVIDER_RULE_REQUIRED'],
    ['optional and unset', { variable: 'DB' }, {}, undefined, true, undefined],
    ['pattern holds', { variable: 'URL', pattern: '^https://' }, { URL: 'https://x' }, undefined, true, undefined],
    ['pattern fails', { variable: 'URL', pattern: '^https://' }, { URL: 'http://x' }, undefined, false, 'PROVIDER_RULE_PATTERN'],
    ['notPattern fails', { variable: 'URL', notPattern: 'localhost' }, { URL: 'http://localhost' }, undefined, false, 'PROVIDER_RULE_PATTERN'],
    ['forbidden value', { variable: 'LOG_LEVEL', forbidden: ['debug', 'trace'] }, { LOG_LEVEL: 'trace' }, undefined, false, 'PROVIDER_RULE_FORBIDDEN'],
    ['allowed value', { variable: 'LOG_LEVEL', allowed: ['info', 'warn'] }, { LOG_LEVEL: 'info' }, undefined, true, undefined],
    ['not allowed value', { variable: 'LOG_LEVEL', allowed: ['info', 'warn'] }, { LOG_LEVEL: 'debug' }, undefined, false, 'PROVIDER_RULE_ALLOWED'],
    ['applies in its environment', { variable: 'DB', required: true, environments: ['production'] }, {}, 'production', false, 'PROVIDER_RULE_REQUIRED'],
    ['skipped in another environment', { variable: 'DB', required: true, environments: ['production'] }, {}, 'staging', undefined, undefined],
    ['skipped when no environment is known', { variable: 'DB', required: true, environments: ['production'] }, {}, undefined, undefined, undefined],
  ];
  for (const [name, rule, env, environment, passed, code] of cases) {
    it(name, () => {
      const o = evaluateRule(parse(rule), env, environment);
      assert.equal(o?.passed, passed);
      assert.equal(o?.code, code);
    });
  }
  it('never echoes a forbidden value', () => {
    const o = evaluateRule(parse({ variable: 'T', forbidden: ['changeme-please'] }), { T: 'changeme-please' }, 'production');
    assert.ok(!JSON.stringify(o).includes('changeme-please'));
    assert.match(o?.message ?? '', /forbidden value #1 in production/);
  });
  it('rejects a bad rule at option validation', () => {
    assert.throws(() => providerConfigCheck.options.parse({ rules: [{ variable: 'bad name' }] }));
    assert.throws(() => providerConfigCheck.options.parse({ rules: [{ variable: 'X', pattern: '(' }] }));
    assert.throws(() => providerConfigCheck.options.parse({ rules: [{ variable: 'X', requird: true }] }));
  });
});

describe('NOTIFY_MODE classification', () => {
  const cases: Array<[string, string]> = [
    ['resend', 'resend'],
    ['mock', 'mock'],
    ['Postmark', 'Postmark'],
    ['re_shortkey123', 'custom'],
    ['x'.repeat(40), 'custom'],
  ];
  for (const [value, shown] of cases) {
    it(`${value.slice(0, 16)} → ${shown}`, () => assert.equal(evaluateProviders({ NOTIFY_MODE: value }, ['email']).config.NOTIFY_MODE, shown));
  }
});
