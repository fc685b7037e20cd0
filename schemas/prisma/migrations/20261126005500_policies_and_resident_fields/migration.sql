-- CreateEnum
CREATE TYPE "IncomeTier" AS ENUM ('general', 'exempt', 'welfare');

-- AlterTable
ALTER TABLE "resident" ADD COLUMN     "consent_at" TIMESTAMP(3),
ADD COLUMN     "external_id" TEXT,
ADD COLUMN     "income_tier" "IncomeTier" NOT NULL DEFAULT 'general';

-- CreateTable
CREATE TABLE "policy_version" (
    "id" UUID NOT NULL,
    "municipality_code" VARCHAR(6) NOT NULL,
    "version" INTEGER NOT NULL,
    "effective_from" DATE NOT NULL,
    "rules" JSONB NOT NULL,
    "note" TEXT NOT NULL DEFAULT '',
    "created_by" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "policy_version_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "policy_version_municipality_code_version_key" ON "policy_version"("municipality_code", "version");

-- CreateIndex
CREATE UNIQUE INDEX "policy_version_municipality_code_effective_from_key" ON "policy_version"("municipality_code", "effective_from");

-- CreateIndex
CREATE UNIQUE INDEX "resident_municipality_code_external_id_key" ON "resident"("municipality_code", "external_id");

-- AddForeignKey
ALTER TABLE "policy_version" ADD CONSTRAINT "policy_version_municipality_code_fkey" FOREIGN KEY ("municipality_code") REFERENCES "municipality"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

