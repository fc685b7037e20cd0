import { randomUUID } from "node:crypto";
import type { PrismaClient } from "../../hub/db/client.js";
import { addDays, tokyoToday } from "../../hub/inventory/dates.js";
import { issueMissingVouchers } from "../../hub/vouchers/vouchers.js";

/**
 * `count` new residents of `municipalityCode`, each with a single baby born `babyAgeDays` ago (default 30: every
 * service of the demo policies is open for at least two more months) and an active voucher, so tests can book
 * for them whatever the demo generator drew. Returns their ids.
 */
export async function bookableResidents(
  prisma: PrismaClient,
  municipalityCode: string,
  count: number,
  opts: { babyAgeDays?: number; now?: Date } = {},
): Promise<string[]> {
  const now = opts.now ?? new Date();
  const birthDate = addDays(tokyoToday(now), -(opts.babyAgeDays ?? 30));
  const ids = Array.from({ length: count }, () => randomUUID());
  await prisma.resident.createMany({
    data: ids.map((id, i) => ({
      id,
      municipalityCode,
      familyName: "試験",
      givenName: `利用者${i + 1}`,
      email: `bookable-${id.slice(0, 8)}@example.jp`,
    })),
  });
  await prisma.child.createMany({ data: ids.map((residentId) => ({ residentId, birthDate })) });
  await issueMissingVouchers(prisma, municipalityCode, now);
  return ids;
}
