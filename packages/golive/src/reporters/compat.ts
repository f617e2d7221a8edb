/**
 * Shared pieces of the seed-compatible artifact writers (stage 3 / stage 4). The writers find results by the
 * check ids the seed preset maps to each field (`CompatChecks`), never by kind, and read each result's `data`
 * through the type its kind declares (a check of another kind under that id simply lacks the fields).
 */
import type { CheckResult, Json, Report } from '../core/result.ts';

/** The check id behind each field of a seed artifact set (see presets). */
export type CompatChecks = Readonly<Record<string, string>>;

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

/** The result of the check with this id, searching every stage. */
export function findResult(report: Report, id: string | undefined): CheckResult | undefined {
  if (id === undefined) return undefined;
  return report.stages.flatMap((s) => s.checks).find((r) => r.id === id);
}

/**
 * A result's data read as the shape its kind declares (`checks/<kind>.data.ts`). Fields are still checked at
 * use (`num`, `typeof`): a report from another version, or a check of another kind under the id, may lack them.
 */
export function typedData<D>(r: CheckResult | undefined): Partial<D> {
  return (r?.data ?? {}) as Partial<D>;
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
export function healthUrlOf(report: Report, healthId: string | undefined): string {
  const health = findResult(report, healthId);
  const url = dataOf(health, 'url');
  if (typeof url === 'string' && url) return url;
  try {
    return new URL('/health', report.target.baseUrl).href;
  } catch {
    return `${seedBaseUrl(report.target.baseUrl)}/health`;
  }
}
