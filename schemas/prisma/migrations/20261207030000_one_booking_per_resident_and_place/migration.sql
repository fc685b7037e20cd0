-- One booking per mother per place and time (issue 19, part 7): while a booking holds a place (a slot: facility,
-- service, date, time block), its booking_slot row carries the booking's resident, and a unique index refuses a
-- second such row for the same resident and slot. The hold writes the row in the statement that takes the place
-- (hub/bookings/holds.ts recordHold), so two concurrent requests cannot both pass; giving the place back clears it
-- (hub/bookings/ledger.ts releaseSlots). Bookings from facility systems have no resident here (NULL never collides).

-- AlterTable
ALTER TABLE "booking_slot" ADD COLUMN     "resident_id" UUID;

-- Existing bookings that hold their places claim them; where a resident already holds two bookings of the same
-- place and time, the earlier one claims it and the later one keeps its place without a claim (nothing is cancelled
-- here: the facility or the municipality decides which one stands).
UPDATE "booking_slot" bs SET "resident_id" = first.resident_id
FROM (
  SELECT DISTINCT ON (b.resident_id, s.slot_id) s.booking_id, s.slot_id, b.resident_id
  FROM "booking_slot" s JOIN "booking" b ON b.id = s.booking_id
  WHERE b.resident_id IS NOT NULL
    AND b.status IN ('requested', 'confirmed', 'used', 'reported', 'no_show')
  ORDER BY b.resident_id, s.slot_id, b.created_at, b.id
) first
WHERE bs.booking_id = first.booking_id AND bs.slot_id = first.slot_id;

-- CreateIndex
CREATE UNIQUE INDEX "booking_slot_one_per_resident" ON "booking_slot"("resident_id", "slot_id");
