-- Operations: enrichment worker, dead-letter queue, reconciliation, flag audit, tenant lifecycle.
-- Safe for a rolling deploy: only new tables, new indexes, a trigger and one nullable column. Instances of the
-- previous release keep working against this schema (they never read these tables), and nothing
-- here rewrites or locks the events table for long.

-- A tenant can be disabled (its API key then authenticates nothing); NULL = active.
ALTER TABLE tenants ADD COLUMN IF NOT EXISTS disabled_at timestamptz;

-- What the worker derives from each event: its type, when it happened, size and content digest.
CREATE TABLE events_enriched (
  event_id        uuid PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
  tenant_id       text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  event_type      text NOT NULL,
  occurred_at     timestamptz NOT NULL,
  payload_bytes   integer NOT NULL,
  payload_sha256  text NOT NULL CHECK (payload_sha256 ~ '^[0-9a-f]{64}$'),
  attempts        integer NOT NULL,
  enriched_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_enriched_tenant ON events_enriched (tenant_id, enriched_at);

-- Work of the enrichment worker: one row per event neither enriched nor dead-lettered, with its failed
-- attempts so far. Filled by the trigger below on every new event (whichever release inserted it) and,
-- for events stored before this migration, by the worker's backfill at start.
CREATE TABLE enrichment_queue (
  event_id          uuid PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
  tenant_id         text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  event_created_at  timestamptz NOT NULL,
  attempts          integer NOT NULL DEFAULT 0,
  last_error        text,
  next_attempt_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX enrichment_queue_due ON enrichment_queue (tenant_id, next_attempt_at);
CREATE INDEX enrichment_queue_oldest ON enrichment_queue (tenant_id, event_created_at);

-- SECURITY INVOKER: the insert runs under the inserting transaction's tenant setting and policies.
CREATE FUNCTION pilot_enqueue_enrichment() RETURNS trigger
LANGUAGE plpgsql SECURITY INVOKER AS $$
BEGIN
  INSERT INTO enrichment_queue (event_id, tenant_id, event_created_at)
    VALUES (NEW.id, NEW.tenant_id, NEW.created_at) ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;
CREATE TRIGGER events_enqueue_enrichment AFTER INSERT ON events
  FOR EACH ROW EXECUTE FUNCTION pilot_enqueue_enrichment();

-- Events whose enrichment failed retryCap + 1 times. requeued_at set = handed back to the worker.
CREATE TABLE dead_letter_events (
  event_id          uuid PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
  tenant_id         text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  attempts          integer NOT NULL,
  last_error        text NOT NULL,
  dead_lettered_at  timestamptz NOT NULL DEFAULT now(),
  requeued_at       timestamptz
);
CREATE INDEX dead_letter_events_open ON dead_letter_events (tenant_id) WHERE requeued_at IS NULL;

-- Per-tenant results of reconcile runs (tenant-scoped: row-level security below).
CREATE TABLE reconcile_tenant_results (
  run_id         uuid NOT NULL,
  tenant_id      text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  source         bigint NOT NULL,
  enriched       bigint NOT NULL,
  dead_lettered  bigint NOT NULL,
  drift_ratio    double precision NOT NULL,
  PRIMARY KEY (run_id, tenant_id)
);

ALTER TABLE events_enriched ENABLE ROW LEVEL SECURITY;
ALTER TABLE events_enriched FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON events_enriched
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

ALTER TABLE enrichment_queue ENABLE ROW LEVEL SECURITY;
ALTER TABLE enrichment_queue FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON enrichment_queue
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

ALTER TABLE dead_letter_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE dead_letter_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON dead_letter_events
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

ALTER TABLE reconcile_tenant_results ENABLE ROW LEVEL SECURITY;
ALTER TABLE reconcile_tenant_results FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON reconcile_tenant_results
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

-- Reconcile runs, all tenants together (aggregate figures only, like the metrics: no tenant ids).
-- Not tenant-scoped, like tenants and feature_flags: no row-level security.
CREATE TABLE reconcile_runs (
  id             uuid PRIMARY KEY,
  trigger        text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
  window_from    timestamptz NOT NULL,
  window_to      timestamptz NOT NULL,
  lag_allowed_sec integer NOT NULL,
  started_at     timestamptz NOT NULL,
  finished_at    timestamptz NOT NULL DEFAULT now(),
  tenants        integer NOT NULL,
  source         bigint NOT NULL,
  enriched       bigint NOT NULL,
  dead_lettered  bigint NOT NULL,
  drift_ratio    double precision NOT NULL,
  outcome        text NOT NULL CHECK (outcome IN ('ok', 'drift', 'error')),
  error          text
);
CREATE INDEX reconcile_runs_finished ON reconcile_runs (finished_at DESC);

-- One row per change of the runtime flags: who (which surface), before and after.
CREATE TABLE feature_flag_audit (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  changed_at  timestamptz NOT NULL DEFAULT now(),
  actor       text NOT NULL,
  old_flags   jsonb NOT NULL,
  new_flags   jsonb NOT NULL
);

-- One-off maintenance jobs done (e.g. the enrichment backfill), so they run once per database.
CREATE TABLE maintenance_done (
  name     text PRIMARY KEY,
  done_at  timestamptz NOT NULL DEFAULT now()
);
