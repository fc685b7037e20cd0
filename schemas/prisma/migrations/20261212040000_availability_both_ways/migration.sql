-- Availability both ways (issue 14, part 5): the order key of the last inbound availability update per slot, and
-- the days waiting for an outbound availability push per connection.
-- AlterTable
ALTER TABLE "slot" ADD COLUMN     "external_at" TIMESTAMP(3),
ADD COLUMN     "external_revision" INTEGER;

-- CreateTable
CREATE TABLE "connector_availability_change" (
    "id" BIGSERIAL NOT NULL,
    "connection_id" UUID NOT NULL,
    "service_type" "ServiceType" NOT NULL,
    "date" DATE NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "connector_availability_change_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "connector_availability_push" (
    "connection_id" UUID NOT NULL,
    "days" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "revision" INTEGER NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "available_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,
    "sent_at" TIMESTAMP(3),
    "acknowledged_at" TIMESTAMP(3),

    CONSTRAINT "connector_availability_push_pkey" PRIMARY KEY ("connection_id")
);

-- CreateIndex
CREATE INDEX "connector_availability_change_connection_id_id_idx" ON "connector_availability_change"("connection_id", "id");

-- AddForeignKey
ALTER TABLE "connector_availability_change" ADD CONSTRAINT "connector_availability_change_connection_id_fkey" FOREIGN KEY ("connection_id") REFERENCES "connection"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "connector_availability_push" ADD CONSTRAINT "connector_availability_push_connection_id_fkey" FOREIGN KEY ("connection_id") REFERENCES "connection"("id") ON DELETE CASCADE ON UPDATE CASCADE;

