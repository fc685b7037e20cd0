import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServiceType } from "../../hub/db/client.js";
import { parseDate } from "../../hub/inventory/dates.js";
import { TestClient } from "../support/client.js";
import { expectContract, expectProblem } from "../support/contract.js";
import { tokyoDay as day } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { clientFor } from "../support/sessions.js";

type SlotJson = {
  date: string;
  serviceType: ServiceType;
  timeBlock: string;
  capacity: number;
  free: number;
  closed: boolean;
};

describe("inventory: services, capacity, vacancy, closures", () => {
  let t: TestHub;
  let facilityId: string;
  let otherFacilityId: string;
  let anon: TestClient;
  let staff: TestClient;
  let staff2: TestClient;
  let resident: TestClient;

  const slots = async (from: string, to: string, serviceType?: ServiceType): Promise<SlotJson[]> => {
    const res = await anon.get(
      `api/facilities/${facilityId}/slots?from=${from}&to=${to}${serviceType ? `&serviceType=${serviceType}` : ""}`,
    );
    expect(res.status, res.text).toBe(200);
    await expectContract("listSlots", res);
    return res.json.items;
  };
  const slotRows = (serviceType: ServiceType, from: string, to: string) =>
    t.hub.prisma.slot.findMany({
      where: { facilityId, serviceType, date: { gte: parseDate(from) as Date, lte: parseDate(to) as Date } },
      orderBy: [{ date: "asc" }, { timeBlock: "asc" }],
    });

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20 });
    const user = (email: string) => t.hub.prisma.user.findUniqueOrThrow({ where: { email } });
    facilityId = (await user("facility@demo.example.jp")).facilityId as string;
    otherFacilityId = (await user("facility2@demo.example.jp")).facilityId as string;
    anon = new TestClient(t.url);
    staff = await clientFor(t, "facility@demo.example.jp");
    staff2 = await clientFor(t, "facility2@demo.example.jp");
    resident = await clientFor(t, "resident@demo.example.jp");
  }, 180_000);
  afterAll(() => t?.close());

  describe("vacancy (listSlots)", () => {
    it("shows every offered service per date and block, free places and freshness", async () => {
      const res = await anon.get(`api/facilities/${facilityId}/slots?from=${day(3)}&to=${day(4)}`);
      expect(res.status).toBe(200);
      expect(Math.abs(new Date(res.json.asOf).getTime() - Date.now())).toBeLessThan(60_000);
      const items: SlotJson[] = res.json.items;
      // The demo hospital: stay (3 places) and day care (4 places, one block).
      expect(items.map((s) => `${s.date} ${s.serviceType} ${s.timeBlock}`)).toEqual([
        `${day(3)} stay `,
        `${day(3)} day day6h`,
        `${day(4)} stay `,
        `${day(4)} day day6h`,
      ]);
      expect(items[0]).toMatchObject({ capacity: 3, free: 3, closed: false });
      expect((await slots(day(3), day(3), "day")).map((s) => s.serviceType)).toEqual(["day"]);
    });

    it("shows dates beyond the seeded ones from the service's defaults, without writing them", async () => {
      const far = day(200);
      const before = await t.hub.prisma.slot.count({ where: { facilityId } });
      const items = await slots(far, day(201), "stay");
      expect(items).toEqual([
        { date: far, serviceType: "stay", timeBlock: "", capacity: 3, free: 3, closed: false },
        { date: day(201), serviceType: "stay", timeBlock: "", capacity: 3, free: 3, closed: false },
      ]);
      expect(await t.hub.prisma.slot.count({ where: { facilityId } })).toBe(before);
    });

    it("subtracts hub and external bookings, and never shows less than zero", async () => {
      const date = day(5);
      await t.hub.prisma.slot.updateMany({
        where: { facilityId, serviceType: "stay", date: parseDate(date) as Date },
        data: { booked: 1, external: 1 },
      });
      expect((await slots(date, date, "stay"))[0]).toMatchObject({ capacity: 3, free: 1 });
      await t.hub.prisma.slot.updateMany({
        where: { facilityId, serviceType: "stay", date: parseDate(date) as Date },
        data: { booked: 0, external: 5 },
      });
      expect((await slots(date, date, "stay"))[0]).toMatchObject({ capacity: 3, free: 0 });
      await t.hub.prisma.slot.updateMany({
        where: { facilityId, serviceType: "stay", date: parseDate(date) as Date },
        data: { external: 0 },
      });
    });

    it("checks the range: from ≤ to, at most 366 days (422 invalid_range)", async () => {
      const get = (from: string, to: string) =>
        anon.get(`api/facilities/${facilityId}/slots?from=${from}&to=${to}`);
      expectProblem(await get(day(2), day(1)), 422, "invalid_range");
      expectProblem(await get(day(0), day(366)), 422, "invalid_range");
      expect((await get(day(0), day(365))).status).toBe(200);
      expect((await get(day(0), "2026-02-30")).status).toBe(400);
      expect((await anon.get(`api/facilities/${facilityId}/slots?from=${day(0)}`)).status).toBe(400);
    });

    it("answers 404 for an unknown or unpublished facility, except to its own staff", async () => {
      const unknown = "00000000-0000-4000-8000-000000000000";
      expectProblem(
        await anon.get(`api/facilities/${unknown}/slots?from=${day(1)}&to=${day(1)}`),
        404,
        "not_found",
      );
      expectProblem(await anon.get(`api/facilities/${unknown}/closures`), 404, "not_found");
      await t.hub.prisma.facility.update({ where: { id: otherFacilityId }, data: { published: false } });
      try {
        expectProblem(
          await anon.get(`api/facilities/${otherFacilityId}/slots?from=${day(1)}&to=${day(1)}`),
          404,
          "not_found",
        );
        expect(
          (await staff2.get(`api/facilities/${otherFacilityId}/slots?from=${day(1)}&to=${day(1)}`)).status,
        ).toBe(200);
      } finally {
        await t.hub.prisma.facility.update({ where: { id: otherFacilityId }, data: { published: true } });
      }
    });
  });

  describe("services (setFacilityService)", () => {
    it("offers a new service with its time blocks; the vacancy shows one slot per block", async () => {
      const res = await staff.put(`api/facilities/${facilityId}/services/visit`, {
        capacity: 2,
        timeBlocks: [
          { code: "am", start: "09:00", end: "11:00" },
          { code: "pm", start: "13:00", end: "15:00" },
        ],
        holdMinutes: 720,
      });
      expect(res.status, res.text).toBe(200);
      await expectContract("setFacilityService", res);
      expect(res.json).toMatchObject({ serviceType: "visit", capacity: 2, holdMinutes: 720 });
      expect((await slots(day(6), day(6), "visit")).map((s) => [s.timeBlock, s.capacity, s.free])).toEqual([
        ["am", 2, 2],
        ["pm", 2, 2],
      ]);
      // Omitted fields keep their value.
      const again = await staff.put(`api/facilities/${facilityId}/services/visit`, { capacity: 1 });
      expect(again.json).toMatchObject({ capacity: 1, holdMinutes: 720, timeBlocks: res.json.timeBlocks });
      const profile = await anon.get(`api/facilities/${facilityId}`);
      expect(profile.json.services.map((s: { serviceType: string }) => s.serviceType)).toContain("visit");
    });

    it("refuses duplicate block codes, blocks that end before they start, and blocks on stays (422)", async () => {
      const put = (type: ServiceType, timeBlocks: unknown[]) =>
        staff.put(`api/facilities/${facilityId}/services/${type}`, { capacity: 2, timeBlocks });
      const dup = await put("visit", [
        { code: "am", start: "09:00", end: "11:00" },
        { code: "am", start: "13:00", end: "15:00" },
      ]);
      expectProblem(dup, 422, "invalid_time_blocks");
      expect(dup.json.errors[0].path).toBe("/timeBlocks/1/code");
      expectProblem(
        await put("visit", [{ code: "am", start: "11:00", end: "09:00" }]),
        422,
        "invalid_time_blocks",
      );
      expectProblem(
        await put("stay", [{ code: "n", start: "09:00", end: "11:00" }]),
        422,
        "invalid_time_blocks",
      );
      expect((await put("visit", [{ code: "AM", start: "09:00", end: "11:00" }])).status).toBe(400);
    });

    it("lets only the facility's own staff change it", async () => {
      expectProblem(
        await staff2.put(`api/facilities/${facilityId}/services/day`, { capacity: 9 }),
        403,
        "forbidden",
      );
      expectProblem(
        await resident.put(`api/facilities/${facilityId}/services/day`, { capacity: 9 }),
        403,
        "forbidden",
      );
      expect((await anon.put(`api/facilities/${facilityId}/services/day`, { capacity: 9 })).status).toBe(401);
    });
  });

  describe("capacity (setCapacity)", () => {
    it("sets every date of a range for every block, creating rows the seed did not", async () => {
      const from = day(150);
      const to = day(152);
      const res = await staff.put(`api/facilities/${facilityId}/slots`, {
        serviceType: "visit",
        from,
        to,
        capacity: 3,
      });
      expect(res.status, res.text).toBe(200);
      await expectContract("setCapacity", res);
      expect(res.json).toEqual({ updated: 6 });
      expect((await slotRows("visit", from, to)).map((s) => s.capacity)).toEqual([3, 3, 3, 3, 3, 3]);
      const one = await staff.put(`api/facilities/${facilityId}/slots`, {
        serviceType: "visit",
        from,
        to: from,
        timeBlock: "pm",
        capacity: 0,
      });
      expect(one.json).toEqual({ updated: 1 });
      expect((await slots(from, from, "visit")).map((s) => [s.timeBlock, s.free])).toEqual([
        ["am", 3],
        ["pm", 0],
      ]);
    });

    it("refuses an unknown block, a service not offered and a bad range", async () => {
      const put = (body: Record<string, unknown>) =>
        staff.put(`api/facilities/${facilityId}/slots`, {
          serviceType: "visit",
          from: day(7),
          to: day(8),
          capacity: 2,
          ...body,
        });
      expectProblem(await put({ timeBlock: "night" }), 422, "unknown_time_block");
      expectProblem(await put({ serviceType: "stay", timeBlock: "am" }), 422, "unknown_time_block");
      expectProblem(await put({ from: day(9) }), 422, "invalid_range");
      expectProblem(await put({ to: day(7 + 366) }), 422, "invalid_range");
      const offered = await t.hub.prisma.facilityService.findMany({ where: { facilityId: otherFacilityId } });
      const missing = (["stay", "day", "visit"] as const).find(
        (st) => !offered.some((o) => o.serviceType === st),
      );
      expect(missing).toBeDefined();
      expectProblem(
        await staff2.put(`api/facilities/${otherFacilityId}/slots`, {
          serviceType: missing,
          from: day(7),
          to: day(8),
          capacity: 2,
        }),
        422,
        "service_not_offered",
      );
      expectProblem(
        await staff2.put(`api/facilities/${facilityId}/slots`, {
          serviceType: "stay",
          from: day(7),
          to: day(8),
          capacity: 2,
        }),
        403,
        "forbidden",
      );
    });

    it("refuses (409 capacity_below_bookings) when places already taken exceed it, changing nothing", async () => {
      const from = day(40);
      const to = day(42);
      const held = await resident.post("api/bookings", {
        facilityId,
        serviceType: "stay",
        startDate: day(41),
      });
      expect(held.status, held.text).toBe(201);
      await t.hub.prisma.slot.updateMany({
        where: { facilityId, serviceType: "stay", date: parseDate(day(42)) as Date },
        data: { external: 2 },
      });
      const before = await slotRows("stay", from, to);
      const res = await staff.put(`api/facilities/${facilityId}/slots`, {
        serviceType: "stay",
        from,
        to,
        capacity: 1,
      });
      expectProblem(res, 409, "capacity_below_bookings");
      await expectContract("setCapacity", res);
      expect(res.json.detail).toContain(day(42));
      expect(res.json.detail).not.toContain(day(41));
      expect(res.json.errors).toEqual([{ path: day(42), message: "2 places taken" }]);
      expect(await slotRows("stay", from, to)).toEqual(before);

      // Exactly as many as are taken is fine.
      const ok = await staff.put(`api/facilities/${facilityId}/slots`, {
        serviceType: "stay",
        from,
        to,
        capacity: 2,
      });
      expect(ok.json).toEqual({ updated: 3 });
      expect((await slots(from, to, "stay")).map((s) => s.free)).toEqual([2, 1, 0]);
    });
  });

  describe("closures", () => {
    it("closes a day: listed, slots closed with no free places, and a second closure is 409 already_closed", async () => {
      const date = day(60);
      const res = await staff.post(`api/facilities/${facilityId}/closures`, { date, reason: "院内研修" });
      expect(res.status, res.text).toBe(201);
      await expectContract("addClosure", res);
      expect(res.json).toMatchObject({ date, serviceType: null, reason: "院内研修" });
      expect((await slots(date, date)).map((s) => [s.serviceType, s.closed, s.free])).toEqual([
        ["stay", true, 0],
        ["day", true, 0],
        ["visit", true, 0],
        ["visit", true, 0],
      ]);
      const list = await anon.get(`api/facilities/${facilityId}/closures`);
      expect(list.status).toBe(200);
      await expectContract("listClosures", list);
      expect(list.json.items).toContainEqual(res.json);

      expectProblem(
        await staff.post(`api/facilities/${facilityId}/closures`, { date }),
        409,
        "already_closed",
      );
      expectProblem(
        await staff.post(`api/facilities/${facilityId}/closures`, { date, serviceType: "day" }),
        409,
        "already_closed",
      );
      const removed = await staff.delete(`api/facilities/${facilityId}/closures/${res.json.id}`);
      expect(removed.status).toBe(204);
      expect((await slots(date, date)).every((s) => !s.closed && s.free > 0)).toBe(true);
    });

    it("creates closed rows for dates the seed did not cover", async () => {
      const date = day(250);
      const res = await staff.post(`api/facilities/${facilityId}/closures`, { date, serviceType: "stay" });
      expect(res.status, res.text).toBe(201);
      const rows = await slotRows("stay", date, date);
      expect(rows.map((r) => [r.closed, r.capacity])).toEqual([[true, 3]]);
      expect((await slots(date, date)).map((s) => [s.serviceType, s.closed])).toEqual([
        ["stay", true],
        ["day", false],
        ["visit", false],
        ["visit", false],
      ]);
    });

    it("reopens a day only when no other closure still covers it", async () => {
      const date = day(61);
      const stay = await staff.post(`api/facilities/${facilityId}/closures`, { date, serviceType: "stay" });
      const whole = await staff.post(`api/facilities/${facilityId}/closures`, { date, reason: "停電" });
      expect([stay.status, whole.status]).toEqual([201, 201]);
      expect(await staff.delete(`api/facilities/${facilityId}/closures/${whole.json.id}`)).toMatchObject({
        status: 204,
      });
      expect((await slots(date, date)).map((s) => [s.serviceType, s.closed])).toEqual([
        ["stay", true],
        ["day", false],
        ["visit", false],
        ["visit", false],
      ]);
      expect(await staff.delete(`api/facilities/${facilityId}/closures/${stay.json.id}`)).toMatchObject({
        status: 204,
      });
      expect((await slots(date, date, "stay"))[0]?.closed).toBe(false);
    });

    it("refuses past dates, unknown closures, services not offered and other facilities' staff", async () => {
      expectProblem(
        await staff.post(`api/facilities/${facilityId}/closures`, { date: day(-1) }),
        422,
        "date_in_past",
      );
      expectProblem(
        await staff.delete(`api/facilities/${facilityId}/closures/00000000-0000-4000-8000-000000000000`),
        404,
        "not_found",
      );
      const c = await staff.post(`api/facilities/${facilityId}/closures`, { date: day(62) });
      expectProblem(
        await staff2.post(`api/facilities/${facilityId}/closures`, { date: day(63) }),
        403,
        "forbidden",
      );
      expectProblem(
        await staff2.delete(`api/facilities/${facilityId}/closures/${c.json.id}`),
        403,
        "forbidden",
      );
      // Another facility's closure id under one's own facility is simply not there.
      const other = await staff2.post(`api/facilities/${otherFacilityId}/closures`, { date: day(62) });
      expect(other.status, other.text).toBe(201);
      expectProblem(
        await staff.delete(`api/facilities/${facilityId}/closures/${other.json.id}`),
        404,
        "not_found",
      );
      const offered = await t.hub.prisma.facilityService.findMany({ where: { facilityId: otherFacilityId } });
      const missing = (["stay", "day", "visit"] as const).find(
        (s) => !offered.some((o) => o.serviceType === s),
      );
      if (missing) {
        expectProblem(
          await staff2.post(`api/facilities/${otherFacilityId}/closures`, {
            date: day(64),
            serviceType: missing,
          }),
          422,
          "service_not_offered",
        );
      }
    });
  });
});
