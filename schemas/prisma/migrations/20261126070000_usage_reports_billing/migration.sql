-- CreateTable
CREATE TABLE "usage_report" (
    "id" UUID NOT NULL,
    "booking_id" UUID NOT NULL,
    "facility_id" UUID NOT NULL,
    "municipality_code" VARCHAR(6) NOT NULL,
    "month" VARCHAR(7) NOT NULL,
    "care" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "infant_condition" TEXT NOT NULL DEFAULT '',
    "notes" TEXT NOT NULL DEFAULT '',
    "copay_collected" INTEGER NOT NULL,
    "submitted_by" UUID,
    "submitted_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "confirmed_by" UUID,
    "confirmed_at" TIMESTAMP(3),

    CONSTRAINT "usage_report_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "billing_run" (
    "id" UUID NOT NULL,
    "association_id" VARCHAR(32) NOT NULL,
    "municipality_code" VARCHAR(6) NOT NULL,
    "month" VARCHAR(7) NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'draft',
    "invoice_number" TEXT,
    "total" INTEGER NOT NULL DEFAULT 0,
    "created_by" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "reviewed_by" UUID,
    "reviewed_at" TIMESTAMP(3),
    "finalized_by" UUID,
    "finalized_at" TIMESTAMP(3),

    CONSTRAINT "billing_run_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "billing_line" (
    "id" BIGSERIAL NOT NULL,
    "run_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "booking_id" UUID,
    "facility_id" UUID NOT NULL,
    "resident_id" UUID,
    "resident_ref" TEXT NOT NULL DEFAULT '',
    "service_type" "ServiceType",
    "start_date" DATE,
    "end_date" DATE,
    "units" INTEGER NOT NULL DEFAULT 0,
    "fee" INTEGER NOT NULL DEFAULT 0,
    "resident_copay" INTEGER NOT NULL DEFAULT 0,
    "amount" INTEGER NOT NULL,
    "policy_version_id" UUID,
    "note" TEXT NOT NULL DEFAULT '',
    "adjusts_line_id" BIGINT,

    CONSTRAINT "billing_line_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "usage_report_booking_id_key" ON "usage_report"("booking_id");

-- CreateIndex
CREATE INDEX "usage_report_municipality_code_month_idx" ON "usage_report"("municipality_code", "month");

-- CreateIndex
CREATE INDEX "usage_report_facility_id_month_idx" ON "usage_report"("facility_id", "month");

-- CreateIndex
CREATE UNIQUE INDEX "billing_run_invoice_number_key" ON "billing_run"("invoice_number");

-- CreateIndex
CREATE INDEX "billing_run_status_idx" ON "billing_run"("status");

-- CreateIndex
CREATE UNIQUE INDEX "billing_run_association_id_municipality_code_month_key" ON "billing_run"("association_id", "municipality_code", "month");

-- CreateIndex
CREATE INDEX "billing_line_run_id_idx" ON "billing_line"("run_id");

-- CreateIndex
CREATE INDEX "billing_line_booking_id_idx" ON "billing_line"("booking_id");

-- AddForeignKey
ALTER TABLE "usage_report" ADD CONSTRAINT "usage_report_booking_id_fkey" FOREIGN KEY ("booking_id") REFERENCES "booking"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "billing_run" ADD CONSTRAINT "billing_run_association_id_fkey" FOREIGN KEY ("association_id") REFERENCES "association"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "billing_line" ADD CONSTRAINT "billing_line_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "billing_run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

