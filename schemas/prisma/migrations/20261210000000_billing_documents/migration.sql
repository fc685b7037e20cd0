-- Finalized invoices are fixed bytes (issue 15, part 1): the 請求日 is the run's, and the files of a finalized run
-- are stored at finalization with their sha-256. Runs finalized before this keep the finalization date (Tokyo)
-- as their 請求日; their files are made once, on first download, and kept.
-- AlterTable
ALTER TABLE "billing_run" ADD COLUMN     "issue_date" DATE;

-- CreateTable
CREATE TABLE "billing_document" (
    "run_id" UUID NOT NULL,
    "kind" VARCHAR(8) NOT NULL,
    "file_name" TEXT NOT NULL,
    "body" BYTEA NOT NULL,
    "sha256" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "billing_document_pkey" PRIMARY KEY ("run_id","kind")
);

-- AddForeignKey
ALTER TABLE "billing_document" ADD CONSTRAINT "billing_document_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "billing_run"("id") ON DELETE CASCADE ON UPDATE CASCADE;


UPDATE "billing_run" SET "issue_date" = ("finalized_at" AT TIME ZONE 'UTC' AT TIME ZONE 'Asia/Tokyo')::date WHERE "finalized_at" IS NOT NULL;
