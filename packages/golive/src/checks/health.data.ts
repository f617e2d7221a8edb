/** The `data` of a `health` result (type only: reporters and compatibility writers import it). */
import type { Json } from '../core/result.ts';

/** Evidence of one health request. */
export type HealthData = {
  url: string;
  method: string;
  /** The whole exchange, a new connection's set-up included. */
  latencyMs: number;
  /** Set-up of the connection this request opened (TCP, TLS); absent when a pooled connection was reused. */
  connectMs?: number;
  /** Null when no answer came (see `error`). */
  statusCode: number | null;
  /** Whether the check judged the service healthy. */
  ok?: boolean;
  contentType?: string;
  /** The parsed JSON body (redacted), or its excerpt when too large; null when not JSON or no answer. */
  payload: Json;
  /** Excerpt of a body that is not JSON. */
  body?: string;
  /** `application/health+json` when the service says so. */
  format?: string;
  /** healthy | warn | unhealthy | unrecognised. */
  healthStatus?: string;
  /** Network failure class when there was no answer. */
  error?: string;
};
