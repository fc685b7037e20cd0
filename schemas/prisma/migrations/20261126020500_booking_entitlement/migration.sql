-- AlterTable
ALTER TABLE "booking" ADD COLUMN     "add_ons" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "entitlement_lines" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "fee" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "municipality_share" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "policy_version_id" UUID,
ADD COLUMN     "resident_copay" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "units" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "voucher_id" UUID;

-- CreateTable
CREATE TABLE "usage_confirmation" (
    "id" UUID NOT NULL,
    "municipality_code" VARCHAR(6) NOT NULL,
    "month" VARCHAR(7) NOT NULL,
    "uses" INTEGER NOT NULL,
    "units" INTEGER NOT NULL,
    "fee" INTEGER NOT NULL,
    "resident_copay" INTEGER NOT NULL,
    "municipality_share" INTEGER NOT NULL,
    "note" TEXT NOT NULL DEFAULT '',
    "confirmed_by" UUID,
    "confirmed_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "usage_confirmation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "usage_confirmation_municipality_code_month_key" ON "usage_confirmation"("municipality_code", "month");

-- CreateIndex
CREATE INDEX "booking_voucher_id_idx" ON "booking"("voucher_id");

-- AddForeignKey
ALTER TABLE "booking" ADD CONSTRAINT "booking_voucher_id_fkey" FOREIGN KEY ("voucher_id") REFERENCES "voucher"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "booking" ADD CONSTRAINT "booking_policy_version_id_fkey" FOREIGN KEY ("policy_version_id") REFERENCES "policy_version"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "usage_confirmation" ADD CONSTRAINT "usage_confirmation_municipality_code_fkey" FOREIGN KEY ("municipality_code") REFERENCES "municipality"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

