/**
 * Scenarios: request templates with variables, a key pool, tenants and signing, turned into a run plan
 * before the timed phase. Every request of a keyed plan is rendered and signed up front; a plan without
 * per-request variables is one prepared request reused (a million-request run costs no memory per request).
 *
 * Template variables (`{{name}}` in path, header values and body):
 * - `key`: the idempotency key of the request (`<prefix><runId>-<keyIndex>`), `keyIndex`;
 * - `tenant`: one of the scenario's tenants, chosen by key (or by request index without keys);
 * - `random`, `random:N`: a random [a-z0-9] string (16 or N characters), `uuid`: a random UUID-shaped id.
 *   With a key pool they are drawn per key, so every repeat of a key sends the identical body, as an
 *   idempotent retry must; without keys they are drawn per request;
 * - `seq`: the request index (0-based) — note that it makes every body differ;
 * - `runId`, `now` (ISO time at preparation), and any name in `vars`;
 * - `env:NAME`: resolved from the environment before the plan is built (see resolveEnvPlaceholders).
 */
import { CheckError } from '../core/errors.ts';
import type { Redactor } from '../core/redact.ts';
import { createRandom, type Random, randomString, seedFrom, shuffle } from './prng.ts';
import { createSigner, MAX_BACKDATED_REPEATS, type SignTemplate } from './signing.ts';

/** One request as a scenario describes it. */
export interface RequestTemplate {
  /** HTTP method (default GET). */
  method?: string;
  /** Path (with optional query) relative to the target's base URL; may contain variables. */
  path: string;
  /** Header values may contain variables. */
  headers?: Record<string, string>;
  /** Raw body text; may contain variables. */
  body?: string;
}

/** A key pool: `total` requests over `unique` keys, each key sent total/unique times, in shuffled order. */
export interface KeyPoolSpec {
  total: number;
  unique: number;
  /** Prefix of generated keys (default `golive-`). */
  prefix?: string;
  /** Header carrying the key (default `idempotency-key`); null sends none (use {{key}} in the template). */
  header?: string | null;
}

/** Signing of every request: a template (see signing.ts) and the resolved secret, never written anywhere. */
export interface SignSpec extends SignTemplate {
  secret: string;
}

/** Everything needed to build a run plan; plain data, so it crosses worker boundaries. */
export interface ScenarioSpec {
  request: RequestTemplate;
  keys?: KeyPoolSpec;
  tenants?: string[];
  sign?: SignSpec;
  /** Extra fixed variables. */
  vars?: Record<string, string>;
  /** Seed of the key order and random values. */
  seed: string | number;
  /** Identifies the run inside generated keys, so two runs never share keys. */
  runId: string;
  /** Unix seconds at preparation time (signature timestamps derive from it). */
  nowSec: number;
  /** Headers sent with every request (target auth), below the template's. */
  defaultHeaders?: Record<string, string>;
}

/** A request ready to send. */
export interface PreparedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  /** Index of the key in the pool, or -1. */
  keyIndex: number;
}

/** The requests of a run, by index. */
export interface Plan {
  /** Number of requests planned, Infinity when only a duration bounds the run. */
  readonly size: number;
  /** Number of unique keys, or null without a key pool. */
  readonly unique: number | null;
  /** The request with index i (0 ≤ i < size). Cheap: no rendering for keyed or static plans. */
  get(i: number): PreparedRequest;
}

const VAR = /\{\{\s*([A-Za-z_][\w.-]*(?::[^}]*)?)\s*\}\}/g;
const BUILTIN = new Set(['key', 'keyIndex', 'tenant', 'random', 'uuid', 'seq', 'runId', 'now']);

type Part = string | { name: string; arg: string | undefined };

/** Splits a template string into literal parts and variables. */
function compile(template: string): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const m of template.matchAll(VAR)) {
    if (m.index > last) parts.push(template.slice(last, m.index));
    const raw = m[1] ?? '';
    const colon = raw.indexOf(':');
    parts.push(colon < 0 ? { name: raw, arg: undefined } : { name: raw.slice(0, colon), arg: raw.slice(colon + 1) });
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  return parts;
}

/** Names of the variables a template string uses. */
export function templateVariables(template: string): string[] {
  return compile(template)
    .filter((p): p is { name: string; arg: string | undefined } => typeof p !== 'string')
    .map((p) => p.name);
}

/**
 * Replaces `{{env:NAME}}` in a template with the environment's value. A missing variable is a
 * GOLIVE_ERR_MISSING_SECRET error naming the variable (never a value). Every value used is taught to the
 * redactor, so it never appears in output.
 */
export function resolveEnvPlaceholders(
  template: string,
  env: Readonly<Record<string, string | undefined>>,
  redactor?: Redactor,
): string {
  return template.replace(/\{\{\s*env:([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_m, name: string) => {
    const value = env[name];
    if (value === undefined || value === '') {
      throw new CheckError('GOLIVE_ERR_MISSING_SECRET', `environment variable ${name} is not set (used in the load request template)`);
    }
    redactor?.add(value);
    return value;
  });
}

/** Per-render values. */
interface RenderScope {
  key: string;
  keyIndex: number;
  tenant: string;
  seq: number;
  random: Random;
}

/** Validates that every variable of the templates is known; throws GOLIVE_ERR_CHECK_OPTIONS otherwise. */
function checkVariables(spec: ScenarioSpec, parts: Part[][]): void {
  for (const list of parts) {
    for (const p of list) {
      if (typeof p === 'string') continue;
      if (p.name === 'env') {
        throw new CheckError('GOLIVE_ERR_CHECK_OPTIONS', `{{env:${p.arg ?? ''}}} must be resolved before the plan is built`);
      }
      if (!BUILTIN.has(p.name) && !(spec.vars && p.name in spec.vars)) {
        throw new CheckError('GOLIVE_ERR_CHECK_OPTIONS', `unknown template variable {{${p.name}}} (known: ${[...BUILTIN, ...Object.keys(spec.vars ?? {})].join(', ')})`);
      }
      if ((p.name === 'key' || p.name === 'keyIndex') && !spec.keys) {
        throw new CheckError('GOLIVE_ERR_CHECK_OPTIONS', `{{${p.name}}} needs a key pool (keys.total and keys.unique)`);
      }
      if (p.name === 'random' && p.arg !== undefined && !/^\d{1,4}$/.test(p.arg)) {
        throw new CheckError('GOLIVE_ERR_CHECK_OPTIONS', `{{random:${p.arg}}}: the length must be an integer up to 9999`);
      }
    }
  }
}

function uuidFrom(random: Random): string {
  let h = '';
  for (let i = 0; i < 32; i++) h += '0123456789abcdef'[Math.floor(random() * 16)];
  const variant = '89ab'[Math.floor(random() * 4)];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function render(parts: Part[], spec: ScenarioSpec, scope: RenderScope, nowIso: string): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') {
      out += p;
      continue;
    }
    switch (p.name) {
      case 'key':
        out += scope.key;
        break;
      case 'keyIndex':
        out += String(scope.keyIndex);
        break;
      case 'tenant':
        out += scope.tenant;
        break;
      case 'seq':
        out += String(scope.seq);
        break;
      case 'runId':
        out += spec.runId;
        break;
      case 'now':
        out += nowIso;
        break;
      case 'random':
        out += randomString(scope.random, p.arg === undefined ? 16 : Number(p.arg));
        break;
      case 'uuid':
        out += uuidFrom(scope.random);
        break;
      default:
        out += spec.vars?.[p.name] ?? '';
    }
  }
  return out;
}

function hasAnyVariable(parts: Part[][]): boolean {
  return parts.some((list) => list.some((p) => typeof p !== 'string'));
}

/** Validates a key pool: positive integers, unique ≤ total, total a multiple of unique. */
export function validateKeyPool(keys: KeyPoolSpec): void {
  const { total, unique } = keys;
  if (!Number.isInteger(total) || total < 1 || !Number.isInteger(unique) || unique < 1) {
    throw new CheckError('GOLIVE_ERR_CHECK_OPTIONS', `key pool needs positive integers, got total=${total} unique=${unique}`);
  }
  if (unique > total) throw new CheckError('GOLIVE_ERR_CHECK_OPTIONS', `key pool: unique (${unique}) is larger than total (${total})`);
  if (total % unique !== 0) {
    throw new CheckError('GOLIVE_ERR_CHECK_OPTIONS', `key pool: total (${total}) must be a multiple of unique (${unique}) so every key is sent the same number of times`);
  }
}

/** Path without query string: what `{{path}}` of a signing template stands for. */
function pathOnly(path: string): string {
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}

function defaultContentType(body: string): string {
  const t = body.trimStart();
  return t.startsWith('{') || t.startsWith('[') ? 'application/json' : 'text/plain; charset=utf-8';
}

/**
 * Builds the plan of a scenario. `size` bounds plans without keys (Infinity for duration-bound runs).
 * Keyed plans render and sign every request now; the first occurrence of each key comes in shuffled order.
 */
export async function buildPlan(spec: ScenarioSpec, size: number = Number.POSITIVE_INFINITY): Promise<Plan> {
  const method = (spec.request.method ?? 'GET').toUpperCase();
  const pathParts = compile(spec.request.path);
  const headerEntries = Object.entries(spec.request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), compile(v)] as const);
  const bodyParts = spec.request.body === undefined ? undefined : compile(spec.request.body);
  checkVariables(spec, [pathParts, ...headerEntries.map(([, v]) => v), ...(bodyParts ? [bodyParts] : [])]);
  const nowIso = new Date(spec.nowSec * 1000).toISOString();
  const tenants = spec.tenants && spec.tenants.length > 0 ? spec.tenants : [''];
  const baseHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.defaultHeaders ?? {})) baseHeaders[k.toLowerCase()] = v;
  const signer = spec.sign ? createSigner(spec.sign, spec.sign.secret) : undefined;
  const keyHeader = spec.keys ? (spec.keys.header === undefined ? 'idempotency-key' : spec.keys.header) : null;
  if (signer) {
    // A header the signed string names must be on every request; found out now, not on the millionth request.
    const carried = new Set([...Object.keys(baseHeaders), ...headerEntries.map(([k]) => k), ...(keyHeader ? [keyHeader.toLowerCase()] : [])]);
    if (bodyParts) carried.add('content-type');
    const missing = signer.signedHeaders.find((h) => !carried.has(h));
    if (missing !== undefined) {
      throw new CheckError('GOLIVE_ERR_CHECK_OPTIONS', `the signed string includes the header ${missing}, which the request does not carry (set it in request.headers)`);
    }
  }

  const renderOne = (scope: RenderScope) => {
    const path = render(pathParts, spec, scope, nowIso);
    const headers: Record<string, string> = { ...baseHeaders };
    for (const [k, parts] of headerEntries) headers[k] = render(parts, spec, scope, nowIso);
    const bodyText = bodyParts ? render(bodyParts, spec, scope, nowIso) : undefined;
    if (bodyText !== undefined && headers['content-type'] === undefined) headers['content-type'] = defaultContentType(bodyText);
    if (keyHeader && spec.keys) headers[keyHeader.toLowerCase()] = scope.key;
    return { path, headers, body: bodyText === undefined ? undefined : Buffer.from(bodyText) };
  };
  const seedNum = seedFrom(spec.seed);

  if (spec.keys) {
    validateKeyPool(spec.keys);
    const { total, unique } = spec.keys;
    const repeats = total / unique;
    if (signer?.uniqueSignatures && repeats > MAX_BACKDATED_REPEATS) {
      throw new CheckError(
        'GOLIVE_ERR_CHECK_OPTIONS',
        `each key repeats ${repeats} times; signed repeats get distinct back-dated timestamps and at most ${MAX_BACKDATED_REPEATS} fit the receiver's 300 s window`,
      );
    }
    const prefix = spec.keys.prefix ?? 'golive-';
    const perKey = [];
    for (let k = 0; k < unique; k++) {
      const scope: RenderScope = {
        key: `${prefix}${spec.runId}-${k}`,
        keyIndex: k,
        tenant: tenants[k % tenants.length] ?? '',
        seq: k,
        random: createRandom(seedNum ^ Math.imul(k + 1, 0x9e3779b1)),
      };
      perKey.push(renderOne(scope));
    }
    const order = new Uint32Array(total);
    for (let i = 0; i < total; i++) order[i] = i % unique;
    shuffle(order, createRandom(seedNum));
    const seen = new Uint32Array(unique);
    const requests: PreparedRequest[] = new Array(total);
    for (let i = 0; i < total; i++) {
      const k = order[i] ?? 0;
      const base = perKey[k];
      if (!base) throw new Error('unreachable: key out of range');
      const occurrence = seen[k] ?? 0;
      seen[k] = occurrence + 1;
      let headers = base.headers;
      if (signer) {
        headers = { ...base.headers };
        headers[signer.header] = signer.sign({
          method,
          path: pathOnly(base.path),
          body: base.body ?? Buffer.alloc(0),
          headers: base.headers,
          occurrence,
          nowSec: spec.nowSec,
        });
      }
      requests[i] = { method, path: base.path, headers, body: base.body, keyIndex: k };
    }
    return {
      size: total,
      unique,
      get: (i) => requests[i] as PreparedRequest,
    };
  }

  const perRequest = hasAnyVariable([pathParts, ...headerEntries.map(([, v]) => v), ...(bodyParts ? [bodyParts] : [])]);
  const sign = (r: { path: string; headers: Record<string, string>; body: Buffer | undefined }, occurrence: number) => {
    if (!signer) return r.headers;
    return {
      ...r.headers,
      [signer.header]: signer.sign({ method, path: pathOnly(r.path), body: r.body ?? Buffer.alloc(0), headers: r.headers, occurrence, nowSec: spec.nowSec }),
    };
  };
  if (!perRequest) {
    const r = renderOne({ key: '', keyIndex: -1, tenant: tenants[0] ?? '', seq: 0, random: createRandom(seedNum) });
    // One request repeated: with unique signatures each send needs its own timestamp, so all are signed now.
    if (signer?.uniqueSignatures) {
      if (size > MAX_BACKDATED_REPEATS) {
        throw new CheckError(
          'GOLIVE_ERR_CHECK_OPTIONS',
          `the same signed body would be sent ${Number.isFinite(size) ? size : 'unboundedly many'} times; add a variable ({{seq}}, {{random}}) or a key pool so bodies differ`,
        );
      }
      const signed = Array.from({ length: size }, (_, i) => ({ method, path: r.path, headers: sign(r, i), body: r.body, keyIndex: -1 }));
      return { size, unique: null, get: (i) => signed[i] as PreparedRequest };
    }
    const one: PreparedRequest = { method, path: r.path, headers: sign(r, 0), body: r.body, keyIndex: -1 };
    return { size, unique: null, get: () => one };
  }
  // Per-request variables: rendered (and signed) when the request is sent; cheap templates only.
  return {
    size,
    unique: null,
    get: (i) => {
      const r = renderOne({
        key: '',
        keyIndex: -1,
        tenant: tenants[i % tenants.length] ?? '',
        seq: i,
        random: createRandom(seedNum ^ Math.imul(i + 1, 0x9e3779b1)),
      });
      return { method, path: r.path, headers: sign(r, 0), body: r.body, keyIndex: -1 };
    },
  };
}
