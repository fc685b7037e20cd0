-- CreateTable
CREATE TABLE "stats_disclosure" (
    "id" SMALLINT NOT NULL DEFAULT 1,
    "default_threshold" INTEGER NOT NULL,
    "thresholds" JSONB NOT NULL DEFAULT '{}',
    "exact_own_roles" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "updated_by" UUID,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "stats_disclosure_pkey" PRIMARY KEY ("id")
);
