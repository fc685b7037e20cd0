-- CreateTable
CREATE TABLE "connection" (
    "id" UUID NOT NULL,
    "facility_id" UUID NOT NULL,
    "connector" TEXT NOT NULL,
    "config" JSONB NOT NULL DEFAULT '{}',
    "secret_sealed" TEXT,
    "feed_token_hash" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "sync_minutes" INTEGER NOT NULL DEFAULT 15,
    "state" JSONB NOT NULL DEFAULT '{}',
    "last_sync_at" TIMESTAMP(3),
    "last_success_at" TIMESTAMP(3),
    "last_failure_at" TIMESTAMP(3),
    "last_error" TEXT,
    "consecutive_failures" INTEGER NOT NULL DEFAULT 0,
    "disabled_reason" TEXT,
    "warned_at" TIMESTAMP(3),
    "next_run_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "connection_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "inbound_webhook" (
    "id" BIGSERIAL NOT NULL,
    "connection_id" UUID NOT NULL,
    "webhook_id" TEXT NOT NULL,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "body" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "processed_at" TIMESTAMP(3),
    "error" TEXT,

    CONSTRAINT "inbound_webhook_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sync_conflict" (
    "id" UUID NOT NULL,
    "connection_id" UUID NOT NULL,
    "facility_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "external_ref" TEXT,
    "booking_id" UUID,
    "detail" JSONB NOT NULL DEFAULT '{}',
    "status" TEXT NOT NULL DEFAULT 'open',
    "resolution" TEXT,
    "resolved_by" UUID,
    "resolved_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sync_conflict_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "connector_push" (
    "id" BIGSERIAL NOT NULL,
    "connection_id" UUID NOT NULL,
    "booking_id" UUID NOT NULL,
    "action" TEXT NOT NULL,
    "revision" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "available_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,
    "external_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "acknowledged_at" TIMESTAMP(3),
    "alerted_at" TIMESTAMP(3),

    CONSTRAINT "connector_push_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "connection_facility_id_key" ON "connection"("facility_id");

-- CreateIndex
CREATE UNIQUE INDEX "connection_feed_token_hash_key" ON "connection"("feed_token_hash");

-- CreateIndex
CREATE INDEX "connection_enabled_next_run_at_idx" ON "connection"("enabled", "next_run_at");

-- CreateIndex
CREATE INDEX "inbound_webhook_status_id_idx" ON "inbound_webhook"("status", "id");

-- CreateIndex
CREATE UNIQUE INDEX "inbound_webhook_connection_id_webhook_id_key" ON "inbound_webhook"("connection_id", "webhook_id");

-- CreateIndex
CREATE INDEX "sync_conflict_facility_id_status_idx" ON "sync_conflict"("facility_id", "status");

-- CreateIndex
CREATE INDEX "sync_conflict_status_created_at_idx" ON "sync_conflict"("status", "created_at");

-- CreateIndex
CREATE INDEX "connector_push_status_available_at_idx" ON "connector_push"("status", "available_at");

-- CreateIndex
CREATE UNIQUE INDEX "connector_push_booking_id_revision_key" ON "connector_push"("booking_id", "revision");

-- AddForeignKey
ALTER TABLE "connection" ADD CONSTRAINT "connection_facility_id_fkey" FOREIGN KEY ("facility_id") REFERENCES "facility"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbound_webhook" ADD CONSTRAINT "inbound_webhook_connection_id_fkey" FOREIGN KEY ("connection_id") REFERENCES "connection"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sync_conflict" ADD CONSTRAINT "sync_conflict_connection_id_fkey" FOREIGN KEY ("connection_id") REFERENCES "connection"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "connector_push" ADD CONSTRAINT "connector_push_connection_id_fkey" FOREIGN KEY ("connection_id") REFERENCES "connection"("id") ON DELETE CASCADE ON UPDATE CASCADE;

