/**
 * Dedup verification: after a keyed run, read back how many records the server created (a JSON field of a
 * GET, or a counter on a Prometheus `/metrics` page), before and after the run, and require
 * created == unique keys. The replies themselves are classified by the engine (first create, stored
 * replay, 409 in flight, other); the read-back is the evidence that no duplicate was stored.
 */
import { getJsonPath, parseJsonPath, type PathSegment } from '../core/json-path.ts';
import type { Redactor } from '../core/redact.ts';
import { bodyExcerpt, bodyJson, bodyText, describeExchange, type HttpClient } from '../http/client.ts';
import type { DedupVerification } from './result.ts';

/** How to read the count of created records. */
export type ReadBackSpec =
  | {
      type: 'json';
      /** Path of a GET returning JSON, e.g. `/v1/events`. */
      path: string;
      /** JSON path (core/json-path.ts) to a number in the body: `count`, `data.total`, `items.length`, `$.count`. */
      jsonPath: string;
      headers?: Record<string, string>;
    }
  | {
      type: 'metric';
      /** Path of the Prometheus text page (default `/metrics`). */
      path?: string;
      /** Metric name; every series matching `labels` is summed. */
      metric: string;
      labels?: Record<string, string>;
      headers?: Record<string, string>;
    };

/** A count read back, or why it could not be read. */
export type ReadResult = { ok: true; value: number } | { ok: false; error: string };

function unescapeLabel(v: string): string {
  return v.replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

/**
 * Sums the samples of a metric in Prometheus text exposition format whose labels include `labels`.
 * Returns undefined when no series of that name exists.
 */
export function sumPrometheusMetric(text: string, metric: string, labels: Record<string, string> = {}): number | undefined {
  let found = false;
  let sum = 0;
  const want = Object.entries(labels);
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_:][\w:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== metric) continue;
    const have: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/([A-Za-z_]\w*)="((?:[^"\\]|\\.)*)"/g)) have[l[1] ?? ''] = unescapeLabel(l[2] ?? '');
    if (!want.every(([k, v]) => have[k] === v)) continue;
    const v = Number(m[4]);
    if (!Number.isFinite(v)) continue;
    found = true;
    sum += v;
  }
  return found ? sum : undefined;
}

/** One-line description of where the count comes from. */
export function describeReadBack(spec: ReadBackSpec): string {
  if (spec.type === 'json') return `GET ${spec.path} → ${spec.jsonPath}`;
  const labels = Object.entries(spec.labels ?? {})
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  return `GET ${spec.path ?? '/metrics'} → ${spec.metric}${labels ? `{${labels}}` : ''}`;
}

/** Reads the current count. Never throws for network or format trouble, nor for a bad JSON path. */
export async function readCount(http: HttpClient, spec: ReadBackSpec, redactor?: Redactor): Promise<ReadResult> {
  let segments: PathSegment[] = [];
  if (spec.type === 'json') {
    // The check's schema validates the path when the config loads; a library caller may skip the schema.
    try {
      segments = parseJsonPath(spec.jsonPath);
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  }
  const path = spec.type === 'json' ? spec.path : (spec.path ?? '/metrics');
  const ex = await http.request({ method: 'GET', url: path, ...(spec.headers ? { headers: spec.headers } : {}) });
  if (!ex.ok) return { ok: false, error: describeExchange(ex) };
  if (ex.status < 200 || ex.status >= 300) return { ok: false, error: `${describeExchange(ex)}: ${bodyExcerpt(ex, redactor)}` };
  if (spec.type === 'json') {
    const body = bodyJson(ex);
    if (body === undefined) return { ok: false, error: `${describeExchange(ex)}: body is not JSON: ${bodyExcerpt(ex, redactor)}` };
    const got = getJsonPath(body, segments);
    if (!got.found) return { ok: false, error: `${describeExchange(ex)}: ${spec.jsonPath} is not in the body` };
    const v = got.value;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      return { ok: false, error: `${describeExchange(ex)}: ${spec.jsonPath} is ${JSON.stringify(v) ?? 'undefined'}, not a number` };
    }
    return { ok: true, value: v };
  }
  const v = sumPrometheusMetric(bodyText(ex), spec.metric, spec.labels);
  if (v === undefined) return { ok: false, error: `${describeExchange(ex)}: no series named ${spec.metric} matching the labels` };
  return { ok: true, value: v };
}

/**
 * Builds the verification from counts read before and after the run. Without a `before` reading (the read
 * failed or was skipped) the `after` value is taken as what the run created, which is right only for an
 * empty store; the source then says so.
 */
export function verifyCounts(source: string, before: ReadResult | null, after: ReadResult, unique: number, total: number): DedupVerification {
  const b = before?.ok ? before.value : null;
  if (!after.ok || (before && !before.ok)) {
    const error = !after.ok ? after.error : before && !before.ok ? before.error : 'unknown';
    return { source, before: b, after: after.ok ? after.value : null, created: null, unique, total, exact: false, ratio: null, error };
  }
  const created = after.value - (b ?? 0);
  return {
    source: before ? source : `${source} (no reading before the run: the store is assumed empty)`,
    before: b,
    after: after.value,
    created,
    unique,
    total,
    exact: created === unique,
    ratio: total > 0 ? created / total : null,
    error: null,
  };
}
