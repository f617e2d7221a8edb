/** The `data` of an `exposure` result (type only). */
import type { Json } from '../core/result.ts';

/** Evidence of the sensitive-path probe. */
export type ExposureData = {
  baseline?: { status: number; bytes: number };
  results?: Json[];
  /** Network failure class when the baseline request got no answer. */
  error?: string;
};
