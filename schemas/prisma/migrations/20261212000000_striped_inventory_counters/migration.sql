-- Striped inventory counters: one counter row per facility made every hold on that facility wait for the one before
-- it to commit (the bump's row lock is held until commit), so a busy facility's holds ran one at a time (77 holds/s,
-- p50 600 ms at 50 connections in the benchmark). Each database session now bumps its own stripe of the facility's
-- counter ("inventory:<facility id>:<stripe>", the stripe from the backend's pid), so concurrent writers rarely
-- meet; readers sum every row, which still moves on every bump. Rows stay bounded: 16 stripes per facility.
CREATE OR REPLACE FUNCTION bump_inventory_counters() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_counter (scope, n)
  SELECT scope, 1 FROM (
    SELECT DISTINCT 'inventory:' || facility_id::text || ':' || (pg_backend_pid() % 16)::text AS scope FROM changed_rows
  ) f ORDER BY scope
  ON CONFLICT (scope) DO UPDATE SET n = change_counter.n + 1;
  RETURN NULL;
END $$;
