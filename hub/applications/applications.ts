/**
 * Online voucher applications in the database (rules and texts in ./rules.ts):
 * - the applicant proves her e-mail with a one-time code (the sign-in code's limits and throttles, and the same
 *   answer for any address), submits, follows it through a link whose token only she has (its hash is stored),
 *   and answers when asked;
 * - her municipality's staff list and read applications, ask for more, decline, or approve. Approval registers
 *   the resident and her child and issues the voucher under the policy in force, all in ONE transaction with the
 *   notice; an existing resident with her identity or contact is a 409 with nothing written.
 * Every change is conditional on the revision the clerk read, so two clerks never approve twice (409).
 * Notices are outbox rows written in the change's transaction. Names, addresses, codes and tokens are never logged.
 */

import { createHmac, timingSafeEqual } from "node:crypto";
import { audit } from "../audit/audit.js";
import type { Hub } from "../context.js";
import { Prisma, type PrismaClient, type VoucherApplication } from "../db/client.js";
import { DomainError, type FieldError, problems } from "../errors.js";
import type { Actor } from "../identity/actor.js";
import { CODE_TTL_SECONDS, generateCode, limiterKey, MAX_CODE_ATTEMPTS } from "../identity/codes.js";
import { assertNotThrottled, spend } from "../identity/throttle.js";
import { addDays, formatDate } from "../inventory/dates.js";
import { enqueueMessage, nudgeOutbox } from "../notify/outbox.js";
import { assertContactFree } from "../residents/residents.js";
import { formatVoucherNumber } from "../vouchers/number.js";
import { issueVoucherInTx } from "../vouchers/vouchers.js";
import {
  type ApplicantData,
  type ApplicantInput,
  type ApplicationAction,
  type ApplicationState,
  applicationCodeMessage,
  approvedMessage,
  CONSENT_VERSION,
  checkApplicant,
  checkEmail,
  declinedMessage,
  hashToken,
  needsInfoMessage,
  newReference,
  newToken,
  nextState,
  receivedMessage,
  statusUrl,
  TOKEN_DAYS,
} from "./rules.js";

type Tx = Prisma.TransactionClient;
const TX_OPTIONS = { maxWait: 15_000, timeout: 20_000 } as const;

const emailKey = (hub: Hub, email: string) =>
  createHmac("sha256", hub.config.SECRET_KEY).update(`application-email\0${email}`).digest("hex");
const codeHash = (hub: Hub, email: string, code: string) =>
  createHmac("sha256", hub.config.SECRET_KEY).update(`application-code\0${email}\0${code}`).digest("hex");

function failIf(errors: FieldError[]) {
  if (errors.length) throw problems.validation(errors);
}

/**
 * Sends a code to the address she typed. Always the same 202 whatever the address (known to the hub or not): an
 * application is for someone not yet registered, and the answer must not tell. Limited per address (IP) and per
 * destination with the sign-in code's own limiters, so the two endpoints together cannot flood an inbox.
 */
export async function requestApplicationCode(
  hub: Hub,
  input: { email: string; language?: string; ip: string },
): Promise<void> {
  const checked = checkEmail(input.email);
  if ("error" in checked) throw problems.validation([checked.error], "Enter an e-mail address");
  const { email } = checked;
  await spend(hub.limits.codeRequestPerAddress, input.ip);
  await spend(hub.limits.codeRequestPerDestination, limiterKey(hub.config.SECRET_KEY, `email:${email}`));
  const now = hub.now();
  const code = generateCode();
  const expiresAt = new Date(now.getTime() + CODE_TTL_SECONDS * 1000);
  await hub.prisma.$transaction(async (tx) => {
    await tx.applicationEmailCode.create({
      data: {
        emailKey: emailKey(hub, email),
        codeHash: codeHash(hub, email, code),
        expiresAt,
        createdAt: now,
      },
    });
    await enqueueMessage(tx, applicationCodeMessage(email, code, expiresAt, input.language ?? "ja"));
  });
  nudgeOutbox(hub.queue);
}

/** 400 with the error on the code field: wrong, expired, used or tried too often all read the same. */
const invalidCode = () =>
  new DomainError("invalid", "invalid_code", "The request is not valid", "The code is wrong or has expired", [
    { path: "code", code: "invalid_code", message: "wrong or expired code; ask for a new one" },
  ]);

/**
 * Checks the latest live code for the address and returns its id. The try is counted before the comparison and
 * outside the submission's transaction, so a refused submission still spends it (5 tries, then the code is burned).
 */
async function checkCode(hub: Hub, email: string, code: string, now: Date): Promise<string> {
  const latest = await hub.prisma.applicationEmailCode.findFirst({
    where: { emailKey: emailKey(hub, email), usedAt: null, expiresAt: { gt: now } },
    orderBy: { createdAt: "desc" },
  });
  if (!latest) throw invalidCode();
  const counted = await hub.prisma.applicationEmailCode.updateMany({
    where: { id: latest.id, usedAt: null, attempts: { lt: MAX_CODE_ATTEMPTS } },
    data: { attempts: { increment: 1 } },
  });
  const expected = Buffer.from(latest.codeHash, "hex");
  const given = Buffer.from(codeHash(hub, email, code), "hex");
  if (!counted.count || !timingSafeEqual(expected, given)) throw invalidCode();
  return latest.id;
}

export type SubmitInput = ApplicantInput & {
  municipalityCode: string;
  email: string;
  code: string;
  consent: boolean;
};

/** Submits an application: every field checked first (no code try spent on a typo), then the code, then one transaction. */
export async function submitApplication(
  hub: Hub,
  input: SubmitInput,
  ip: string,
): Promise<{ application: VoucherApplication; municipalityName: string }> {
  await assertNotThrottled(hub.limits.signInPerAddress, ip);
  const now = hub.now();
  const { data, errors } = checkApplicant(input, now);
  const email = checkEmail(input.email);
  if ("error" in email) errors.push(email.error);
  if (input.consent !== true) {
    errors.push({
      path: "consent",
      code: "consent_required",
      message: "agree to the use of your data to apply",
    });
  }
  const municipality = await hub.prisma.municipality.findUnique({ where: { code: input.municipalityCode } });
  if (!municipality) {
    errors.push({
      path: "municipalityCode",
      code: "unknown_municipality",
      message: "choose your municipality",
    });
  }
  failIf(errors);
  const applicant = data as ApplicantData;
  const address = (email as { email: string }).email;
  const { token, hash } = newToken();
  try {
    const codeId = await checkCode(hub, address, input.code, now);
    const application = await hub.prisma.$transaction(async (tx) => {
      // Used once: of two submissions with one code, the second finds it used.
      const used = await tx.applicationEmailCode.updateMany({
        where: { id: codeId, usedAt: null },
        data: { usedAt: now },
      });
      if (!used.count) throw invalidCode();
      const row = await tx.voucherApplication.create({
        data: {
          ...applicant,
          reference: newReference(),
          municipalityCode: input.municipalityCode,
          email: address,
          consentAt: now,
          consentVersion: CONSENT_VERSION,
          tokenHash: hash,
          submittedAt: now,
          createdAt: now,
        },
      });
      await enqueueMessage(tx, {
        ...receivedMessage(notice(row), municipality?.name ?? "", statusUrl(hub.config.PUBLIC_URL, token)),
        about: { municipalityCode: row.municipalityCode },
      });
      await audit(
        tx,
        null,
        ip,
        { action: "application.submit", resourceType: "application", resourceId: row.id },
        now,
      );
      return row;
    }, TX_OPTIONS);
    nudgeOutbox(hub.queue);
    return { application, municipalityName: municipality?.name ?? "" };
  } catch (err) {
    if (err instanceof DomainError && err.code === "invalid_code") await hub.limits.signInPerAddress.fail(ip);
    throw err;
  }
}

const notice = (a: VoucherApplication) => ({
  to: a.email,
  familyName: a.familyName,
  givenName: a.givenName,
  reference: a.reference,
  language: a.preferredLanguage,
});

/** Her application by the token of her link; 404 for an unknown or expired one (the same answer). */
export async function applicationByToken(
  prisma: PrismaClient,
  token: string,
  now: Date,
): Promise<VoucherApplication & { municipality: { name: string } }> {
  const row = await prisma.voucherApplication.findUnique({
    where: { tokenHash: hashToken(token) },
    include: { municipality: { select: { name: true } } },
  });
  if (!row || addDays(row.updatedAt, TOKEN_DAYS).getTime() < now.getTime())
    throw problems.notFound("application");
  return row;
}

/** Her answer to the municipality's question, with her corrected details: back to `submitted`. */
export async function amendApplication(
  hub: Hub,
  token: string,
  input: ApplicantInput & { answer: string },
  ip: string,
): Promise<VoucherApplication & { municipality: { name: string } }> {
  const now = hub.now();
  const current = await applicationByToken(hub.prisma, token, now);
  if (!nextState(current.state, "amend")) throw notOpen(current.state);
  const { data, errors } = checkApplicant(input, now);
  const answer = input.answer.trim();
  if (answer.length > 2000)
    errors.push({ path: "answer", code: "too_long", message: "at most 2000 characters" });
  failIf(errors);
  await hub.prisma.$transaction(async (tx) => {
    await transition(tx, current, "amend", {
      ...(data as ApplicantData),
      answer,
      submittedAt: now,
    });
    await audit(
      tx,
      null,
      ip,
      { action: "application.amend", resourceType: "application", resourceId: current.id },
      now,
    );
  }, TX_OPTIONS);
  return applicationByToken(hub.prisma, token, now);
}

const notOpen = (state: ApplicationState) =>
  problems.conflict(
    "application_not_open",
    state === "approved" || state === "declined"
      ? `The application is already ${state}`
      : `This cannot be done while the application is ${state}`,
  );

/**
 * Moves the application on if it is still at the revision read and its state allows `action`; else 409
 * (`application_changed` when someone else changed it first). The row is locked until the transaction ends, so
 * of two concurrent approvals one waits and then finds the revision gone.
 */
async function transition(
  tx: Tx,
  read: Pick<VoucherApplication, "id" | "state" | "revision">,
  action: ApplicationAction,
  data: Prisma.VoucherApplicationUpdateManyMutationInput = {},
): Promise<ApplicationState> {
  const next = nextState(read.state, action);
  if (!next) throw notOpen(read.state);
  const { count } = await tx.voucherApplication.updateMany({
    where: { id: read.id, revision: read.revision, state: read.state },
    data: { ...data, state: next, revision: { increment: 1 } },
  });
  if (!count) {
    throw problems.conflict(
      "application_changed",
      "Someone else changed this application; reload it and try again",
    );
  }
  return next;
}

// ---------------------------------------------------------------------------------------------------------------
// Staff.

/** Which applications a staff member may read: their municipality's; the prefecture all (as residents). */
export function applicationScope(actor: Actor): Prisma.VoucherApplicationWhereInput {
  if (actor.role === "municipality") return { municipalityCode: actor.municipalityCode ?? "" };
  if (actor.role === "prefecture") return {};
  return { id: "00000000-0000-0000-0000-000000000000" };
}

/** Only a municipality's own staff act on its applications. */
function actingMunicipality(actor: Actor): string {
  if (actor.role !== "municipality" || !actor.municipalityCode) {
    throw problems.forbidden("Only the municipality's own staff may decide on its applications");
  }
  return actor.municipalityCode;
}

export async function listApplications(
  prisma: PrismaClient,
  actor: Actor,
  f: { state?: ApplicationState; limit: number; offset: number },
) {
  const where: Prisma.VoucherApplicationWhereInput = {
    AND: [applicationScope(actor), f.state ? { state: f.state } : {}],
  };
  const [total, items] = await Promise.all([
    prisma.voucherApplication.count({ where }),
    prisma.voucherApplication.findMany({
      where,
      include: { municipality: { select: { name: true } } },
      orderBy: [{ submittedAt: "asc" }, { id: "asc" }],
      take: f.limit,
      skip: f.offset,
    }),
  ]);
  return { total, items };
}

export async function getApplication(prisma: PrismaClient | Tx, actor: Actor, id: string) {
  const row = await prisma.voucherApplication.findFirst({
    where: { AND: [{ id }, applicationScope(actor)] },
    include: { municipality: { select: { name: true } } },
  });
  if (!row) throw problems.notFound("application");
  return row;
}

/** The application as the clerk read it: 404 outside their municipality, 409 when the revision moved on. */
async function readForAction(tx: Tx, actor: Actor, id: string, revision: number) {
  const code = actingMunicipality(actor);
  const row = await tx.voucherApplication.findFirst({
    where: { id, municipalityCode: code },
    include: { municipality: { select: { name: true } } },
  });
  if (!row) throw problems.notFound("application");
  if (row.revision !== revision) {
    throw problems.conflict(
      "application_changed",
      "Someone else changed this application; reload it and try again",
    );
  }
  return row;
}

/**
 * A fresh status link for a notice: the old token is replaced (only its hash was kept, so it cannot be re-sent),
 * and the previous e-mail's link stops working, which is what she expects of the latest e-mail.
 */
function freshLink(hub: Hub): { link: string; tokenHash: string } {
  const { token, hash } = newToken();
  return { link: statusUrl(hub.config.PUBLIC_URL, token), tokenHash: hash };
}

export async function requestInfo(
  hub: Hub,
  actor: Actor,
  id: string,
  input: { message: string; revision: number },
) {
  const question = input.message.trim();
  if (!question)
    throw problems.validation([{ path: "message", code: "required", message: "write what you need" }]);
  return hub.prisma.$transaction(async (tx) => {
    const row = await readForAction(tx, actor, id, input.revision);
    const { link, tokenHash } = freshLink(hub);
    await transition(tx, row, "request_info", { question, tokenHash });
    await enqueueMessage(tx, {
      ...needsInfoMessage(notice(row), row.municipality.name, question, link),
      about: { municipalityCode: row.municipalityCode },
    });
    return getApplication(tx, actor, id);
  }, TX_OPTIONS);
}

export async function declineApplication(
  hub: Hub,
  actor: Actor,
  id: string,
  input: { reason: string; revision: number },
) {
  const reason = input.reason.trim();
  if (!reason) throw problems.validation([{ path: "reason", code: "required", message: "give the reason" }]);
  return hub.prisma.$transaction(async (tx) => {
    const row = await readForAction(tx, actor, id, input.revision);
    await transition(tx, row, "decline", {
      declineReason: reason,
      decidedBy: actor.userId,
      decidedAt: hub.now(),
    });
    await enqueueMessage(tx, {
      ...declinedMessage(notice(row), row.municipality.name, reason),
      about: { municipalityCode: row.municipalityCode },
    });
    return getApplication(tx, actor, id);
  }, TX_OPTIONS);
}

/**
 * Approves: in one transaction the state moves on (first, so a second clerk waits and gets 409), the resident and
 * the child are registered (409 `resident_exists` when the municipality already has her by name and birth date,
 * 409 `contact_in_use` when her e-mail or mobile is another resident's), the voucher is issued through the one
 * issue path under the policy in force (422 from it, e.g. `child_not_eligible`, `no_policy`), and the notice
 * telling her to sign in is written. Any refusal rolls everything back.
 */
export async function approveApplication(hub: Hub, actor: Actor, id: string, input: { revision: number }) {
  const now = hub.now();
  const result = await hub.prisma
    .$transaction(async (tx) => {
      const row = await readForAction(tx, actor, id, input.revision);
      await transition(tx, row, "approve", { decidedBy: actor.userId, decidedAt: now });
      const same = await tx.resident.count({
        where: {
          municipalityCode: row.municipalityCode,
          familyName: row.familyName,
          givenName: row.givenName,
          birthDate: row.birthDate,
        },
      });
      if (same > 0) {
        throw problems.conflict(
          "resident_exists",
          "This municipality already has a resident with this name and birth date: issue the voucher from her record",
        );
      }
      await assertContactFree(tx, null, { email: row.email, phone: row.phone });
      const resident = await tx.resident.create({
        data: {
          municipalityCode: row.municipalityCode,
          familyName: row.familyName,
          givenName: row.givenName,
          kana: row.kana,
          birthDate: row.birthDate,
          postalCode: row.postalCode,
          address: row.address,
          email: row.email,
          phone: row.phone,
          preferredLanguage: row.preferredLanguage,
          consentAt: row.consentAt,
          children: row.childBirthDate
            ? {
                create: {
                  name: row.childName,
                  birthDate: row.childBirthDate,
                  dueDate: row.childDueDate,
                  multipleBirth: row.multipleBirth,
                },
              }
            : undefined,
        },
        include: { children: true },
      });
      // Before the birth the voucher is issued without a child (planVoucher's pregnancy case).
      const voucher = await issueVoucherInTx(
        tx,
        row.municipalityCode,
        { residentId: resident.id, childId: resident.children[0]?.id ?? null },
        { now, publicUrl: hub.config.PUBLIC_URL, issuedBy: actor.userId, notify: false },
      );
      await tx.voucherApplication.update({
        where: { id: row.id },
        data: { residentId: resident.id, voucherId: voucher.id },
      });
      await enqueueMessage(tx, {
        ...approvedMessage(
          notice(row),
          row.municipality.name,
          formatVoucherNumber(voucher.number),
          { validFrom: formatDate(voucher.validFrom), validUntil: formatDate(voucher.validUntil) },
          `${hub.config.PUBLIC_URL}sign-in`,
        ),
        about: { residentId: resident.id, municipalityCode: row.municipalityCode },
      });
      return getApplication(tx, actor, id);
    }, TX_OPTIONS)
    .catch(mapUnique);
  return result;
}

/** Another transaction registered the same e-mail a moment earlier: the unique index refuses; the same 409. */
function mapUnique(err: unknown): never {
  if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") {
    throw problems.conflict("contact_in_use", "Another resident already uses this e-mail address");
  }
  throw err;
}
