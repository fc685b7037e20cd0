import { audit } from "../audit/audit.js";
import type { Hub } from "../context.js";
import { Prisma, type PrismaClient, type Resident, type User } from "../db/client.js";
import { Problem, problems } from "../http/problem.js";
import { log } from "../log.js";
import { enqueueMessage } from "../notify/outbox.js";
import {
  CODE_TTL_SECONDS,
  codeMatches,
  codeMessage,
  generateCode,
  hashCode,
  limiterKey,
  MAX_CODE_ATTEMPTS,
} from "./codes.js";
import { type Destination, maskDestination, normaliseDestination, phoneVariants } from "./destination.js";
import { actorOf, type SignedIn, startSession } from "./sign-in.js";
import { assertNotThrottled, recordFailure, spend } from "./throttle.js";

type Target = { resident: Resident; user: User | null };

/**
 * The resident a destination belongs to, and their account if they have one. Residents are matched on
 * the e-mail or mobile number their municipality registered; an account's own sign-in e-mail also counts.
 * When several residents share an address (e.g. registered again after moving), the one with an account
 * wins, else the newest.
 */
export async function findResidentByDestination(
  prisma: PrismaClient,
  d: Destination,
): Promise<Target | null> {
  const where: Prisma.ResidentWhereInput =
    d.channel === "email"
      ? { email: { equals: d.address, mode: "insensitive" } }
      : { phone: { in: phoneVariants(d) } };
  const residents = await prisma.resident.findMany({
    where,
    include: { user: true },
    orderBy: { createdAt: "desc" },
    take: 10,
  });
  const pick = residents.find((r) => r.user) ?? residents[0];
  if (pick) {
    const { user, ...resident } = pick;
    return { resident, user };
  }
  if (d.channel !== "email") return null;
  const user = await prisma.user.findFirst({
    where: { role: "resident", residentId: { not: null }, email: { equals: d.address, mode: "insensitive" } },
    include: { resident: true },
  });
  if (!user?.resident) return null;
  const { resident, ...rest } = user;
  return { resident, user: rest };
}

/**
 * Sends a one-time code to a resident. Answers the same whether or not the destination is known (the
 * caller always says 202); limits per address and per destination apply to unknown ones too, so the
 * endpoint can be used neither to probe for residents nor to flood someone's phone.
 */
export async function requestResidentCode(
  hub: Hub,
  input: { destination: string; ip: string },
): Promise<void> {
  const d = normaliseDestination(input.destination);
  if (!d) {
    throw problems.validation(
      [
        {
          path: "/destination",
          message: "must be an e-mail address or a Japanese mobile number (070/080/090)",
        },
      ],
      "Enter an e-mail address or a mobile phone number",
    );
  }
  await spend(hub.limits.codeRequestPerAddress, input.ip);
  await spend(hub.limits.codeRequestPerDestination, limiterKey(hub.config.SECRET_KEY, d.key));

  const now = hub.now();
  const detail = { channel: d.channel, destination: maskDestination(d) };
  const target = await findResidentByDestination(hub.prisma, d);
  if (!target || target.user?.disabled) {
    await audit(
      hub.prisma,
      null,
      input.ip,
      {
        action: "auth.code_request",
        outcome: "denied",
        detail: { ...detail, reason: target ? "disabled" : "unknown_destination" },
      },
      now,
    );
    return;
  }

  const code = generateCode();
  const expiresAt = new Date(now.getTime() + CODE_TTL_SECONDS * 1000);
  const message = codeMessage({
    channel: d.channel,
    to: d.address,
    code,
    expiresAt,
    language: target.resident.preferredLanguage,
    signInUrl: `${hub.config.PUBLIC_URL}sign-in`,
  });
  const userId = await withRetryOnConflict(() =>
    hub.prisma.$transaction(async (tx) => {
      const user = target.user ?? (await findOrCreateResidentUser(tx, target.resident));
      await tx.signInCode.create({
        data: {
          userId: user.id,
          channel: d.channel,
          codeHash: hashCode(hub.config.SECRET_KEY, user.id, code),
          expiresAt,
          createdAt: now,
        },
      });
      // The delivery log shows the resident's municipality that a code went out (never the code itself).
      await enqueueMessage(tx, { ...message, about: { residentId: target.resident.id } });
      return user.id;
    }),
  );
  await audit(
    hub.prisma,
    { userId, role: "resident" },
    input.ip,
    { action: "auth.code_request", resourceType: "user", resourceId: userId, outcome: "ok", detail },
    now,
  );
  // Send promptly; if the queue is down, the cron's periodic dispatch picks the message up from the outbox.
  await hub.queue.add("outbox.dispatch", {}).catch((err) => {
    log.warn({ err }, "could not queue outbox.dispatch");
  });
}

/**
 * Signs a resident in with the latest code sent to them. Each code allows 5 tries, then it is burned;
 * failures per address are throttled. Every refusal is the same 401 `invalid_code`.
 */
export async function verifyResidentCode(
  hub: Hub,
  input: { destination: string; code: string; ip: string; previousSessionId?: string },
): Promise<SignedIn> {
  const { ip } = input;
  const now = hub.now();
  await assertNotThrottled(hub.limits.signInPerAddress, ip);
  const d = normaliseDestination(input.destination);
  const target = d ? await findResidentByDestination(hub.prisma, d) : null;
  const user = target?.user && !target.user.disabled ? target.user : null;
  const detail = d
    ? { method: "code", channel: d.channel, destination: maskDestination(d) }
    : { method: "code" };

  const fail = async (reason: string): Promise<never> => {
    await recordFailure(hub.limits.signInPerAddress, ip);
    await audit(
      hub.prisma,
      user ? actorOf(user) : null,
      ip,
      {
        action: "auth.sign_in",
        resourceType: "user",
        resourceId: user?.id ?? "",
        outcome: "denied",
        detail: { ...detail, reason },
      },
      now,
    );
    throw new Problem(
      401,
      "invalid_code",
      "Not signed in",
      "The code is wrong or has expired; request a new one",
    );
  };

  if (!user) return fail(target ? "disabled" : "unknown_destination");
  const latest = await hub.prisma.signInCode.findFirst({
    where: { userId: user.id, usedAt: null, expiresAt: { gt: now } },
    orderBy: { createdAt: "desc" },
  });
  if (!latest) return fail("no_code");
  // Count the try before checking it, atomically, so parallel guesses cannot exceed the allowance.
  const counted = await hub.prisma.signInCode.updateMany({
    where: { id: latest.id, usedAt: null, attempts: { lt: MAX_CODE_ATTEMPTS } },
    data: { attempts: { increment: 1 } },
  });
  if (!counted.count) return fail("code_burned");
  if (!codeMatches(hub.config.SECRET_KEY, user.id, input.code, latest.codeHash)) return fail("wrong_code");
  const used = await hub.prisma.signInCode.updateMany({
    where: { id: latest.id, usedAt: null },
    data: { usedAt: now },
  });
  if (!used.count) return fail("code_used");

  const signedIn = await startSession(hub, user, {
    verified: true,
    ip,
    previousSessionId: input.previousSessionId,
  });
  await audit(
    hub.prisma,
    signedIn.actor,
    ip,
    { action: "auth.sign_in", resourceType: "user", resourceId: user.id, outcome: "ok", detail },
    now,
  );
  return signedIn;
}

/** The resident's account, created on their first code request (role resident, no password). */
async function findOrCreateResidentUser(tx: Prisma.TransactionClient, resident: Resident): Promise<User> {
  const existing = await tx.user.findUnique({ where: { residentId: resident.id } });
  if (existing) return existing;
  const email = resident.email?.trim().toLowerCase() || null;
  const emailTaken = email ? (await tx.user.count({ where: { email } })) > 0 : false;
  return tx.user.create({
    data: {
      role: "resident",
      residentId: resident.id,
      email: emailTaken ? null : email,
      displayName: `${resident.familyName} ${resident.givenName}`.trim(),
      locale: resident.preferredLanguage || "ja",
    },
  });
}

/** Two first requests for one resident at once: the loser's unique violation is retried and finds the account. */
async function withRetryOnConflict<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") return fn();
    throw err;
  }
}
