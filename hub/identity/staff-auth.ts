import { audit } from "../audit/audit.js";
import type { Hub } from "../context.js";
import type { PrismaClient, User } from "../db/client.js";
import { Problem, problems } from "../http/problem.js";
import type { Actor } from "./actor.js";
import { normaliseEmail } from "./email.js";
import { afterFailure, CLEARED, isLocked, type LockState } from "./lockout.js";
import { verifyPassword } from "./passwords.js";
import { endSession, markVerified } from "./sessions.js";
import { actorOf, type SignedIn, startSession } from "./sign-in.js";
import { assertNotThrottled, recordFailure } from "./throttle.js";
import { acceptTotpStep, checkTotp, newTotpEnrolment } from "./totp.js";

const invalidCredentials = () =>
  new Problem(401, "invalid_credentials", "Not signed in", "The e-mail address or password is wrong");
const accountLocked = (status = 423) =>
  new Problem(
    status,
    "account_locked",
    "Account locked",
    "Too many wrong attempts; the account is locked for 15 minutes",
  );
const invalidCode = (status = 401) =>
  new Problem(status, "invalid_code", "Wrong code", "The code is wrong or has expired");

/** Whether a user's sessions start unverified until a TOTP code is given (or TOTP is set up). */
export function needsSecondFactor(
  user: Pick<User, "role" | "totpEnabled">,
  requiredRoles: readonly string[],
): boolean {
  return user.totpEnabled || requiredRoles.includes(user.role);
}

/**
 * Staff sign-in with e-mail and password. Unknown accounts, wrong passwords and resident accounts all get
 * the same 401; the 5th consecutive failure locks the account (423); failures per address are throttled
 * (429); a municipality restricted to its networks (LGWAN) is checked before any session exists.
 */
export async function signInWithPassword(
  hub: Hub,
  input: { email: string; password: string; ip: string; previousSessionId?: string },
): Promise<SignedIn> {
  const { ip } = input;
  // The typed address in its normal form, compared with `=`; one that cannot be normalised matches nobody.
  const email = normaliseEmail(input.email);
  const now = hub.now();
  const log = (actor: Actor | null, outcome: "ok" | "denied", detail: Record<string, unknown>) =>
    audit(
      hub.prisma,
      actor,
      ip,
      {
        action: "auth.sign_in",
        resourceType: "user",
        resourceId: actor?.userId ?? "",
        outcome,
        detail: { email: email ?? input.email.slice(0, 254), ...detail },
      },
      now,
    );

  try {
    await assertNotThrottled(hub.limits.signInPerAddress, ip);
  } catch (err) {
    await log(null, "denied", { reason: "rate_limited" });
    throw err;
  }
  const user = email ? await hub.prisma.user.findUnique({ where: { email } }) : null;
  const staff = user && user.role !== "resident" && !user.disabled ? user : null;
  if (staff && isLocked(staff, now)) {
    await log(actorOf(staff), "denied", { reason: "locked" });
    throw accountLocked();
  }
  const ok = await verifyPassword(staff?.passwordHash ?? null, input.password);
  if (!ok || !staff) {
    await recordFailure(hub.limits.signInPerAddress, ip);
    const locked = staff ? await registerFailure(hub.prisma, staff, now) : false;
    await log(user ? actorOf(user) : null, "denied", {
      reason: !user ? "unknown_user" : !staff ? (user.disabled ? "disabled" : "not_staff") : "wrong_password",
      ...(locked ? { locked: true } : {}),
    });
    throw locked ? accountLocked() : invalidCredentials();
  }

  try {
    await hub.networks.assertAllowed(staff, ip);
  } catch (err) {
    await log(actorOf(staff), "denied", {
      reason: err instanceof Problem ? err.code : "network_check_failed",
    });
    throw err;
  }
  if (staff.failedSignIns || staff.lockedUntil) await clearFailures(hub.prisma, staff.id);
  const secondFactor = needsSecondFactor(staff, hub.config.TOTP_REQUIRED_ROLES);
  const signedIn = await startSession(hub, staff, {
    verified: !secondFactor,
    ip,
    previousSessionId: input.previousSessionId,
  });
  await log(signedIn.actor, "ok", secondFactor ? { next: staff.totpEnabled ? "totp" : "totp_setup" } : {});
  return signedIn;
}

/** The second factor for a session that needs it. Wrong codes count towards the same lockout as passwords. */
export async function verifySecondFactor(hub: Hub, actor: Actor, code: string, ip: string): Promise<Actor> {
  const now = hub.now();
  const user = await hub.prisma.user.findUniqueOrThrow({ where: { id: actor.userId } });
  const log = (outcome: "ok" | "denied", detail: Record<string, unknown>) =>
    audit(
      hub.prisma,
      actor,
      ip,
      { action: "auth.totp", resourceType: "user", resourceId: actor.userId, outcome, detail },
      now,
    );
  if (!user.totpEnabled || !user.totpSecret) {
    throw problems.conflict("totp_not_enabled", "Set up an authenticator app first (POST /api/me/totp)");
  }
  if (isLocked(user, now)) {
    await log("denied", { reason: "locked" });
    throw accountLocked(429);
  }
  const step = await checkTotp(hub.config.SECRET_KEY, user.totpSecret, code, now);
  if (step === null || !(await acceptTotpStep(hub.prisma, user.id, step))) {
    await recordFailure(hub.limits.signInPerAddress, ip);
    const locked = await registerFailure(hub.prisma, user, now);
    await log("denied", {
      reason: step === null ? "wrong_code" : "code_reused",
      ...(locked ? { locked: true } : {}),
    });
    if (locked) {
      // A guessed password must not keep a session that can try again after the lock.
      await endSession(hub.prisma, actor.sessionId);
      throw accountLocked(429);
    }
    throw invalidCode();
  }
  if (user.failedSignIns || user.lockedUntil) await clearFailures(hub.prisma, user.id);
  await markVerified(hub.prisma, actor.sessionId);
  return { ...actor, verified: true };
}

/**
 * Starts TOTP enrolment: a new secret, kept sealed on the user but not enabled until confirmed. Refused
 * once TOTP is enabled, or a password alone would be enough to replace the second factor.
 */
export async function startTotpEnrolment(
  hub: Hub,
  actor: Actor,
): Promise<{ secret: string; otpauthUri: string }> {
  const user = await hub.prisma.user.findUniqueOrThrow({ where: { id: actor.userId } });
  if (user.totpEnabled)
    throw problems.conflict("totp_already_enabled", "An authenticator app is already set up");
  const e = newTotpEnrolment(hub.config.SECRET_KEY, user.email ?? user.displayName);
  await hub.prisma.user.update({ where: { id: user.id }, data: { totpSecret: e.sealed } });
  return { secret: e.secret, otpauthUri: e.otpauthUri };
}

/**
 * Confirms enrolment with a code from the app: TOTP is enabled, this session becomes verified and the
 * user's other sessions (started without the second factor) are ended.
 */
export async function confirmTotpEnrolment(hub: Hub, actor: Actor, code: string, ip: string): Promise<Actor> {
  const now = hub.now();
  const user = await hub.prisma.user.findUniqueOrThrow({ where: { id: actor.userId } });
  if (user.totpEnabled)
    throw problems.conflict("totp_already_enabled", "An authenticator app is already set up");
  if (!user.totpSecret) {
    throw problems.unprocessable("totp_setup_not_started", "Start the set-up first (POST /api/me/totp)");
  }
  const step = await checkTotp(hub.config.SECRET_KEY, user.totpSecret, code, now);
  if (step === null) {
    await audit(
      hub.prisma,
      actor,
      ip,
      {
        action: "auth.totp_setup",
        resourceType: "user",
        resourceId: user.id,
        outcome: "denied",
        detail: { reason: "wrong_code" },
      },
      now,
    );
    throw invalidCode(422);
  }
  const { count } = await hub.prisma.user.updateMany({
    where: { id: user.id, totpEnabled: false, totpSecret: user.totpSecret },
    data: { totpEnabled: true, totpLastStep: step, ...CLEARED },
  });
  if (!count) throw problems.conflict("totp_setup_changed", "The set-up changed meanwhile; start it again");
  await hub.prisma.session.deleteMany({ where: { userId: user.id, id: { not: actor.sessionId } } });
  await markVerified(hub.prisma, actor.sessionId);
  return { ...actor, verified: true };
}

async function clearFailures(prisma: PrismaClient, userId: string) {
  await prisma.user.update({ where: { id: userId }, data: CLEARED });
}

/**
 * Counts one failure on the user row (compare-and-set, so parallel guesses cannot slip past the count);
 * true when the account is now locked.
 */
async function registerFailure(
  prisma: PrismaClient,
  user: { id: string } & LockState,
  now: Date,
): Promise<boolean> {
  let current: LockState = user;
  for (let attempt = 0; attempt < 5; attempt++) {
    const next = afterFailure(current, now);
    const { count } = await prisma.user.updateMany({
      where: { id: user.id, failedSignIns: current.failedSignIns, lockedUntil: current.lockedUntil },
      data: { failedSignIns: next.failedSignIns, lockedUntil: next.lockedUntil },
    });
    if (count) return next.locked;
    current = await prisma.user.findUniqueOrThrow({
      where: { id: user.id },
      select: { failedSignIns: true, lockedUntil: true },
    });
    if (isLocked(current, now)) return true;
  }
  return isLocked(current, now);
}
