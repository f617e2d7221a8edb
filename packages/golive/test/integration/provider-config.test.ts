import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { providerConfigCheck } from '../../src/checks/provider-config.ts';
import type { CheckOutcome } from '../../src/checks/types.ts';
import { isGoliveError } from '../../src/core/errors.ts';
import { failed, makeContext, runCheck } from '../helpers/context.ts';

async function run(env: Record<string, string>, opts: Record<string, unknown> = {}): Promise<CheckOutcome> {
  const t = await makeContext({ env });
  try {
    return await runCheck(providerConfigCheck, t.ctx, opts);
  } finally {
    await t.close();
  }
}

const PROD = {
  STRIPE_TEST: '0',
  STRIPE_SIGNING_SECRET: 'whsec_Q2hlY2tUaGlzSXNBUmVhbFNlY3JldA',
  NOTIFY_MODE: 'resend',
  EMAIL_FROM: 'noreply@yourapp.com',
};
const MOCKS = { STRIPE_TEST: '1', NOTIFY_MODE: 'mock' };
const warnings = (o: CheckOutcome) => o.observations.filter((x) => !x.passed && x.severity === 'warn').map((x) => x.code);

describe('provider-config check (the seed semantics)', () => {
  it('passes the seed production environment with EXPECT_LIVE=1', async () => {
    const out = await run({ ...PROD, EXPECT_LIVE: '1', ALLOW_PROVIDER_MOCK: '0' });
    assert.equal(failed(out), false, JSON.stringify(out.observations));
    assert.deepEqual(warnings(out), []);
    assert.deepEqual(out.data?.issues, []);
    assert.deepEqual(out.data?.config, { STRIPE_MODE: '0', STRIPE_SIGNING_SECRET_set: true, NOTIFY_MODE: 'resend', EMAIL_FROM_set: true });
    assert.deepEqual(out.data?.classification, { STRIPE_SECRET_KEY: 'unset', STRIPE_SIGNING_SECRET: 'whsec', EMAIL_FROM: 'address' });
    // golive cannot read the target's configuration: the summary says which environment was judged.
    assert.equal(out.summary, "golive's environment: providers live");
  });

  it('fails mocks when EXPECT_LIVE=1 (enforced, error severity)', async () => {
    const out = await run({ ...MOCKS, EXPECT_LIVE: '1' });
    assert.equal(failed(out), true);
    assert.equal(out.data?.enforced, true);
    assert.equal((out.data?.issues as string[] | undefined ?? []).length, 4);
    assert.match((out.data?.issues as string[] | undefined ?? [])[0] ?? '', /Stripe is in test mode \(STRIPE_TEST=1\)/);
    assert.ok(out.observations.filter((o) => !o.passed).every((o) => o.severity === 'error'));
    assert.equal(out.summary, "golive's environment: 4 provider issue(s)");
    for (const o of out.observations.filter((x) => !x.passed)) assert.match(o.message, /read from golive's environment\)$/);
  });

  it('reports mocks as warnings when EXPECT_LIVE=1 and ALLOW_PROVIDER_MOCK=1', async () => {
    const out = await run({ ...MOCKS, EXPECT_LIVE: '1', ALLOW_PROVIDER_MOCK: '1' });
    assert.equal(failed(out), false);
    assert.equal(warnings(out).length, 4);
    assert.equal((out.data?.issues as string[] | undefined ?? []).length, 4);
  });

  it('is advisory by default: warnings, and no seed provider_issues', async () => {
    const out = await run({ ...MOCKS });
    assert.equal(failed(out), false);
    assert.deepEqual(warnings(out), ['PROVIDER_STRIPE_TEST_MODE', 'PROVIDER_SIGNING_SECRET_MISSING', 'PROVIDER_NOTIFY_MOCK', 'PROVIDER_EMAIL_FROM_MISSING']);
    assert.deepEqual(out.data?.issues, []);
    assert.equal((out.data?.advisories as string[] | undefined ?? []).length, 4);
  });

  it('lets options override the environment', async () => {
    const enforced = await run({ ...MOCKS, EXPECT_LIVE: '0' }, { expectLive: true });
    assert.equal(failed(enforced), true);
    const allowed = await run({ ...MOCKS, EXPECT_LIVE: '1', ALLOW_PROVIDER_MOCK: '0' }, { allowMock: true });
    assert.equal(failed(allowed), false);
  });

  it('is an error (not a pass) when a flag is unreadable', async () => {
    await assert.rejects(run({ EXPECT_LIVE: 'maybe' }), (e: unknown) => isGoliveError(e) && e.code === 'GOLIVE_ERR_CHECK_OPTIONS');
  });

  it('applies user rules for the environment named by APP_ENV', async () => {
    const rules = [
      { variable: 'DATABASE_URL', required: true, environments: ['production'] },
      { variable: 'LOG_LEVEL', forbidden: ['debug'], environments: ['production'] },
      { variable: 'SENTRY_DSN', required: true, environments: ['staging'] },
    ];
    const out = await run({ ...PROD, APP_ENV: 'production', LOG_LEVEL: 'debug' }, { rules });
    assert.deepEqual(
      out.observations.filter((o) => !o.passed).map((o) => o.code),
      ['PROVIDER_RULE_REQUIRED', 'PROVIDER_RULE_FORBIDDEN'],
    );
    assert.equal(out.data?.environment, 'production');
    assert.equal(failed(out), true);
  });

  it('never puts a planted secret value in the outcome', async () => {
    const secrets = {
      STRIPE_SECRET_KEY: 'sk_live_51HzPlantedSecretValue0000abcd',
      STRIPE_SIGNING_SECRET: 'whsec_PlantedSigningSecret1234567890',
      STRIPE_WEBHOOK_SECRET: 'whsec_AnotherPlantedSecret0987654321',
      EMAIL_FROM: 'planted.sender@secret-domain.example',
      NOTIFY_MODE: 're_planted_provider_api_key_value_1234567890abcdef',
      INTERNAL_TOKEN: 'tok-planted-internal-token-value',
    };
    const envs = [
      { ...secrets, STRIPE_TEST: '1', EXPECT_LIVE: '1' },
      { ...secrets, STRIPE_TEST: '0', APP_ENV: 'production' },
      { ...secrets, STRIPE_SECRET_KEY: 'pk_live_PlantedPublishableKey123', EMAIL_FROM: 'not-an-address-planted' },
    ];
    for (const env of envs) {
      const out = await run(env, {
        rules: [
          { variable: 'INTERNAL_TOKEN', pattern: '^zzz', forbidden: ['tok-planted-internal-token-value'] },
          { variable: 'STRIPE_SECRET_KEY', allowed: ['something-else'] },
        ],
      });
      const text = JSON.stringify(out);
      for (const v of [...Object.values(secrets), 'pk_live_PlantedPublishableKey123', 'not-an-address-planted']) {
        assert.ok(!text.includes(v), `leaked ${v.slice(0, 12)}…`);
      }
      assert.ok(out.observations.length >= 5);
    }
  });
});
