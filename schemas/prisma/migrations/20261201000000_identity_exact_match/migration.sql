-- Identities match exactly (issue 12, part 1). Sign-in e-mail addresses (app_user.email) and residents'
-- registered addresses (resident.email) are stored in one normal form (hub/identity/email.ts: NFKC, trimmed,
-- lower-cased, printable ASCII) and looked up with `=`. The database refuses any other form (a trigger below), so
-- the unique indexes are the same rule as the look-up. Existing rows are normalised here; rows that would collide
-- or cannot be normalised stop the migration with the ids to fix, instead of being merged or changed silently.

DO $$
DECLARE
  problem text;
BEGIN
  SELECT string_agg(ids, '; ') INTO problem FROM (
    SELECT string_agg(id::text, ', ' ORDER BY id) AS ids
    FROM app_user WHERE email IS NOT NULL
    GROUP BY lower(btrim(normalize(email, NFKC))) HAVING count(*) > 1
  ) d;
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION 'app_user rows whose e-mail addresses differ only in case, spacing or width: %. Give each person one address, then start again.', problem;
  END IF;

  SELECT string_agg(ids, '; ') INTO problem FROM (
    SELECT string_agg(id::text, ', ' ORDER BY id) AS ids
    FROM resident WHERE email IS NOT NULL AND btrim(email) <> ''
    GROUP BY lower(btrim(normalize(email, NFKC))) HAVING count(*) > 1
  ) d;
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION 'resident rows that share an e-mail address (ignoring case, spacing and width): %. A code can go to one resident only: correct or clear the addresses, then start again.', problem;
  END IF;
END $$;

UPDATE app_user SET email = lower(btrim(normalize(email, NFKC)))
  WHERE email IS NOT NULL AND email <> lower(btrim(normalize(email, NFKC)));
UPDATE resident SET email = NULLIF(lower(btrim(normalize(email, NFKC))), '')
  WHERE email IS NOT NULL AND email IS DISTINCT FROM NULLIF(lower(btrim(normalize(email, NFKC))), '');

DO $$
DECLARE
  problem text;
BEGIN
  SELECT string_agg(id::text, ', ' ORDER BY id) INTO problem FROM (
    SELECT id FROM app_user WHERE email !~ '^[!-~]+$'
    UNION ALL SELECT id FROM resident WHERE email !~ '^[!-~]+$'
  ) d;
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION 'rows (app_user or resident) whose e-mail address is not ASCII after normalisation: %. Write internationalised domains in their xn-- form, then start again.', problem;
  END IF;
END $$;

-- The normal form as the database checks it: lower case, no surrounding space, printable ASCII only. A trigger
-- rather than a CHECK constraint only because Prisma's schema engine cannot introspect CHECK constraints here;
-- it refuses a row the same way (SQLSTATE 23514, check_violation), naming the rule.
CREATE FUNCTION email_is_normalised(email text) RETURNS boolean
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN email = lower(btrim(email)) AND email ~ '^[!-~]+$';

CREATE FUNCTION refuse_unnormalised_email() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.email IS NOT NULL AND NOT email_is_normalised(NEW.email) THEN
    RAISE EXCEPTION USING
      ERRCODE = 'check_violation',
      MESSAGE = TG_TABLE_NAME || '_email_normalised: the e-mail address is not in its normal form',
      HINT = 'Store addresses as hub/identity/email.ts normalises them (lower case, trimmed, ASCII).';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER app_user_email_normalised BEFORE INSERT OR UPDATE OF email ON "app_user"
  FOR EACH ROW EXECUTE FUNCTION refuse_unnormalised_email();
CREATE TRIGGER resident_email_normalised BEFORE INSERT OR UPDATE OF email ON "resident"
  FOR EACH ROW EXECUTE FUNCTION refuse_unnormalised_email();

-- DropIndex
DROP INDEX "resident_email_idx";

-- CreateIndex
CREATE UNIQUE INDEX "resident_email_key" ON "resident"("email");
