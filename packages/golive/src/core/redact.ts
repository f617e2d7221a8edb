/**
 * Redaction: every string that reaches output, a report or a log goes through a Redactor.
 * Secret values are learnt from the environment (by variable name and by value shape) and from the config
 * (declared secrets, target auth headers); they are replaced wherever they occur, including inside URLs,
 * JSON bodies and error messages.
 */

/** What replaces a secret. */
export const REDACTED = '[REDACTED]';

/** Environment variable names whose values are secrets. */
const SECRET_NAME =
  /(SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|PRIVATE|CREDENTIAL|AUTH|SESSION|COOKIE|SIGNING|WEBHOOK_KEY|_DSN$|^DSN$|DATABASE_URL|REDIS_URL|_KEY$)/i;

/** Value shapes that are secrets whatever the variable is called. */
const SECRET_VALUE = /^(sk|rk|pk)_(live|test)_|^whsec_|^gh[pousr]_|^xox[abprs]-|^AKIA[0-9A-Z]{12}|^eyJ[A-Za-z0-9_-]{8,}\./;

/** Header names whose values are always redacted in evidence. */
export const SENSITIVE_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-signature',
  'stripe-signature',
  'x-hub-signature',
  'x-hub-signature-256',
  'x-csrf-token',
]);

/** Values shorter than this are not learnt as secrets (redacting "1" or "on" everywhere would destroy evidence). */
const MIN_SECRET_LENGTH = 6;

/** Whether an environment variable holds a secret, judged by its name or its value. */
export function isSecretEnv(name: string, value: string | undefined): boolean {
  if (!value) return false;
  return SECRET_NAME.test(name) || SECRET_VALUE.test(value);
}

/** Replaces known secret values in strings. Immutable after construction except through `add`. */
export class Redactor {
  #secrets: string[] = [];

  /** Learns secrets from an environment (by name and value shape) and any extra values. */
  static fromEnv(env: Readonly<Record<string, string | undefined>>, extra: Iterable<string> = []): Redactor {
    const r = new Redactor();
    for (const [name, value] of Object.entries(env)) {
      if (value && isSecretEnv(name, value)) r.add(value);
    }
    for (const v of extra) r.add(v);
    return r;
  }

  /** Adds a secret value (and the password part of a URL, and its URL-encoded form). */
  add(value: string | undefined): this {
    if (!value || value.length < MIN_SECRET_LENGTH) return this;
    const candidates = new Set([value, encodeURIComponent(value)]);
    try {
      const u = new URL(value);
      if (u.password) candidates.add(u.password).add(decodeURIComponent(u.password));
    } catch {
      // not a URL
    }
    // "Bearer xyz" style: the token alone is the secret too.
    const bearer = /^(?:bearer|basic|token)\s+(\S+)$/i.exec(value);
    if (bearer?.[1]) candidates.add(bearer[1]);
    for (const c of candidates) {
      if (c.length >= MIN_SECRET_LENGTH && !this.#secrets.includes(c)) this.#secrets.push(c);
    }
    // Longest first, so a secret containing another is replaced whole.
    this.#secrets.sort((a, b) => b.length - a.length);
    return this;
  }

  /** Number of distinct secret strings known. */
  get size(): number {
    return this.#secrets.length;
  }

  /** Returns the text with every known secret replaced by [REDACTED]. */
  redact(text: string): string {
    let out = text;
    for (const s of this.#secrets) {
      if (out.includes(s)) out = out.split(s).join(REDACTED);
    }
    return out;
  }

  /** Redacts a header map: sensitive header names lose their value entirely, others are scanned. */
  redactHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) {
      if (v === undefined) continue;
      const value = Array.isArray(v) ? v.join(', ') : v;
      out[k] = SENSITIVE_HEADERS.has(k.toLowerCase()) ? REDACTED : this.redact(value);
    }
    return out;
  }

  /** Deep-redacts a JSON-like value (strings scanned, object keys kept). */
  redactDeep<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactDeep(v)) as T;
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.redactDeep(v);
      return out as T;
    }
    return value;
  }
}

/** Cuts a text to at most `max` characters, marking the cut, for evidence excerpts. */
export function excerpt(text: string, max = 200): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max)}… (${oneLine.length} chars)`;
}
