/** The `data` of a `canary` result (type only). */

/** One canary ping. */
export type CanarySample = {
  /** Status code, or null when the request failed (see `error`). */
  code: number | null;
  latencyMs: number;
  error?: string;
};

/** Evidence of a canary run. Also carries `p<N>Ms` for the configured percentile. */
export type CanaryData = {
  url: string;
  oks: number;
  count: number;
  percentile: number;
  percentileMs: number | null;
  percentileSupported: boolean;
  percentileNote: string | null;
  p95Ms: number | null;
  sloMs: number;
  minMs: number | null;
  maxMs: number | null;
  samples: CanarySample[];
};
