-- A billing line still always belongs to a run, but checked once per statement over the rows it wrote, not by a
-- foreign key's lookup and lock per row: that check was ~45% of the server's work to COPY a national-scale month's
-- 34,000 lines. Lines are written only with their run, in the transaction that creates or updates it
-- (hub/billing/runs.ts), so the run is there and locked; a run is never deleted, and if one were its lines go too.

-- DropForeignKey
ALTER TABLE "billing_line" DROP CONSTRAINT "billing_line_run_id_fkey";

CREATE FUNCTION billing_lines_have_runs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM written_lines l WHERE NOT EXISTS (SELECT 1 FROM billing_run r WHERE r.id = l.run_id)) THEN
    RAISE EXCEPTION 'a billing line names no billing run' USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER billing_line_inserted AFTER INSERT ON billing_line REFERENCING NEW TABLE AS written_lines
  FOR EACH STATEMENT EXECUTE FUNCTION billing_lines_have_runs();
CREATE TRIGGER billing_line_updated AFTER UPDATE ON billing_line REFERENCING NEW TABLE AS written_lines
  FOR EACH STATEMENT EXECUTE FUNCTION billing_lines_have_runs();

CREATE FUNCTION billing_run_lines_go_too() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM billing_line l USING deleted_runs r WHERE l.run_id = r.id;
  RETURN NULL;
END $$;

CREATE TRIGGER billing_run_deleted AFTER DELETE ON billing_run REFERENCING OLD TABLE AS deleted_runs
  FOR EACH STATEMENT EXECUTE FUNCTION billing_run_lines_go_too();
