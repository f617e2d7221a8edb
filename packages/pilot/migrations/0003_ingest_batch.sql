-- Group commit: several ingests in one statement, so one transaction and one commit (one WAL flush on
-- PostgreSQL) serve them all. Each item runs pilot_ingest, with the same checks in the same order;
-- the caller acknowledges none of them before this statement has committed. Items are processed in
-- order: a later item with the key of an earlier one finds that row (same transaction) and is answered
-- as a replay of it (or key_reused for another body), never as a second event.
CREATE FUNCTION pilot_ingest_batch(
  p_tenants text[],
  p_signatures text[],
  p_keys text[],
  p_lock_keys text[],
  p_request_hashes text[],
  p_ids uuid[],
  p_payloads text[],
  p_bodies text[]
) RETURNS TABLE (ord integer, outcome text, status integer, body text)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
DECLARE
  n integer := coalesce(array_length(p_tenants, 1), 0);
BEGIN
  IF array_length(p_signatures, 1) IS DISTINCT FROM array_length(p_tenants, 1)
     OR array_length(p_keys, 1) IS DISTINCT FROM array_length(p_tenants, 1)
     OR array_length(p_lock_keys, 1) IS DISTINCT FROM array_length(p_tenants, 1)
     OR array_length(p_request_hashes, 1) IS DISTINCT FROM array_length(p_tenants, 1)
     OR array_length(p_ids, 1) IS DISTINCT FROM array_length(p_tenants, 1)
     OR array_length(p_payloads, 1) IS DISTINCT FROM array_length(p_tenants, 1)
     OR array_length(p_bodies, 1) IS DISTINCT FROM array_length(p_tenants, 1) THEN
    RAISE EXCEPTION 'pilot_ingest_batch: arrays of different lengths';
  END IF;
  FOR i IN 1 .. n LOOP
    RETURN QUERY
      SELECT i, r.outcome, r.status, r.body
        FROM pilot_ingest(p_tenants[i], p_signatures[i], p_keys[i], p_lock_keys[i], p_request_hashes[i],
                          p_ids[i], p_payloads[i]::jsonb, p_bodies[i]) AS r;
  END LOOP;
END
$$;
