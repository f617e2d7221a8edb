/** The `data` of an `http` result (type only). */

/** Evidence of one request and its answer. */
export type HttpData = {
  method: string;
  /** Path and query as requested (redacted). */
  path: string;
  url: string;
  latencyMs: number;
  statusCode: number | null;
  contentType?: string | null;
  /** Redacted excerpt of the body; null when there was no answer. */
  body: string | null;
  bodyTruncated?: boolean;
  error?: string;
};
