/** The `data` of a `webhook` result (type only: reporters may import it). */

/** The probes of a `webhook` check, in the order they are sent. */
export type WebhookProbeName =
  | 'no-signature'
  | 'malformed-signature'
  | 'wrong-secret'
  | 'stale-timestamp'
  | 'future-timestamp'
  | 'valid-event'
  | 'replay-identical'
  | 'replay-resigned'
  | 'altered-body';

/** What became of one probe. */
export type WebhookProbeVerdict = 'pass' | 'fail' | 'warn' | 'not applicable' | 'not probed';

/** Evidence of one probe: the request made and the answer. */
export type WebhookProbeData = {
  probe: WebhookProbeName;
  /** The request in words: method, URL, the signature header as built (never the secret), event id. */
  request: string;
  /** The answer that holds, e.g. `400|401|403` or `2xx`. */
  expected: string;
  /** Null when no answer came (see `error`) or the probe was not sent. */
  status: number | null;
  verdict: WebhookProbeVerdict;
  /** Redacted excerpt of the answer's body. */
  answer: string | null;
  latencyMs: number | null;
  /** Network failure class when there was no answer, or why the probe was not sent. */
  error?: string;
};

/** Evidence of a `webhook` check. */
export type WebhookData = {
  scheme: 'stripe' | 'github' | 'hmac';
  url: string;
  /** The environment variable the secret came from (its name only), or null when none was set. */
  secretEnv: string | null;
  /** The marker in every probe's event ids (`golive-probe-<run>`), for cleaning up probe data. */
  marker: string;
  probes: WebhookProbeData[];
  /** Probes that need the secret and were not sent because it is not set. */
  notProbed: WebhookProbeName[];
  /** Read-back of the event count (`effectCount`) before the positive control and after the replays. */
  effects?: { source: string; before: number | null; after: number | null; error?: string };
};
