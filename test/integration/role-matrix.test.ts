import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../../hub/db/client.js";
import { TestClient } from "../support/client.js";
import { tokyoDay } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { clientFor, clientForUser, DEMO_USERS } from "../support/sessions.js";
import {
  fillPath,
  requiredQuery,
  type SpecOperation,
  sample,
  specOperations,
} from "../support/spec-samples.js";

const ROLES = Object.keys(DEMO_USERS) as Role[];
/** Operations that end or replace the caller's own session are covered by the auth tests. */
const SESSION_OPS = new Set(["signIn", "signOut", "verifyTotp", "requestResidentCode", "verifyResidentCode"]);

/**
 * Every operation called as every role, anonymously, and as a user of another tenant: what x-access refuses is
 * refused (401 anonymous, 403 wrong role), what it admits is not, and another tenant's data is out of reach.
 */
describe("role matrix", () => {
  let t: TestHub;
  const ids: Record<string, Record<string, string>> = {};
  const ops = specOperations().filter((o) => !SESSION_OPS.has(o.operationId));

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 50 });
    const p = t.hub.prisma;
    const user = (email: string) => p.user.findUniqueOrThrow({ where: { email } });
    const facility = await user(DEMO_USERS.facility.own);
    const sendaiResident = (await user(DEMO_USERS.resident.own)).residentId as string;
    // A booking of the Sendai demo resident at the demo facility, made through the API.
    const resident = await clientFor(t, DEMO_USERS.resident.own);
    const service = await p.facilityService.findFirstOrThrow({
      where: { facilityId: facility.facilityId as string, serviceType: "stay" },
    });
    const start = tokyoDay(20);
    const hold = await resident.post("api/bookings", {
      facilityId: service.facilityId,
      serviceType: "stay",
      startDate: start,
      nights: 1,
    });
    expect(hold.status, hold.text).toBe(201);
    const closure = await p.closure.create({
      data: { facilityId: facility.facilityId as string, date: new Date(Date.UTC(2027, 0, 4)) },
    });
    const own = {
      facilityId: facility.facilityId as string,
      code: "041009",
      bookingId: hold.json.id,
      residentId: sendaiResident,
      closureId: closure.id,
    };
    for (const role of ROLES) ids[role] = own;
  }, 180_000);
  afterAll(() => t?.close());

  const call = async (client: TestClient | null, op: SpecOperation, overrides: Record<string, string>) => {
    const query = requiredQuery(op).toString();
    const path = fillPath(op, overrides) + (query ? `?${query}` : "");
    const body = op.body ? sample(op.body) : undefined;
    const c = client ?? new TestClient(t.url);
    return c.request(op.method, path, body);
  };

  it("refuses anonymous callers everywhere but public operations", async () => {
    const wrong: string[] = [];
    for (const op of ops) {
      const res = await call(null, op, ids.resident ?? {});
      if (op.access === "public" ? res.status === 401 || res.status === 403 : res.status !== 401) {
        wrong.push(`${op.operationId}: ${res.status}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("admits exactly the roles each operation declares", async () => {
    const wrong: string[] = [];
    for (const role of ROLES) {
      // One session per role: no operation here ends the caller's own session (SESSION_OPS are left out).
      const client = await clientFor(t, DEMO_USERS[role].own);
      for (const op of ops) {
        const res = await call(client, op, ids[role] ?? {});
        const admitted = op.access === "public" || op.access === "signed-in" || op.access.includes(role);
        const refused = res.status === 401 || res.status === 403;
        if (res.status >= 500) wrong.push(`${role} ${op.operationId}: ${res.status}`);
        else if (admitted === refused)
          wrong.push(`${role} ${op.operationId}: ${res.status} ${res.json?.code ?? ""}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 300_000);

  it("keeps another tenant of the same role out of tenant-bound operations", async () => {
    const wrong: string[] = [];
    const tenantBound = ops.filter(
      (op) =>
        (Array.isArray(op.access) &&
          /\{(facilityId|code|bookingId|residentId)\}/.test(op.path) &&
          op.method !== "GET") ||
        ["getBooking", "listBookingEvents", "getResident", "getMunicipalityNetwork"].includes(op.operationId),
    );
    expect(tenantBound.length).toBeGreaterThan(8);
    for (const op of tenantBound) {
      for (const role of (op.access as Role[]).filter((r) => DEMO_USERS[r].other)) {
        const client = await clientFor(t, DEMO_USERS[role].other as string);
        const res = await call(client, op, ids[role] ?? {});
        if (res.status !== 403 && res.status !== 404)
          wrong.push(`${role}(other tenant) ${op.operationId}: ${res.status}`);
      }
    }
    // A second resident may not see the first one's booking or record.
    const other = await t.hub.prisma.resident.findFirstOrThrow({
      where: { municipalityCode: "041009", id: { not: ids.resident?.residentId } },
    });
    const otherUser = await t.hub.prisma.user.create({
      data: { role: "resident", displayName: "other", residentId: other.id },
    });
    const otherResident = await clientForUser(t, otherUser.id);
    for (const path of [
      `api/bookings/${ids.resident?.bookingId}`,
      `api/residents/${ids.resident?.residentId}`,
    ]) {
      const res = await otherResident.get(path);
      if (res.status !== 404) wrong.push(`other resident ${path}: ${res.status}`);
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it("lists only the caller's own tenant's data", async () => {
    const natori = await clientFor(t, DEMO_USERS.municipality.other as string);
    const residents = await natori.get("api/residents?limit=200");
    expect(residents.status).toBe(200);
    expect(residents.json.items.length).toBeGreaterThan(0);
    expect(
      residents.json.items.every((r: { municipalityCode: string }) => r.municipalityCode === "042072"),
    ).toBe(true);
    expect((await natori.get("api/bookings")).json.total).toBe(0);
    const sendai = await clientFor(t, DEMO_USERS.municipality.own);
    expect((await sendai.get("api/bookings")).json.total).toBe(1);
    const facility2 = await clientFor(t, DEMO_USERS.facility.other as string);
    expect((await facility2.get("api/bookings")).json.total).toBe(0);
    const operator = await clientFor(t, DEMO_USERS.operator.own);
    expect((await operator.get("api/residents")).status).toBe(403);
  });
});
