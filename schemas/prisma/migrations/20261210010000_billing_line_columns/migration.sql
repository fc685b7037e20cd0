-- Lines that add up (issue 15, part 3): a cancellation fee and the resident's part of it get their own columns, so
-- fee − resident_copay + cancellation_fee − cancellation_copay = amount on every line; an adjustment records the
-- amounts before (訂正前) and after (訂正後).
-- AlterTable
ALTER TABLE "billing_line" ADD COLUMN     "amount_after" INTEGER,
ADD COLUMN     "amount_before" INTEGER,
ADD COLUMN     "cancellation_copay" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "cancellation_fee" INTEGER NOT NULL DEFAULT 0;


-- Lines stored before kept a cancellation fee in "fee" (and nothing in "resident_copay"). The split moves to the
-- new columns; the amount billed, the run's total and its invoice number stay as they are (a finalized run's
-- stored files too: they are what was sent).
UPDATE "billing_line"
   SET "cancellation_fee" = "fee", "cancellation_copay" = "fee" - "amount", "fee" = 0
 WHERE "kind" = 'cancellation_fee';
