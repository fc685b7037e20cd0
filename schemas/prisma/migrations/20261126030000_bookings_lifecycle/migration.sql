-- CreateEnum
CREATE TYPE "WaitlistStatus" AS ENUM ('waiting', 'offered', 'booked', 'cancelled', 'ended');

-- AlterTable
ALTER TABLE "booking" ADD COLUMN     "cancel_deadline" TIMESTAMP(3),
ADD COLUMN     "cancel_reason" TEXT,
ADD COLUMN     "cancellation_fee" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "fee_municipality_share" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "fee_resident_share" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "reminded_at" TIMESTAMP(3),
ADD COLUMN     "waitlist_entry_id" UUID;

-- AlterTable
ALTER TABLE "outbox" ADD COLUMN     "available_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "failed_at" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "delivery" (
    "id" BIGSERIAL NOT NULL,
    "outbox_id" BIGINT NOT NULL,
    "channel" TEXT NOT NULL,
    "to_masked" TEXT NOT NULL,
    "subject" TEXT NOT NULL DEFAULT '',
    "resident_id" UUID,
    "facility_id" UUID,
    "municipality_code" VARCHAR(6),
    "status" TEXT NOT NULL,
    "error" TEXT,
    "provider_ref" TEXT,
    "attempted_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "delivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "waitlist_entry" (
    "id" UUID NOT NULL,
    "resident_id" UUID NOT NULL,
    "facility_id" UUID NOT NULL,
    "service_type" "ServiceType" NOT NULL,
    "from_date" DATE NOT NULL,
    "to_date" DATE NOT NULL,
    "nights" INTEGER NOT NULL DEFAULT 1,
    "time_block" TEXT NOT NULL DEFAULT '',
    "priority" INTEGER NOT NULL DEFAULT 0,
    "status" "WaitlistStatus" NOT NULL DEFAULT 'waiting',
    "offer_booking_id" UUID,
    "offer_expires_at" TIMESTAMP(3),
    "offers_made" INTEGER NOT NULL DEFAULT 0,
    "note" TEXT NOT NULL DEFAULT '',
    "created_by" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "waitlist_entry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "unmet_search" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "service_type" "ServiceType",
    "region" TEXT,
    "municipality_code" VARCHAR(6),
    "from_date" DATE,
    "to_date" DATE,
    "role" TEXT NOT NULL,

    CONSTRAINT "unmet_search_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "delivery_attempted_at_idx" ON "delivery"("attempted_at");

-- CreateIndex
CREATE INDEX "delivery_resident_id_idx" ON "delivery"("resident_id");

-- CreateIndex
CREATE INDEX "delivery_facility_id_idx" ON "delivery"("facility_id");

-- CreateIndex
CREATE INDEX "waitlist_entry_facility_id_service_type_status_priority_cre_idx" ON "waitlist_entry"("facility_id", "service_type", "status", "priority", "created_at");

-- CreateIndex
CREATE INDEX "waitlist_entry_resident_id_idx" ON "waitlist_entry"("resident_id");

-- CreateIndex
CREATE INDEX "unmet_search_at_idx" ON "unmet_search"("at");

-- AddForeignKey
ALTER TABLE "delivery" ADD CONSTRAINT "delivery_outbox_id_fkey" FOREIGN KEY ("outbox_id") REFERENCES "outbox"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "waitlist_entry" ADD CONSTRAINT "waitlist_entry_resident_id_fkey" FOREIGN KEY ("resident_id") REFERENCES "resident"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "waitlist_entry" ADD CONSTRAINT "waitlist_entry_facility_id_fkey" FOREIGN KEY ("facility_id") REFERENCES "facility"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

