-- What the last pull left out, by reason, shown in the connection's health (issue 14, part 3).
ALTER TABLE "connection" ADD COLUMN     "last_skipped" JSONB;
