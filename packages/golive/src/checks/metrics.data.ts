/** The `data` of a `metrics` result (type only: reporters import it). */

/** One required series and what the scrape found. */
export type MetricsRequiredSeries = {
  /** The selector as configured, e.g. `http_requests_total{route="/v1/events"}`. */
  series: string;
  /** Samples it matched. */
  matched: number;
  /** Value of the first match, when one matched. */
  value: number | null;
};

/** One counter delta between the gate's start and end scrapes. */
export type MetricsDelta = {
  series: string;
  minIncrease: number;
  /** Sum of the matched samples at the gate's start (null when none matched or the scrape failed). */
  start: number | null;
  /** Sum at the gate's end (set by the gate-end hook). */
  end?: number | null;
  increase?: number | null;
  /** True when `process_start_time_seconds` changed between the scrapes (a restart: the increase counts from 0). */
  reset?: boolean;
};

/** Evidence of one `metrics` scrape. */
export type MetricsData = {
  url: string;
  statusCode: number | null;
  contentType?: string;
  /** `openmetrics` or `text` (from the Content-Type answered), null when no page was read. */
  format: string | null;
  bytes?: number;
  families?: number;
  samples?: number;
  /** The first syntax error, `line N: message`. */
  syntaxError?: string;
  duplicateSeries?: number;
  histogramProblems?: number;
  /** promtool-style lint problems, `metric text`, at most 50. */
  lint?: string[];
  required: MetricsRequiredSeries[];
  deltas: MetricsDelta[];
  /** Network failure class when there was no answer. */
  error?: string;
};
