-- The whole ingest decision in one statement (one round trip, one implicit transaction):
-- record the signature (replay check), take the key's advisory lock (in-flight check), read the
-- stored outcome, or store the event with its response. SECURITY INVOKER: row-level security
-- applies as for any other statement of the application role.
CREATE FUNCTION pilot_ingest(
  p_tenant text,
  p_signature text,
  p_key text,
  p_lock_key text,
  p_request_hash text,
  p_id uuid,
  p_payload jsonb,
  p_body text
) RETURNS TABLE (outcome text, status integer, body text)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
DECLARE
  v_prior record;
  v_n integer;
BEGIN
  PERFORM set_config('app.tenant_id', p_tenant, true);

  INSERT INTO seen_signatures (tenant_id, signature) VALUES (p_tenant, p_signature) ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  IF v_n = 0 THEN
    RETURN QUERY SELECT 'signature_replayed'::text, 0, NULL::text;
    RETURN;
  END IF;

  -- Held by a transaction that has not committed yet: the first request is still in flight.
  IF NOT pg_try_advisory_xact_lock(hashtextextended(p_lock_key, 0)) THEN
    RETURN QUERY SELECT 'in_flight'::text, 0, NULL::text;
    RETURN;
  END IF;

  -- A new snapshot for this statement (volatile function): it sees a first try committed before the lock.
  SELECT k.request_hash, k.response_status, k.response_body INTO v_prior
    FROM idempotency_keys k WHERE k.tenant_id = p_tenant AND k.key = p_key;
  IF FOUND THEN
    IF v_prior.request_hash <> p_request_hash THEN
      RETURN QUERY SELECT 'key_reused'::text, 0, NULL::text;
    ELSE
      RETURN QUERY SELECT 'replayed'::text, v_prior.response_status, v_prior.response_body;
    END IF;
    RETURN;
  END IF;

  -- The unique constraints, not the lock, guarantee one row (a lock-id collision only costs a 409).
  INSERT INTO events (id, tenant_id, idempotency_key, payload) VALUES (p_id, p_tenant, p_key, p_payload)
    ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  IF v_n = 0 THEN
    RETURN QUERY SELECT 'in_flight'::text, 0, NULL::text;
    RETURN;
  END IF;
  INSERT INTO idempotency_keys (tenant_id, key, request_hash, response_status, response_body)
    VALUES (p_tenant, p_key, p_request_hash, 201, p_body);
  RETURN QUERY SELECT 'created'::text, 201, p_body;
END
$$;
