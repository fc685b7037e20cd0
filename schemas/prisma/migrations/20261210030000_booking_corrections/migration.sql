-- Corrections of redeemed bookings (過誤, issue 15, part 4): 取消 or 修正 with a reason, confirmed by the
-- municipality when the facility asks, or made by the association; billing bills the confirmed correction.
-- CreateTable
CREATE TABLE "booking_correction" (
    "id" UUID NOT NULL,
    "booking_id" UUID NOT NULL,
    "kind" VARCHAR(8) NOT NULL,
    "reason" TEXT NOT NULL,
    "units" INTEGER,
    "fee" INTEGER,
    "resident_copay" INTEGER,
    "status" VARCHAR(12) NOT NULL,
    "requested_by" UUID,
    "requested_role" VARCHAR(16) NOT NULL,
    "requested_at" TIMESTAMP(3) NOT NULL,
    "decided_by" UUID,
    "decided_at" TIMESTAMP(3),

    CONSTRAINT "booking_correction_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "booking_correction_booking_id_status_idx" ON "booking_correction"("booking_id", "status");

-- AddForeignKey
ALTER TABLE "booking_correction" ADD CONSTRAINT "booking_correction_booking_id_fkey" FOREIGN KEY ("booking_id") REFERENCES "booking"("id") ON DELETE CASCADE ON UPDATE CASCADE;

