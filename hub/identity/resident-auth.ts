import { audit } from "../audit/audit.js";
import type { Hub } from "../context.js";
import { Prisma, type PrismaClient, type Resident, type User } from "../db/client.js";
import { DomainError, problems } from "../errors.js";
import { enqueueMessage, nudgeOutbox } from "../notify/outbox.js";
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
import { normaliseEmail } from "./email.js";
import { actorOf, type SignedIn, startSession } from "./sign-in.js";
import { assertNotThrottled, spend } from "./throttle.js";

type Target = { resident: Resident; user: User | null };

/**
 * The resident a destination belongs to, and their account if they have one: the e-mail or mobile number
 * their municipality registered, compared in its normal form with `=` (never a pattern, never the account's
 * own e-mail). An address belongs to one resident (a unique index); a mobile number stored in several
 * spellings is matched by the exact list of them, and if two residents share one, the one with an account
 * wins, else the newest.
 */
export async function findResidentByDestination(
  prisma: PrismaClient,
  d: Destination,
): Promise<Target | null> {
  const residents =
    d.channel === "email"
      ? await prisma.resident.findMany({ where: { email: d.address }, include: { user: true } })
      : await prisma.resident.findMany({
          where: { phone: { in: phoneVariants(d) } },
          include: { user: true },
          orderBy: { createdAt: "desc" },
          take: 10,
        });
  const pick = residents.find((r) => r.user) ?? residents[0];
  if (!pick) return null;
  const { user, ...resident } = pick;
  return { resident, user };
}

/**
 * Where a resident's code goes: the contact their municipality registered for the channel asked for,
 * never the text that was typed (the two are equal by the look-up above; this keeps it so by construction).
 */
export function registeredContact(resident: Resident, channel: Destination["channel"]): string | null {
  const stored = channel === "email" ? resident.email : resident.phone;
  const d = stored ? normaliseDestination(stored) : null;
  return d?.channel === channel ? d.address : null;
}

/**
 * Sends a one-time code to a resident's registered contact. Answers the same whether or not the destination is
 * known (the caller always says 202), and takes the same steps either way — the limits, one look-up, one
 * transaction (with the code and its message, or with the refusal's audit entry), one nudge to the outbox
 * dispatcher — so neither the answer nor its timing tells residents apart. Limits per address and per
 * destination apply to unknown ones too, so the endpoint can be used neither to probe nor to flood a phone.
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
  const to = target ? registeredContact(target.resident, d.channel) : null;
  if (!target || !to || target.user?.disabled) {
    await hub.prisma.$transaction(async (tx) => {
      await audit(
        tx,
        null,
        input.ip,
        {
          action: "auth.code_request",
          outcome: "denied",
          detail: { ...detail, reason: !target || !to ? "unknown_destination" : "disabled" },
        },
        now,
      );
    });
  } else {
    const code = generateCode();
    const expiresAt = new Date(now.getTime() + CODE_TTL_SECONDS * 1000);
    const message = codeMessage({
      channel: d.channel,
      to,
      code,
      expiresAt,
      language: target.resident.preferredLanguage,
      signInUrl: `${hub.config.PUBLIC_URL}sign-in`,
    });
    await withRetryOnConflict(() =>
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
        await audit(
          tx,
          { userId: user.id, role: "resident" },
          input.ip,
          { action: "auth.code_request", resourceType: "user", resourceId: user.id, outcome: "ok", detail },
          now,
        );
      }),
    );
  }
  // Send promptly (asked for unknown destinations too, so both answers take the same path).
  nudgeOutbox(hub.queue);
}

/**
 * Signs a resident in with the latest code sent to them. Each code allows 5 tries, then it is burned;
 * failures per address are throttled. Every refusal is the same 401 `invalid_code`.
 */
export async function verifyResidentCode(
  hub: Hub,
  input: { destination: string; code: string; ip: string; userAgent?: string; previousSessionId?: string },
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
    await hub.limits.signInPerAddress.fail(ip);
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
    throw new DomainError(
      "unauthenticated",
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
    userAgent: input.userAgent,
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
  const email = resident.email ? normaliseEmail(resident.email) : null;
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
