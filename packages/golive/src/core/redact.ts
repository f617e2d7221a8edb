/**
 * Redaction: every string that reaches output, a report or a log goes through a Redactor.
 * Secret values are learnt from the environment (by variable name and by value shape) and from the config
 * (declared secrets, target auth headers); they are replaced wherever they occur, including inside URLs,
 * JSON bodies and error messages, in their JSON- and URL-escaped forms, and in object keys. URL userinfo is removed
 * from every text, and sensitive headers lose their values by name.
 */
import { capDepth } from './depth.ts';
import { stripUserinfoInText, urlCredentials } from './url.ts';

/** What replaces a secret. */
export const REDACTED = '[REDACTED]';

/** Environment variable names whose values are secrets. */
const SECRET_NAME =
  /(SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|PRIVATE|CREDENTIAL|AUTH|SESSION|COOKIE|SIGNING|WEBHOOK_KEY|_DSN$|^DSN$|DATABASE_URL|REDIS_URL|_KEY$)/i;

/** Value shapes that are secrets whatever the variable is called. */
const SECRET_VALUE = /^(sk|rk|pk)_(live|test)_|^whsec_|^gh[pousr]_|^xox[abprs]-|^AKIA[0-9A-Z]{12}|^eyJ[A-Za-z0-9_-]{8,}\./;

/**
 * Header names whose values are always redacted in evidence, and which never follow a redirect to another origin.
 * The one list of golive: the redactor, the HTTP client's redirect handling and the load check all ask
 * {@link isSensitiveHeader}.
 */
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
  'x-auth-token',
  'x-access-token',
  'x-amz-security-token',
  'x-goog-api-key',
  'x-webhook-signature',
]);

/** Header names that carry credentials beyond the well-known ones (`x-partner-token`, `x-upload-signature`, ...). */
const SENSITIVE_HEADER_NAME = /auth|token|key|secret|session|signature|cookie|password|passwd|credential/i;

/** Headers whose names match {@link SENSITIVE_HEADER_NAME} but whose values are evidence, not credentials. */
const NOT_SENSITIVE: ReadonlySet<string> = new Set([
  'www-authenticate',
  'proxy-authenticate',
  'access-control-allow-credentials',
  'access-control-allow-headers',
  'access-control-request-headers',
  'access-control-expose-headers',
  'keep-alive',
]);

/** Whether a header's value is a credential, judged by its name alone. */
export function isSensitiveHeader(name: string): boolean {
  const n = name.toLowerCase();
  if (SENSITIVE_HEADERS.has(n)) return true;
  return !NOT_SENSITIVE.has(n) && SENSITIVE_HEADER_NAME.test(n);
}

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

  /**
   * Adds a secret value, with the forms it is printed in: JSON-escaped (a body or report quoting it), URL-encoded
   * (a query string), the credentials of a URL, and the token of `Bearer xyz`.
   */
  add(value: string | undefined): this {
    if (!value || value.length < MIN_SECRET_LENGTH) return this;
    const base = new Set([value, ...urlCredentials(value)]);
    // "Bearer xyz" style: the token alone is the secret too.
    const bearer = /^(?:bearer|basic|token)\s+(\S+)$/i.exec(value);
    if (bearer?.[1]) base.add(bearer[1]);
    const candidates = new Set<string>();
    for (const b of base) for (const form of escapedForms(b)) candidates.add(form);
    for (const c of candidates) {
      if (c.length >= MIN_SECRET_LENGTH && !this.#secrets.includes(c)) this.#secrets.push(c);
    }
    // Longest first, so a secret containing another is replaced whole.
    this.#secrets.sort((a, b) => b.length - a.length);
    return this;
  }

  /** Adds the value of a header when its name marks it as a credential (`-H 'x-partner-token: ...'`). */
  addHeader(name: string, value: string | undefined): this {
    if (isSensitiveHeader(name) || isSecretEnv(name, value)) this.add(value);
    return this;
  }

  /**
   * Learns every credential header found in a check's options: any `headers` map at any depth (`headers`,
   * `paths[].headers`, `request.headers`), judged by header name. Iterative and bounded by the options' size.
   */
  addHeadersIn(options: unknown): this {
    const stack: unknown[] = [options];
    while (stack.length > 0) {
      const v = stack.pop();
      if (typeof v !== 'object' || v === null) continue;
      for (const [k, child] of Object.entries(v)) {
        if (k === 'headers' && typeof child === 'object' && child !== null && !Array.isArray(child)) {
          for (const [name, value] of Object.entries(child)) if (typeof value === 'string') this.addHeader(name, value);
        }
        stack.push(child);
      }
    }
    return this;
  }

  /** Adds the credentials of a URL (the password, decoded and encoded); the URL itself stays readable. */
  addUrl(url: string | undefined): this {
    if (url) for (const c of urlCredentials(url)) this.add(c);
    return this;
  }

  /** Number of distinct secret strings known. */
  get size(): number {
    return this.#secrets.length;
  }

  /** Returns the text with every known secret replaced by [REDACTED] and URL userinfo removed. */
  redact(text: string): string {
    let out = text;
    for (const s of this.#secrets) {
      if (out.includes(s)) out = out.split(s).join(REDACTED);
    }
    // After the known secrets, so a secret URL (DATABASE_URL) is still replaced whole.
    return stripUserinfoInText(out);
  }

  /** Redacts a header map: sensitive header names lose their value entirely, others are scanned. */
  redactHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) {
      if (v === undefined) continue;
      const value = Array.isArray(v) ? v.join(', ') : v;
      out[this.redact(k)] = isSensitiveHeader(k) ? REDACTED : this.redact(value);
    }
    return out;
  }

  /**
   * Deep-redacts a JSON-like value: strings and object keys are scanned, and parts nested deeper than the report
   * depth cap are replaced by a marker. Iterative, so no nesting depth can overflow the stack.
   */
  redactDeep<T>(value: T): T {
    const r = (s: string) => this.redact(s);
    return capDepth(value, { transformString: r, transformKey: r });
  }
}

/**
 * The forms a secret takes in output: as is, JSON-escaped (once, and twice for JSON quoted inside JSON),
 * URL-encoded and HTML-escaped. `pa"ss\\x` is printed as `pa\\"ss\\\\x` in a JSON body and as `pa%22ss%5Cx` in a query string.
 */
function escapedForms(value: string): string[] {
  const json1 = JSON.stringify(value).slice(1, -1);
  const json2 = JSON.stringify(json1).slice(1, -1);
  // HTML-escaped: the HTML report and the history index print every text through an HTML escape.
  const html = value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
  return [value, json1, json2, encodeURIComponent(value), encodeURI(value), html];
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Cuts a text to at most `max` characters, marking the cut, for evidence excerpts. */
export function excerpt(text: string, max = 200): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max)}… (${oneLine.length} chars)`;
}
