/**
 * Change counters (table change_counter), bumped by triggers in the transaction that changes what a cache shows
 * (migration 20261211000000_change_counters): "directory" for facilities, their services, municipality and
 * association names; "inventory:<facility id>:<stripe>" for a facility's slots, closures and connection, a stripe per
 * database session so that concurrent holds on one facility do not queue on one row (migration
 * 20261212000000_striped_inventory_counters). A cache keeps the version it was read at and is rebuilt only when the
 * version moved, whichever process made the change; commits to other tables (bookings' events, the audit log, the
 * outbox) leave it alone.
 */
import type { PrismaClient } from "./client.js";

/** The vacancy view's version now: every counter's sum (it shows the directory's facilities too). */
export async function vacancyVersion(prisma: PrismaClient): Promise<string> {
  const [row] = await prisma.$queryRaw<{ v: string }[]>`
    SELECT coalesce(sum(n), 0)::text AS v FROM change_counter`;
  return row?.v ?? "0";
}

/** The facility directory's version now. */
export async function directoryVersion(prisma: PrismaClient): Promise<string> {
  const [row] = await prisma.$queryRaw<{ v: string }[]>`
    SELECT coalesce((SELECT n FROM change_counter WHERE scope = 'directory'), 0)::text AS v`;
  return row?.v ?? "0";
}

/**
 * A version read shared by concurrent requests: a request never shares a read that started before it arrived (it
 * could miss a commit the request should see); it joins the next one, which starts once the running one is done and
 * the requests arriving in the same turn of the event loop have joined it. Under load the database is asked once
 * per round trip, not once per request.
 */
export class SharedVersionRead {
  private running?: Promise<string>;
  private queued?: Promise<string>;

  constructor(private readonly read: () => Promise<string>) {}

  next(): Promise<string> {
    this.queued ??= (this.running ?? Promise.resolve(""))
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => {
        this.queued = undefined;
        const run = this.read().finally(() => {
          if (this.running === run) this.running = undefined;
        });
        this.running = run;
        return run;
      });
    return this.queued;
  }
}
