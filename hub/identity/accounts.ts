/**
 * What a person does with their own account, and what administrators may do to others' (issue 12, part 2):
 * change the password, reset a forgotten one by a link sent to the registered e-mail, see and end their
 * sessions, and — operator for anyone, prefecture for municipal staff — reset someone's second factor. Each
 * change is audited and announced to the person by e-mail, through the outbox in the same transaction.
 */
import { audit } from "../audit/audit.js";
import type { Hub } from "../context.js";
import type { Prisma, Role } from "../db/client.js";
import { problems } from "../errors.js";
import { nudgeOutbox } from "../notify/outbox.js";
import { queueAccountMessage } from "./account-mail.js";
import { issueResetToken, RESET_LINK_MINUTES, resetTokenOwner, spendResetToken } from "./account-tokens.js";
import type { Actor } from "./actor.js";
import { limiterKey } from "./codes.js";
import { normaliseEmail } from "./email.js";
import { PREFECTURE_NAME } from "./me.js";
import { PASSWORD_PROBLEM_TEXT, passwordProblems } from "./password-policy.js";
import { hashPassword, verifyPassword } from "./passwords.js";
import { endOwnSession, endSessionsOf, listSessions } from "./sessions.js";
import { accountKey } from "./staff-auth.js";
import { assertNotThrottled, spend } from "./throttle.js";

/** 422 `weak_password` with one error per rule the new password breaks. */
function assertAcceptablePassword(password: string, email: string | null) {
  const found = passwordProblems(password, email);
  if (found.length) {
    throw problems.unprocessable(
      "weak_password",
      "Choose a longer or less common password",
      found.map((code) => ({ path: "/newPassword", code, message: PASSWORD_PROBLEM_TEXT[code] })),
    );
  }
}

/**
 * A signed-in staff member changes their password: the current one is required (a wrong one counts like a
 * wrong sign-in), the new one must follow the rule (./password-policy.ts). The person's other sessions end.
 */
export async function changePassword(
  hub: Hub,
  actor: Actor,
  input: { currentPassword: string; newPassword: string },
  ip: string,
): Promise<void> {
  const now = hub.now();
  const user = await hub.prisma.user.findUniqueOrThrow({ where: { id: actor.userId } });
  const account = accountKey(hub.config.SECRET_KEY, user.email, "");
  await assertNotThrottled(hub.limits.signInPerAccount, account);
  if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
    await hub.limits.signInPerAccount.fail(account);
    await audit(
      hub.prisma,
      actor,
      ip,
      {
        action: "account.password_change",
        resourceType: "user",
        resourceId: user.id,
        outcome: "denied",
        detail: { reason: "wrong_password" },
      },
      now,
    );
    throw problems.unprocessable("wrong_password", "The current password is wrong", [
      { path: "/currentPassword", code: "wrong_password", message: "is not your current password" },
    ]);
  }
  assertAcceptablePassword(input.newPassword, user.email);
  const passwordHash = await hashPassword(input.newPassword);
  await hub.prisma.$transaction(async (tx) => {
    await tx.user.update({ where: { id: user.id }, data: { passwordHash } });
    const ended = await endSessionsOf(tx, user.id, actor.sessionId);
    await queueAccountMessage(tx, user, { kind: "password_changed" }, { now, ip });
    await audit(
      tx,
      actor,
      ip,
      {
        action: "account.password_change",
        resourceType: "user",
        resourceId: user.id,
        outcome: "ok",
        detail: { sessionsEnded: ended },
      },
      now,
    );
  });
  nudgeOutbox(hub.queue);
}

/**
 * Someone asks for a password-reset link. It goes only to the registered address of a staff account, and the
 * answer is the same — through the same steps — whether or not there is one, so this cannot probe for accounts.
 */
export async function requestPasswordReset(hub: Hub, input: { email: string; ip: string }): Promise<void> {
  const now = hub.now();
  const email = normaliseEmail(input.email);
  await spend(hub.limits.codeRequestPerAddress, input.ip);
  await spend(
    hub.limits.codeRequestPerDestination,
    limiterKey(hub.config.SECRET_KEY, `reset:${email ?? input.email}`),
  );
  const user = email ? await hub.prisma.user.findUnique({ where: { email } }) : null;
  const staff = user && user.role !== "resident" && !user.disabled && user.email ? user : null;
  await hub.prisma.$transaction(async (tx) => {
    if (staff) {
      const token = await issueResetToken(tx, hub.config.SECRET_KEY, staff.id, now);
      // In the fragment, so the token never reaches a server log or a Referer header.
      const url = `${hub.config.PUBLIC_URL}reset-password#token=${token}`;
      await queueAccountMessage(
        tx,
        staff,
        { kind: "password_reset_link", url, minutes: RESET_LINK_MINUTES },
        { now, ip: input.ip },
      );
    }
    await audit(
      tx,
      staff ? { userId: staff.id, role: staff.role } : null,
      input.ip,
      {
        action: "account.password_reset_request",
        resourceType: "user",
        resourceId: staff?.id ?? "",
        outcome: staff ? "ok" : "denied",
        detail: staff ? {} : { reason: user ? "not_staff_or_disabled" : "unknown_user" },
      },
      now,
    );
  });
  nudgeOutbox(hub.queue);
}

/**
 * Sets a new password with a reset link's token (single use, 30 minutes). Every session of the person ends, the
 * account's sign-in throttle is cleared (they proved control of the address), and they are told by e-mail. A
 * second factor, if set up, is still asked at the next sign-in.
 */
export async function completePasswordReset(
  hub: Hub,
  input: { token: string; newPassword: string; ip: string },
): Promise<void> {
  const now = hub.now();
  await assertNotThrottled(hub.limits.signInPerAddress, input.ip);
  const owner = await resetTokenOwner(hub.prisma, hub.config.SECRET_KEY, input.token, now);
  const invalid = () =>
    problems.unprocessable("invalid_token", "The link is wrong, used or expired; ask for a new one");
  if (!owner) {
    await hub.limits.signInPerAddress.fail(input.ip);
    throw invalid();
  }
  const user = await hub.prisma.user.findUniqueOrThrow({ where: { id: owner.userId } });
  assertAcceptablePassword(input.newPassword, user.email);
  const passwordHash = await hashPassword(input.newPassword);
  await hub.prisma.$transaction(async (tx) => {
    if (!(await spendResetToken(tx, owner.id, now))) throw invalid();
    await tx.user.update({ where: { id: user.id }, data: { passwordHash } });
    const ended = await endSessionsOf(tx, user.id);
    await queueAccountMessage(tx, user, { kind: "password_reset_done" }, { now, ip: input.ip });
    await audit(
      tx,
      { userId: user.id, role: user.role },
      input.ip,
      {
        action: "account.password_reset",
        resourceType: "user",
        resourceId: user.id,
        outcome: "ok",
        detail: { sessionsEnded: ended },
      },
      now,
    );
  });
  await hub.limits.signInPerAccount.delete(accountKey(hub.config.SECRET_KEY, user.email, ""));
  nudgeOutbox(hub.queue);
}

export const mySessions = (hub: Hub, actor: Actor) => listSessions(hub.prisma, actor, hub.now());

/** Ends one of the person's sessions (404 when it is not theirs). */
export async function endMySession(hub: Hub, actor: Actor, publicId: string, ip: string): Promise<void> {
  if (!(await endOwnSession(hub.prisma, actor, publicId))) throw problems.notFound("session");
  await audit(
    hub.prisma,
    actor,
    ip,
    { action: "account.session_end", resourceType: "session", resourceId: publicId, outcome: "ok" },
    hub.now(),
  );
}

/** "Sign out everywhere else": ends every other session of the person and tells them by e-mail. */
export async function endMyOtherSessions(hub: Hub, actor: Actor, ip: string): Promise<number> {
  const now = hub.now();
  const user = await hub.prisma.user.findUniqueOrThrow({ where: { id: actor.userId } });
  const ended = await hub.prisma.$transaction(async (tx) => {
    const count = await endSessionsOf(tx, actor.userId, actor.sessionId);
    if (count > 0) await queueAccountMessage(tx, user, { kind: "sessions_ended", count }, { now, ip });
    await audit(
      tx,
      actor,
      ip,
      {
        action: "account.sessions_end_others",
        resourceType: "user",
        resourceId: actor.userId,
        outcome: "ok",
        detail: { sessionsEnded: count },
      },
      now,
    );
    return count;
  });
  if (ended > 0) nudgeOutbox(hub.queue);
  return ended;
}

/** Whose second factor an administrator may reset: the operator anyone's (but their own), the prefecture municipal staff's. */
function resettableBy(actor: Actor): Prisma.UserWhereInput {
  const staff: Prisma.UserWhereInput = { role: { not: "resident" }, id: { not: actor.userId } };
  if (actor.role === "operator") return staff;
  if (actor.role === "prefecture") return { ...staff, role: "municipality" };
  return { id: "00000000-0000-0000-0000-000000000000" };
}

export type StaffAccount = {
  id: string;
  role: Role;
  displayName: string;
  email: string | null;
  tenantName: string | null;
  totpEnabled: boolean;
  recoveryCodesRemaining: number;
  disabled: boolean;
};

/** The staff accounts an administrator may act on (operator: all staff; prefecture: municipal staff). */
export async function listStaffAccounts(
  hub: Hub,
  actor: Actor,
  query: { role?: Role; limit: number; offset: number },
): Promise<{ items: StaffAccount[]; total: number }> {
  const scope = resettableBy(actor);
  const where: Prisma.UserWhereInput = {
    AND: [scope, query.role ? { role: query.role } : {}],
  };
  const [rows, total] = await Promise.all([
    hub.prisma.user.findMany({
      where,
      orderBy: [{ role: "asc" }, { email: "asc" }],
      skip: query.offset,
      take: query.limit,
      include: {
        municipality: { select: { name: true } },
        facility: { select: { name: true } },
        association: { select: { name: true } },
        _count: { select: { recoveryCodes: { where: { usedAt: null } } } },
      },
    }),
    hub.prisma.user.count({ where }),
  ]);
  return {
    total,
    items: rows.map((u) => ({
      id: u.id,
      role: u.role,
      displayName: u.displayName,
      email: u.email,
      tenantName:
        u.role === "prefecture"
          ? PREFECTURE_NAME
          : (u.municipality?.name ?? u.facility?.name ?? u.association?.name ?? null),
      totpEnabled: u.totpEnabled,
      recoveryCodesRemaining: u._count.recoveryCodes,
      disabled: u.disabled,
    })),
  };
}

/**
 * An administrator resets a person's second factor (they lost their phone and their recovery codes): the app,
 * any enrolment in progress and the recovery codes are removed, every session of the person ends, and they are
 * told by e-mail. At their next sign-in they enrol again, proving their e-mail as anyone does. 404 for anyone
 * outside the administrator's reach (and for themselves: someone else must do it).
 */
export async function resetSecondFactor(
  hub: Hub,
  actor: Actor,
  userId: string,
  reason: string,
  ip: string,
): Promise<void> {
  const now = hub.now();
  const user = await hub.prisma.user.findFirst({ where: { AND: [resettableBy(actor), { id: userId }] } });
  if (!user) throw problems.notFound("staff account");
  await hub.prisma.$transaction(async (tx) => {
    await tx.user.update({
      where: { id: user.id },
      data: { totpEnabled: false, totpSecret: null, totpPendingSecret: null, totpLastStep: null },
    });
    await tx.recoveryCode.deleteMany({ where: { userId: user.id } });
    await tx.accountToken.updateMany({
      where: { userId: user.id, purpose: "totp_enrolment", usedAt: null },
      data: { usedAt: now },
    });
    const ended = await endSessionsOf(tx, user.id);
    await queueAccountMessage(
      tx,
      user,
      { kind: "second_factor_reset", by: actor.role === "operator" ? "operator" : "prefecture" },
      { now, ip },
    );
    await audit(
      tx,
      actor,
      ip,
      {
        action: "account.second_factor_reset",
        resourceType: "user",
        resourceId: user.id,
        outcome: "ok",
        detail: { reason, role: user.role, sessionsEnded: ended },
      },
      now,
    );
  });
  await hub.limits.secondFactorPerAccount.delete(user.id);
  nudgeOutbox(hub.queue);
}
