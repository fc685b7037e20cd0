import { describe, expect, it } from "vitest";
import { type BookingRow, toBookingDto, toBookingDtoWithDeadline, toBookingEventDto } from "./mapper.js";

describe("booking mapping", () => {
  it("gives JSON-safe values: dates as YYYY-MM-DD, instants as ISO strings", () => {
    const at = new Date("2026-11-25T01:02:03.004Z");
    const dto = toBookingDto({
      id: "b1",
      residentId: "r1",
      facilityId: "f1",
      facility: { name: "施設" },
      serviceType: "stay",
      startDate: new Date(Date.UTC(2026, 11, 1)),
      endDate: new Date(Date.UTC(2026, 11, 3)),
      timeBlock: "",
      status: "requested",
      holdExpiresAt: at,
      source: "portal",
      externalRef: null,
      revision: 1,
      createdAt: at,
      updatedAt: at,
      voucherId: "v1",
      voucher: { number: "0410000001234" },
      policyVersionId: "p1",
      policyVersion: {
        id: "p1",
        version: 2,
        effectiveFrom: new Date(Date.UTC(2026, 3, 1)),
        rules: { services: { stay: { stayCounting: "per_day" } } },
      },
      units: 2,
      fee: 60000,
      residentCopay: 10000,
      municipalityShare: 50000,
      addOns: [],
      entitlementLines: [{ kind: "unit", code: "stay", label: "宿泊型", quantity: 2, fee: 60000 }],
      cancelReason: null,
      cancelDeadline: null,
      cancellationFee: 0,
      feeResidentShare: 0,
      feeMunicipalityShare: 0,
      feeWaiver: null,
      feeWaiverDecidedBy: null,
      feeWaiverDecidedAt: null,
      remindedAt: null,
      waitlistEntryId: null,
    });
    expect(dto).toMatchObject({
      startDate: "2026-12-01",
      endDate: "2026-12-03",
      holdExpiresAt: "2026-11-25T01:02:03.004Z",
      facilityName: "施設",
      voucherNumber: "04100-0000123-4",
      policyVersion: { id: "p1", version: 2, effectiveFrom: "2026-04-01" },
      lines: [{ kind: "unit", quantity: 2 }],
      stayCounting: "per_day",
    });
    expect(dto.policyVersion).not.toHaveProperty("rules");
    expect(JSON.parse(JSON.stringify(dto))).toEqual(dto);
  });

  it("drops the event's BigInt id and idempotency key and keeps data an object", () => {
    const e = toBookingEventDto({
      seq: 2,
      type: "cancelled",
      status: "cancelled",
      source: "staff",
      actorId: null,
      externalRef: null,
      externalRevision: null,
      data: ["not", "an", "object"],
      occurredAt: new Date(0),
      ...{ id: 5n, idempotencyKey: "u:k" },
    } as Parameters<typeof toBookingEventDto>[0]);
    expect(e.data).toEqual({});
    expect(JSON.stringify(e)).not.toContain("idempotency");
    expect(Object.keys(e)).not.toContain("id");
  });

  it("shows the free-cancellation deadline of open bookings and how a cancelled one was cancelled", () => {
    const at = new Date("2026-11-25T01:02:03.004Z");
    const row: BookingRow = {
      id: "b2",
      residentId: "r1",
      facilityId: "f1",
      facility: { name: "施設" },
      serviceType: "stay",
      startDate: new Date(Date.UTC(2026, 11, 2)),
      endDate: new Date(Date.UTC(2026, 11, 3)),
      timeBlock: "",
      status: "confirmed",
      holdExpiresAt: null,
      source: "portal",
      externalRef: null,
      revision: 2,
      createdAt: at,
      updatedAt: at,
      voucherId: null,
      voucher: null,
      policyVersionId: null,
      policyVersion: null,
      units: 2,
      fee: 60000,
      residentCopay: 10000,
      municipalityShare: 50000,
      addOns: [],
      entitlementLines: [],
      cancelReason: null,
      cancelDeadline: null,
      cancellationFee: 0,
      feeResidentShare: 0,
      feeMunicipalityShare: 0,
      feeWaiver: null,
      feeWaiverDecidedBy: null,
      feeWaiverDecidedAt: null,
      remindedAt: null,
      waitlistEntryId: null,
    };
    const deadline = new Date("2026-12-01T01:00:00Z");
    expect(toBookingDtoWithDeadline(row, deadline)).toMatchObject({
      cancelDeadline: "2026-12-01T01:00:00.000Z",
      cancellation: null,
    });
    expect(toBookingDto(row).cancelDeadline).toBeNull();
    const cancelled = {
      ...row,
      status: "cancelled" as const,
      cancelReason: "resident_request",
      cancelDeadline: deadline,
      cancellationFee: 60000,
      feeResidentShare: 10000,
      feeMunicipalityShare: 50000,
      feeWaiver: null,
      feeWaiverDecidedBy: null,
      feeWaiverDecidedAt: null,
    };
    // A cancelled booking keeps the deadline that applied, whatever is computed now.
    expect(toBookingDtoWithDeadline(cancelled, new Date(0))).toMatchObject({
      cancelDeadline: "2026-12-01T01:00:00.000Z",
      cancellation: {
        reasonCode: "resident_request",
        fee: 60000,
        residentShare: 10000,
        municipalityShare: 50000,
      },
    });
    // Other finished bookings have neither.
    expect(toBookingDtoWithDeadline({ ...row, status: "used" }, deadline)).toMatchObject({
      cancelDeadline: null,
      cancellation: null,
    });
  });
});
