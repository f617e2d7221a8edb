/**
 * pilot, the reference service, as the target of the webhook kind: its Stripe webhook (`POST /api/stripe/webhook`,
 * verified with the official package, future dates refused, events stored once per id) passes every probe.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { webhookCheck } from '../../src/checks/webhook.ts';
import type { WebhookData } from '../../src/checks/webhook.data.ts';
import { makeContext, runCheck } from '../helpers/context.ts';
import { type RunningPilot, startPilot } from '../helpers/pilot.ts';

const SECRET = 'whsec_golive_pilot_webhook_test_secret';

describe('webhook against pilot', () => {
  let pilot: RunningPilot | undefined;
  let baseUrl = '';
  before(async () => {
    pilot = await startPilot({ STRIPE_WEBHOOK_SECRET: SECRET });
    baseUrl = pilot.baseUrl;
  });
  after(async () => {
    await pilot?.stop();
  });

  it('passes every probe of the stripe scheme, a replay answered as a duplicate', async () => {
    const t = await makeContext({ baseUrl, env: { STRIPE_WEBHOOK_SECRET: SECRET } });
    try {
      const out = await runCheck(webhookCheck, t.ctx, { replayMarker: 'duplicate' });
      const bad = out.observations.filter((o) => !o.passed);
      assert.deepEqual(bad, [], JSON.stringify(bad, null, 1));
      assert.equal((out.data as WebhookData).probes.length, 9);
      assert.ok(!JSON.stringify(out).includes(SECRET));
    } finally {
      await t.close();
    }
  });
});
