import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../fixtures/seed.js";
import { startTestHub, type TestHub } from "../support/hub.js";

describe("demo seeding", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20 });
  });
  afterAll(() => t?.close());

  it("is idempotent and never overwrites what facilities edited since", async () => {
    const p = t.hub.prisma;
    const before = {
      facilities: await p.facility.count(),
      residents: await p.resident.count(),
      slots: await p.slot.count(),
    };
    const facility = await p.facility.findFirstOrThrow({ orderBy: { id: "asc" } });
    await p.facility.update({
      where: { id: facility.id },
      data: { access: "edited by the facility", version: { increment: 1 } },
    });
    await p.facilityService.updateMany({ where: { facilityId: facility.id }, data: { capacity: 9 } });

    const counts = await seedDemo(p, { residents: 20 });
    expect(counts.facilities).toBe(before.facilities);
    expect(await p.facility.count()).toBe(before.facilities);
    expect(await p.resident.count()).toBe(before.residents);
    expect(await p.slot.count()).toBe(before.slots);
    const after = await p.facility.findUniqueOrThrow({
      where: { id: facility.id },
      include: { services: true },
    });
    expect(after.access).toBe("edited by the facility");
    expect(after.services.every((s) => s.capacity === 9)).toBe(true);
  });
});
