import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The Prometheus metrics of one app instance (own registry, so tests can build several apps). */
export interface PilotMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  httpTotal: Counter<'method' | 'route' | 'status_code'>;
  eventsIngested: Counter;
  eventsDeduplicated: Counter<'outcome'>;
  signaturesRejected: Counter<'reason'>;
  signaturesAccepted: Counter<'version'>;
  webhooksReceived: Counter<'provider' | 'outcome'>;
  ingestBatchSize: Histogram;
  enrichmentProcessed: Counter;
  enrichmentRetried: Counter;
  enrichmentDeadLettered: Counter;
  enrichmentLagSeconds: Gauge;
  deadLetterEvents: Gauge;
  reconcileDriftRatio: Gauge;
  reconcileLastRunTimestampSeconds: Gauge;
  reconcileRuns: Counter<'outcome'>;
  syncEnabled: Gauge;
}

/** The outcomes of a reconcile run, as exported on `pilot_reconcile_runs_total`. */
export const RECONCILE_OUTCOMES = ['ok', 'drift', 'error'] as const;

/** Creates the registry with process metrics, HTTP metrics and the domain counters. */
export function createMetrics(): PilotMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route template',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    httpTotal: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by route template and status',
      labelNames: ['method', 'route', 'status_code'],
      registers: [registry],
    }),
    eventsIngested: new Counter({
      name: 'pilot_events_ingested_total',
      // Aggregate only: a tenant label would publish tenant ids and volumes to whoever can scrape.
      help: 'Events stored (first delivery of an idempotency key), all tenants',
      registers: [registry],
    }),
    eventsDeduplicated: new Counter({
      name: 'pilot_events_deduplicated_total',
      help: 'Ingest requests answered without storing: replayed, in flight, or key reused with another body',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    signaturesRejected: new Counter({
      name: 'pilot_signatures_rejected_total',
      help: 'Requests refused for their HMAC signature',
      labelNames: ['reason'],
      registers: [registry],
    }),
    signaturesAccepted: new Counter({
      name: 'pilot_signatures_accepted_total',
      help: 'Ingest signatures accepted, by scheme version (v1 is refused from SIGNATURE_V1_SUNSET on)',
      labelNames: ['version'],
      registers: [registry],
    }),
    webhooksReceived: new Counter({
      name: 'pilot_webhooks_received_total',
      help: 'Provider webhooks by outcome',
      labelNames: ['provider', 'outcome'],
      registers: [registry],
    }),
    ingestBatchSize: new Histogram({
      name: 'pilot_ingest_batch_size',
      help: 'Ingest requests stored per transaction (group commit)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000],
      registers: [registry],
    }),
    // Operations series: aggregate over tenants (per-tenant figures live in the database and on the
    // admin health card). Every series is present from the first scrape, so rules and dashboards can
    // tell "zero" from "not exported".
    enrichmentProcessed: new Counter({
      name: 'pilot_enrichment_processed_total',
      help: 'Events enriched into events_enriched, all tenants',
      registers: [registry],
    }),
    enrichmentRetried: new Counter({
      name: 'pilot_enrichment_retried_total',
      help: 'Enrichment attempts that failed and will be retried',
      registers: [registry],
    }),
    enrichmentDeadLettered: new Counter({
      name: 'pilot_enrichment_dead_lettered_total',
      help: 'Events moved to the dead-letter table after retryCap failed attempts',
      registers: [registry],
    }),
    enrichmentLagSeconds: new Gauge({
      name: 'pilot_enrichment_lag_seconds',
      help: 'Age of the oldest event neither enriched nor dead-lettered (0 when none)',
      registers: [registry],
    }),
    deadLetterEvents: new Gauge({
      name: 'pilot_dead_letter_events',
      help: 'Events currently in the dead-letter table (not requeued)',
      registers: [registry],
    }),
    reconcileDriftRatio: new Gauge({
      name: 'pilot_reconcile_drift_ratio',
      help: 'Drift of the latest reconcile run, all tenants: (source - enriched - dead-lettered) / source',
      registers: [registry],
    }),
    reconcileLastRunTimestampSeconds: new Gauge({
      name: 'pilot_reconcile_last_run_timestamp_seconds',
      help: 'Unix time of the last completed reconcile run (0 before the first)',
      registers: [registry],
    }),
    reconcileRuns: (() => {
      const c = new Counter({
        name: 'pilot_reconcile_runs_total',
        help: 'Reconcile runs by outcome (ok, drift above the threshold, error)',
        labelNames: ['outcome'],
        registers: [registry],
      });
      for (const outcome of RECONCILE_OUTCOMES) c.inc({ outcome }, 0);
      return c;
    })(),
    syncEnabled: new Gauge({
      name: 'pilot_sync_enabled',
      help: 'The current syncEnabled runtime flag (1 enabled, 0 disabled)',
      registers: [registry],
    }),
  };
}

/**
 * Records duration and count of every answered request. The route label is the route template
 * (`/v1/events/:id`), never the raw URL: raw URLs would create one time series per id.
 */
export function registerHttpMetrics(app: FastifyInstance, m: PilotMetrics): void {
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const labels = { method: req.method, route, status_code: String(reply.statusCode) };
    m.httpDuration.observe(labels, reply.elapsedTime / 1000);
    m.httpTotal.inc(labels);
  });
}
