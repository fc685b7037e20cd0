-- A pulled feed is applied in batches (issue 14, part 1): progress kept per connection so a retry continues.
ALTER TABLE "connection" ADD COLUMN     "apply_progress" JSONB,
ADD COLUMN     "apply_state" JSONB;
