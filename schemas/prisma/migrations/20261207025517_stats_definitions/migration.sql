-- AlterTable
ALTER TABLE "unmet_search" ADD COLUMN     "searcher_municipality_code" VARCHAR(6);

-- Occupancy is now named for what it is (稼働率) and counts confirmed places on days that have passed; added
-- reports that used the old key read the new metric.
UPDATE "report" SET "metric" = 'occupancy_rate' WHERE "metric" = 'vacancy_rate';
