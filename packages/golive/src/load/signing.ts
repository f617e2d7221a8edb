/**
 * Request signing for load scenarios. Signatures are computed before the timed phase, so HMAC cost never
 * shows up in latency or throughput.
 *
 * - `pilot`: `X-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "${t}.${METHOD}.${path}.${rawBody}")>` (path
 *   without query). pilot refuses an exact replay of a v1 within ±300 s, so the n-th repeat of the same body
 *   is signed with `t = now − n`: every request carries a distinct signature while staying inside the window.
 * - `stripe`: `Stripe-Signature`, produced by the official `stripe` package (`webhooks.generateTestHeaderString`),
 *   with the same back-dating of repeats.
 * - `github`: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>` (no timestamp in the scheme).
 */
import { createHmac } from 'node:crypto';

/** Supported signature schemes. */
export const SIGN_SCHEMES = ['pilot', 'stripe', 'github'] as const;
/** A signature scheme. */
export type SignScheme = (typeof SIGN_SCHEMES)[number];

/** The header each scheme writes by default. */
export const SIGN_HEADERS: Readonly<Record<SignScheme, string>> = {
  pilot: 'x-signature',
  stripe: 'stripe-signature',
  github: 'x-hub-signature-256',
};

/**
 * Repeats of one body signed with distinct back-dated timestamps must stay inside the receivers' ±300 s
 * tolerance for the whole run, so at most this many are allowed (leaving a minute for the run itself).
 */
export const MAX_BACKDATED_REPEATS = 240;

/** What a signer needs to know about one request. */
export interface SignInput {
  method: string;
  /** Path without query string. */
  path: string;
  body: Buffer;
  /** 0 for the first request with this exact body, 1 for the first repeat, ... */
  occurrence: number;
  /** Unix seconds at preparation time. */
  nowSec: number;
}

/** Computes a header value for a request. */
export interface Signer {
  readonly scheme: SignScheme;
  /** Lower-case header name. */
  readonly header: string;
  sign(input: SignInput): string;
}

/** Hex HMAC-SHA256. */
function hmacHex(secret: string, data: string | Buffer): string {
  return createHmac('sha256', secret).update(data).digest('hex');
}

/** pilot's contract: HMAC over `${t}.${METHOD}.${path}.${rawBody}`. */
export function pilotSignature(secret: string, t: number, method: string, path: string, body: Buffer | string, keyId?: string): string {
  const h = createHmac('sha256', secret);
  h.update(`${t}.${method.toUpperCase()}.${path}.`);
  h.update(body);
  const v1 = h.digest('hex');
  return keyId ? `t=${t},v1=${v1},kid=${keyId}` : `t=${t},v1=${v1}`;
}

/** GitHub's `X-Hub-Signature-256` value for a body. */
export function githubSignature(secret: string, body: Buffer | string): string {
  return `sha256=${hmacHex(secret, body)}`;
}

/** Minimal view of the stripe package's webhook helper. */
interface StripeWebhooks {
  generateTestHeaderString(opts: { payload: string; secret: string; timestamp?: number }): string;
}

/**
 * Creates a signer. `stripe` is imported lazily (it is large) and only for the stripe scheme.
 * `secret` is the resolved value; callers keep it out of every report (the Redactor learns it).
 */
export async function createSigner(scheme: SignScheme, secret: string, options: { header?: string; keyId?: string } = {}): Promise<Signer> {
  const header = (options.header ?? SIGN_HEADERS[scheme]).toLowerCase();
  switch (scheme) {
    case 'pilot':
      return {
        scheme,
        header,
        sign: (r) => pilotSignature(secret, r.nowSec - r.occurrence, r.method, r.path, r.body, options.keyId),
      };
    case 'github':
      return { scheme, header, sign: (r) => githubSignature(secret, r.body) };
    case 'stripe': {
      const mod = (await import('stripe')) as unknown as { default: { webhooks: StripeWebhooks } };
      const webhooks = mod.default.webhooks;
      return {
        scheme,
        header,
        sign: (r) =>
          webhooks.generateTestHeaderString({ payload: r.body.toString('utf8'), secret, timestamp: r.nowSec - r.occurrence }),
      };
    }
  }
}
