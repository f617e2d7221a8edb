/**
 * Status expectations shared by the HTTP-based checks: an exact code (`200`), a class (`2xx`), a range
 * (`200-204`) or a list of those. Parsed once at option-validation time so a typo fails the config, not the run.
 */
import { z } from 'zod';

const STATUS_TEXT = /^(?:[1-5]xx|[1-5]\d\d|[1-5]\d\d-[1-5]\d\d)$/i;

/** One status expectation: a code, `"4xx"`, `"200"` or `"200-299"`. */
export const statusTermSchema = z.union([
  z.number().int().min(100).max(599),
  z.string().regex(STATUS_TEXT, 'expected a status code (200), a class (2xx) or a range (200-299)'),
]);

/** A status expectation: one term or a non-empty list of terms (any may match). */
export const statusSpecSchema = z.union([statusTermSchema, z.array(statusTermSchema).min(1)]);

/** What `statusSpecSchema` accepts. */
export type StatusSpec = z.output<typeof statusSpecSchema>;

/** A compiled status expectation. */
export interface StatusMatcher {
  /** Whether a status code satisfies the expectation. */
  matches(status: number): boolean;
  /** Human form for evidence, e.g. `400|401|403` or `2xx`. */
  readonly text: string;
  /** Whether any 2xx code satisfies it (a 2xx then is not an "unexpected success"). */
  readonly allowsSuccess: boolean;
}

function termRange(term: number | string): [number, number] {
  if (typeof term === 'number') return [term, term];
  const t = term.toLowerCase();
  if (t.endsWith('xx')) {
    const base = Number(t[0]) * 100;
    return [base, base + 99];
  }
  const dash = t.indexOf('-');
  if (dash > 0) {
    const lo = Number(t.slice(0, dash));
    const hi = Number(t.slice(dash + 1));
    return lo <= hi ? [lo, hi] : [hi, lo];
  }
  const n = Number(t);
  return [n, n];
}

/** Compiles a status expectation. */
export function statusMatcher(spec: StatusSpec): StatusMatcher {
  const terms = Array.isArray(spec) ? spec : [spec];
  const ranges = terms.map(termRange);
  return {
    matches: (status) => ranges.some(([lo, hi]) => status >= lo && status <= hi),
    text: terms.map((t) => String(t).toLowerCase()).join('|'),
    allowsSuccess: ranges.some(([lo, hi]) => lo <= 299 && hi >= 200),
  };
}
