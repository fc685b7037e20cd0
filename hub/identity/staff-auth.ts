import QRCode from "qrcode";
import { audit } from "../audit/audit.js";
import type { Hub } from "../context.js";
import type { User } from "../db/client.js";
import { DomainError, type ErrorKind, problems } from "../errors.js";
import { nudgeOutbox } from "../notify/outbox.js";
import { queueAccountMessage } from "./account-mail.js";
import { ENROLMENT_CODE_MINUTES, issueEnrolmentCode, useEnrolmentCode } from "./account-tokens.js";
import type { Actor } from "./actor.js";
import { limiterKey } from "./codes.js";
import { normaliseEmail } from "./email.js";
import { verifyPassword } from "./passwords.js";
import { remainingRecoveryCodes, replaceRecoveryCodes, useRecoveryCode } from "./recovery-codes.js";
import { endSession, endSessionsOf, markVerified } from "./sessions.js";
import { actorOf, type SignedIn, startSession } from "./sign-in.js";
import { assertNotThrottled, spend, tooMany } from "./throttle.js";
import { acceptTotpStep, checkTotp, newTotpEnrolment } from "./totp.js";

/**
 * One answer for every refused password sign-in — unknown account, wrong password, an account being throttled
 * — so none of them can be told from another: same status, code and body.
 */
const invalidCredentials = () =>
  new DomainError(
    "unauthenticated",
    "invalid_credentials",
    "Not signed in",
    "The e-mail address or password is wrong, or there were too many attempts; check them, or wait a few minutes and try again",
  );
const invalidCode = (kind: ErrorKind = "unauthenticated") =>
  new DomainError(kind, "invalid_code", "Wrong code", "The code is wrong or has expired");

/** Whether a user's sessions start unverified until a TOTP code is given (or TOTP is set up). */
export function needsSecondFactor(
  user: Pick<User, "role" | "totpEnabled">,
  requiredRoles: readonly string[],
): boolean {
  return user.totpEnabled || requiredRoles.includes(user.role);
}

/** The throttle key of a typed sign-in address: a keyed hash of its normal form (or of the text, if none). */
export function accountKey(key: Buffer, email: string | null, typed: string): string {
  return limiterKey(key, `account:${email ?? typed.trim().toLowerCase()}`);
}

/**
 * Staff sign-in with e-mail and password. Unknown accounts, wrong passwords, resident accounts and accounts
 * being throttled all get the same 401 after the same work (a password hash is always checked). Failures slow
 * down, with growing waits (./delays.ts), the account from that address, the account from anywhere and the
 * address over all accounts; an address over its allowance gets 429. The person is e-mailed when their account
 * starts being slowed down. A municipality restricted to its networks (LGWAN) is checked before any session.
 */
export async function signInWithPassword(
  hub: Hub,
  input: { email: string; password: string; ip: string; userAgent?: string; previousSessionId?: string },
): Promise<SignedIn> {
  const { ip } = input;
  const limits = hub.limits;
  // The typed address in its normal form, compared with `=`; one that cannot be normalised matches nobody.
  const email = normaliseEmail(input.email);
  const account = accountKey(hub.config.SECRET_KEY, email, input.email);
  const pair = `${account}:${ip}`;
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
    await assertNotThrottled(limits.signInPerAddress, ip);
  } catch (err) {
    await log(null, "denied", { reason: "rate_limited" });
    throw err;
  }
  const user = email ? await hub.prisma.user.findUnique({ where: { email } }) : null;
  const staff = user && user.role !== "resident" && !user.disabled ? user : null;
  const waiting =
    Math.max(
      await limits.signInPerAccountAndAddress.waitMs(pair),
      await limits.signInPerAccount.waitMs(account),
    ) > 0;
  // While the account must wait, the password is not even looked at (but hashed all the same, for timing).
  const ok = await verifyPassword(waiting ? null : (staff?.passwordHash ?? null), input.password);
  if (waiting || !ok || !staff) {
    let startedWaiting = false;
    if (!waiting) {
      const [, byPair, byAccount] = await Promise.all([
        limits.signInPerAddress.fail(ip),
        limits.signInPerAccountAndAddress.fail(pair),
        limits.signInPerAccount.fail(account),
      ]);
      startedWaiting = byPair.startedWaiting || byAccount.startedWaiting;
      if (startedWaiting && staff) await noticeThrottled(hub, staff, ip);
    }
    await log(user ? actorOf(user) : null, "denied", {
      reason: waiting
        ? "throttled"
        : !user
          ? "unknown_user"
          : !staff
            ? user.disabled
              ? "disabled"
              : "not_staff"
            : "wrong_password",
      ...(startedWaiting ? { throttled: true } : {}),
    });
    throw invalidCredentials();
  }

  try {
    await hub.networks.assertAllowed(staff, ip);
  } catch (err) {
    await log(actorOf(staff), "denied", {
      reason: err instanceof DomainError ? err.code : "network_check_failed",
    });
    throw err;
  }
  await Promise.all([
    limits.signInPerAccountAndAddress.delete(pair),
    limits.signInPerAccount.delete(account),
  ]);
  const secondFactor = needsSecondFactor(staff, hub.config.TOTP_REQUIRED_ROLES);
  const signedIn = await startSession(hub, staff, {
    verified: !secondFactor,
    ip,
    userAgent: input.userAgent,
    previousSessionId: input.previousSessionId,
  });
  await log(signedIn.actor, "ok", secondFactor ? { next: staff.totpEnabled ? "totp" : "totp_setup" } : {});
  return signedIn;
}

/** Once per episode (limits.throttleNotice), tells the person their sign-ins are being slowed down. */
async function noticeThrottled(hub: Hub, user: User, ip: string): Promise<void> {
  const first = await hub.limits.throttleNotice.consume(user.id).then(
    () => true,
    () => false,
  );
  if (!first) return;
  await queueAccountMessage(hub.prisma, user, { kind: "sign_in_throttled" }, { now: hub.now(), ip });
  nudgeOutbox(hub.queue);
}

/**
 * The second factor for a session that needs it: a code from the authenticator app, or one of the recovery
 * codes (used up, and the person told how many remain). Wrong codes slow down this account's second factor
 * (./delays.ts); the failure that brings in the first wait also ends this session, so whoever guessed must
 * give the password again, and the person is e-mailed.
 */
export async function verifySecondFactor(
  hub: Hub,
  actor: Actor,
  input: { code?: string; recoveryCode?: string },
  ip: string,
): Promise<Actor> {
  const now = hub.now();
  const user = await hub.prisma.user.findUniqueOrThrow({ where: { id: actor.userId } });
  const method = input.recoveryCode ? "recovery_code" : "totp";
  const log = (outcome: "ok" | "denied", detail: Record<string, unknown>) =>
    audit(
      hub.prisma,
      actor,
      ip,
      {
        action: "auth.totp",
        resourceType: "user",
        resourceId: actor.userId,
        outcome,
        detail: { method, ...detail },
      },
      now,
    );
  if (!user.totpEnabled || !user.totpSecret) {
    throw problems.conflict(
      "totp_not_enabled",
      "Set up an authenticator app first (POST /api/me/totp/email-code)",
    );
  }
  const throttle = hub.limits.secondFactorPerAccount;
  const wait = await throttle.waitMs(user.id);
  if (wait > 0) {
    await log("denied", { reason: "throttled" });
    throw tooMany(wait);
  }
  let ok: boolean;
  let reason = "wrong_code";
  if (input.recoveryCode) {
    ok = await useRecoveryCode(hub.prisma, hub.config.SECRET_KEY, user.id, input.recoveryCode, now);
  } else {
    const step = await checkTotp(hub.config.SECRET_KEY, user.totpSecret, input.code ?? "", now);
    ok = step !== null && (await acceptTotpStep(hub.prisma, user.id, step));
    if (step !== null && !ok) reason = "code_reused";
  }
  if (!ok) {
    const failed = await throttle.fail(user.id);
    await log("denied", { reason, ...(failed.startedWaiting ? { throttled: true } : {}) });
    if (failed.startedWaiting) {
      // A guessed password must not keep a session that can try again after the wait.
      await endSession(hub.prisma, actor.sessionId);
      await noticeThrottled(hub, user, ip);
      throw tooMany(failed.waitMs);
    }
    throw invalidCode();
  }
  await throttle.delete(user.id);
  await markVerified(hub.prisma, actor.sessionId);
  if (input.recoveryCode) {
    const remaining = await remainingRecoveryCodes(hub.prisma, user.id);
    await queueAccountMessage(hub.prisma, user, { kind: "recovery_code_used", remaining }, { now, ip });
    nudgeOutbox(hub.queue);
  }
  await log("ok", {});
  return { ...actor, verified: true };
}

/**
 * Enrolment, step 1: proves control of the registered e-mail. A code is sent there (15 minutes, 5 tries,
 * single use). Someone who only learned the password cannot enrol their own authenticator. Replacing an app
 * that is already set up needs a session verified with it (or with a recovery code).
 */
export async function sendEnrolmentCode(
  hub: Hub,
  actor: Actor,
  ip: string,
): Promise<{ expiresInSeconds: number }> {
  const now = hub.now();
  const user = await hub.prisma.user.findUniqueOrThrow({ where: { id: actor.userId } });
  assertMayEnrol(user, actor);
  if (!user.email) throw problems.conflict("no_email", "This account has no registered e-mail address");
  await spend(hub.limits.codeRequestPerDestination, limiterKey(hub.config.SECRET_KEY, `enrol:${user.id}`));
  await hub.prisma.$transaction(async (tx) => {
    const code = await issueEnrolmentCode(tx, hub.config.SECRET_KEY, user.id, now);
    await queueAccountMessage(
      tx,
      user,
      { kind: "enrolment_code", code, minutes: ENROLMENT_CODE_MINUTES },
      { now, ip },
    );
    await audit(
      tx,
      actor,
      ip,
      {
        action: "auth.totp_setup",
        resourceType: "user",
        resourceId: user.id,
        outcome: "ok",
        detail: { step: "email_code" },
      },
      now,
    );
  });
  nudgeOutbox(hub.queue);
  return { expiresInSeconds: ENROLMENT_CODE_MINUTES * 60 };
}

function assertMayEnrol(user: User, actor: Actor) {
  if (user.totpEnabled && !actor.verified) {
    throw problems.conflict(
      "totp_already_enabled",
      "An authenticator app is already set up; give its code (or a recovery code) first to replace it",
    );
  }
}

/**
 * Enrolment, step 2: with the code from the e-mail, a new secret, kept sealed on the user as pending (the app
 * in use, if any, keeps working) until its first code confirms it.
 */
export async function startTotpEnrolment(
  hub: Hub,
  actor: Actor,
  emailCode: string,
  ip: string,
): Promise<{ secret: string; otpauthUri: string; qrSvg: string }> {
  const now = hub.now();
  const user = await hub.prisma.user.findUniqueOrThrow({ where: { id: actor.userId } });
  assertMayEnrol(user, actor);
  if (!(await useEnrolmentCode(hub.prisma, hub.config.SECRET_KEY, user.id, emailCode, now))) {
    await audit(
      hub.prisma,
      actor,
      ip,
      {
        action: "auth.totp_setup",
        resourceType: "user",
        resourceId: user.id,
        outcome: "denied",
        detail: { step: "start", reason: "wrong_email_code" },
      },
      now,
    );
    throw problems.unprocessable(
      "invalid_email_code",
      "The code from the e-mail is wrong, used or expired; ask for a new one",
    );
  }
  const e = newTotpEnrolment(hub.config.SECRET_KEY, user.email ?? user.displayName);
  await hub.prisma.user.update({ where: { id: user.id }, data: { totpPendingSecret: e.sealed } });
  // The QR code an authenticator app scans, drawn here so the portal needs no library (and no CDN) for it.
  const qrSvg = await QRCode.toString(e.otpauthUri, { type: "svg", margin: 1, errorCorrectionLevel: "M" });
  return { secret: e.secret, otpauthUri: e.otpauthUri, qrSvg };
}

/**
 * Enrolment, step 3: a code from the new app confirms it. The app becomes the second factor, this session is
 * verified, the person's other sessions end, new recovery codes replace any old ones (returned once, to show),
 * and a notice goes to the registered e-mail.
 */
export async function confirmTotpEnrolment(
  hub: Hub,
  actor: Actor,
  code: string,
  ip: string,
): Promise<{ actor: Actor; recoveryCodes: string[] }> {
  const now = hub.now();
  const user = await hub.prisma.user.findUniqueOrThrow({ where: { id: actor.userId } });
  assertMayEnrol(user, actor);
  if (!user.totpPendingSecret) {
    throw problems.unprocessable(
      "totp_setup_not_started",
      "Start the set-up first with the code sent to your e-mail (POST /api/me/totp)",
    );
  }
  const step = await checkTotp(hub.config.SECRET_KEY, user.totpPendingSecret, code, now);
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
        detail: { step: "confirm", reason: "wrong_code" },
      },
      now,
    );
    throw invalidCode("unprocessable");
  }
  const recoveryCodes = await hub.prisma.$transaction(async (tx) => {
    const { count } = await tx.user.updateMany({
      where: { id: user.id, totpPendingSecret: user.totpPendingSecret },
      data: {
        totpEnabled: true,
        totpSecret: user.totpPendingSecret,
        totpPendingSecret: null,
        totpLastStep: step,
      },
    });
    if (!count) throw problems.conflict("totp_setup_changed", "The set-up changed meanwhile; start it again");
    const codes = await replaceRecoveryCodes(tx, hub.config.SECRET_KEY, user.id, now);
    await endSessionsOf(tx, user.id, actor.sessionId);
    await tx.session.update({ where: { id: actor.sessionId }, data: { verified: true } });
    await queueAccountMessage(tx, user, { kind: "second_factor_enrolled" }, { now, ip });
    await audit(
      tx,
      actor,
      ip,
      {
        action: "auth.totp_setup",
        resourceType: "user",
        resourceId: user.id,
        outcome: "ok",
        detail: { step: "confirm" },
      },
      now,
    );
    return codes;
  });
  await hub.limits.secondFactorPerAccount.delete(user.id);
  nudgeOutbox(hub.queue);
  return { actor: { ...actor, verified: true }, recoveryCodes };
}

/** New recovery codes for a verified session with a second factor (the old ones stop working). */
export async function regenerateRecoveryCodes(hub: Hub, actor: Actor, ip: string): Promise<string[]> {
  const now = hub.now();
  const user = await hub.prisma.user.findUniqueOrThrow({ where: { id: actor.userId } });
  if (!user.totpEnabled) throw problems.conflict("totp_not_enabled", "Set up an authenticator app first");
  return hub.prisma.$transaction(async (tx) => {
    const codes = await replaceRecoveryCodes(tx, hub.config.SECRET_KEY, user.id, now);
    await audit(
      tx,
      actor,
      ip,
      { action: "auth.recovery_codes", resourceType: "user", resourceId: user.id, outcome: "ok" },
      now,
    );
    return codes;
  });
}
