import iconv from "iconv-lite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BookingStatus, ServiceType } from "../../hub/db/client.js";
import { buildQuery, periodDates, type Scope } from "../../hub/stats/query.js";
import type { TestClient } from "../support/client.js";
import { expectContract, expectProblem } from "../support/contract.js";
import { tokyoDate, tokyoDay, tokyoMonth } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { clientFor, DEMO_USERS } from "../support/sessions.js";

const SENDAI = "041009";
const NATORI = "042072";
// A fiscal year before the demo data, so only what these tests make is counted.
const FY = "from=2024-04&to=2025-03";
const date = (s: string) => new Date(`${s}T00:00:00Z`);

describe("statistics", () => {
  let t: TestHub;
  let prefecture: TestClient;
  let sendai: TestClient;
  let natori: TestClient;
  let facility: TestClient;
  let facilityA: { id: string; name: string; municipalityCode: string };
  let facilityB: { id: string; name: string; municipalityCode: string };

  async function book(
    residentId: string | null,
    facilityId: string,
    serviceType: ServiceType,
    start: string,
    status: BookingStatus,
    units = 1,
    extra: { cancelDeadline?: Date } = {},
  ): Promise<string> {
    const b = await t.hub.prisma.booking.create({
      data: {
        residentId,
        facilityId,
        serviceType,
        startDate: date(start),
        endDate: date(start),
        status,
        source: residentId ? "portal" : "connector",
        units,
        ...extra,
      },
    });
    return b.id;
  }

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 50 });
    const p = t.hub.prisma;
    prefecture = await clientFor(t, DEMO_USERS.prefecture.own);
    // These tests check what is counted: small counts shown (threshold 1). The disclosure rule is tested last.
    const exact = await prefecture.put("api/stats/disclosure", { defaultThreshold: 1 });
    expect(exact.status, exact.text).toBe(200);
    sendai = await clientFor(t, DEMO_USERS.municipality.own);
    natori = await clientFor(t, DEMO_USERS.municipality.other as string);
    facility = await clientFor(t, DEMO_USERS.facility.own);
    const own = await p.user.findUniqueOrThrow({ where: { email: DEMO_USERS.facility.own } });
    facilityA = await p.facility.findUniqueOrThrow({
      where: { id: own.facilityId as string },
      select: { id: true, name: true, municipalityCode: true },
    });
    facilityB = await p.facility.findFirstOrThrow({
      where: { id: { not: facilityA.id }, municipalityCode: { not: facilityA.municipalityCode } },
      select: { id: true, name: true, municipalityCode: true },
    });
    const s = await p.resident.findFirstOrThrow({ where: { municipalityCode: SENDAI } });
    const n = await p.resident.findFirstOrThrow({ where: { municipalityCode: NATORI } });
    // Sendai: 3 stays used or reported (2 units each) and 1 day confirmed (a reservation, not a use) at A,
    // 1 cancelled at B, 1 refused at A.
    await book(s.id, facilityA.id, "stay", "2024-05-10", "used", 2);
    await book(s.id, facilityA.id, "stay", "2024-05-20", "reported", 2);
    await book(s.id, facilityA.id, "stay", "2024-07-01", "used", 2);
    await book(s.id, facilityA.id, "day", "2024-07-02", "confirmed");
    await book(s.id, facilityB.id, "day", "2024-08-02", "cancelled");
    await book(s.id, facilityA.id, "visit", "2024-08-03", "rejected");
    // Natori: 1 visit used at B, 1 cancelled at B. A use booked in B's own system (no resident).
    await book(n.id, facilityB.id, "visit", "2025-01-15", "used");
    await book(n.id, facilityB.id, "visit", "2025-02-15", "cancelled");
    await book(null, facilityB.id, "stay", "2025-03-01", "used", 0);
    // Outside the period, and holds that were never decided: not counted.
    await book(s.id, facilityA.id, "stay", "2024-03-31", "used", 2);
    await book(s.id, facilityA.id, "stay", "2024-06-01", "requested", 2);
    // Unmet searches, by the searcher's own municipality: two by Sendai residents (one on 1 April 2024 at 00:30
    // Tokyo time), one not signed in, one by a Natori resident searching Sendai's area, one in March (Tokyo).
    await p.unmetSearch.createMany({
      data: [
        {
          at: new Date("2024-03-31T15:30:00Z"),
          serviceType: "stay",
          municipalityCode: SENDAI,
          searcherMunicipalityCode: SENDAI,
          role: "resident",
        },
        {
          at: new Date("2024-06-10T03:00:00Z"),
          serviceType: "stay",
          searcherMunicipalityCode: SENDAI,
          role: "resident",
        },
        { at: new Date("2024-06-11T03:00:00Z"), municipalityCode: SENDAI, role: "anonymous" },
        {
          at: new Date("2024-06-12T03:00:00Z"),
          serviceType: "stay",
          municipalityCode: SENDAI,
          searcherMunicipalityCode: NATORI,
          role: "resident",
        },
        {
          at: new Date("2024-03-31T14:30:00Z"),
          serviceType: "day",
          municipalityCode: SENDAI,
          searcherMunicipalityCode: SENDAI,
          role: "resident",
        },
      ],
    });
  }, 180_000);
  afterAll(() => t?.close());

  it("gives the prefecture every report and who it is granted to", async () => {
    const res = await prefecture.get("api/stats/reports");
    expect(res.status).toBe(200);
    expectContract("listReports", res);
    const keys = res.json.items.map((r: { key: string }) => r.key);
    expect(keys).toContain("vacancy_by_facility");
    expect(keys).toContain("usage_by_month");
  });

  it("counts uses (used or reported, not confirmed) by month and service type, every month present", async () => {
    const res = await prefecture.get(`api/stats/reports/usage_by_month/data?${FY}`);
    expect(res.status).toBe(200);
    expectContract("getReportData", res);
    expect(res.json.scope).toBe("all");
    const nonZero = res.json.rows.filter((r: { value: number }) => r.value > 0);
    expect(nonZero).toEqual([
      { month: "2024-05", serviceType: "stay", value: 2 },
      { month: "2024-07", serviceType: "stay", value: 1 },
      { month: "2025-01", serviceType: "visit", value: 1 },
      { month: "2025-03", serviceType: "stay", value: 1 },
    ]);
    expect(new Set(res.json.rows.map((r: { month: string }) => r.month)).size).toBe(12);
    expect(res.json.total.value).toBe(5);
    expect(res.json.definition.ja).toContain("確定しただけの予約（これからの利用）は含めない");
    // The confirmed day is a reservation.
    const reserved = (await prefecture.get(`api/stats/reports/reservations_by_month/data?${FY}`)).json;
    expect(reserved.rows.filter((r: { value: number }) => r.value > 0)).toEqual([
      { month: "2024-07", serviceType: "day", value: 1 },
    ]);
  });

  it("shows a municipality only its own residents", async () => {
    const s = (await sendai.get(`api/stats/reports/usage_by_municipality/data?${FY}`)).json;
    expect(s.scope).toBe("municipality");
    expect(s.rows).toEqual([{ municipalityCode: SENDAI, municipalityName: "仙台市", value: 3 }]);
    const n = (await natori.get(`api/stats/reports/usage_by_municipality/data?${FY}`)).json;
    expect(n.rows).toEqual([{ municipalityCode: NATORI, municipalityName: "名取市", value: 1 }]);
    // The prefecture sees both, and the use from a facility's own system labelled as such (not 「不明」).
    const all = (await prefecture.get(`api/stats/reports/usage_by_municipality/data?${FY}`)).json;
    expect(
      all.rows.map((r: { municipalityCode: string | null; municipalityName: string; value: number }) => [
        r.municipalityCode,
        r.municipalityName,
        r.value,
      ]),
    ).toEqual([
      [SENDAI, "仙台市", 3],
      [NATORI, "名取市", 1],
      [null, "施設のシステムからの予約", 1],
    ]);
  });

  it("sums voucher units", async () => {
    const res = await sendai.get(`api/stats/reports/units_by_service/data?${FY}`);
    expect(res.json.rows).toEqual([{ serviceType: "stay", value: 6 }]);
  });

  it("gives cancellations as count and rate per facility and per municipality", async () => {
    const res = await prefecture.get(`api/stats/reports/cancellations_by_municipality/data?${FY}`);
    expect(res.json.kind).toBe("rate");
    expect(res.json.rows).toEqual([
      { municipalityCode: SENDAI, municipalityName: "仙台市", value: 20, numerator: 1, denominator: 5 },
      { municipalityCode: NATORI, municipalityName: "名取市", value: 50, numerator: 1, denominator: 2 },
      {
        municipalityCode: null,
        municipalityName: "施設のシステムからの予約",
        value: 0,
        numerator: 0,
        denominator: 1,
      },
    ]);
    expect(res.json.total).toEqual({ value: 25, numerator: 2, denominator: 8 });
    const byFacility = (await facility.get(`api/stats/reports/cancellations_by_facility/data?${FY}`)).json;
    expect(byFacility.scope).toBe("facility");
    expect(byFacility.rows).toEqual([
      { facilityId: facilityA.id, facilityName: facilityA.name, value: 0, numerator: 0, denominator: 4 },
    ]);
  });

  it("counts refusals, and unmet searches by the searcher's municipality in Japan time", async () => {
    const refusals = (await sendai.get(`api/stats/reports/refusals_by_facility/data?${FY}`)).json;
    expect(refusals.rows.map((r: { facilityId: string; value: number }) => [r.facilityId, r.value])).toEqual([
      [facilityA.id, 1],
    ]);
    const unmet = (await sendai.get(`api/stats/reports/unmet_searches_by_month/data?${FY}`)).json;
    const found = unmet.rows.filter((r: { value: number }) => r.value > 0);
    expect(found).toEqual([
      { month: "2024-04", serviceType: "stay", value: 1 },
      { month: "2024-06", serviceType: "stay", value: 1 },
    ]);
    const theirs = (await natori.get(`api/stats/reports/unmet_searches_by_month/data?${FY}`)).json;
    expect(theirs.rows.filter((r: { value: number }) => r.value > 0)).toEqual([
      { month: "2024-06", serviceType: "stay", value: 1 },
    ]);
    const all = (await prefecture.get(`api/stats/reports/unmet_searches_by_month/data?${FY}`)).json;
    expect(all.total.value).toBe(4);
  });

  it("refuses a report the prefecture has not granted, in the API and the list", async () => {
    const list = (await sendai.get("api/stats/reports")).json.items.map((r: { key: string }) => r.key);
    expect(list).not.toContain("vacancy_by_facility");
    expectProblem(
      await sendai.get(`api/stats/reports/vacancy_by_facility/data?${FY}`),
      403,
      "report_not_granted",
    );
    expectProblem(
      await sendai.get(`api/stats/reports/vacancy_by_facility/csv?${FY}`),
      403,
      "report_not_granted",
    );
    expectProblem(await sendai.get(`api/stats/reports/nope/data?${FY}`), 404, "not_found");
  });

  it("lets the prefecture grant a report, after which it is limited to the reader's area", async () => {
    // Capacity: A's stays on 2 days of May 2025 with 4 places: on the first, one taken by a confirmed booking of
    // the hub, one by the facility's own system, one only held (not counted as taken).
    const p = t.hub.prisma;
    const first = await p.slot.create({
      data: {
        facilityId: facilityA.id,
        serviceType: "stay",
        date: date("2025-05-01"),
        capacity: 4,
        booked: 2,
        external: 1,
      },
    });
    await p.slot.create({
      data: { facilityId: facilityA.id, serviceType: "stay", date: date("2025-05-02"), capacity: 4 },
    });
    const s = await p.resident.findFirstOrThrow({ where: { municipalityCode: SENDAI } });
    for (const status of ["confirmed", "requested"] as const) {
      const id = await book(s.id, facilityA.id, "stay", "2025-05-01", status, 0);
      await p.bookingSlot.create({ data: { bookingId: id, slotId: first.id } });
    }
    const grant = await prefecture.patch("api/stats/reports/vacancy_by_facility", {
      roles: ["facility", "municipality"],
    });
    expect(grant.status, grant.text).toBe(200);
    expectContract("updateReport", grant);
    const own = await facility.get("api/stats/reports/vacancy_by_facility/data?from=2025-05&to=2025-05");
    expect(own.status).toBe(200);
    const stays = await p.facilityService.findUniqueOrThrow({
      where: { facilityId_serviceType: { facilityId: facilityA.id, serviceType: "stay" } },
    });
    const services = await p.facilityService.findMany({ where: { facilityId: facilityA.id } });
    // Every other date, service and block counts at the service's default capacity with nothing taken.
    expect(own.json.rows).toHaveLength(1);
    expect(own.json.rows[0].numerator).toBe(2);
    expect(own.json.definition.ja).toContain("仮押さえと予約待機の提案は含めない");
    expect(own.json.rows[0].denominator).toBeGreaterThan(8 + 29 * stays.capacity);
    expect(services.length).toBeGreaterThan(0);
    const area = (await sendai.get("api/stats/reports/vacancy_by_facility/data?from=2025-05&to=2025-05"))
      .json;
    const codes = await p.facility.findMany({
      where: { id: { in: area.rows.map((r: { facilityId: string }) => r.facilityId) } },
    });
    expect(codes.every((f) => f.municipalityCode === SENDAI)).toBe(true);
    // Back to how it was shipped.
    expect((await prefecture.delete("api/stats/reports/vacancy_by_facility")).status).toBe(204);
    expectProblem(
      await sendai.get(`api/stats/reports/vacancy_by_facility/data?${FY}`),
      403,
      "report_not_granted",
    );
  });

  it("lets the prefecture add a report without a code change", async () => {
    const created = await prefecture.post("api/stats/reports", {
      key: "cancel_rate_by_month",
      titleJa: "月別キャンセル率",
      metric: "cancellation_rate",
      dimensions: ["month"],
      roles: ["municipality"],
      chart: "line",
    });
    expect(created.status, created.text).toBe(201);
    expectContract("createReport", created);
    expectProblem(
      await prefecture.post("api/stats/reports", {
        key: "cancel_rate_by_month",
        titleJa: "x",
        metric: "refusals",
        dimensions: ["month"],
      }),
      409,
      "report_exists",
    );
    const data = (await natori.get(`api/stats/reports/cancel_rate_by_month/data?${FY}`)).json;
    expect(data.rows.filter((r: { denominator: number }) => r.denominator > 0)).toEqual([
      { month: "2025-01", value: 0, numerator: 0, denominator: 1 },
      { month: "2025-02", value: 100, numerator: 1, denominator: 1 },
    ]);
    expectProblem(
      await facility.get(`api/stats/reports/cancel_rate_by_month/data?${FY}`),
      403,
      "report_not_granted",
    );
    const audited = await t.hub.prisma.auditLog.findMany({
      where: { resourceType: "report", action: { startsWith: "stats.report." } },
      orderBy: { id: "asc" },
    });
    // The grant and its reset in the test before, and this report.
    expect(audited.map((a) => [a.action, a.resourceId])).toEqual([
      ["stats.report.update", "vacancy_by_facility"],
      ["stats.report.delete", "vacancy_by_facility"],
      ["stats.report.create", "cancel_rate_by_month"],
    ]);
    const bad = await prefecture.post("api/stats/reports", {
      key: "unmet_by_facility",
      titleJa: "施設別",
      metric: "unmet_searches",
      dimensions: ["facility"],
      roles: ["facility"],
    });
    expectProblem(bad, 400, "validation_failed");
    expect(bad.json.errors.map((e: { path: string }) => e.path)).toEqual(["dimensions/0", "roles/0"]);
    expectProblem(
      await sendai.post("api/stats/reports", {
        key: "mine",
        titleJa: "x",
        metric: "refusals",
        dimensions: ["month"],
      }),
      403,
      "forbidden",
    );
  });

  it("refuses a bad period", async () => {
    expectProblem(
      await sendai.get("api/stats/reports/usage_by_month/data?from=2025-13&to=2025-01"),
      422,
      "invalid_period",
    );
    expectProblem(
      await sendai.get("api/stats/reports/usage_by_month/data?from=2025-04&to=2025-03"),
      422,
      "invalid_period",
    );
    expectProblem(
      await sendai.get("api/stats/reports/usage_by_month/data?from=2020-01&to=2025-03"),
      422,
      "invalid_period",
    );
    // No period: the current fiscal year.
    const res = await sendai.get("api/stats/reports/usage_by_month/data");
    expect(res.status).toBe(200);
    expect(res.json.period.from).toMatch(/^\d{4}-04$/);
  });

  it("downloads CSV in UTF-8 with a BOM and in Shift_JIS, with a total line, and audits it", async () => {
    const bytes = async (query: string) => {
      const res = await fetch(new URL(`api/stats/reports/usage_by_facility/csv?${query}`, t.url), {
        headers: { cookie: `sango_session=${sendai.sessionToken()}` },
      });
      return { res, body: Buffer.from(await res.arrayBuffer()) };
    };
    const utf8 = await bytes(FY);
    expect(utf8.res.status).toBe(200);
    expect(utf8.res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(utf8.res.headers.get("content-disposition")).toBe(
      'attachment; filename="usage_by_facility-2024-04-2025-03.csv"',
    );
    expect([...utf8.body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = utf8.body.subarray(3).toString("utf8");
    const lines = text.split("\r\n");
    expect(lines[0]).toMatch(/^定義：利用件数：利用済みまたは実績報告済みの予約の件数。/);
    expect(lines.slice(1)).toEqual([
      "施設ID,施設名,件数",
      `${facilityA.id},${facilityA.name},3`,
      "合計,,3",
      "",
    ]);
    const sjis = await bytes(`${FY}&encoding=sjis`);
    expect(sjis.res.headers.get("content-type")).toBe("text/csv; charset=Shift_JIS");
    expect(iconv.decode(sjis.body, "cp932")).toBe(text);
    const audited = await t.hub.prisma.auditLog.findFirst({
      where: { action: "export.csv", resourceType: "report", resourceId: "usage_by_facility" },
    });
    expect(audited).not.toBeNull();
  });

  describe("definitions, each against a hand-built month", () => {
    // September 2023 at facility A, Sendai residents unless said: what each metric counts and what it leaves out.
    const SEP = "from=2023-09&to=2023-09";
    const at = (iso: string) => new Date(iso);
    const figures = async (key: string, query = SEP) => {
      const res = await prefecture.get(`api/stats/reports/${key}/data?${query}`);
      expect(res.status, res.text).toBe(200);
      expectContract("getReportData", res);
      return res.json as {
        rows: {
          month?: string;
          serviceType?: string;
          value: number;
          numerator?: number;
          denominator?: number;
        }[];
        total: { value: number; numerator?: number; denominator?: number };
        definition: { ja: string; en: string };
      };
    };
    let stays: number;

    beforeAll(async () => {
      const p = t.hub.prisma;
      const s = await p.resident.findFirstOrThrow({ where: { municipalityCode: SENDAI } });
      const cancel = async (id: string, when: Date) => {
        await p.bookingEvent.create({
          data: {
            bookingId: id,
            seq: 1,
            type: "cancelled",
            status: "cancelled",
            source: "portal",
            occurredAt: when,
          },
        });
      };
      await book(s.id, facilityA.id, "stay", "2023-09-03", "used", 2);
      await book(s.id, facilityA.id, "day", "2023-09-05", "reported", 1);
      await book(null, facilityA.id, "stay", "2023-09-07", "used", 0);
      await book(s.id, facilityA.id, "visit", "2023-09-08", "rejected");
      await book(s.id, facilityA.id, "day", "2023-09-22", "no_show");
      const hold = await book(s.id, facilityA.id, "stay", "2023-09-04", "requested");
      const confirmed = await book(s.id, facilityA.id, "stay", "2023-09-04", "confirmed");
      // Cancelled: in August (before its deadline), for a September stay; on 26 Sep 01:00 Tokyo time, after its
      // deadline; in September for an October visit, with no deadline.
      const early = await book(s.id, facilityA.id, "stay", "2023-09-25", "cancelled", 1, {
        cancelDeadline: at("2023-09-01T00:00:00Z"),
      });
      await cancel(early, at("2023-08-30T10:00:00Z"));
      const late = await book(s.id, facilityA.id, "day", "2023-09-26", "cancelled", 1, {
        cancelDeadline: at("2023-09-24T15:00:00Z"),
      });
      await cancel(late, at("2023-09-25T16:00:00Z"));
      const none = await book(s.id, facilityA.id, "visit", "2023-10-05", "cancelled");
      await cancel(none, at("2023-09-10T00:00:00Z"));
      // The stay on 4 September: 2 places; one confirmed, one only held.
      const slot = await p.slot.create({
        data: {
          facilityId: facilityA.id,
          serviceType: "stay",
          date: date("2023-09-04"),
          capacity: 2,
          booked: 2,
        },
      });
      await p.bookingSlot.createMany({
        data: [
          { bookingId: hold, slotId: slot.id },
          { bookingId: confirmed, slotId: slot.id },
        ],
      });
      const w = { residentId: s.id, facilityId: facilityA.id, serviceType: "stay" as const };
      await p.waitlistEntry.create({
        data: { ...w, fromDate: date("2023-09-10"), toDate: date("2023-09-15"), status: "ended" },
      });
      await p.unmetSearch.create({
        data: {
          at: at("2023-09-10T03:00:00Z"),
          municipalityCode: SENDAI,
          searcherMunicipalityCode: NATORI,
          role: "resident",
        },
      });
      stays = (
        await p.facilityService.findUniqueOrThrow({
          where: { facilityId_serviceType: { facilityId: facilityA.id, serviceType: "stay" } },
        })
      ).capacity;
    });

    it("uses: used or reported only, a connector's use included", async () => {
      const d = await figures("usage_by_month");
      expect(d.rows.filter((r) => r.value > 0)).toEqual([
        { month: "2023-09", serviceType: "stay", value: 2 },
        { month: "2023-09", serviceType: "day", value: 1 },
      ]);
      expect((await figures("units_by_service")).rows).toEqual([
        { serviceType: "stay", value: 2 },
        { serviceType: "day", value: 1 },
      ]);
    });

    it("reservations: confirmed and not yet used; holds are neither", async () => {
      const d = await figures("reservations_by_month");
      expect(d.rows.filter((r) => r.value > 0)).toEqual([
        { month: "2023-09", serviceType: "stay", value: 1 },
      ]);
    });

    it("cancellations: by the month made, early or late against the deadline", async () => {
      const both = "from=2023-08&to=2023-09";
      expect((await figures("cancellations_early_by_month", both)).rows).toEqual([
        { month: "2023-08", value: 1 },
        { month: "2023-09", value: 1 },
      ]);
      expect((await figures("cancellations_late_by_month", both)).rows).toEqual([
        { month: "2023-08", value: 0 },
        { month: "2023-09", value: 1 },
      ]);
      // The rate stays by service month: of September's 7 decided bookings (not the refused, not the hold), 2
      // cancelled.
      const rate = await figures("cancellations_by_facility");
      expect(rate.total).toEqual({ value: 28.6, numerator: 2, denominator: 7 });
    });

    it("稼働率: confirmed places (not holds) over places offered on days that have passed", async () => {
      const d = await figures("vacancy_by_month");
      const stay = d.rows.find((r) => r.serviceType === "stay");
      expect(stay?.numerator).toBe(1);
      // A's stay capacity on 29 days without a slot row, plus the 2 places of 4 September; other facilities too.
      expect(stay?.denominator).toBeGreaterThanOrEqual(2 + 29 * stays);
      // Days from today on are not offered yet: a confirmed place tomorrow does not count this month.
      const month = `from=${tokyoMonth()}&to=${tokyoMonth()}`;
      const read = async () =>
        (await facility.get(`api/stats/reports/vacancy_by_facility/data?${month}`)).json.rows[0] as {
          numerator: number;
          denominator: number;
        };
      const r1 = await read();
      const tomorrow = tokyoDate(1);
      const slot = await t.hub.prisma.slot.upsert({
        where: {
          facilityId_serviceType_date_timeBlock: {
            facilityId: facilityA.id,
            serviceType: "stay",
            date: tomorrow,
            timeBlock: "",
          },
        },
        create: { facilityId: facilityA.id, serviceType: "stay", date: tomorrow, capacity: 3, external: 1 },
        update: { external: { increment: 1 } },
      });
      expect(slot.external).toBeGreaterThan(0);
      const r2 = await read();
      expect(r2).toEqual(r1);
    });

    it("稼働率 counts plain days per month and the rest cell by cell: the figures of expanding every cell", async () => {
      // Autumn 2022 at A and B: closures (every service, one service, twice on one day), slot rows on closed
      // days and open ones, a closed slot, one of 0 places, one over-full from the facility's system, one for a
      // block the service no longer has, places confirmed and held.
      const p = t.hub.prisma;
      const services = await p.facilityService.findMany({ where: { facilityId: facilityA.id } });
      const blocked = services.find(
        (x) => x.serviceType !== "stay" && (x.timeBlocks as unknown[]).length > 0,
      );
      expect(blocked).toBeDefined();
      const block = ((blocked?.timeBlocks ?? []) as { code: string }[])[0]?.code ?? "";
      const other = blocked?.serviceType ?? "day";
      const closure = (facilityId: string, day: string, serviceType: ServiceType | null) =>
        p.closure.create({ data: { facilityId, date: date(day), serviceType } });
      await closure(facilityA.id, "2022-10-05", null);
      await closure(facilityA.id, "2022-10-06", other);
      await closure(facilityA.id, "2022-10-07", null);
      await closure(facilityA.id, "2022-10-07", "stay");
      await closure(facilityB.id, "2022-12-01", null);
      const slot = (day: string, serviceType: ServiceType, data: Record<string, unknown> = {}) =>
        p.slot.create({
          data: { facilityId: facilityA.id, serviceType, date: date(day), capacity: 3, ...data },
        });
      await slot("2022-10-07", "stay");
      await slot("2022-10-06", other, { timeBlock: block, capacity: 2 });
      await slot("2022-11-10", "stay", { closed: true });
      await slot("2022-11-11", "stay", { capacity: 0 });
      await slot("2022-11-12", other, { timeBlock: "gone", capacity: 9 });
      await slot("2022-11-13", "stay", { external: 5 });
      const taken = await slot("2022-11-14", "stay", { external: 1 });
      const s = await p.resident.findFirstOrThrow({ where: { municipalityCode: SENDAI } });
      for (const status of ["confirmed", "used", "requested"] as const) {
        const id = await book(s.id, facilityA.id, "stay", "2022-11-14", status, 0);
        await p.bookingSlot.create({ data: { bookingId: id, slotId: taken.id } });
      }
      // The reference: one row per date × service × block, as 稼働率 was first written.
      const expand = `SELECT to_char(d.date, 'YYYY-MM') AS month, fs.service_type::text AS service_type,
          f.municipality_code AS municipality, fs.facility_id::text AS facility,
          SUM(LEAST(COALESCE(s.external, 0) + COALESCE(t.taken, 0), COALESCE(s.capacity, fs.capacity)))::float8 AS num,
          SUM(COALESCE(s.capacity, fs.capacity))::float8 AS den
        FROM facility_service fs
        JOIN facility f ON f.id = fs.facility_id
        CROSS JOIN generate_series($1::date, LEAST($2::date, $3::date) - 1, interval '1 day') AS d(date)
        CROSS JOIN LATERAL unnest(CASE WHEN fs.service_type = 'stay' OR jsonb_array_length(fs.time_blocks) = 0
            THEN ARRAY[''] ELSE ARRAY(SELECT e->>'code' FROM jsonb_array_elements(fs.time_blocks) e) END) AS blk(code)
        LEFT JOIN slot s ON s.facility_id = fs.facility_id AND s.service_type = fs.service_type
          AND s.date = d.date::date AND s.time_block = blk.code
        LEFT JOIN (SELECT bs.slot_id, COUNT(*) AS taken FROM booking_slot bs JOIN booking bk ON bk.id = bs.booking_id
            WHERE bk.status IN ('confirmed','used','reported','no_show') GROUP BY bs.slot_id) t ON t.slot_id = s.id
        WHERE COALESCE(s.closed, EXISTS (SELECT 1 FROM closure c WHERE c.facility_id = fs.facility_id
            AND c.date = d.date::date AND (c.service_type IS NULL OR c.service_type = fs.service_type))) = false
          AND ($4::text IS NULL OR fs.facility_id::text = $4) AND ($5::text IS NULL OR f.municipality_code = $5)
          AND ($6::text IS NULL OR f.association_id = $6)
        GROUP BY 1, 2, 3, 4`;
      const a = await p.facility.findUniqueOrThrow({ where: { id: facilityA.id } });
      const scopes: Scope[] = [
        { kind: "all" },
        { kind: "facility", id: a.id },
        { kind: "municipality", code: a.municipalityCode },
        { kind: "association", id: a.associationId ?? "" },
      ];
      const today = tokyoDay(0);
      const key = (r: Record<string, unknown>) =>
        JSON.stringify([r.month, r.service_type, r.municipality, r.facility, Number(r.num), Number(r.den)]);
      let compared = 0;
      for (const period of [
        { from: "2022-10", to: "2022-12" },
        { from: tokyoMonth(-1), to: tokyoMonth(1) },
      ]) {
        const { start, end } = periodDates(period);
        for (const scope of scopes) {
          const q = buildQuery(
            "occupancy_rate",
            ["month", "service_type", "municipality", "facility"],
            period,
            scope,
            today,
          );
          const got = (await p.$queryRawUnsafe<Record<string, unknown>[]>(q?.sql ?? "", ...(q?.params ?? [])))
            .map(key)
            .sort();
          const want = (
            await p.$queryRawUnsafe<Record<string, unknown>[]>(
              expand,
              start,
              end,
              today,
              scope.kind === "facility" ? scope.id : null,
              scope.kind === "municipality" ? scope.code : null,
              scope.kind === "association" ? scope.id : null,
            )
          )
            .map(key)
            .sort();
          expect(got.length).toBeGreaterThan(0);
          expect(got).toEqual(want);
          compared += got.length;
        }
      }
      expect(compared).toBeGreaterThan(10);
    });

    it("unmet searches: the searcher's municipality, not the one searched for", async () => {
      const d = (await natori.get(`api/stats/reports/unmet_searches_by_month/data?${SEP}`)).json;
      expect(d.total.value).toBe(1);
      const sendaiSees = (await sendai.get(`api/stats/reports/unmet_searches_by_month/data?${SEP}`)).json;
      expect(sendaiSees.total.value).toBe(0);
    });

    it("refusals and waitlist entries ended without a place", async () => {
      expect((await figures("refusals_by_facility")).total.value).toBe(1);
      expect((await figures("waitlist_expired_by_facility")).total.value).toBe(1);
    });
  });

  describe("small-cell protection", () => {
    // A hand-built month (May 2023, before everything else here): Natori has one use; Sendai has 5 stays at A,
    // 4 days at C, one cancellation at A; one unmet search for Natori.
    const MAY = "from=2023-05&to=2023-05";
    const T = 3;
    type Figures = {
      value: number | null;
      numerator?: number | null;
      denominator?: number | null;
      suppressed?: boolean;
    };
    type Data = {
      kind: "count" | "rate";
      rows: Figures[];
      total: Figures;
      disclosure: { threshold: number };
    };

    /** No shown figure below the threshold, and the total minus the shown cells pins no hidden cell below it. */
    function expectProtected(data: Data, where: string) {
      const measures = data.kind === "count" ? (["value"] as const) : (["numerator", "denominator"] as const);
      for (const r of [...data.rows, data.total]) {
        if (r.suppressed) {
          expect(r.value, where).toBeNull();
          continue;
        }
        for (const m of measures) {
          const v = r[m] as number;
          expect(v === 0 || v >= T, `${where}: ${m} ${v}`).toBe(true);
        }
      }
      const hidden = data.rows.filter((r) => r.suppressed);
      if (data.total.suppressed || hidden.length === 0) return;
      for (const m of measures) {
        const shown = data.rows.filter((r) => !r.suppressed).reduce((s, r) => s + (r[m] as number), 0);
        const rest = (data.total[m] as number) - shown;
        // Each hidden count is at least 1 (0 is shown), so one of them is at most rest − (hidden − 1).
        if (data.kind === "count") expect(rest - (hidden.length - 1), where).toBeGreaterThanOrEqual(T);
        else expect(rest === 0 || rest >= T, `${where}: hidden ${m} add up to ${rest}`).toBe(true);
      }
    }

    async function csv(client: TestClient, key: string, encoding: "utf-8" | "sjis") {
      const res = await fetch(new URL(`api/stats/reports/${key}/csv?${MAY}&encoding=${encoding}`, t.url), {
        headers: { cookie: `sango_session=${client.sessionToken()}` },
      });
      expect(res.status).toBe(200);
      const body = Buffer.from(await res.arrayBuffer());
      return encoding === "sjis" ? iconv.decode(body, "cp932") : body.subarray(3).toString("utf8");
    }

    let facilityC: string;
    beforeAll(async () => {
      const p = t.hub.prisma;
      const other = await p.user.findUniqueOrThrow({ where: { email: DEMO_USERS.facility.other as string } });
      facilityC = other.facilityId as string;
      const s = await p.resident.findFirstOrThrow({ where: { municipalityCode: SENDAI } });
      const n = await p.resident.findFirstOrThrow({ where: { municipalityCode: NATORI } });
      for (let i = 1; i <= 5; i++) await book(s.id, facilityA.id, "stay", `2023-05-0${i}`, "used");
      for (let i = 1; i <= 4; i++) await book(s.id, facilityC, "day", `2023-05-1${i}`, "used");
      await book(s.id, facilityA.id, "stay", "2023-05-20", "cancelled");
      await book(n.id, facilityC, "visit", "2023-05-21", "used");
      await p.unmetSearch.create({
        data: {
          at: new Date("2023-05-10T03:00:00Z"),
          serviceType: "stay",
          municipalityCode: NATORI,
          role: "resident",
        },
      });
      const res = await prefecture.put("api/stats/disclosure", { defaultThreshold: T });
      expect(res.status, res.text).toBe(200);
      expectContract("updateStatsDisclosure", res);
    });

    it("hides the municipality with one use, and the next-smallest, so the total reveals neither", async () => {
      const res = await prefecture.get(`api/stats/reports/usage_by_municipality/data?${MAY}`);
      expectContract("getReportData", res);
      expect(res.json.disclosure).toEqual({ threshold: T });
      expect(res.json.rows).toEqual([
        { municipalityCode: SENDAI, municipalityName: "仙台市", value: null, suppressed: true },
        { municipalityCode: NATORI, municipalityName: "名取市", value: null, suppressed: true },
      ]);
      expect(res.json.total).toEqual({ value: 10 });
      const own = (await natori.get(`api/stats/reports/usage_by_municipality/data?${MAY}`)).json;
      expect(own.rows).toEqual([
        { municipalityCode: NATORI, municipalityName: "名取市", value: null, suppressed: true },
      ]);
      expect(own.total).toEqual({ value: null, suppressed: true });
      const text = await csv(natori, "usage_by_municipality", "utf-8");
      expect(text.split("\r\n").slice(1, 4)).toEqual([
        "市町村コード,市町村名,件数",
        `${NATORI},名取市,＊`,
        "合計,,＊",
      ]);
      expect(text).toContain("＊：3未満");
    });

    it("leaves no cell under the threshold in any report or CSV, for every role it can be granted to", async () => {
      const readers: [string, TestClient][] = [
        ["prefecture", prefecture],
        ["sendai", sendai],
        ["natori", natori],
        ["facility A", facility],
        ["facility C", await clientFor(t, DEMO_USERS.facility.other as string)],
        ["association", await clientFor(t, DEMO_USERS.association.own)],
        ["operator", await clientFor(t, DEMO_USERS.operator.own)],
      ];
      const reports = (await prefecture.get("api/stats/reports")).json.items as {
        key: string;
        metric: string;
      }[];
      let checked = 0;
      for (const report of reports) {
        const roles = ["municipality", "association", "operator"];
        if (report.metric !== "unmet_searches") roles.push("facility");
        const grant = await prefecture.patch(`api/stats/reports/${report.key}`, { roles });
        expect(grant.status, grant.text).toBe(200);
        for (const [who, client] of readers) {
          const res = await client.get(`api/stats/reports/${report.key}/data?${MAY}`);
          if (res.status === 403) continue; // unmet searches cannot be limited to a facility
          expect(res.status, `${report.key} as ${who}`).toBe(200);
          const data = res.json as Data;
          expectProtected(data, `${report.key} as ${who}`);
          for (const encoding of ["utf-8", "sjis"] as const) {
            const lines = (await csv(client, report.key, encoding)).split("\r\n").filter((l) => l !== "");
            // The definition, the header, one line per row, the total, the footnote.
            expect(lines).toHaveLength(data.rows.length + 4);
            const figures = lines
              .slice(2, -1)
              .map((l) => l.split(",").slice(data.kind === "count" ? -1 : -2));
            figures.forEach((cells, i) => {
              const r = i < data.rows.length ? data.rows[i] : data.total;
              for (const c of cells) {
                if (r?.suppressed) expect(c).toBe("＊");
                else
                  expect(
                    Number(c) === 0 || Number(c) >= T,
                    `${report.key} as ${who} (${encoding}): ${c}`,
                  ).toBe(true);
              }
            });
            expect(lines.at(-1)).toContain("3未満");
          }
          checked++;
        }
        await prefecture.delete(`api/stats/reports/${report.key}`);
      }
      expect(checked).toBeGreaterThan(60);
    });

    it("is set by the prefecture only, per report and role, audited, with roles exempt about themselves", async () => {
      expectProblem(await sendai.put("api/stats/disclosure", { defaultThreshold: 1 }), 403, "forbidden");
      const bad = await prefecture.put("api/stats/disclosure", {
        defaultThreshold: 0,
        thresholds: { usage_by_facility: { resident: 2 } },
        exactOwnRoles: ["operator"],
      });
      expectProblem(bad, 400, "validation_failed");
      expect(bad.json.errors.map((e: { path: string }) => e.path)).toEqual([
        "defaultThreshold",
        "thresholds/usage_by_facility/resident",
        "exactOwnRoles/0",
      ]);
      expect((await prefecture.get("api/stats/disclosure")).json.defaultThreshold).toBe(T);
      const rule = {
        defaultThreshold: T,
        thresholds: { usage_by_facility: { facility: 10 } },
        exactOwnRoles: [],
      };
      const set = await prefecture.put("api/stats/disclosure", rule);
      expect(set.json).toEqual(rule);
      // Facility A has 5 uses: shown at 3, hidden at 10 for the facility role only.
      const at10 = (await facility.get(`api/stats/reports/usage_by_facility/data?${MAY}`)).json;
      expect(at10.disclosure.threshold).toBe(10);
      expect(at10.rows[0]).toMatchObject({ facilityId: facilityA.id, value: null, suppressed: true });
      const exempt = await prefecture.put("api/stats/disclosure", { ...rule, exactOwnRoles: ["facility"] });
      expect(exempt.status).toBe(200);
      expectContract("getStatsDisclosure", await prefecture.get("api/stats/disclosure"));
      const exact = (await facility.get(`api/stats/reports/cancellations_by_facility/data?${MAY}`)).json;
      expect(exact.disclosure.threshold).toBe(1);
      expect(exact.rows).toEqual([
        { facilityId: facilityA.id, facilityName: facilityA.name, value: 16.7, numerator: 1, denominator: 6 },
      ]);
      // Everyone else still sees the same cell hidden.
      const other = (await sendai.get(`api/stats/reports/cancellations_by_facility/data?${MAY}`)).json;
      expect(other.rows.find((r: { facilityId: string }) => r.facilityId === facilityA.id).suppressed).toBe(
        true,
      );
      // An added report's thresholds go when it goes.
      const added = await prefecture.post("api/stats/reports", {
        key: "refusals_by_month",
        titleJa: "月別のお断り",
        metric: "refusals",
        dimensions: ["month"],
      });
      expect(added.status, added.text).toBe(201);
      const withAdded = {
        ...rule,
        thresholds: { ...rule.thresholds, refusals_by_month: { municipality: 5 } },
      };
      expect((await prefecture.put("api/stats/disclosure", withAdded)).status).toBe(200);
      expect((await prefecture.delete("api/stats/reports/refusals_by_month")).status).toBe(204);
      expect((await prefecture.get("api/stats/disclosure")).json.thresholds).toEqual(rule.thresholds);
      expect(
        (await prefecture.put("api/stats/disclosure", { ...rule, exactOwnRoles: ["facility"] })).status,
      ).toBe(200);
      const audited = await t.hub.prisma.auditLog.findMany({ where: { action: "stats.disclosure.update" } });
      expect(audited.length).toBeGreaterThanOrEqual(4);
      expect(audited.at(-1)?.detail).toMatchObject({ after: { exactOwnRoles: ["facility"] } });
    });
  });
});
