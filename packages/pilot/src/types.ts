import type { PilotConfig } from './config.ts';
import type { Db } from './db/index.ts';
import type { PilotMetrics } from './plugins/metrics.ts';
import type { RateLimits } from './plugins/rate-limit.ts';
import type { EnrichmentWorker } from './services/enrichment.ts';
import type { IngestQueue } from './services/ingest.ts';
import type { ReconcileScheduler } from './services/reconcile.ts';
import type { Notifier } from './services/notifier.ts';
import type { TenantContext, TenantDirectory } from './services/tenants.ts';

/** Lifecycle flags read by the probes. */
export interface AppState {
  /** Set at the first SIGTERM: readiness answers 503 while in-flight work drains. */
  shuttingDown: boolean;
  startedAt: number;
}

/** Everything the routes share, decorated on the fastify instance as `app.pilot`. */
export interface PilotServices {
  config: PilotConfig;
  db: Db;
  tenants: TenantDirectory;
  /** Group commit of signed ingests. */
  ingest: IngestQueue;
  metrics: PilotMetrics;
  /** The background enrichment worker (started when ENRICH_WORKER=on). */
  enrichment: EnrichmentWorker;
  /** The scheduled reconcile (started when RECONCILE_INTERVAL_SEC > 0). */
  reconcileScheduler: ReconcileScheduler;
  notifier: Notifier;
  state: AppState;
  version: string;
  /** Rate limits: status of the counters' store, failed-authentication budget. */
  rateLimits: RateLimits;
}

declare module 'fastify' {
  interface FastifyInstance {
    pilot: PilotServices;
  }
  interface FastifyRequest {
    /** Set by the API-key authentication of /v1 routes. */
    tenant: TenantContext | null;
    /** The exact bytes of a JSON body, kept for signature checks. */
    rawBody: Buffer | null;
    /** Why the JSON body was refused by the guard (answered before validation), or null. */
    jsonBodyProblem: Error | null;
  }
}
