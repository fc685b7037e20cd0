/**
 * The load of test/bench/scale.ts, in a process of its own, as `npm run seed -- --scale N` would do it: the demo
 * data at SCALE× and a generated year of bookings into DATABASE_URL (or DATA_DIR's embedded database), the year
 * ending before the month of NOW. Prints what was loaded as one JSON line.
 *
 * Not in the bench's own process: a 40× load leaves about 2 GB of garbage behind, which whatever that process
 * measured next paid to collect (the year's billing, when it ran there: about 3 s of its 13 s of CPU).
 */
import { seedDemo } from "../../fixtures/seed.js";
import { seedYear } from "../../fixtures/year.js";
import { openDb } from "../../hub/db/client.js";
import { hashPassword } from "../../hub/identity/passwords.js";

const scale = Number(process.env.SCALE);
const now = new Date(process.env.NOW ?? "");
const dataDir = process.env.DATA_DIR;
if (!Number.isInteger(scale) || scale < 1 || Number.isNaN(now.getTime()) || !dataDir) {
  throw new Error("scale-load needs SCALE (a whole number), NOW (an ISO time) and DATA_DIR");
}
const db = await openDb({ databaseUrl: process.env.DATABASE_URL || undefined, dataDir });
try {
  const counts = await seedDemo(db.prisma, { scale, hashPassword, today: now });
  const year = await seedYear(db.prisma, { scale, now });
  console.log(JSON.stringify({ ...counts, bookings: year.bookings, months: year.months }));
} finally {
  await db.close();
}
