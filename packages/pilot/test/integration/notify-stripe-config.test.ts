// Real-mode notifications through an SMTP server on port 0, and the Stripe webhook without a
// configured secret (signature problems stay 400; only a verifiable-looking request gets 503).
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import Stripe from 'stripe';
import { ADMIN_TOKEN, makeApp } from '../helpers.ts';

/** A minimal SMTP server that accepts every message and keeps its DATA. */
async function smtpSink(): Promise<{ port: number; messages: string[]; close: () => Promise<void> }> {
  const messages: string[] = [];
  const server = net.createServer((socket) => {
    let buf = '';
    let inData = false;
    let data = '';
    socket.write('220 sink ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      let idx = buf.indexOf('\r\n');
      while (idx >= 0) {
        const line = buf.slice(0, idx);
        buf = buf.slice(idx + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            messages.push(data);
            data = '';
            socket.write('250 queued\r\n');
          } else data += `${line}\n`;
        } else if (/^(EHLO|HELO)/i.test(line)) socket.write('250-sink\r\n250 OK\r\n');
        else if (/^DATA/i.test(line)) {
          inData = true;
          socket.write('354 go\r\n');
        } else if (/^QUIT/i.test(line)) socket.end('221 bye\r\n');
        else socket.write('250 OK\r\n');
        idx = buf.indexOf('\r\n');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return { port, messages, close: () => new Promise((r) => server.close(() => r())) };
}

test('NOTIFY_MODE=smtp sends through the SMTP server and records without listing content', async () => {
  const sink = await smtpSink();
  const app = await makeApp({ NOTIFY_MODE: 'smtp', SMTP_URL: `smtp://127.0.0.1:${sink.port}`, EMAIL_FROM: 'noreply@example.com' });
  try {
    const r = await app.inject({
      method: 'POST',
      url: '/api/notify/send',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { to: 'ops@example.com', subject: 'real mode', text: 'hello over smtp' },
    });
    assert.equal(r.statusCode, 202, r.body);
    assert.equal(r.json().mode, 'smtp');
    assert.equal(sink.messages.length, 1);
    assert.match(sink.messages[0]!, /From: noreply@example.com/);
    assert.match(sink.messages[0]!, /Subject: real mode/);
    assert.match(sink.messages[0]!, /hello over smtp/);
    const box = await app.inject({ method: 'GET', url: '/api/notify/outbox' });
    assert.equal(box.json().mode, 'smtp');
    assert.equal(box.json().count, 1);
    assert.deepEqual(box.json().messages, []);
  } finally {
    await app.close();
    await sink.close();
  }
});

test('NOTIFY_MODE=smtp with the mail server down → 502, not 500', async () => {
  const app = await makeApp({ NOTIFY_MODE: 'smtp', SMTP_URL: 'smtp://127.0.0.1:1', EMAIL_FROM: 'noreply@example.com' });
  try {
    const r = await app.inject({
      method: 'POST',
      url: '/api/notify/send',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { to: 'ops@example.com', subject: 's', text: 't' },
    });
    assert.equal(r.statusCode, 502);
    assert.equal(r.json().error, 'notify_failed');
  } finally {
    await app.close();
  }
});

test('Stripe webhook without a configured secret: signature problems 400, a verifiable request 503', async () => {
  const app = await makeApp({ STRIPE_WEBHOOK_SECRET: undefined });
  try {
    const payload = JSON.stringify({ id: 'evt_1', type: 'x' });
    const now = Math.floor(Date.now() / 1000);
    const post = (sig?: string) =>
      app.inject({
        method: 'POST',
        url: '/api/stripe/webhook',
        headers: { 'content-type': 'application/json', ...(sig ? { 'stripe-signature': sig } : {}) },
        payload,
      });
    assert.equal((await post()).statusCode, 400);
    assert.equal((await post('t=123,v1=')).statusCode, 400);
    const stale = Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_x', timestamp: now - 400 });
    assert.equal((await post(stale)).statusCode, 400);
    const fresh = Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_x', timestamp: now });
    const r = await post(fresh);
    assert.equal(r.statusCode, 503);
    assert.equal(r.json().error, 'stripe_not_configured');
  } finally {
    await app.close();
  }
});
