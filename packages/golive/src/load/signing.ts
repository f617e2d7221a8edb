/**
 * Request signing for load scenarios, defined once: a timestamped HMAC described by two templates.
 *
 * - `payload`, the signed string, over `{{timestamp}}` (unix seconds), `{{method}}`, `{{path}}` (without the
 *   query string), `{{body}}` (the raw bytes), `{{header:Name}}` (a header of the request, e.g. its
 *   Idempotency-Key) and `{{keyId}}`;
 * - `value`, the header value, over `{{signature}}` (the HMAC, hex or base64), `{{timestamp}}` and `{{keyId}}`.
 *
 * Stripe's scheme is `Stripe-Signature: t={{timestamp}},v1={{signature}}` over `{{timestamp}}.{{body}}`;
 * GitHub's `X-Hub-Signature-256: sha256={{signature}}` over `{{body}}`; a service that also binds the method and
 * path signs `{{timestamp}}.{{method}}.{{path}}.{{body}}` (docs/load.md lists them). Signatures are computed
 * before the timed phase (or as a request is prepared), so HMAC cost never shows up in latency.
 *
 * Receivers that refuse a replayed signature need every request to carry its own: with `uniqueSignatures` the
 * n-th repeat of an identical request is signed with `timestamp = now − n`, distinct and still inside a ±300 s
 * tolerance for up to MAX_BACKDATED_REPEATS repeats.
 */
import { createHmac } from 'node:crypto';
import { CheckError } from '../core/errors.ts';

/** HMAC hash functions a template may name. */
export const SIGN_ALGORITHMS = ['sha256', 'sha512', 'sha1'] as const;
/** Encodings of the signature inside the header value. */
export const SIGN_ENCODINGS = ['hex', 'base64'] as const;

/** A signing scheme as plain data (it crosses worker boundaries); the secret travels apart from it. */
export interface SignTemplate {
  /** Header carrying the signature, e.g. `Stripe-Signature` (sent lower-case). */
  header: string;
  /** The signed string; see the module comment for its variables. */
  payload: string;
  /** The header value; must contain `{{signature}}` (default: the signature alone). */
  value?: string;
  /** Key id for rotation, available as `{{keyId}}` in both templates. */
  keyId?: string;
  /** HMAC hash function (default sha256). */
  algorithm?: (typeof SIGN_ALGORITHMS)[number];
  /** Encoding of `{{signature}}` (default hex). */
  encoding?: (typeof SIGN_ENCODINGS)[number];
  /** Sign each repeat of an identical request with its own, back-dated timestamp (needs `{{timestamp}}`). */
  uniqueSignatures?: boolean;
}

/**
 * Repeats of one request signed with distinct back-dated timestamps must stay inside the receivers' ±300 s
 * tolerance for the whole run, so at most this many are allowed (leaving a minute for the run itself).
 */
export const MAX_BACKDATED_REPEATS = 240;

/** What a signer needs to know about one request. */
export interface SignInput {
  method: string;
  /** Path without query string. */
  path: string;
  body: Buffer;
  /** The request's headers, names lower-case (for `{{header:Name}}`). */
  headers: Readonly<Record<string, string>>;
  /** 0 for the first request with this exact content, 1 for the first repeat, ... */
  occurrence: number;
  /** Unix seconds at preparation time. */
  nowSec: number;
}

/** Computes a header value for a request. */
export interface Signer {
  /** Lower-case header name. */
  readonly header: string;
  /** Whether repeats get their own back-dated timestamp (so at most MAX_BACKDATED_REPEATS of one request). */
  readonly uniqueSignatures: boolean;
  /** Lower-case names of the request headers the signed string includes. */
  readonly signedHeaders: readonly string[];
  sign(input: SignInput): string;
}

type Part = string | { name: string; arg: string | undefined };

// Bounded and linear: names are letters, an argument anything but braces.
const VAR = /\{\{\s*([A-Za-z]+)(?::([^{}]*))?\s*\}\}/g;
const PAYLOAD_VARS = new Set(['timestamp', 'method', 'path', 'body', 'keyId', 'header']);
const VALUE_VARS = new Set(['signature', 'timestamp', 'keyId']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function compile(template: string): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const m of template.matchAll(VAR)) {
    if (m.index > last) parts.push(template.slice(last, m.index));
    parts.push({ name: m[1] ?? '', arg: m[2]?.trim() });
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  return parts;
}

function vars(parts: Part[]): { name: string; arg: string | undefined }[] {
  return parts.filter((p): p is { name: string; arg: string | undefined } => typeof p !== 'string');
}

/**
 * What is wrong with a template, as messages naming the field (empty when it is usable). The load check's
 * schema reports them when the config loads; createSigner refuses a template that has any.
 */
export function signTemplateProblems(t: SignTemplate): { field: keyof SignTemplate; message: string }[] {
  const problems: { field: keyof SignTemplate; message: string }[] = [];
  if (!HEADER_NAME.test(t.header)) problems.push({ field: 'header', message: `not a header name: "${t.header}"` });
  const payload = vars(compile(t.payload));
  const value = vars(compile(t.value ?? '{{signature}}'));
  for (const v of payload) {
    if (!PAYLOAD_VARS.has(v.name)) problems.push({ field: 'payload', message: `unknown variable {{${v.name}}} (known: ${[...PAYLOAD_VARS].join(', ')})` });
    else if (v.name === 'header' && !(v.arg && HEADER_NAME.test(v.arg))) problems.push({ field: 'payload', message: '{{header:Name}} needs a header name' });
    else if (v.name !== 'header' && v.arg !== undefined) problems.push({ field: 'payload', message: `{{${v.name}}} takes no argument` });
  }
  for (const v of value) {
    if (!VALUE_VARS.has(v.name) || v.arg !== undefined) problems.push({ field: 'value', message: `unknown variable {{${v.name}${v.arg === undefined ? '' : `:${v.arg}`}}} (known: ${[...VALUE_VARS].join(', ')})` });
  }
  if (!value.some((v) => v.name === 'signature')) problems.push({ field: 'value', message: 'the header value must contain {{signature}}' });
  if (t.keyId === undefined && [...payload, ...value].some((v) => v.name === 'keyId')) problems.push({ field: 'keyId', message: '{{keyId}} is used but keyId is not set' });
  if (t.uniqueSignatures && !payload.some((v) => v.name === 'timestamp')) {
    problems.push({ field: 'uniqueSignatures', message: 'unique signatures come from distinct timestamps: the payload needs {{timestamp}}' });
  }
  return problems;
}

/**
 * Creates a signer from a template and the resolved secret (callers keep the secret out of every report: the
 * Redactor learns it). Throws GOLIVE_ERR_CHECK_OPTIONS for a template with problems.
 */
export function createSigner(template: SignTemplate, secret: string): Signer {
  const problems = signTemplateProblems(template);
  if (problems.length > 0) {
    throw new CheckError('GOLIVE_ERR_CHECK_OPTIONS', `sign.${problems[0]?.field}: ${problems.map((p) => p.message).join('; ')}`);
  }
  const payload = compile(template.payload);
  const value = compile(template.value ?? '{{signature}}');
  const algorithm = template.algorithm ?? 'sha256';
  const encoding = template.encoding ?? 'hex';
  const keyId = template.keyId ?? '';
  const uniqueSignatures = template.uniqueSignatures === true;
  const signedHeaders = vars(payload)
    .filter((v) => v.name === 'header')
    .map((v) => (v.arg ?? '').toLowerCase());
  return {
    header: template.header.toLowerCase(),
    uniqueSignatures,
    signedHeaders,
    sign(r) {
      const timestamp = String(uniqueSignatures ? r.nowSec - r.occurrence : r.nowSec);
      const h = createHmac(algorithm, secret);
      // Literal text and variables are fed in order; the body as bytes, so a non-UTF-8 body signs as sent.
      for (const p of payload) {
        if (typeof p === 'string') h.update(p);
        else if (p.name === 'body') h.update(r.body);
        else if (p.name === 'timestamp') h.update(timestamp);
        else if (p.name === 'method') h.update(r.method.toUpperCase());
        else if (p.name === 'path') h.update(r.path);
        else if (p.name === 'keyId') h.update(keyId);
        else {
          const name = (p.arg ?? '').toLowerCase();
          const v = r.headers[name];
          if (v === undefined) throw new CheckError('GOLIVE_ERR_CHECK_OPTIONS', `the signed string includes the header ${name}, which the request does not carry`);
          h.update(v);
        }
      }
      const signature = h.digest(encoding);
      let out = '';
      for (const p of value) out += typeof p === 'string' ? p : p.name === 'signature' ? signature : p.name === 'timestamp' ? timestamp : keyId;
      return out;
    },
  };
}
