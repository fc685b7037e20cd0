-- What an invoice carries (issue 15, part 2): each association's issuer block and bank account, and each
-- municipality's invoice settings (支払期限, seal, how residents are named, 債権者コード). Empty until edited; the
-- demo data fills them with fictitious values.
-- CreateTable
CREATE TABLE "association_billing_profile" (
    "association_id" VARCHAR(32) NOT NULL,
    "postal_code" TEXT NOT NULL DEFAULT '',
    "address" TEXT NOT NULL DEFAULT '',
    "president_title" TEXT NOT NULL DEFAULT '会長',
    "president_name" TEXT NOT NULL DEFAULT '',
    "responsible_name" TEXT NOT NULL DEFAULT '',
    "contact_name" TEXT NOT NULL DEFAULT '',
    "phone" TEXT NOT NULL DEFAULT '',
    "bank_name" TEXT NOT NULL DEFAULT '',
    "branch_name" TEXT NOT NULL DEFAULT '',
    "account_type" TEXT NOT NULL DEFAULT '普通',
    "account_number" TEXT NOT NULL DEFAULT '',
    "account_holder_kana" TEXT NOT NULL DEFAULT '',
    "updated_at" TIMESTAMP(3) NOT NULL,
    "updated_by" UUID,

    CONSTRAINT "association_billing_profile_pkey" PRIMARY KEY ("association_id")
);

-- CreateTable
CREATE TABLE "municipality_billing_setting" (
    "municipality_code" VARCHAR(6) NOT NULL,
    "payment_due" TEXT NOT NULL DEFAULT 'end_of_next_month',
    "payment_days" INTEGER NOT NULL DEFAULT 30,
    "seal_required" BOOLEAN NOT NULL DEFAULT false,
    "resident_display" TEXT NOT NULL DEFAULT 'external_id',
    "creditor_codes" JSONB NOT NULL DEFAULT '{}',
    "updated_at" TIMESTAMP(3) NOT NULL,
    "updated_by" UUID,

    CONSTRAINT "municipality_billing_setting_pkey" PRIMARY KEY ("municipality_code")
);

