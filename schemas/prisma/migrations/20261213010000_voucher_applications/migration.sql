-- Online voucher applications (hub/applications) and the one-time codes proving an applicant's e-mail.
-- CreateEnum
CREATE TYPE "application_state" AS ENUM ('submitted', 'needs_info', 'approved', 'declined');

-- CreateTable
CREATE TABLE "voucher_application" (
    "id" UUID NOT NULL,
    "reference" TEXT NOT NULL,
    "municipality_code" VARCHAR(6) NOT NULL,
    "state" "application_state" NOT NULL DEFAULT 'submitted',
    "revision" INTEGER NOT NULL DEFAULT 0,
    "family_name" TEXT NOT NULL,
    "given_name" TEXT NOT NULL,
    "kana" TEXT NOT NULL,
    "birth_date" DATE NOT NULL,
    "postal_code" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "phone" TEXT,
    "email" TEXT NOT NULL,
    "preferred_language" TEXT NOT NULL DEFAULT 'ja',
    "child_name" TEXT NOT NULL DEFAULT '',
    "child_birth_date" DATE,
    "child_due_date" DATE,
    "multiple_birth" INTEGER NOT NULL DEFAULT 1,
    "consent_at" TIMESTAMP(3) NOT NULL,
    "consent_version" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "question" TEXT,
    "answer" TEXT,
    "decline_reason" TEXT,
    "resident_id" UUID,
    "voucher_id" UUID,
    "decided_by" UUID,
    "decided_at" TIMESTAMP(3),
    "submitted_at" TIMESTAMP(3) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "voucher_application_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "application_email_code" (
    "id" UUID NOT NULL,
    "email_key" TEXT NOT NULL,
    "code_hash" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "used_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "application_email_code_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "voucher_application_reference_key" ON "voucher_application"("reference");

-- CreateIndex
CREATE UNIQUE INDEX "voucher_application_token_hash_key" ON "voucher_application"("token_hash");

-- CreateIndex
CREATE INDEX "voucher_application_municipality_code_state_submitted_at_idx" ON "voucher_application"("municipality_code", "state", "submitted_at");

-- CreateIndex
CREATE INDEX "application_email_code_email_key_created_at_idx" ON "application_email_code"("email_key", "created_at");

-- AddForeignKey
ALTER TABLE "voucher_application" ADD CONSTRAINT "voucher_application_municipality_code_fkey" FOREIGN KEY ("municipality_code") REFERENCES "municipality"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

