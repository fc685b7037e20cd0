-- AlterTable
ALTER TABLE "outbox" ADD COLUMN     "claimed_until" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "mailbox_message" (
    "id" BIGSERIAL NOT NULL,
    "channel" TEXT NOT NULL,
    "to_address" TEXT NOT NULL,
    "subject" TEXT NOT NULL DEFAULT '',
    "body" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "mailbox_message_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "mailbox_message_to_address_created_at_idx" ON "mailbox_message"("to_address", "created_at");
