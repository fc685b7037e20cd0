-- Freshness as data: how long a pulled connection's vacancy stays trusted after its last success, set with the
-- configuration (hub/connections/manage.ts), so the vacancy view reads it instead of the connector registry.
-- AlterTable
ALTER TABLE "connection" ADD COLUMN     "vacancy_trust_minutes" INTEGER;

-- The connections configured before: those pulled on a schedule (iCal feeds; webhook connections that also pull
-- changes from the facility's API) get the window the hub used (three intervals, at least an hour).
UPDATE "connection" SET "vacancy_trust_minutes" = greatest(60, 3 * "sync_minutes")
WHERE "connector" = 'ical'
   OR ("connector" = 'webhook' AND coalesce("config"->>'apiBaseUrl', '') <> '' AND "config"->'pullChanges' = 'true'::jsonb);
