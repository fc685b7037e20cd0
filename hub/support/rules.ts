/**
 * Support (help desk, FAQ, announcements): the pure parts — categories, limits, validation of what users send,
 * inquiry numbers, the FAQ draft made from an answered inquiry (without the sender's personal data), and which
 * announcements a caller sees. No I/O here; hub/support/inquiries.ts, faq.ts and announcements.ts use these.
 */

import type { Role } from "../db/client.js";
import { DomainError, problems } from "../errors.js";
import { detectPersonalData, type Finding, MASK, maskPersonalData, nameForms } from "./personal-data.js";

export const INQUIRY_CATEGORIES = [
  "account",
  "booking",
  "voucher",
  "facility",
  "billing",
  "connector",
  "other",
] as const;
export type InquiryCategory = (typeof INQUIRY_CATEGORIES)[number];

export const ANNOUNCEMENT_KINDS = ["info", "maintenance", "important"] as const;
export type AnnouncementKind = (typeof ANNOUNCEMENT_KINDS)[number];

/** Who an announcement is for: everyone ("public") or the users of these roles. */
export const AUDIENCES = [
  "public",
  "resident",
  "facility",
  "municipality",
  "association",
  "prefecture",
  "operator",
] as const;
export type Audience = (typeof AUDIENCES)[number];

export const SUBJECT_MAX = 200;
export const TEXT_MAX = 4000;
export const NAME_MAX = 100;
export const PHONE_MAX = 30;
export const EMAIL_MAX = 254;
export const FAQ_QUESTION_MAX = 500;
export const FAQ_ANSWER_MAX = 4000;
export const TITLE_MAX = 200;
export const BODY_MAX = 2000;
/** The longest period an announcement may have. */
export const ANNOUNCEMENT_MAX_DAYS = 366;

type FieldError = { path: string; message: string };

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused here
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9][0-9 ()-]{5,28}$/;

const record = (body: unknown) =>
  (body && typeof body === "object" && !Array.isArray(body) ? body : {}) as Record<string, unknown>;

/** A trimmed text field: required or not, at most `max` characters, no control characters. */
function text(
  value: unknown,
  field: string,
  max: number,
  errors: FieldError[],
  opts: { required?: boolean; multiline?: boolean } = {},
): string {
  if (value === undefined || value === null) {
    if (opts.required) errors.push({ path: field, message: "required" });
    return "";
  }
  if (typeof value !== "string") {
    errors.push({ path: field, message: "not text" });
    return "";
  }
  const t = value.trim();
  if (opts.required && t === "") errors.push({ path: field, message: "required" });
  else if ([...t].length > max) errors.push({ path: field, message: `at most ${max} characters` });
  else if (CONTROL.test(t) || (!opts.multiline && /[\r\n]/.test(t))) {
    errors.push({ path: field, message: "contains control characters" });
  }
  return t;
}

function oneOf<T extends string>(
  value: unknown,
  field: string,
  allowed: readonly T[],
  errors: FieldError[],
): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    errors.push({ path: field, message: `one of ${allowed.join(", ")}` });
    return allowed[0] as T;
  }
  return value as T;
}

function fail(code: string, detail: string, errors: FieldError[]): never {
  throw problems.unprocessable(code, detail, errors);
}

// ---------------------------------------------------------------------------------------------------------------
// Inquiries

export type InquiryInput = {
  category: InquiryCategory;
  subject: string;
  text: string;
  contactName: string;
  contactEmail: string | null;
  contactPhone: string | null;
  locale: "ja" | "en";
};

/**
 * An inquiry as sent: a known category, a subject (one line), a text, the contact's name and an e-mail
 * address and/or a phone number (at least one). 422 `invalid_inquiry` with an error per field otherwise.
 */
export function validateInquiry(body: unknown): InquiryInput {
  const b = record(body);
  const errors: FieldError[] = [];
  const category = oneOf(b.category, "category", INQUIRY_CATEGORIES, errors);
  const subject = text(b.subject, "subject", SUBJECT_MAX, errors, { required: true });
  const body_ = text(b.text, "text", TEXT_MAX, errors, { required: true, multiline: true });
  const contactName = text(b.contactName, "contactName", NAME_MAX, errors, { required: true });
  const email = text(b.contactEmail, "contactEmail", EMAIL_MAX, errors);
  const phone = text(b.contactPhone, "contactPhone", PHONE_MAX, errors);
  if (email && !EMAIL.test(email)) errors.push({ path: "contactEmail", message: "not an e-mail address" });
  if (phone && !PHONE.test(phone)) errors.push({ path: "contactPhone", message: "not a phone number" });
  if (!email && !phone && !errors.some((e) => e.path === "contactEmail" || e.path === "contactPhone")) {
    errors.push({ path: "contactEmail", message: "give an e-mail address or a phone number" });
  }
  const locale = b.locale === "en" ? "en" : "ja";
  if (errors.length > 0) fail("invalid_inquiry", "The inquiry is not complete or not valid", errors);
  return {
    category,
    subject,
    text: body_,
    contactName,
    contactEmail: email || null,
    contactPhone: phone || null,
    locale,
  };
}

/** The text of an answer, a follow-up or a status note: required unless `optional`. */
export function validateMessage(body: unknown, optional = false): string {
  const errors: FieldError[] = [];
  const t = text(record(body).text, "text", TEXT_MAX, errors, { required: !optional, multiline: true });
  if (errors.length > 0) fail("invalid_message", "The message is not valid", errors);
  return t;
}

/** The number quoted on the phone: 42 → "Q-000042". */
export function inquiryReference(n: number): string {
  return `Q-${String(n).padStart(6, "0")}`;
}

/** "Q-000042", "q42", "42" → 42; anything else → null. */
export function parseInquiryReference(s: string): number | null {
  const m = /^\s*(?:q-?)?0*(\d{1,9})\s*$/i.exec(s);
  if (!m?.[1]) return null;
  const n = Number(m[1]);
  return n > 0 ? n : null;
}

/**
 * The text with personal data taken out: the sender's name (in every form nameForms knows), e-mail address and
 * phone number wherever they appear, and anything else detectPersonalData finds (phone numbers, addresses,
 * postal codes, dates of birth, long numbers, names before an honorific), each replaced by 「＊＊＊」.
 */
export function scrubPersonalData(
  input: string,
  contact: { name?: string | null; email?: string | null; phone?: string | null; reading?: string | null },
): string {
  let out = input;
  for (const v of [contact.email, contact.phone]) {
    const s = v?.trim();
    if (s && s.length >= 2) out = out.split(s).join(MASK);
  }
  return maskPersonalData(out, detectPersonalData(out, { names: nameForms(contact.name, contact.reading) }));
}

export type FaqDraft = {
  category: InquiryCategory;
  questionJa: string;
  answerJa: string;
  questionEn: string;
  answerEn: string;
};

/**
 * An FAQ entry prefilled from an answered inquiry: the question is its subject followed by the sender's question
 * (on one line), the answer its latest answer; in the inquiry's language (the other language left empty), with
 * the personal data masked (scrubPersonalData), so the operator edits rather than rewrites.
 */
export function faqDraft(inquiry: {
  category: string;
  subject: string;
  locale: string;
  contactName: string;
  contactEmail: string | null;
  contactPhone: string | null;
  messages: { kind: string; body: string }[];
}): FaqDraft {
  const contact = { name: inquiry.contactName, email: inquiry.contactEmail, phone: inquiry.contactPhone };
  const answers = inquiry.messages.filter((m) => m.kind === "answer");
  const answer = answers[answers.length - 1]?.body ?? "";
  const asked =
    inquiry.messages
      .find((m) => m.kind === "question")
      ?.body.replace(/\s+/g, " ")
      .trim() ?? "";
  const subject = inquiry.subject.trim();
  const colon = inquiry.locale === "en" ? ": " : "：";
  const q = scrubPersonalData(asked && asked !== subject ? `${subject}${colon}${asked}` : subject, contact);
  const question = clip(q, FAQ_QUESTION_MAX);
  const a = clip(scrubPersonalData(answer, contact), FAQ_ANSWER_MAX);
  const category = (INQUIRY_CATEGORIES as readonly string[]).includes(inquiry.category)
    ? (inquiry.category as InquiryCategory)
    : "other";
  return inquiry.locale === "en"
    ? { category, questionJa: "", answerJa: "", questionEn: question, answerEn: a }
    : { category, questionJa: question, answerJa: a, questionEn: "", answerEn: "" };
}

export const FAQ_TEXT_FIELDS = ["questionJa", "answerJa", "questionEn", "answerEn"] as const;
export type FaqTextField = (typeof FAQ_TEXT_FIELDS)[number];
export type FaqFinding = Finding & { field: FaqTextField };

/**
 * What looks like personal data in an FAQ entry, field by field (with the names of the sender of the inquiry it
 * came from, if any). The entry may be saved as a draft with findings; see publicationRefusal.
 */
export function faqFindings(
  entry: Pick<FaqInput, FaqTextField>,
  sender?: {
    name?: string | null;
    email?: string | null;
    phone?: string | null;
    reading?: string | null;
  } | null,
): FaqFinding[] {
  const names = [
    ...nameForms(sender?.name, sender?.reading),
    ...[sender?.email, sender?.phone].filter((v): v is string => !!v && v.trim().length >= 2),
  ];
  return FAQ_TEXT_FIELDS.flatMap((field) =>
    detectPersonalData(entry[field], { names }).map((f) => ({
      ...f,
      id: `${field}.${f.id}`,
      field,
    })),
  );
}

/**
 * The finding ids an operator confirms as not personal data (`confirmFindings` in a request): a list of strings,
 * or nothing. 422 `invalid_faq` otherwise.
 */
export function validateConfirmations(body: unknown): string[] {
  const v = record(body).confirmFindings;
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string" || x.length > 200) || v.length > 500) {
    fail("invalid_faq", "The FAQ entry is not complete or not valid", [
      { path: "confirmFindings", message: "a list of finding ids" },
    ]);
  }
  return [...new Set(v as string[])];
}

/**
 * A published entry (one being published, or saved while published) may carry no finding the operator has not
 * confirmed as not personal data: the findings still unconfirmed, empty when it may be published. Nothing is
 * masked silently: the operator edits the text or confirms each finding.
 */
export function unconfirmedFindings(findings: FaqFinding[], confirmed: readonly string[]): FaqFinding[] {
  const ok = new Set(confirmed);
  return findings.filter((f) => !ok.has(f.id));
}

/**
 * 422 `personal_data_suspected`: every finding of the entry (`findings`, so the operator sees the confirmed ones
 * too), the ids of those not confirmed (`unconfirmed`), and one error per unconfirmed finding (field, class,
 * position, id).
 */
export function personalDataSuspected(findings: FaqFinding[], open: FaqFinding[]) {
  return new DomainError(
    "unprocessable",
    "personal_data_suspected",
    "The request cannot be processed",
    "The entry may contain personal data: edit it away, or confirm each finding as not personal data (confirmFindings), before publishing",
    open.map((f) => ({
      path: f.field,
      code: f.class,
      message: `${f.id} ${f.start}-${f.end}`,
    })),
    { extensions: { findings, unconfirmed: open.map((f) => f.id) } },
  );
}

const clip = (s: string, max: number) => [...s].slice(0, max).join("");

// ---------------------------------------------------------------------------------------------------------------
// FAQ

export type FaqInput = {
  category: InquiryCategory;
  questionJa: string;
  answerJa: string;
  questionEn: string;
  answerEn: string;
  published: boolean;
  sortOrder: number;
};

/**
 * An FAQ entry: a category, the question and answer in Japanese (required), in English (optional, but both or
 * neither), published or not, a sort order. With `partial`, only the fields given are checked (a PATCH), merged
 * over `base`. 422 `invalid_faq` with an error per field otherwise.
 */
export function validateFaq(body: unknown, base?: FaqInput): FaqInput {
  const b = record(body);
  const errors: FieldError[] = [];
  const has = (k: string) => !base || b[k] !== undefined;
  const out: FaqInput = base
    ? { ...base }
    : {
        category: "other",
        questionJa: "",
        answerJa: "",
        questionEn: "",
        answerEn: "",
        published: false,
        sortOrder: 0,
      };
  if (has("category")) out.category = oneOf(b.category, "category", INQUIRY_CATEGORIES, errors);
  if (has("questionJa")) {
    out.questionJa = text(b.questionJa, "questionJa", FAQ_QUESTION_MAX, errors, { required: true });
  }
  if (has("answerJa")) {
    out.answerJa = text(b.answerJa, "answerJa", FAQ_ANSWER_MAX, errors, { required: true, multiline: true });
  }
  if (has("questionEn")) out.questionEn = text(b.questionEn, "questionEn", FAQ_QUESTION_MAX, errors);
  if (has("answerEn")) {
    out.answerEn = text(b.answerEn, "answerEn", FAQ_ANSWER_MAX, errors, { multiline: true });
  }
  if (b.published !== undefined) {
    if (typeof b.published !== "boolean") errors.push({ path: "published", message: "true or false" });
    else out.published = b.published;
  }
  if (b.sortOrder !== undefined) {
    const n = b.sortOrder;
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0 || n > 100_000) {
      errors.push({ path: "sortOrder", message: "an integer from 0 to 100000" });
    } else out.sortOrder = n;
  }
  if (!errors.some((e) => e.path.endsWith("En")) && !out.questionEn !== !out.answerEn) {
    errors.push({
      path: out.questionEn ? "answerEn" : "questionEn",
      message: "give the English question and answer together, or neither",
    });
  }
  if (errors.length > 0) fail("invalid_faq", "The FAQ entry is not complete or not valid", errors);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Announcements

export type AnnouncementInput = {
  kind: AnnouncementKind;
  titleJa: string;
  bodyJa: string;
  titleEn: string;
  bodyEn: string;
  audiences: Audience[];
  startsAt: Date;
  endsAt: Date;
  sendEmail: boolean;
};

function instant(value: unknown, field: string, errors: FieldError[]): Date {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) {
    errors.push({ path: field, message: "a date and time (ISO 8601)" });
    return new Date(0);
  }
  const d = new Date(value);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 2000 || d.getUTCFullYear() > 2100) {
    errors.push({ path: field, message: "a date and time (ISO 8601)" });
    return new Date(0);
  }
  return d;
}

/**
 * An announcement: a kind, a Japanese title (and body), English optional, at least one audience (known ones;
 * duplicates dropped, in the order of AUDIENCES), a period (ends after it starts, at most ANNOUNCEMENT_MAX_DAYS
 * long), and whether to e-mail it. With `base`, a PATCH: only the fields given are checked. 422
 * `invalid_announcement` with an error per field otherwise.
 */
export function validateAnnouncement(body: unknown, base?: AnnouncementInput): AnnouncementInput {
  const b = record(body);
  const errors: FieldError[] = [];
  const has = (k: string) => !base || b[k] !== undefined;
  const out: AnnouncementInput = base
    ? { ...base }
    : {
        kind: "info",
        titleJa: "",
        bodyJa: "",
        titleEn: "",
        bodyEn: "",
        audiences: [],
        startsAt: new Date(0),
        endsAt: new Date(0),
        sendEmail: false,
      };
  if (b.kind !== undefined) out.kind = oneOf(b.kind, "kind", ANNOUNCEMENT_KINDS, errors);
  if (has("titleJa")) out.titleJa = text(b.titleJa, "titleJa", TITLE_MAX, errors, { required: true });
  if (b.bodyJa !== undefined) out.bodyJa = text(b.bodyJa, "bodyJa", BODY_MAX, errors, { multiline: true });
  if (b.titleEn !== undefined) out.titleEn = text(b.titleEn, "titleEn", TITLE_MAX, errors);
  if (b.bodyEn !== undefined) out.bodyEn = text(b.bodyEn, "bodyEn", BODY_MAX, errors, { multiline: true });
  if (has("audiences")) {
    if (!Array.isArray(b.audiences) || b.audiences.length === 0) {
      errors.push({ path: "audiences", message: "choose at least one audience" });
    } else {
      const unknown = b.audiences.filter((a) => !(AUDIENCES as readonly unknown[]).includes(a));
      if (unknown.length > 0) {
        errors.push({ path: "audiences", message: `unknown audiences: ${unknown.map(String).join(", ")}` });
      }
      out.audiences = AUDIENCES.filter((a) => (b.audiences as unknown[]).includes(a));
    }
  }
  if (has("startsAt")) out.startsAt = instant(b.startsAt, "startsAt", errors);
  if (has("endsAt")) out.endsAt = instant(b.endsAt, "endsAt", errors);
  if (b.sendEmail !== undefined) {
    if (typeof b.sendEmail !== "boolean") errors.push({ path: "sendEmail", message: "true or false" });
    else out.sendEmail = b.sendEmail;
  }
  if (!errors.some((e) => e.path === "startsAt" || e.path === "endsAt")) {
    if (out.endsAt.getTime() <= out.startsAt.getTime()) {
      errors.push({ path: "endsAt", message: "must be after the start" });
    } else if (out.endsAt.getTime() - out.startsAt.getTime() > ANNOUNCEMENT_MAX_DAYS * 86_400_000) {
      errors.push({ path: "endsAt", message: `the period may be at most ${ANNOUNCEMENT_MAX_DAYS} days` });
    }
  }
  if (errors.length > 0)
    fail("invalid_announcement", "The announcement is not complete or not valid", errors);
  return out;
}

/** Whether an announcement is shown to a caller (null: not signed in) at `now`. */
export function announcementVisible(
  a: { audiences: string[]; startsAt: Date; endsAt: Date },
  role: Role | null,
  now: Date,
): boolean {
  if (a.startsAt.getTime() > now.getTime() || a.endsAt.getTime() <= now.getTime()) return false;
  return a.audiences.includes("public") || (role !== null && a.audiences.includes(role));
}

/** The roles whose users are e-mailed an announcement: the roles among its audiences ("public" e-mails nobody). */
export function emailRoles(audiences: string[]): Role[] {
  return AUDIENCES.filter((a): a is Exclude<Audience, "public"> => a !== "public" && audiences.includes(a));
}
