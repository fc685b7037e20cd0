-- Which database this is (issue 19, part 5): one row with a random id, made here once. Backups record it in their
-- sidecar, so backup rotation and complete deletion in a folder shared by several instances act only on their own.
-- Never exported or imported (hub/ops/tables.ts): an imported instance keeps its own identity.

-- CreateTable
CREATE TABLE "hub_instance" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "hub_instance_pkey" PRIMARY KEY ("id")
);

INSERT INTO "hub_instance" DEFAULT VALUES;
