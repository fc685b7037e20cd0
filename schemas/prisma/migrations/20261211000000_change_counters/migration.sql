-- Change counters for the in-memory read caches (hub/db/change-counters.ts): bumped by triggers in the writing
-- transaction, so a cache is rebuilt when what it shows changed, in any process, and not on every unrelated commit.
CREATE TABLE "change_counter" (
    "scope" TEXT NOT NULL,
    "n" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "change_counter_pkey" PRIMARY KEY ("scope")
);

-- One counter per scope given as the trigger's argument (statement level: one bump per statement).
CREATE FUNCTION bump_change_counter() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_counter (scope, n) VALUES (TG_ARGV[0], 1)
  ON CONFLICT (scope) DO UPDATE SET n = change_counter.n + 1;
  RETURN NULL;
END $$;

-- One counter per facility whose rows the statement changed ("inventory:<facility id>"), so writers of different
-- facilities never wait for each other on a counter; in id order, so two writers never deadlock on them.
CREATE FUNCTION bump_inventory_counters() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_counter (scope, n)
  SELECT scope, 1 FROM (SELECT DISTINCT 'inventory:' || facility_id::text AS scope FROM changed_rows) f ORDER BY scope
  ON CONFLICT (scope) DO UPDATE SET n = change_counter.n + 1;
  RETURN NULL;
END $$;

-- What the vacancy view reads: slots, closures, the facilities' services and connections (request-only state).
CREATE TRIGGER slot_inserted AFTER INSERT ON slot REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION bump_inventory_counters();
CREATE TRIGGER slot_updated AFTER UPDATE ON slot REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION bump_inventory_counters();
CREATE TRIGGER slot_deleted AFTER DELETE ON slot REFERENCING OLD TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION bump_inventory_counters();
CREATE TRIGGER closure_inserted AFTER INSERT ON closure REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION bump_inventory_counters();
CREATE TRIGGER closure_updated AFTER UPDATE ON closure REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION bump_inventory_counters();
CREATE TRIGGER closure_deleted AFTER DELETE ON closure REFERENCING OLD TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION bump_inventory_counters();
CREATE TRIGGER connection_inserted AFTER INSERT ON connection REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION bump_inventory_counters();
CREATE TRIGGER connection_updated AFTER UPDATE ON connection REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION bump_inventory_counters();
CREATE TRIGGER connection_deleted AFTER DELETE ON connection REFERENCING OLD TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION bump_inventory_counters();
CREATE TRIGGER slot_truncated AFTER TRUNCATE ON slot
  FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counter('inventory:all');
CREATE TRIGGER closure_truncated AFTER TRUNCATE ON closure
  FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counter('inventory:all');
CREATE TRIGGER connection_truncated AFTER TRUNCATE ON connection
  FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counter('inventory:all');

-- What the facility directory shows: facilities, their services, municipality and association names (rarely edited).
CREATE TRIGGER facility_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON facility
  FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counter('directory');
CREATE TRIGGER facility_service_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON facility_service
  FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counter('directory');
CREATE TRIGGER municipality_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON municipality
  FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counter('directory');
CREATE TRIGGER association_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON association
  FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counter('directory');
