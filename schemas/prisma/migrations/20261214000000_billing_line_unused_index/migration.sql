-- Nothing reads billing lines by booking alone (they are read by run), and every line written paid for this
-- index: a national-scale month writes 34,000 lines.
-- DropIndex
DROP INDEX "billing_line_booking_id_idx";
