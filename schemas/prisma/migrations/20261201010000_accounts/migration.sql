-- Accounts (issue 12, parts 2 and 5): the lockout columns go (throttling with growing delays lives in the
-- rate limiters, hub/identity/limits.ts); an enrolment started before this release with a password alone is
-- discarded (a new one needs the e-mail proof); sessions get an id a person can see and end; single-use tokens
-- sent by e-mail and recovery codes, both stored as keyed hashes.

-- AlterTable
ALTER TABLE "app_user" DROP COLUMN "failed_sign_ins",
DROP COLUMN "locked_until",
ADD COLUMN     "totp_pending_secret" TEXT;

-- AlterTable
UPDATE "app_user" SET "totp_secret" = NULL WHERE "totp_enabled" = false AND "totp_secret" IS NOT NULL;

-- AlterTable
ALTER TABLE "session" ADD COLUMN     "public_id" UUID NOT NULL DEFAULT gen_random_uuid(),
ADD COLUMN     "user_agent" TEXT NOT NULL DEFAULT '';
ALTER TABLE "session" ALTER COLUMN "public_id" DROP DEFAULT;

-- CreateTable
CREATE TABLE "account_token" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "purpose" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "used_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "account_token_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "recovery_code" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "code_hash" TEXT NOT NULL,
    "used_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "recovery_code_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "account_token_token_hash_key" ON "account_token"("token_hash");

-- CreateIndex
CREATE INDEX "account_token_user_id_purpose_idx" ON "account_token"("user_id", "purpose");

-- CreateIndex
CREATE UNIQUE INDEX "recovery_code_code_hash_key" ON "recovery_code"("code_hash");

-- CreateIndex
CREATE INDEX "recovery_code_user_id_idx" ON "recovery_code"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "session_public_id_key" ON "session"("public_id");

-- AddForeignKey
ALTER TABLE "account_token" ADD CONSTRAINT "account_token_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "recovery_code" ADD CONSTRAINT "recovery_code_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

