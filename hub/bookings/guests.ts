/**
 * Who is coming: what a facility's approver sees of the mother behind each of its own bookings (her name, her
 * baby's age in months on the booking's day, counted as her municipality's policy counts it, and the notes she
 * left), so that a request is more than a voucher number. Only the facility's own staff get it (least privilege);
 * the operations that return it are staff reads of personal data, audited by hub/http/app.ts.
 */
import type { PrismaClient } from "../db/client.js";
import type { Actor } from "../identity/actor.js";
import { formatDate } from "../inventory/dates.js";
import { childAgeOn } from "../policies/entitlement.js";
import type { ServiceType } from "../policies/policy.js";
import type { BookingDto, GuestDto } from "./mapper.js";

export type GuestFacts = {
  name: string;
  kana: string;
  child: { birthDate: string; dueDate?: string } | null;
  /** The policy version's rule for the booking's service: count a preterm baby's age from the due date. */
  corrected: boolean;
  notes: string[];
};

/** The guest of one booking from its facts (pure): the age as hub/policies/entitlement.ts counts it. */
export function toGuest(facts: GuestFacts, startDate: string): GuestDto {
  const born = facts.child !== null && facts.child.birthDate <= startDate;
  const age = born && facts.child ? childAgeOn(facts.child, startDate, facts.corrected) : null;
  return {
    name: facts.name,
    kana: facts.kana,
    childAgeMonths: age?.ageMonths ?? null,
    ageBasis: age?.ageBasis ?? null,
    notes: facts.notes,
  };
}

/** The note of a booking event's data, if it carries one. */
function noteOf(data: unknown): string | undefined {
  const note = data !== null && typeof data === "object" ? (data as { note?: unknown }).note : undefined;
  return typeof note === "string" && note.trim() !== "" ? note : undefined;
}

/**
 * The bookings with `guest` filled in when the actor is the staff of their facility (others get them unchanged),
 * from four queries whatever the number of bookings.
 */
export async function withGuests(
  prisma: PrismaClient,
  actor: Actor,
  bookings: BookingDto[],
): Promise<BookingDto[]> {
  if (actor.role !== "facility" || !actor.facilityId) return bookings;
  const own = bookings.filter((b) => b.facilityId === actor.facilityId && b.residentId !== null);
  if (own.length === 0) return bookings;
  const ids = (xs: (string | null)[]) => [...new Set(xs.filter((x): x is string => x !== null))];
  const [residents, vouchers, policies, events] = await Promise.all([
    prisma.resident.findMany({
      where: { id: { in: ids(own.map((b) => b.residentId)) } },
      select: { id: true, familyName: true, givenName: true, kana: true },
    }),
    prisma.voucher.findMany({
      where: { id: { in: ids(own.map((b) => b.voucherId)) } },
      select: { id: true, child: { select: { birthDate: true, dueDate: true } } },
    }),
    prisma.policyVersion.findMany({
      where: { id: { in: ids(own.map((b) => b.policyVersion?.id ?? null)) } },
      select: { id: true, rules: true },
    }),
    prisma.bookingEvent.findMany({
      where: { bookingId: { in: own.map((b) => b.id) } },
      select: { bookingId: true, data: true },
      orderBy: { seq: "asc" },
    }),
  ]);
  const resident = new Map(residents.map((r) => [r.id, r]));
  const child = new Map(vouchers.map((v) => [v.id, v.child]));
  const rules = new Map(policies.map((p) => [p.id, p.rules]));
  const notes = new Map<string, string[]>();
  for (const e of events) {
    const note = noteOf(e.data);
    if (note) notes.set(e.bookingId, [...(notes.get(e.bookingId) ?? []), note]);
  }
  const corrected = (policyId: string | undefined, type: ServiceType): boolean => {
    const services = (rules.get(policyId ?? "") as { services?: Record<string, unknown> } | undefined)
      ?.services;
    const rule = services?.[type] as { eligibility?: { useCorrectedAgeForPreterm?: boolean } } | undefined;
    return rule?.eligibility?.useCorrectedAgeForPreterm === true;
  };
  return bookings.map((b) => {
    const r = b.facilityId === actor.facilityId && b.residentId ? resident.get(b.residentId) : undefined;
    if (!r) return b;
    const c = b.voucherId ? child.get(b.voucherId) : null;
    const facts: GuestFacts = {
      name: `${r.familyName} ${r.givenName}`.trim(),
      kana: r.kana,
      child: c
        ? { birthDate: formatDate(c.birthDate), ...(c.dueDate ? { dueDate: formatDate(c.dueDate) } : {}) }
        : null,
      corrected: corrected(b.policyVersion?.id, b.serviceType),
      notes: notes.get(b.id) ?? [],
    };
    return { ...b, guest: toGuest(facts, b.startDate) };
  });
}
