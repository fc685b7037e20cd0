import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { directoryVersion, vacancyVersion } from "../../hub/db/change-counters.js";
import type { ServiceType } from "../../hub/db/client.js";
import { addDays, formatDate, parseDate } from "../../hub/inventory/dates.js";
import { TestClient } from "../support/client.js";
import { expectContract, expectProblem } from "../support/contract.js";
import { tokyoDate as date, tokyoDay as day, serviceDay } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { bookableResidents } from "../support/residents.js";
import { clientFor, clientForUser } from "../support/sessions.js";

type Block = { timeBlock: string; start: string | null; end: string | null; free: (number | null)[] };
type VacancyFacility = {
  requestOnly: boolean;
  facilityId: string;
  name: string;
  municipalityCode: string;
  region: string;
  kind: string;
  languages: string[];
  accessibility: string[];
  asOf: string;
  freePlaces: number;
  services: { serviceType: ServiceType; capacity: number; blocks: Block[] }[];
};
type Vacancy = {
  from: string;
  to: string;
  days: number;
  total: number;
  freePlaces: number;
  checkedAt: string;
  items: VacancyFacility[];
};
type SlotJson = {
  date: string;
  serviceType: ServiceType;
  timeBlock: string;
  capacity: number;
  free: number;
  closed: boolean;
};

describe("unified vacancy search (GET /api/vacancy)", () => {
  let t: TestHub;
  let anon: TestClient;
  let staff: TestClient;
  let facilityId: string;
  let otherFacilityId: string;

  const vacancy = async (query: string, client: TestClient = anon): Promise<Vacancy> => {
    const res = await client.get(`api/vacancy${query ? `?${query}` : ""}`);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    await expectContract("searchVacancy", res);
    return res.json;
  };
  const slots = async (id: string, from: string, to: string): Promise<SlotJson[]> => {
    const res = await anon.get(`api/facilities/${id}/slots?from=${from}&to=${to}`);
    expect(res.status, res.text).toBe(200);
    return res.json.items;
  };
  /** The facility's free places as the vacancy shows them: serviceType/block/date → free (null = closed). */
  const cells = (f: VacancyFacility, from: string) => {
    const out = new Map<string, number | null>();
    for (const s of f.services) {
      for (const b of s.blocks) {
        b.free.forEach((v, i) => {
          out.set(`${s.serviceType}/${b.timeBlock}/${formatDate(addDays(parseDate(from) as Date, i))}`, v);
        });
      }
    }
    return out;
  };
  const facilityIn = (v: Vacancy, id: string) => {
    const f = v.items.find((x) => x.facilityId === id);
    if (!f) throw new Error(`facility ${id} is not in the vacancy`);
    return f;
  };
  const unmetCount = () => t.hub.prisma.unmetSearch.count();

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20 });
    const user = (email: string) => t.hub.prisma.user.findUniqueOrThrow({ where: { email } });
    facilityId = (await user("facility@demo.example.jp")).facilityId as string;
    otherFacilityId = (await user("facility2@demo.example.jp")).facilityId as string;
    anon = new TestClient(t.url);
    staff = await clientFor(t, "facility@demo.example.jp");
  }, 180_000);
  afterAll(() => t?.close());

  it("shows every published facility with a service, two weeks from today by default", async () => {
    const v = await vacancy("");
    expect(v).toMatchObject({ from: day(0), to: day(13), days: 14 });
    expect(Math.abs(new Date(v.checkedAt).getTime() - Date.now())).toBeLessThan(60_000);
    const withServices = await t.hub.prisma.facility.count({
      where: { published: true, services: { some: {} } },
    });
    expect(v.total).toBe(withServices);
    expect(v.items).toHaveLength(withServices);
    expect(v.total).toBeGreaterThan(50);
    for (const f of v.items) {
      for (const s of f.services) for (const b of s.blocks) expect(b.free).toHaveLength(14);
      // A facility whose own system is not heard from (the demo's calendar feeds before their first pull) is
      // request only: its last known places are shown but not counted.
      const shown = f.services
        .flatMap((s) => s.blocks.flatMap((b) => b.free))
        .reduce<number>((a, x) => a + (x ?? 0), 0);
      expect(f.freePlaces).toBe(f.requestOnly ? 0 : shown);
    }
    const requestOnly = await t.hub.prisma.connection.findMany({ where: { connector: "ical" } });
    expect(
      v.items
        .filter((f) => f.requestOnly)
        .map((f) => f.facilityId)
        .sort(),
    ).toEqual(requestOnly.map((c) => c.facilityId).sort());
    expect(v.freePlaces).toBe(v.items.reduce((a, f) => a + f.freePlaces, 0));
    // The demo hospital: stays (3 places) and day care with one 6-hour block.
    const own = facilityIn(v, facilityId);
    expect(own.services.map((s) => [s.serviceType, s.capacity, s.blocks.map((b) => b.timeBlock)])).toEqual([
      ["stay", 3, [""]],
      ["day", 4, ["day6h"]],
    ]);
    expect(own.services[1]?.blocks[0]).toMatchObject({ start: expect.any(String), end: expect.any(String) });
  });

  it("gives the same free places as each facility's own calendar, closed days included", async () => {
    const from = day(0);
    const to = day(20);
    const v = await vacancy(`from=${from}&to=${to}`);
    for (const id of [facilityId, otherFacilityId, v.items[7]?.facilityId as string]) {
      const shown = cells(facilityIn(v, id), from);
      const expected = new Map(
        (await slots(id, from, to)).map((s) => [
          `${s.serviceType}/${s.timeBlock}/${s.date}`,
          s.closed ? null : s.free,
        ]),
      );
      expect(shown).toEqual(expected);
    }
    // The demo closes day care and home visits on Sundays; stays stay open.
    const sunday = Array.from({ length: 21 }, (_, i) => day(i)).find(
      (d) => (parseDate(d) as Date).getUTCDay() === 0,
    ) as string;
    const own = cells(facilityIn(v, facilityId), from);
    expect(own.get(`day/day6h/${sunday}`)).toBeNull();
    expect(own.get(`stay//${sunday}`)).toBe(3);
  });

  it("shows days no slot row exists for yet from the service's default capacity, without writing them", async () => {
    const from = day(120);
    const to = day(209);
    const before = await t.hub.prisma.slot.count();
    const v = await vacancy(`from=${from}&to=${to}`);
    expect(v.days).toBe(90);
    expect(await t.hub.prisma.slot.count()).toBe(before);
    const services = await t.hub.prisma.facilityService.findMany({ where: { facilityId } });
    const own = facilityIn(v, facilityId);
    for (const s of own.services) {
      const capacity = services.find((x) => x.serviceType === s.serviceType)?.capacity;
      for (const b of s.blocks) expect(new Set(b.free)).toEqual(new Set([capacity]));
    }
  });

  it("subtracts hub bookings at once, and gives the place back when the booking is cancelled", async () => {
    const [residentId] = await bookableResidents(t.hub.prisma, "041009", 1);
    const user = await t.hub.prisma.user.create({
      data: { role: "resident", displayName: "予約 試験", residentId: residentId as string },
    });
    const resident = await clientForUser(t, user.id);
    const from = day(30);
    const before = facilityIn(await vacancy(`from=${from}&to=${day(31)}&serviceType=stay`), facilityId);
    const free = before.services[0]?.blocks[0]?.free ?? [];
    expect(free).toEqual([3, 3]);
    const hold = await resident.post("api/bookings", {
      facilityId,
      serviceType: "stay",
      startDate: from,
      nights: 2,
    });
    expect(hold.status, hold.text).toBe(201);
    const after = facilityIn(await vacancy(`from=${from}&to=${day(31)}&serviceType=stay`), facilityId);
    expect(after.services[0]?.blocks[0]?.free).toEqual([2, 2]);
    expect(after.freePlaces).toBe(before.freePlaces - 2);
    // Freshness: the hold is the latest change of this facility's vacancy.
    expect(new Date(after.asOf).getTime()).toBeGreaterThanOrEqual(new Date(hold.json.createdAt).getTime());
    expect(after.asOf > before.asOf).toBe(true);

    const cancelled = await resident.post(`api/bookings/${hold.json.id}/cancel`, {
      reason: "体調が回復したため",
    });
    expect(cancelled.status, cancelled.text).toBe(200);
    const back = facilityIn(await vacancy(`from=${from}&to=${day(31)}&serviceType=stay`), facilityId);
    expect(back.services[0]?.blocks[0]?.free).toEqual([3, 3]);
  });

  it("subtracts places taken in the facility's own system and follows capacity changes", async () => {
    // Day care: a service day (closed on Sundays).
    const d = serviceDay(34);
    const res = await staff.put(`api/facilities/${facilityId}/slots`, {
      serviceType: "day",
      from: d,
      to: d,
      capacity: 6,
    });
    expect(res.status, res.text).toBe(200);
    await t.hub.prisma.slot.updateMany({
      where: { facilityId, serviceType: "day", date: parseDate(d) as Date },
      data: { external: 2 },
    });
    const v = facilityIn(await vacancy(`from=${d}&to=${d}&serviceType=day`), facilityId);
    expect(v.services[0]?.blocks[0]?.free).toEqual([4]);
    await t.hub.prisma.slot.updateMany({
      where: { facilityId, serviceType: "day", date: parseDate(d) as Date },
      data: { external: 9 },
    });
    const full = facilityIn(await vacancy(`from=${d}&to=${d}&serviceType=day`), facilityId);
    expect(full.services[0]?.blocks[0]?.free).toEqual([0]);
  });

  it("shows closures: the whole facility or one service, with or without slot rows", async () => {
    const far = 250;
    const [wholeDay, dayOnly, viaApi] = [far, far + 1, far + 2];
    // Closures written without touching slots (as a connector or an import would): the days have no slot rows.
    await t.hub.prisma.closure.create({ data: { facilityId, date: date(wholeDay), reason: "設備点検" } });
    await t.hub.prisma.closure.create({ data: { facilityId, date: date(dayOnly), serviceType: "day" } });
    const added = await staff.post(`api/facilities/${facilityId}/closures`, { date: day(viaApi) });
    expect(added.status, added.text).toBe(201);
    const v = facilityIn(await vacancy(`from=${day(far)}&to=${day(far + 3)}`), facilityId);
    const byType = Object.fromEntries(v.services.map((s) => [s.serviceType, s.blocks[0]?.free]));
    expect(byType).toEqual({ stay: [null, 3, null, 3], day: [null, null, null, 4] });
    expect(v.freePlaces).toBe(10);
  });

  it("filters by service type, area, kind, language and accessibility; home visits by where they visit", async () => {
    const all = await vacancy("");
    const facilities = await t.hub.prisma.facility.findMany({
      where: { published: true },
      include: { services: true, municipality: true },
    });
    const offering = (st: ServiceType) =>
      facilities.filter((f) => f.services.some((s) => s.serviceType === st)).map((f) => f.id);

    const visits = await vacancy("serviceType=visit");
    expect(visits.items.map((f) => f.facilityId).sort()).toEqual(offering("visit").sort());
    for (const f of visits.items) expect(f.services.map((s) => s.serviceType)).toEqual(["visit"]);

    const region = facilities.find((f) => f.id === facilityId)?.municipality.region as string;
    const inRegion = await vacancy(`region=${encodeURIComponent(region)}`);
    expect(inRegion.items.length).toBeGreaterThan(0);
    expect(inRegion.items.length).toBeLessThan(all.items.length);
    for (const f of inRegion.items) expect(f.region).toBe(region);

    const midwives = await vacancy("kind=midwife_home");
    expect(midwives.items.length).toBeGreaterThan(0);
    for (const f of midwives.items) expect(f.kind).toBe("midwife_home");

    const english = await vacancy("language=en");
    for (const f of english.items) expect(f.languages).toContain("en");
    const wheelchair = await vacancy("accessibility=wheelchair");
    for (const f of wheelchair.items) expect(f.accessibility).toContain("wheelchair");
    expect(english.items.length + wheelchair.items.length).toBeGreaterThan(0);

    // A visiting facility found by a municipality it visits but is not located in.
    const visitor = facilities.find(
      (f) =>
        f.services.some((s) => s.serviceType === "visit") &&
        f.serviceArea.some((code) => code !== f.municipalityCode),
    );
    expect(visitor).toBeDefined();
    const area = visitor?.serviceArea.find((code) => code !== visitor.municipalityCode) as string;
    const visiting = await vacancy(`serviceType=visit&municipality=${area}`);
    expect(visiting.items.map((f) => f.facilityId)).toContain(visitor?.id);
    const located = await vacancy(`municipality=${area}`);
    for (const f of located.items) expect(f.municipalityCode).toBe(area);

    const page = await vacancy("limit=5&offset=5");
    expect(page.items.map((f) => f.facilityId)).toEqual(all.items.slice(5, 10).map((f) => f.facilityId));
    expect(page.total).toBe(all.total);
  });

  it("lists only facilities with a free place when asked (available=true)", async () => {
    const d = day(45);
    await staff.put(`api/facilities/${facilityId}/slots`, {
      serviceType: "stay",
      from: d,
      to: d,
      capacity: 0,
    });
    const own = await t.hub.prisma.facility.findUniqueOrThrow({ where: { id: facilityId } });
    const q = `from=${d}&to=${d}&serviceType=stay&municipality=${own.municipalityCode}`;
    const every = await vacancy(q);
    expect(facilityIn(every, facilityId).freePlaces).toBe(0);
    const free = await vacancy(`${q}&available=true`);
    expect(free.items.map((f) => f.facilityId)).not.toContain(facilityId);
    expect(free.items.every((f) => f.freePlaces > 0)).toBe(true);
    expect(free.total).toBe(every.items.filter((f) => f.freePlaces > 0).length);
  });

  it("records a search with no free place at all as unmet demand, with the role only", async () => {
    const d = day(46);
    // The demo hospital is the only stay facility found by its own name: full that night.
    await staff.put(`api/facilities/${facilityId}/slots`, {
      serviceType: "stay",
      from: d,
      to: d,
      capacity: 0,
    });
    const own = await t.hub.prisma.facility.findUniqueOrThrow({
      where: { id: facilityId },
      include: { municipality: true },
    });
    const q = `from=${d}&to=${d}&serviceType=stay&municipality=${own.municipalityCode}&q=${encodeURIComponent(own.name)}`;

    const before = await unmetCount();
    const none = await vacancy(q);
    expect(none.items.map((f) => f.facilityId)).toEqual([facilityId]);
    expect(none.freePlaces).toBe(0);
    expect(await unmetCount()).toBe(before + 1);
    const row = await t.hub.prisma.unmetSearch.findFirstOrThrow({ orderBy: { id: "desc" } });
    expect(row).toMatchObject({
      role: "anonymous",
      serviceType: "stay",
      municipalityCode: own.municipalityCode,
      searcherMunicipalityCode: null,
      region: null,
      fromDate: parseDate(d),
      toDate: parseDate(d),
    });
    // No identity is kept: the row has no column for one.
    expect(Object.keys(row).sort()).toEqual(
      [
        "at",
        "fromDate",
        "id",
        "municipalityCode",
        "region",
        "role",
        "searcherMunicipalityCode",
        "serviceType",
        "toDate",
      ].sort(),
    );

    // A signed-in resident's search is counted by role and her own municipality (where statistics count unmet
    // demand), not who she is; a search matching no facility is unmet too.
    const resident = await clientFor(t, "resident@demo.example.jp");
    await vacancy(q, resident);
    const herResident = await t.hub.prisma.user.findUniqueOrThrow({
      where: { email: "resident@demo.example.jp" },
      select: { resident: { select: { municipalityCode: true } } },
    });
    expect(herResident.resident?.municipalityCode).toMatch(/^\d{6}$/);
    expect(await t.hub.prisma.unmetSearch.findFirstOrThrow({ orderBy: { id: "desc" } })).toMatchObject({
      role: "resident",
      searcherMunicipalityCode: herResident.resident?.municipalityCode,
    });
    const nothing = await vacancy(`q=${encodeURIComponent("存在しない施設名ですよ")}`);
    expect(nothing.total).toBe(0);
    expect(await unmetCount()).toBe(before + 3);

    // The same searcher repeating the same search, or paging through it, counts once.
    await vacancy(q);
    await vacancy(`${q}&offset=20`);
    await vacancy(q, resident);
    expect(await unmetCount()).toBe(before + 3);

    // A search that finds a place is not.
    const found = await vacancy(
      `from=${day(47)}&to=${day(47)}&serviceType=stay&municipality=${own.municipalityCode}`,
    );
    expect(found.freePlaces).toBeGreaterThan(0);
    expect(await unmetCount()).toBe(before + 3);
  });

  it("checks the range: from ≤ to, at most 90 days, not in the past (422); malformed input is 400", async () => {
    expectProblem(await anon.get(`api/vacancy?from=${day(3)}&to=${day(2)}`), 422, "invalid_range");
    expectProblem(await anon.get(`api/vacancy?from=${day(0)}&to=${day(90)}`), 422, "invalid_range");
    expectProblem(await anon.get(`api/vacancy?from=${day(-1)}&to=${day(2)}`), 422, "date_in_past");
    expect((await anon.get(`api/vacancy?from=${day(0)}&to=${day(89)}`)).status).toBe(200);
    expect((await anon.get(`api/vacancy?from=${day(10)}`)).json).toMatchObject({
      from: day(10),
      to: day(23),
    });
    expectProblem(await anon.get("api/vacancy?from=2026-02-30"), 400, "validation_failed");
    expectProblem(await anon.get("api/vacancy?serviceType=night"), 400, "validation_failed");
    expectProblem(await anon.get("api/vacancy?limit=0"), 400, "validation_failed");
    expectProblem(await anon.get("api/vacancy?municipality=sendai"), 400, "validation_failed");
  });

  it("hides unpublished facilities", async () => {
    await t.hub.prisma.facility.update({ where: { id: otherFacilityId }, data: { published: false } });
    try {
      const v = await vacancy("");
      expect(v.items.map((f) => f.facilityId)).not.toContain(otherFacilityId);
    } finally {
      await t.hub.prisma.facility.update({ where: { id: otherFacilityId }, data: { published: true } });
    }
    expect((await vacancy("")).items.map((f) => f.facilityId)).toContain(otherFacilityId);
  });

  it("is rebuilt only when what it shows changed: unrelated commits leave its version alone", async () => {
    const p = t.hub.prisma;
    const [v0, d0] = [await vacancyVersion(p), await directoryVersion(p)];
    // Commits elsewhere (the audit log, the outbox, bookings' events) are not the vacancy's business.
    await p.auditLog.create({ data: { action: "unrelated" } });
    await p.outboxMessage.create({ data: { topic: "notify.message", payload: {} } });
    expect(await vacancyVersion(p)).toBe(v0);
    // A change rolled back changes nothing.
    await p
      .$transaction(async (tx) => {
        await tx.slot.updateMany({ where: { facilityId }, data: { external: 0 } });
        throw new Error("roll back");
      })
      .catch(() => undefined);
    expect(await vacancyVersion(p)).toBe(v0);
    // A facility's places, closures and profile move it; only the profile moves the directory's.
    const D = day(20);
    const shown = async () => [
      ...cells(facilityIn(await vacancy(`from=${D}&to=${D}`), facilityId), D).values(),
    ];
    const open = await shown();
    const stay = { facilityId, serviceType: "stay" as const, date: new Date(`${D}T00:00:00Z`) };
    expect((await p.slot.updateMany({ where: stay, data: { external: { increment: 1 } } })).count).toBe(1);
    const v1 = await vacancyVersion(p);
    expect(v1).not.toBe(v0);
    expect(await directoryVersion(p)).toBe(d0);
    expect(await shown()).not.toEqual(open);
    await p.slot.updateMany({ where: stay, data: { external: { decrement: 1 } } });
    expect(await vacancyVersion(p)).not.toBe(v1);
    expect(await shown()).toEqual(open);
    await p.closure.create({ data: { facilityId, date: stay.date, reason: "counter test" } });
    await p.closure.deleteMany({ where: { facilityId, reason: "counter test" } });
    const v2 = await vacancyVersion(p);
    expect(BigInt(v2) - BigInt(v1)).toBe(3n);
    await p.facility.update({ where: { id: facilityId }, data: { access: "バス停から徒歩3分" } });
    expect(await directoryVersion(p)).not.toBe(d0);
  });
});
