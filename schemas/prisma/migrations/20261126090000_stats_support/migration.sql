-- CreateEnum
CREATE TYPE "InquiryStatus" AS ENUM ('open', 'answered', 'closed');

-- CreateTable
CREATE TABLE "report" (
    "key" VARCHAR(64) NOT NULL,
    "title_ja" TEXT NOT NULL,
    "title_en" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "metric" TEXT NOT NULL,
    "dimensions" TEXT[],
    "roles" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "chart" TEXT NOT NULL DEFAULT 'bar',
    "sort_order" INTEGER NOT NULL DEFAULT 0,
    "built_in" BOOLEAN NOT NULL DEFAULT false,
    "created_by" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "report_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "inquiry" (
    "id" UUID NOT NULL,
    "number" SERIAL NOT NULL,
    "category" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "status" "InquiryStatus" NOT NULL DEFAULT 'open',
    "author_id" UUID,
    "author_role" TEXT NOT NULL,
    "contact_name" TEXT NOT NULL,
    "contact_email" TEXT,
    "contact_phone" TEXT,
    "locale" TEXT NOT NULL DEFAULT 'ja',
    "faq_entry_id" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "inquiry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "inquiry_message" (
    "id" BIGSERIAL NOT NULL,
    "inquiry_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "body" TEXT NOT NULL DEFAULT '',
    "status" "InquiryStatus" NOT NULL,
    "author_id" UUID,
    "author_role" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inquiry_message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "faq_entry" (
    "id" UUID NOT NULL,
    "category" TEXT NOT NULL,
    "question_ja" TEXT NOT NULL,
    "answer_ja" TEXT NOT NULL,
    "question_en" TEXT NOT NULL DEFAULT '',
    "answer_en" TEXT NOT NULL DEFAULT '',
    "published" BOOLEAN NOT NULL DEFAULT false,
    "published_at" TIMESTAMP(3),
    "sort_order" INTEGER NOT NULL DEFAULT 0,
    "source_inquiry_id" UUID,
    "created_by" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "faq_entry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "announcement" (
    "id" UUID NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'info',
    "title_ja" TEXT NOT NULL,
    "body_ja" TEXT NOT NULL DEFAULT '',
    "title_en" TEXT NOT NULL DEFAULT '',
    "body_en" TEXT NOT NULL DEFAULT '',
    "audiences" TEXT[],
    "starts_at" TIMESTAMP(3) NOT NULL,
    "ends_at" TIMESTAMP(3) NOT NULL,
    "send_email" BOOLEAN NOT NULL DEFAULT false,
    "emailed_at" TIMESTAMP(3),
    "created_by" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "announcement_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "inquiry_number_key" ON "inquiry"("number");

-- CreateIndex
CREATE INDEX "inquiry_status_created_at_idx" ON "inquiry"("status", "created_at");

-- CreateIndex
CREATE INDEX "inquiry_author_id_idx" ON "inquiry"("author_id");

-- CreateIndex
CREATE INDEX "inquiry_message_inquiry_id_at_idx" ON "inquiry_message"("inquiry_id", "at");

-- CreateIndex
CREATE INDEX "faq_entry_published_category_sort_order_idx" ON "faq_entry"("published", "category", "sort_order");

-- CreateIndex
CREATE INDEX "announcement_starts_at_ends_at_idx" ON "announcement"("starts_at", "ends_at");

-- AddForeignKey
ALTER TABLE "inquiry_message" ADD CONSTRAINT "inquiry_message_inquiry_id_fkey" FOREIGN KEY ("inquiry_id") REFERENCES "inquiry"("id") ON DELETE CASCADE ON UPDATE CASCADE;

