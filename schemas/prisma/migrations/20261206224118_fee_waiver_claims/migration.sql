-- AlterTable
ALTER TABLE "booking" ADD COLUMN     "fee_waiver" TEXT,
ADD COLUMN     "fee_waiver_decided_at" TIMESTAMP(3),
ADD COLUMN     "fee_waiver_decided_by" UUID;
