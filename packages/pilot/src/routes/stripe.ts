import type { FastifyInstance } from 'fastify';
import Stripe from 'stripe';
import { sendError } from '../lib/http-errors.ts';
import { SIGNATURE_TOLERANCE_SEC } from '../lib/signature.ts';

const STRIPE_HEADER = /^t=\d{1,12}(,[a-z0-9]+=[^,=\s]+)+$/;
const V1 = /(^|,)v1=[0-9a-f]{64}(,|$)/;

/**
 * `POST /api/stripe/webhook`: verified with the official package on the raw body. Any problem
 * with the signature is the sender's (400), never a 5xx; events are stored once per event id.
 */
export async function stripeRoutes(app: FastifyInstance): Promise<void> {
  const { db, metrics, config } = app.pilot;

  app.post('/api/stripe/webhook', async (req, reply) => {
    const reject = (reason: string, message: string) => {
      metrics.webhooksReceived.inc({ provider: 'stripe', outcome: `rejected_${reason}` });
      return sendError(reply, 400, `stripe_signature_${reason}`, message);
    };
    const header = req.headers['stripe-signature'];
    if (typeof header !== 'string' || header === '') return reject('missing', 'Stripe-Signature header is required');
    if (header.length > 2048 || !STRIPE_HEADER.test(header) || !V1.test(header)) {
      return reject('malformed', 'Stripe-Signature must be t=<unix>,v1=<hex>');
    }
    // One timestamp only: with two, the future check below would read the first and the library verify
    // against the last, so a far-future signature would pass.
    if (header.split(',').filter((p) => p.startsWith('t=')).length !== 1) {
      return reject('malformed', 'Stripe-Signature must carry exactly one t=');
    }
    const t = Number(/^t=(\d+)/.exec(header)?.[1]);
    const ageSec = Math.floor(Date.now() / 1000) - t;
    // The library refuses old timestamps only; a timestamp far in the future is refused here.
    // Both are decided before the secret is needed, so they are 400 even when none is configured.
    if (-ageSec > SIGNATURE_TOLERANCE_SEC) return reject('future', 'Stripe-Signature timestamp is in the future');
    if (ageSec > SIGNATURE_TOLERANCE_SEC) return reject('stale', 'Stripe-Signature timestamp is older than 300 s');
    if (!config.stripeWebhookSecret) {
      metrics.webhooksReceived.inc({ provider: 'stripe', outcome: 'not_configured' });
      return sendError(reply, 503, 'stripe_not_configured', 'STRIPE_WEBHOOK_SECRET is not set');
    }
    const raw = req.rawBody;
    if (raw === null) return reject('malformed', 'a JSON body is required');
    let event: Stripe.Event;
    try {
      event = Stripe.webhooks.constructEvent(raw, header, config.stripeWebhookSecret, SIGNATURE_TOLERANCE_SEC);
    } catch (err) {
      const stale = err instanceof Error && /tolerance/i.test(err.message);
      return stale
        ? reject('stale', 'Stripe-Signature timestamp is older than 300 s')
        : reject('mismatch', 'Stripe-Signature does not match the body');
    }
    if (typeof event?.id !== 'string' || typeof event.type !== 'string' || event.id.length > 255) {
      metrics.webhooksReceived.inc({ provider: 'stripe', outcome: 'invalid_event' });
      return sendError(reply, 400, 'stripe_event_invalid', 'the event must have a string id and type');
    }
    const r = await db.query(
      'INSERT INTO stripe_events (id, type, payload) VALUES ($1, $2, $3::jsonb) ON CONFLICT (id) DO NOTHING',
      [event.id, event.type, raw.toString('utf8')],
    );
    const duplicate = r.rowCount === 0;
    metrics.webhooksReceived.inc({ provider: 'stripe', outcome: duplicate ? 'duplicate' : 'stored' });
    req.log.info({ stripeEventId: event.id, stripeEventType: event.type, duplicate }, 'stripe webhook received');
    return { received: true, duplicate };
  });
}
