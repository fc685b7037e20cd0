-- CreateTable
CREATE TABLE "connection_log" (
    "id" BIGSERIAL NOT NULL,
    "connection_id" UUID NOT NULL,
    "facility_id" UUID NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "kind" TEXT NOT NULL,
    "result" TEXT NOT NULL,
    "code" TEXT,
    "message" TEXT,
    "counts" JSONB NOT NULL DEFAULT '{}',
    "refs" JSONB NOT NULL DEFAULT '{}',
    "skipped" JSONB,
    "request" TEXT,
    "http_status" INTEGER,
    "duration_ms" INTEGER,
    "replayed_at" TIMESTAMP(3),

    CONSTRAINT "connection_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "connection_log_connection_id_at_idx" ON "connection_log"("connection_id", "at");

-- CreateIndex
CREATE INDEX "connection_log_at_idx" ON "connection_log"("at");

-- AddForeignKey
ALTER TABLE "connection_log" ADD CONSTRAINT "connection_log_connection_id_fkey" FOREIGN KEY ("connection_id") REFERENCES "connection"("id") ON DELETE CASCADE ON UPDATE CASCADE;

