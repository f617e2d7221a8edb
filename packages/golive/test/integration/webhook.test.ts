/**
 * The webhook kind against real servers on port 0: a Stripe receiver verifying with the official `stripe`
 * package, a GitHub-style receiver and a generic timestamped HMAC receiver pass; one receiver per defect fails,
 * and the failure names the probe that caught it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, describe, it } from 'node:test';
import Stripe from 'stripe';
import { type CheckOutcome, mutatesTarget } from '../../src/checks/types.ts';
import { webhookCheck } from '../../src/checks/webhook.ts';
import type { WebhookData } from '../../src/checks/webhook.data.ts';
import { resolveConfig } from '../../src/config/resolve.ts';
import { builtinChecks } from '../../src/checks/registry.ts';
import type { CheckResult, Report } from '../../src/core/result.ts';
import { renderText } from '../../src/reporters/text.ts';
import { runGate } from '../../src/runner/run-gate.ts';
import { refusedUrl, sendJson, serverPool } from '../helpers/check-servers.ts';
import { failed, makeContext, runCheck } from '../helpers/context.ts';

const SECRET = 'whsec_golive_test_0123456789abcdef';
const GH_SECRET = 'gh-webhook-secret-for-tests';
const TOLERANCE = 300;
const pool = serverPool();

async function runWebhook(baseUrl: string, opts: Record<string, unknown>, env: Record<string, string> = { STRIPE_WEBHOOK_SECRET: SECRET }): Promise<CheckOutcome> {
  const t = await makeContext({ baseUrl, env });
  try {
    return await runCheck(webhookCheck, t.ctx, opts);
  } finally {
    await t.close();
  }
}

/** Names of the failed error-severity observations. */
const failures = (o: CheckOutcome) => o.observations.filter((x) => !x.passed && (x.severity ?? 'error') === 'error').map((x) => x.name);
const codeOf = (o: CheckOutcome, name: string) => o.observations.find((x) => x.name === name && !x.passed)?.code;
const dataOf = (o: CheckOutcome) => o.data as WebhookData;

/** What a defective Stripe receiver gets wrong. */
type StripeDefect = 'none' | 'missing' | 'forged' | 'stale' | 'future' | 'altered' | 'replay' | 'crash' | 'everything-200';

/**
 * A Stripe receiver: the official package verifies the raw body (tolerance 300 s), a timestamp far ahead is
 * refused by hand (the package checks the age only), events are processed once per id. `GET /count` is the
 * number processed. Each defect removes or breaks one of those steps.
 */
function stripeReceiver(defect: StripeDefect): (req: IncomingMessage, res: ServerResponse, body: string) => void {
  const processed = new Set<string>();
  let effects = 0;
  const verifiedHeaders = new Set<string>();
  return (req, res, body) => {
    if (req.method === 'GET' && req.url === '/count') return sendJson(res, 200, { count: effects });
    if (req.method === 'GET' && req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      return res.end(`# TYPE webhook_events_total counter\nwebhook_events_total{provider="stripe",outcome="stored"} ${effects}\n`);
    }
    if (defect === 'everything-200') return sendJson(res, 200, { received: true });
    const header = req.headers['stripe-signature'];
    if (typeof header !== 'string') {
      if (defect === 'missing') {
        effects++;
        return sendJson(res, 200, { received: true });
      }
      if (defect !== 'crash') return sendJson(res, 400, { error: 'missing signature' });
    }
    let event: { id: string };
    try {
      const t = Number(/(?:^|,)t=(\d+)/.exec(String(header))?.[1]);
      if (defect !== 'future' && t - Math.floor(Date.now() / 1000) > TOLERANCE) return sendJson(res, 400, { error: 'timestamp in the future' });
      if (defect === 'forged') {
        // Checks the shape of the header and the age of its timestamp, never the HMAC.
        if (!/v1=[0-9a-f]{64}/.test(String(header))) return sendJson(res, 400, { error: 'malformed' });
        if (Math.floor(Date.now() / 1000) - t > TOLERANCE) return sendJson(res, 400, { error: 'stale' });
        event = JSON.parse(body);
      } else if (defect === 'altered' && verifiedHeaders.has(String(header))) {
        // A "fast path": a signature header verified once is trusted again, whatever body comes with it.
        event = JSON.parse(body);
      } else {
        event = Stripe.webhooks.constructEvent(body, String(header), SECRET, defect === 'stale' ? 0 : TOLERANCE) as unknown as { id: string };
        verifiedHeaders.add(String(header));
      }
    } catch (err) {
      if (defect === 'crash') throw err;
      return sendJson(res, 400, { error: (err as Error).message });
    }
    const duplicate = processed.has(event.id) && defect !== 'replay';
    if (!duplicate) {
      processed.add(event.id);
      effects++;
    }
    sendJson(res, 200, { received: true, duplicate });
  };
}

/** Starts a server whose handler may throw (a crash answers 500, as a framework's default error handler does). */
function serveCatching(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<string> {
  return pool.serve((req, res, body) => {
    try {
      handler(req, res, body);
    } catch {
      sendJson(res, 500, { error: 'Internal Server Error' });
    }
  });
}

const COUNT = { type: 'json', path: '/count', jsonPath: 'count' };

describe('webhook: stripe scheme', () => {
  it('passes a receiver that verifies with the stripe package, refuses future dates and processes each event once', async () => {
    const url = await serveCatching(stripeReceiver('none'));
    const out = await runWebhook(url, { effectCount: COUNT, replayMarker: 'duplicate' });
    assert.deepEqual(failures(out), [], JSON.stringify(out.observations, null, 1));
    const data = dataOf(out);
    assert.deepEqual(
      data.probes.map((p) => [p.probe, p.verdict]),
      [
        ['no-signature', 'pass'],
        ['malformed-signature', 'pass'],
        ['wrong-secret', 'pass'],
        ['stale-timestamp', 'pass'],
        ['future-timestamp', 'pass'],
        ['valid-event', 'pass'],
        ['replay-identical', 'pass'],
        ['replay-resigned', 'pass'],
        ['altered-body', 'pass'],
      ],
    );
    assert.equal(data.secretEnv, 'STRIPE_WEBHOOK_SECRET');
    assert.deepEqual(data.effects, { source: 'GET /count → count', before: 0, after: 1 });
    assert.match(data.marker, /^golive-probe-[0-9a-f]{8}$/);
    assert.ok(data.probes.every((p) => p.request.includes(data.marker) || p.probe === 'replay-identical'), 'every probe carries the marker');
    assert.equal(out.metrics?.probesRun, 9);
    assert.ok(!JSON.stringify(out).includes(SECRET), 'the secret never appears in the outcome');
    const shown = webhookCheck.present?.({ data, metrics: {}, status: 'pass' }, webhookCheck.options.parse({}));
    assert.equal(shown?.keyFigure, '9/9 probes held');
    assert.deepEqual(shown?.tables?.[0]?.columns, ['probe', 'request', 'status', 'expected', 'verdict']);
  });

  it('a 429 it did not cause is waited out (Retry-After) and the probe sent again, not taken as the answer', async () => {
    const inner = stripeReceiver('none');
    let posts = 0;
    const url = await serveCatching((req, res, body) => {
      // Every third POST is throttled once: the probe must wait and resend, and still pass.
      if (req.method === 'POST' && ++posts % 3 === 0) {
        res.writeHead(429, { 'retry-after': '1' });
        return res.end();
      }
      return inner(req, res, body);
    });
    const t0 = Date.now();
    const out = await runWebhook(url, { effectCount: COUNT, replayMarker: 'duplicate' });
    assert.deepEqual(failures(out), [], JSON.stringify(out.observations.filter((o) => !o.passed), null, 1));
    assert.ok(Date.now() - t0 >= 1000, 'it waited as advised');
  });

  it('declares itself mutating, and its timeout from the probes at their request timeout', () => {
    const o = webhookCheck.options.parse({ timeoutMs: 10_000 });
    assert.equal(mutatesTarget(webhookCheck, o), true);
    assert.equal(webhookCheck.timeoutFor?.(o), 9 * 10_000 + 2000);
    assert.equal(webhookCheck.timeoutFor?.(webhookCheck.options.parse({ timeoutMs: 10_000, effectCount: COUNT })), 11 * 10_000 + 2000);
  });

  it('two stripe secret variables that differ: a warning, STRIPE_WEBHOOK_SECRET used', async () => {
    const url = await serveCatching(stripeReceiver('none'));
    const out = await runWebhook(url, {}, { STRIPE_WEBHOOK_SECRET: SECRET, STRIPE_SIGNING_SECRET: 'whsec_other_secret_value' });
    assert.deepEqual(failures(out), []);
    const warn = out.observations.find((x) => x.name === 'secret-variables');
    assert.equal(warn?.code, 'WEBHOOK_SECRET_AMBIGUOUS');
    assert.equal(warn?.severity, 'warn');
    assert.ok(!JSON.stringify(out).includes('whsec_other_secret_value'));
  });

  it('reads STRIPE_SIGNING_SECRET when STRIPE_WEBHOOK_SECRET is not set', async () => {
    const url = await serveCatching(stripeReceiver('none'));
    const out = await runWebhook(url, {}, { STRIPE_SIGNING_SECRET: SECRET });
    assert.deepEqual(failures(out), []);
    assert.equal(dataOf(out).secretEnv, 'STRIPE_SIGNING_SECRET');
  });

  const defects: Array<[StripeDefect, string[], string[]]> = [
    ['missing', ['no-signature'], ['WEBHOOK_ACCEPTS_UNSIGNED']],
    ['forged', ['wrong-secret', 'altered-body'], ['WEBHOOK_ACCEPTS_FORGED', 'WEBHOOK_ACCEPTS_ALTERED']],
    ['stale', ['stale-timestamp'], ['WEBHOOK_ACCEPTS_STALE']],
    ['future', ['future-timestamp'], ['WEBHOOK_ACCEPTS_FUTURE']],
    ['altered', ['altered-body'], ['WEBHOOK_ACCEPTS_ALTERED']],
    ['replay', ['replay-identical', 'replay-resigned', 'replay-effects'], ['WEBHOOK_REPLAY_ACCEPTED', 'WEBHOOK_REPLAY_ACCEPTED', 'WEBHOOK_REPLAY_ACCEPTED']],
  ];
  for (const [defect, probes, codes] of defects) {
    it(`fails a receiver that accepts a ${defect} event, naming ${probes.join(', ')}`, async () => {
      const url = await serveCatching(stripeReceiver(defect));
      const out = await runWebhook(url, { effectCount: COUNT, replayMarker: 'duplicate' });
      assert.equal(failed(out), true);
      assert.deepEqual(failures(out), probes, JSON.stringify(out.observations, null, 1));
      assert.deepEqual(
        probes.map((p) => codeOf(out, p)),
        codes,
      );
      const first = out.observations.find((x) => x.name === probes[0]);
      assert.match(first?.message ?? '', new RegExp(`^${probes[0]}: `));
    });
  }

  it('effectCount from a Prometheus counter; an unreadable count fails naming the source', async () => {
    const metric = { type: 'metric', metric: 'webhook_events_total', labels: { outcome: 'stored' } };
    const good = await serveCatching(stripeReceiver('none'));
    const ok = await runWebhook(good, { effectCount: metric });
    assert.deepEqual(failures(ok), []);
    assert.deepEqual(dataOf(ok).effects, { source: 'GET /metrics → webhook_events_total{outcome="stored"}', before: 0, after: 1 });
    const replays = await runWebhook(await serveCatching(stripeReceiver('replay')), { effectCount: metric });
    assert.deepEqual(failures(replays), ['replay-effects']);
    assert.match(replays.observations.find((x) => x.name === 'replay-effects')?.message ?? '', /^3 effects for one event and its replays/);
    const missing = await runWebhook(good, { effectCount: { type: 'json', path: '/nowhere', jsonPath: 'count' } });
    assert.deepEqual(failures(missing), ['replay-effects']);
    assert.equal(codeOf(missing, 'replay-effects'), 'WEBHOOK_COUNT_UNREADABLE');
    assert.match(missing.observations.find((x) => x.name === 'replay-effects')?.message ?? '', /GET \/nowhere → count/);
  });

  it('the future probe is a warning with futureTimestamp: warn', async () => {
    const url = await serveCatching(stripeReceiver('future'));
    const out = await runWebhook(url, { futureTimestamp: 'warn' });
    assert.equal(failed(out), false);
    const o = out.observations.find((x) => x.name === 'future-timestamp');
    assert.equal(o?.severity, 'warn');
    assert.match(o?.message ?? '', /checks only the age/);
  });

  it('a replay without effectCount or replayMarker: a 2xx is taken as acknowledged (2xx-or-4xx), replay: 4xx demands a rejection', async () => {
    const url = await serveCatching(stripeReceiver('none'));
    assert.deepEqual(failures(await runWebhook(url, {})), []);
    const strict = await runWebhook(url, { replay: '4xx' });
    assert.deepEqual(failures(strict), ['replay-identical', 'replay-resigned']);
    assert.equal(codeOf(strict, 'replay-identical'), 'WEBHOOK_REPLAY_STATUS');
  });

  it('fails a receiver that answers 500 to a bad signature, on every probe with a bad one', async () => {
    const url = await serveCatching(stripeReceiver('crash'));
    const out = await runWebhook(url, {});
    assert.deepEqual(failures(out), ['no-signature', 'malformed-signature', 'wrong-secret', 'stale-timestamp', 'altered-body']);
    for (const o of out.observations.filter((x) => !x.passed)) {
      assert.equal(o.code, 'WEBHOOK_SERVER_ERROR');
      assert.match(o.message, /server error 500/);
    }
  });

  it('fails a receiver that answers 200 to everything, naming each negative probe', async () => {
    const url = await serveCatching(stripeReceiver('everything-200'));
    const out = await runWebhook(url, {});
    assert.deepEqual(failures(out), ['no-signature', 'malformed-signature', 'wrong-secret', 'stale-timestamp', 'future-timestamp', 'altered-body']);
    assert.deepEqual(
      out.observations.filter((x) => !x.passed).map((x) => x.code),
      ['WEBHOOK_ACCEPTS_UNSIGNED', 'WEBHOOK_ACCEPTS_MALFORMED', 'WEBHOOK_ACCEPTS_FORGED', 'WEBHOOK_ACCEPTS_STALE', 'WEBHOOK_ACCEPTS_FUTURE', 'WEBHOOK_ACCEPTS_ALTERED'],
    );
    assert.match(out.observations[0]?.message ?? '', /accepted with 200 where a rejection \(400\|401\|403\) was expected/);
  });

  it('a rejection outside rejectStatus fails with WEBHOOK_REJECT_STATUS; rejectStatus widens it', async () => {
    const url = await pool.serve((req, res) => (req.headers['stripe-signature'] ? sendJson(res, 400, {}) : sendJson(res, 422, { error: 'unprocessable' })));
    const out = await runWebhook(url, {});
    assert.equal(codeOf(out, 'no-signature'), 'WEBHOOK_REJECT_STATUS');
    const wide = await runWebhook(url, { rejectStatus: '4xx' });
    assert.equal(codeOf(wide, 'no-signature'), undefined);
    assert.equal(codeOf(wide, 'valid-event'), 'WEBHOOK_VALID_REJECTED');
  });
});

describe('webhook: without the secret', () => {
  it('sends only the probes that need none and warns naming the others', async () => {
    const url = await serveCatching(stripeReceiver('none'));
    const out = await runWebhook(url, {}, {});
    assert.equal(failed(out), false);
    const data = dataOf(out);
    assert.deepEqual(data.notProbed, ['stale-timestamp', 'future-timestamp', 'valid-event', 'replay-identical', 'replay-resigned', 'altered-body']);
    assert.deepEqual(
      data.probes.filter((p) => p.verdict === 'pass').map((p) => p.probe),
      ['no-signature', 'malformed-signature', 'wrong-secret'],
    );
    const warn = out.observations.find((x) => x.name === 'not-probed');
    assert.equal(warn?.severity, 'warn');
    assert.equal(warn?.code, 'WEBHOOK_NOT_PROBED');
    assert.match(warn?.message ?? '', /STRIPE_WEBHOOK_SECRET \/ STRIPE_SIGNING_SECRET not set/);
  });

  it('with requireSecret the check is an error naming the variables, or a fail when a probe already caught a defect', async () => {
    const good = await serveCatching(stripeReceiver('none'));
    await assert.rejects(runWebhook(good, { requireSecret: true }, {}), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'GOLIVE_ERR_MISSING_SECRET');
      assert.match(e.message, /STRIPE_WEBHOOK_SECRET/);
      assert.match(e.message, /probes sent: no-signature pass \(400\), malformed-signature pass \(400\), wrong-secret pass \(400\)$/);
      return true;
    });
    const bad = await serveCatching(stripeReceiver('everything-200'));
    const out = await runWebhook(bad, { requireSecret: true }, {});
    assert.deepEqual(failures(out), ['no-signature', 'malformed-signature', 'wrong-secret', 'not-probed']);
  });
});

describe('webhook: github scheme', () => {
  /** Verifies X-Hub-Signature-256 in constant time; deliveries are processed once per X-GitHub-Delivery. */
  function githubReceiver(): (req: IncomingMessage, res: ServerResponse, body: string) => void {
    const seen = new Set<string>();
    return (req, res, body) => {
      const sig = req.headers['x-hub-signature-256'];
      if (typeof sig !== 'string') return sendJson(res, 401, { error: 'no signature' });
      const m = /^sha256=([0-9a-f]{64})$/.exec(sig);
      if (!m) return sendJson(res, 400, { error: 'malformed' });
      const want = createHmac('sha256', GH_SECRET).update(body).digest();
      if (!timingSafeEqual(want, Buffer.from(m[1] ?? '', 'hex'))) return sendJson(res, 401, { error: 'bad signature' });
      const delivery = String(req.headers['x-github-delivery']);
      const duplicate = seen.has(delivery);
      seen.add(delivery);
      sendJson(res, duplicate ? 200 : 202, { ok: true, duplicate });
    };
  }

  it('passes a GitHub-style receiver; the stale, future and re-signed probes are not applicable', async () => {
    const url = await serveCatching(githubReceiver());
    const out = await runWebhook(url, { scheme: 'github', path: '/hooks/github', replayMarker: 'duplicate' }, { GITHUB_WEBHOOK_SECRET: GH_SECRET });
    assert.deepEqual(failures(out), [], JSON.stringify(out.observations, null, 1));
    const data = dataOf(out);
    assert.deepEqual(
      data.probes.filter((p) => p.verdict === 'not applicable').map((p) => p.probe),
      ['stale-timestamp', 'future-timestamp', 'replay-resigned'],
    );
    assert.equal(out.metrics?.probesRun, 6);
  });
});

describe('webhook: hmac scheme', () => {
  const SLACK_SECRET = 'slack-signing-secret-test';
  /** Slack-style: `X-Slack-Signature: v0=hex(HMAC(v0:ts:body))`, timestamp in X-Slack-Request-Timestamp, both sides checked. */
  function slackReceiver(): (req: IncomingMessage, res: ServerResponse, body: string) => void {
    const seen = new Set<string>();
    return (req, res, body) => {
      const ts = Number(req.headers['x-slack-request-timestamp']);
      const sig = req.headers['x-slack-signature'];
      if (typeof sig !== 'string' || !Number.isInteger(ts)) return sendJson(res, 400, { error: 'unsigned' });
      if (Math.abs(Math.floor(Date.now() / 1000) - ts) > TOLERANCE) return sendJson(res, 403, { error: 'stale' });
      const want = `v0=${createHmac('sha256', SLACK_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
      if (sig.length !== want.length || !timingSafeEqual(Buffer.from(sig), Buffer.from(want))) return sendJson(res, 401, { error: 'bad signature' });
      const id = (JSON.parse(body) as { id: string }).id;
      const dup = seen.has(id);
      seen.add(id);
      sendJson(res, 200, { ok: true, duplicate: dup });
    };
  }

  it('passes a Slack-style receiver described by a template with a timestamp header', async () => {
    const url = await serveCatching(slackReceiver());
    const opts = {
      scheme: 'hmac',
      path: '/slack/events',
      sign: { secretEnv: 'SLACK_SIGNING_SECRET', header: 'X-Slack-Signature', payload: 'v0:{{timestamp}}:{{body}}', value: 'v0={{signature}}' },
      timestampHeader: 'X-Slack-Request-Timestamp',
      replayMarker: 'duplicate',
    };
    const out = await runWebhook(url, opts, { SLACK_SIGNING_SECRET: SLACK_SECRET });
    assert.deepEqual(failures(out), [], JSON.stringify(out.observations, null, 1));
    assert.equal(out.metrics?.probesRun, 9);
  });
});

describe('webhook: hmac scheme binding method, path and a header', () => {
  const KEY = 'hmac-binding-secret-test';
  it('passes a receiver that signs {{timestamp}}.{{method}}.{{path}}.{{header:X-Request-Id}}.{{body}}', async () => {
    const seen = new Set<string>();
    const signatures: Array<string | undefined> = [];
    const url = await serveCatching((req, res, body) => {
      signatures.push(req.headers['x-signature'] as string | undefined);
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(req.headers['x-signature'] ?? ''));
      if (!m) return sendJson(res, 401, { error: 'unsigned' });
      const t = Number(m[1]);
      if (Math.abs(Math.floor(Date.now() / 1000) - t) > TOLERANCE) return sendJson(res, 401, { error: 'stale' });
      const path = (req.url ?? '').split('?')[0];
      const want = createHmac('sha256', KEY).update(`${t}.${req.method}.${path}.${req.headers['x-request-id']}.${body}`).digest('hex');
      if (want !== m[2]) return sendJson(res, 401, { error: 'bad signature' });
      const id = String(req.headers['x-request-id']);
      const duplicate = seen.has(id);
      seen.add(id);
      sendJson(res, 200, { duplicate });
    });
    const opts = {
      scheme: 'hmac',
      path: '/v1/hooks?src=golive',
      sign: {
        secretEnv: 'HOOK_KEY',
        header: 'X-Signature', payload: '{{timestamp}}.{{method}}.{{path}}.{{header:X-Request-Id}}.{{body}}', value: 't={{timestamp}},v1={{signature}}' },
      // A signature header given here is still left out of the no-signature probe.
      headers: { 'X-Request-Id': '{{id}}', 'X-Signature': 't=1,v1=0' },
      replayMarker: 'duplicate',
    };
    const out = await runWebhook(url, opts, { HOOK_KEY: KEY });
    assert.deepEqual(failures(out), [], JSON.stringify(out.observations, null, 1));
    assert.equal(out.metrics?.probesRun, 9);
    assert.equal(signatures[0], undefined, 'no-signature carries no signature header');
  });
});

describe('webhook: bad input', () => {
  it('an unreachable target: every probe fails in bounded time with evidence, no crash', async () => {
    const out = await runWebhook(await refusedUrl(), {});
    // Every probe but the replays, which are not sent when the valid event got no answer.
    assert.deepEqual(failures(out), ['no-signature', 'malformed-signature', 'wrong-secret', 'stale-timestamp', 'future-timestamp', 'valid-event', 'altered-body']);
    assert.ok(out.observations.filter((x) => !x.passed && (x.severity ?? 'error') === 'error').every((x) => x.code === 'WEBHOOK_UNREACHABLE'));
    assert.equal(codeOf(out, 'replay'), 'WEBHOOK_NOT_PROBED');
    assert.match(out.observations[0]?.message ?? '', /^no-signature: no answer to POST http:\/\/127\.0\.0\.1:\d+\/api\/stripe\/webhook without Stripe-Signature/);
  });

  it('a target that never answers: each probe times out at its request timeout', async () => {
    const url = await pool.serve(() => undefined);
    const started = Date.now();
    const out = await runWebhook(url, { timeoutMs: 200 });
    assert.ok(Date.now() - started < 10_000);
    assert.equal(codeOf(out, 'no-signature'), 'WEBHOOK_TIMEOUT');
  });

  it('garbage answers are evidence, not a crash', async () => {
    const url = await pool.serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('\u0000{not json');
    });
    const out = await runWebhook(url, { replayMarker: 'duplicate' });
    assert.equal(codeOf(out, 'no-signature'), 'WEBHOOK_ACCEPTS_UNSIGNED');
    assert.equal(codeOf(out, 'replay-identical'), 'WEBHOOK_REPLAY_ACCEPTED');
  });

  const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
    ['hmac without a secret variable', { scheme: 'hmac', sign: { header: 'X-Sig', payload: '{{body}}' } }, /checks\.hook\.options\.sign\.secretEnv/],
    ['hmac without sign', { scheme: 'hmac' }, /checks\.hook\.options\.sign/],
    ['hmac with a top-level secretEnv', { scheme: 'hmac', secretEnv: 'X', sign: { secretEnv: 'HOOK_SECRET', header: 'X-Sig', payload: '{{body}}' } }, /checks\.hook\.options\.secretEnv/],
    ['a template without {{signature}}', { scheme: 'hmac', sign: { secretEnv: 'HOOK_SECRET', header: 'X-Sig', payload: '{{body}}', value: 'x' } }, /checks\.hook\.options\.sign\.value/],
    ['uniqueSignatures', { scheme: 'hmac', sign: { secretEnv: 'HOOK_SECRET', header: 'X-Sig', payload: '{{body}}', uniqueSignatures: true } }, /checks\.hook\.options\.sign\.uniqueSignatures/],
    ['sign with the stripe scheme', { sign: { secretEnv: 'HOOK_SECRET', header: 'X-Sig', payload: '{{body}}' } }, /checks\.hook\.options\.sign/],
    ['timestampHeader with the github scheme', { scheme: 'github', timestampHeader: 'X-Ts' }, /checks\.hook\.options\.timestampHeader/],
    ['an event without {{id}}', { event: { type: 'x' } }, /checks\.hook\.options\.event/],
    ['a 5xx rejection status', { rejectStatus: [400, 500] }, /checks\.hook\.options\.rejectStatus/],
    ['a 2xx rejection status', { rejectStatus: '2xx' }, /checks\.hook\.options\.rejectStatus/],
    ['a 4xx acceptStatus', { acceptStatus: [200, 409] }, /checks\.hook\.options\.acceptStatus/],
    ['a tolerance of 0', { toleranceSec: 0 }, /checks\.hook\.options\.toleranceSec/],
    [
      'a signed header the probes do not send',
      { scheme: 'hmac', sign: { secretEnv: 'HOOK_SECRET', header: 'X-Sig', payload: '{{header:X-Request-Id}}.{{body}}' } },
      /checks\.hook\.options\.sign\.payload.*X-Request-Id/,
    ],
    ['a bad secretEnv name', { secretEnv: 'not a name' }, /checks\.hook\.options\.secretEnv/],
  ];
  for (const [name, options, field] of invalid) {
    it(`config error at load: ${name}`, () => {
      assert.throws(
        () => resolveConfig({ file: { target: { baseUrl: 'http://127.0.0.1:9' }, checks: { hook: { kind: 'webhook', options } } }, env: {}, kinds: builtinChecks }),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, 'GOLIVE_ERR_CONFIG_INVALID');
          assert.match(e.message, field);
          return true;
        },
      );
    });
  }
});

describe('webhook in a gate', () => {
  const dirs: string[] = [];
  after(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });
  async function gate(baseUrl: string, options: Record<string, unknown>, env: Record<string, string>): Promise<{ report: Report; result: CheckResult }> {
    const dir = await mkdtemp(join(tmpdir(), 'golive-webhook-'));
    dirs.push(dir);
    const config = resolveConfig({ file: { target: { baseUrl }, checks: { hook: { kind: 'webhook', options } } }, env, kinds: builtinChecks });
    const report = await runGate(config, { env, out: dir, kinds: builtinChecks });
    const result = report.stages.flatMap((s) => s.checks).find((c) => c.id === 'hook');
    assert.ok(result);
    return { report, result };
  }

  it('a receiver that accepts everything: NO-GO, the probe table in the result, the secret in no output', async () => {
    const url = await serveCatching(stripeReceiver('everything-200'));
    const { report, result } = await gate(url, {}, { STRIPE_WEBHOOK_SECRET: SECRET });
    assert.equal(report.verdict, 'NO-GO');
    assert.equal(result.status, 'fail');
    const table = result.presentation?.tables?.[0];
    assert.deepEqual(table?.columns, ['probe', 'request', 'status', 'expected', 'verdict']);
    assert.equal(table?.rows.length, 9);
    assert.deepEqual(table?.rows[0]?.slice(2), [200, '400|401|403', 'fail']);
    assert.equal(result.presentation?.keyFigure, '3/9 probes held');
    const text = renderText(report);
    assert.match(text, /no-signature: accepted with 200/);
    assert.ok(!JSON.stringify(report).includes(SECRET) && !text.includes(SECRET));
  });

  it('the safety rule: refused on a public address without allowMutation, and with EXPECT_LIVE=1 even on loopback', async () => {
    const seen: string[] = [];
    const url = await serveCatching((req, res) => {
      seen.push(req.url ?? '');
      sendJson(res, 400, {});
    });
    const publicTarget = await gate('http://203.0.113.7:9', { timeoutMs: 200 }, { STRIPE_WEBHOOK_SECRET: SECRET });
    assert.equal(publicTarget.result.status === 'error' ? publicTarget.result.error.code : publicTarget.result.status, 'GOLIVE_ERR_MUTATION_REFUSED');
    const live = await gate(url, {}, { STRIPE_WEBHOOK_SECRET: SECRET, EXPECT_LIVE: '1' });
    assert.equal(live.result.status === 'error' ? live.result.error.code : live.result.status, 'GOLIVE_ERR_MUTATION_REFUSED');
    assert.deepEqual(seen, [], 'no probe was sent');
  });

  it('requireSecret without the secret: the check is an error and the verdict INCONCLUSIVE', async () => {
    const url = await serveCatching(stripeReceiver('none'));
    const { report, result } = await gate(url, { requireSecret: true }, {});
    assert.equal(result.status, 'error');
    assert.equal(result.status === 'error' ? result.error.code : '', 'GOLIVE_ERR_MISSING_SECRET');
    assert.equal(report.verdict, 'INCONCLUSIVE');
  });
});
