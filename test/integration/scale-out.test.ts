/**
 * Scaling out as the README's "Scaling out" section says (issue 18, part 1): the hub as separate OS processes on one
 * PostgreSQL and one Redis — two API processes, one worker process and two cron processes (one is required; a
 * second one must not double anything) — driven through both API processes:
 *  - a 500-way hold race spread over both API processes grants exactly the places there are;
 *  - every cron tick queues each scheduled job once, whichever cron process fired it;
 *  - a facility edit or a booking made through one API process is seen by the other's search and vacancy at once;
 *  - sign-in throttles are shared: the limit is the limit over both processes, not per process;
 *  - a worker killed (SIGKILL) in the middle of sending a burst of messages loses none: one started after it sends
 *    the rest, and the message the dead one was sending waits out its send lease.
 * PostgreSQL and Redis only (the embedded default is one process by design).
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, type PrismaClient } from "../../hub/db/client.js";
import { freePort, spawnHub, stop, waitReady } from "../bench/processes.js";
import { TestClient } from "../support/client.js";
import { tokyoDay } from "../support/dates.js";
import { demoDatabase } from "../support/hub.js";
import { bookableResidents } from "../support/residents.js";

const serverUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
const SENDAI = "041009";

describe.skipIf(!serverUrl || !redisUrl)(
  "scale-out: API, worker and cron processes on one PostgreSQL and Redis",
  () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "hub-scale-out-"));
    const prefix = `scaleout-${randomBytes(4).toString("hex")}`;
    const secret = randomBytes(32).toString("hex");
    const processes = new Set<ChildProcess>();
    const roleOf = new Map<ChildProcess, string>();
    let database: { url: string; drop(): Promise<void> };
    let db: Awaited<ReturnType<typeof openDb>>;
    let prisma: PrismaClient;
    let api: [string, string];
    let facility: [TestClient, TestClient];
    let facilityId = "";

    const start = async (roles: string, port = 0) => {
      const child = spawnHub({
        PROCESS_ROLES: roles,
        PORT: String(port),
        HOST: "127.0.0.1",
        DATA_DIR: dataDir,
        DATABASE_URL: database.url,
        REDIS_URL: redisUrl,
        REDIS_PREFIX: prefix,
        SECRET_KEY: secret,
        COOKIE_SECURE: "false",
        LOG_LEVEL: "warn",
      });
      processes.add(child);
      roleOf.set(child, roles);
      child.once("exit", () => processes.delete(child));
      return child;
    };

    beforeAll(async () => {
      database = await demoDatabase(serverUrl as string, 200);
      db = await openDb({ databaseUrl: database.url, dataDir: "memory://" });
      prisma = db.prisma;
      const ports = [await freePort(), await freePort()];
      await Promise.all([
        start("api", ports[0]),
        start("api", ports[1]),
        start("workers"),
        start("cron"),
        start("cron"),
      ]);
      api = [`http://127.0.0.1:${ports[0]}/`, `http://127.0.0.1:${ports[1]}/`];
      await Promise.all(api.map((u) => waitReady(`${u}readyz`, 120_000)));
      // One staff session, used through both processes (sessions live in the database).
      const first = new TestClient(api[0]);
      const me = await first.signIn("facility@demo.example.jp");
      facilityId = me.facilityId;
      const second = new TestClient(api[1]);
      await second.useSession(first.sessionToken());
      facility = [first, second];
    }, 180_000);

    afterAll(async () => {
      await Promise.all([...processes].map(stop));
      await db?.close();
      const queues = await bullQueues();
      for (const q of queues) await q.obliterate({ force: true }).catch(() => {});
      await Promise.all(queues.map((q) => q.close()));
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const bullQueues = async () =>
      ["maintenance", "bookings", "outbox", "waitlist", "connections"].map(
        (name) => new Queue(name, { connection: { url: redisUrl }, prefix }),
      );

    it("grants exactly the places there are to a 500-way hold race over both API processes", async () => {
      const date = tokyoDay(40);
      const set = await facility[0].put(`api/facilities/${facilityId}/slots`, {
        serviceType: "stay",
        from: date,
        to: date,
        capacity: 3,
      });
      expect(set.status, set.text).toBe(200);
      const residents = await bookableResidents(prisma, SENDAI, 500);
      const answers = await Promise.all(
        residents.map((residentId, i) =>
          (facility[i % 2] as TestClient).post("api/bookings", {
            facilityId,
            serviceType: "stay",
            startDate: date,
            nights: 1,
            residentId,
          }),
        ),
      );
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(3);
      expect(statuses.filter((s) => s !== 201 && s !== 409)).toEqual([]);
      const slot = await prisma.slot.findFirstOrThrow({
        where: { facilityId, serviceType: "stay", date: new Date(`${date}T00:00:00Z`) },
      });
      expect(slot.booked).toBe(3);
      expect(
        await prisma.booking.count({
          where: {
            facilityId,
            startDate: new Date(`${date}T00:00:00Z`),
            status: { in: ["requested", "confirmed"] },
          },
        }),
      ).toBe(3);
    }, 120_000);

    it("shows an edit or a booking made through one process in the other's search and vacancy at once", async () => {
      const [one, other] = [facility[0], new TestClient(api[1])];
      const before = await other.get(`api/facilities/${facilityId}`);
      const renamed = `（架空）青葉産婦人科病院 ${randomBytes(2).toString("hex")}`;
      const edit = await one.patch(`api/facilities/${facilityId}`, {
        version: before.json.version,
        name: renamed,
      });
      expect(edit.status, edit.text).toBe(200);
      const found = await other.get(`api/facilities?q=${encodeURIComponent(renamed)}`);
      expect(found.json.items.map((f: { id: string }) => f.id)).toEqual([facilityId]);

      const date = tokyoDay(41);
      const free = async () => {
        const res = await other.get(`api/vacancy?from=${date}&to=${date}&serviceType=stay&limit=200`);
        const entry = res.json.items.find((f: { facilityId: string }) => f.facilityId === facilityId);
        return entry?.services[0]?.blocks[0]?.free[0] as number;
      };
      const was = await free();
      const [resident] = await bookableResidents(prisma, SENDAI, 1);
      const held = await one.post("api/bookings", {
        facilityId,
        serviceType: "stay",
        startDate: date,
        residentId: resident,
      });
      expect(held.status, held.text).toBe(201);
      expect(await free()).toBe(was - 1);
    });

    it("shares the sign-in throttle between the API processes", async () => {
      const destination = `throttle-${randomBytes(3).toString("hex")}@example.jp`;
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await new TestClient(api[i % 2] as string).post("api/auth/resident/code", {
          destination,
        });
        statuses.push(res.status);
      }
      // Five code requests per address in 15 minutes (hub/identity/limits.ts), counted over both processes.
      expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429, 429]);
    });

    it("loses no message when a worker is killed in the middle of a burst; the next worker sends the rest", async () => {
      const worker = [...processes].find((p) => roleOf.get(p) === "workers");
      expect(worker).toBeDefined();
      const burst = 300;
      const tag = randomBytes(3).toString("hex");
      await prisma.outboxMessage.createMany({
        data: Array.from({ length: burst }, (_, i) => ({
          topic: "notify.message",
          payload: {
            channel: "email",
            to: `burst-${tag}-${i}@example.jp`,
            subject: `burst ${tag}`,
            text: "-",
          },
        })),
      });
      const sent = () => prisma.mailboxMessage.count({ where: { subject: `burst ${tag}` } });
      // Ask for a dispatch as a request would, and kill the worker process as soon as it has sent some.
      await new TestClient(api[0]).post("api/auth/resident/code", { destination: `nudge-${tag}@example.jp` });
      for (let i = 0; i < 400 && (await sent()) === 0; i++) await new Promise((r) => setTimeout(r, 25));
      worker?.kill("SIGKILL");
      const atKill = await sent();
      expect(atKill).toBeLessThan(burst);
      await start("workers");
      // The dead worker's claimed rows come back after the claim (15 s) and the new worker sends them. The one it was
      // sending at the kill is held by its send lease (60 s) and goes out when that ends: it is not waited for here,
      // but it must be the only one left, leased, neither sent nor given up.
      const outbox = () =>
        prisma.outboxMessage.findMany({
          where: { payload: { path: ["subject"], equals: `burst ${tag}` }, dispatchedAt: null },
          select: { claimedUntil: true, failedAt: true, attempts: true },
        });
      let left = await outbox();
      for (let i = 0; i < 120 && left.length > 1; i++) {
        await new Promise((r) => setTimeout(r, 500));
        left = await outbox();
      }
      expect(left.length).toBeLessThanOrEqual(1);
      for (const row of left) {
        expect(row.failedAt).toBeNull();
        expect(row.claimedUntil?.getTime()).toBeGreaterThan(Date.now());
        expect(row.attempts).toBe(1);
      }
      const to = await prisma.mailboxMessage.groupBy({
        by: ["to"],
        where: { subject: `burst ${tag}` },
        _count: true,
      });
      expect(to.length).toBeGreaterThanOrEqual(burst - left.length);
      // At most the message in flight at the kill may go twice (an e-mail server cannot be asked whether it got it).
      expect(to.filter((r) => r._count > 1).length).toBeLessThanOrEqual(1);
    }, 150_000);

    it("queues each scheduled job once per tick, however many cron processes fire it", async () => {
      // Both cron processes have been running since the start (the tests above took a while): at least three ticks.
      const ticks = async () => {
        const ids: string[] = [];
        for (const q of await bullQueues()) {
          const jobs = await q.getJobs(["completed", "failed", "active", "waiting", "delayed"], 0, 5000);
          for (const j of jobs) if (/^connections\.sync@\d+$/.test(j.id ?? "")) ids.push(j.id as string);
          await q.close();
        }
        return ids.map((id) => Number(id.split("@")[1])).sort((a, b) => a - b);
      };
      let seconds = await ticks();
      for (let i = 0; i < 24 && seconds.length < 3; i++) {
        await new Promise((r) => setTimeout(r, 500));
        seconds = await ticks();
      }
      expect(seconds.length).toBeGreaterThanOrEqual(3);
      // One job per tick: ticks 5 s apart, none twice (two cron processes would otherwise each have queued one).
      expect(new Set(seconds).size).toBe(seconds.length);
      for (const s of seconds) expect(s % 5).toBe(0);
    }, 30_000);
  },
);
