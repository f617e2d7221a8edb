/** Shared pieces of the seed-compatible artifact writers (stage 3 / stage 4). */
import type { CheckResult, Json, Report } from '../core/result.ts';

/** A file a compat renderer produces: literal content, or a copy of an artifact of the run. */
export type CompatFile = { path: string; content: string } | { path: string; copyOf: string; fallback: string };

/** The seeds' timestamps: ISO 8601 in UTC without milliseconds. */
export function seedTimestamp(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

/** A base URL as the seeds printed it (no trailing slash). */
export function seedBaseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/** First result of a kind (or with an id), searching every stage. */
export function findResult(report: Report, kind: string, id?: string): CheckResult | undefined {
  const all = report.stages.flatMap((s) => s.checks);
  return (id ? all.find((r) => r.id === id) : undefined) ?? all.find((r) => r.kind === kind);
}

/** A field of a result's data. */
export function dataOf(r: CheckResult | undefined, key: string): Json | undefined {
  return r?.data?.[key];
}

/** A number from data, else null. */
export function num(v: Json | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Milliseconds rounded to 2 decimals as the seeds printed them. */
export function ms2(v: Json | undefined): number | null {
  const n = num(v);
  return n === null ? null : Math.round(n * 100) / 100;
}

/** The health URL of a report: the health check's own URL if it recorded one, else base + /health. */
export function healthUrlOf(report: Report): string {
  const health = findResult(report, 'health');
  const url = dataOf(health, 'url');
  if (typeof url === 'string' && url) return url;
  try {
    return new URL('/health', report.target.baseUrl).href;
  } catch {
    return `${seedBaseUrl(report.target.baseUrl)}/health`;
  }
}
