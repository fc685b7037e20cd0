-- CreateEnum
CREATE TYPE "VoucherStatus" AS ENUM ('active', 'revoked');

-- CreateTable
CREATE TABLE "voucher" (
    "id" UUID NOT NULL,
    "number" TEXT NOT NULL,
    "municipality_code" VARCHAR(6) NOT NULL,
    "resident_id" UUID NOT NULL,
    "child_id" UUID,
    "policy_version_id" UUID NOT NULL,
    "status" "VoucherStatus" NOT NULL DEFAULT 'active',
    "valid_from" DATE NOT NULL,
    "valid_until" DATE NOT NULL,
    "uses_count" INTEGER NOT NULL DEFAULT 0,
    "issued_by" UUID,
    "issued_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMP(3),
    "revoked_reason" TEXT,
    "replaces_id" UUID,

    CONSTRAINT "voucher_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "voucher_balance" (
    "voucher_id" UUID NOT NULL,
    "service_type" "ServiceType" NOT NULL,
    "cap" INTEGER NOT NULL,
    "reserved" INTEGER NOT NULL DEFAULT 0,
    "used" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "voucher_balance_pkey" PRIMARY KEY ("voucher_id","service_type")
);

-- CreateIndex
CREATE UNIQUE INDEX "voucher_number_key" ON "voucher"("number");

-- CreateIndex
CREATE UNIQUE INDEX "voucher_replaces_id_key" ON "voucher"("replaces_id");

-- CreateIndex
CREATE INDEX "voucher_municipality_code_status_idx" ON "voucher"("municipality_code", "status");

-- CreateIndex
CREATE INDEX "voucher_resident_id_idx" ON "voucher"("resident_id");

-- AddForeignKey
ALTER TABLE "voucher" ADD CONSTRAINT "voucher_resident_id_fkey" FOREIGN KEY ("resident_id") REFERENCES "resident"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "voucher" ADD CONSTRAINT "voucher_child_id_fkey" FOREIGN KEY ("child_id") REFERENCES "child"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "voucher" ADD CONSTRAINT "voucher_policy_version_id_fkey" FOREIGN KEY ("policy_version_id") REFERENCES "policy_version"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "voucher" ADD CONSTRAINT "voucher_replaces_id_fkey" FOREIGN KEY ("replaces_id") REFERENCES "voucher"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "voucher_balance" ADD CONSTRAINT "voucher_balance_voucher_id_fkey" FOREIGN KEY ("voucher_id") REFERENCES "voucher"("id") ON DELETE CASCADE ON UPDATE CASCADE;

