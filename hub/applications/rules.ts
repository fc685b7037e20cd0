/**
 * Online voucher applications, the pure part: what a complete application is (field by field, every error at
 * once), which state an action leads to, the reference and the status-link token, and the notices' texts.
 * The database side (codes, submission, the clerk's actions, approval) is in ./applications.ts.
 *
 * Eligibility follows the spec (産後ケア事業: a mother within a year after the birth, living in the municipality):
 * the baby is born less than a year ago, or not yet born (then the due date says when). Residency cannot be proved
 * online: the clerk checks it against the resident register (住民基本台帳) before approving. The policy's own
 * limits (age per service, the validity) are applied at approval by the voucher issue path (planVoucher).
 */
import { createHash, randomBytes, randomInt } from "node:crypto";
import type { FieldError } from "../errors.js";
import { normaliseEmail } from "../identity/email.js";
import { POSTAL, parseDate } from "../import/residents.js";
import { addDays, daysBetween, formatDate, tokyoToday } from "../inventory/dates.js";
import type { Message } from "../notify/transport.js";
import { MAX_DUE_DATE_OFFSET_DAYS } from "../residents/validate.js";
import { addMonths } from "../vouchers/vouchers.js";

export type ApplicationState = "submitted" | "needs_info" | "approved" | "declined";
export type ApplicationAction = "amend" | "request_info" | "decline" | "approve";

/** The consent text's version she agreed to (the text itself is in the portal's dictionaries, key apply.consentText). */
export const CONSENT_VERSION = "2026-12";

/** A status link stays usable this long after the last change (then she calls the municipality). */
export const TOKEN_DAYS = 180;

/** What the applicant types (the portal's form); the child's birth date or, before the birth, the due date. */
export type ApplicantInput = {
  familyName: string;
  givenName: string;
  kana: string;
  birthDate: string;
  postalCode: string;
  address: string;
  phone?: string | null;
  preferredLanguage?: string;
  childName?: string;
  childBirthDate?: string | null;
  childDueDate?: string | null;
  multipleBirth?: number;
};

export type ApplicantData = {
  familyName: string;
  givenName: string;
  kana: string;
  birthDate: Date;
  postalCode: string;
  address: string;
  phone: string | null;
  preferredLanguage: "ja" | "en";
  childName: string;
  childBirthDate: Date | null;
  childDueDate: Date | null;
  multipleBirth: number;
};

const KANA = /^[\p{Script=Katakana}\p{Script=Hiragana}ー・ 　]+$/u;
const PHONE = /^0\d{9,10}$/;

/** A Japanese phone number as digits (0X0-XXXX-XXXX, full-width and hyphens allowed); null when not one. */
export function normalisePhoneNumber(text: string): string | null {
  const digits = text.normalize("NFKC").replace(/[\s\-()（）ー‐−]/g, "");
  return PHONE.test(digits) ? digits : null;
}

/** The e-mail as the resident sign-in reads it, or a field error. */
export function checkEmail(text: string): { email: string } | { error: FieldError } {
  const email = normaliseEmail(text);
  return email
    ? { email }
    : {
        error: { path: "email", code: "bad_email", message: "not an e-mail address (e.g. name@example.jp)" },
      };
}

/** The applicant and her child, every error at once. `now` gives today in Tokyo. */
export function checkApplicant(
  input: ApplicantInput,
  now: Date,
): { data: ApplicantData | null; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const today = tokyoToday(now);
  const text = (path: string, value: string | undefined, max: number, required = true) => {
    const t = (value ?? "").normalize("NFKC").trim();
    if (required && t === "") errors.push({ path, code: "required", message: "must not be empty" });
    else if (t.length > max) errors.push({ path, code: "too_long", message: `at most ${max} characters` });
    return t;
  };
  const familyName = text("familyName", input.familyName, 50);
  const givenName = text("givenName", input.givenName, 50);
  // Kana stays as typed (NFKC would turn half-width kana into full-width, which is what we want).
  const kana = text("kana", input.kana, 100);
  if (kana && !KANA.test(kana)) {
    errors.push({ path: "kana", code: "bad_kana", message: "katakana or hiragana only" });
  }
  const address = text("address", input.address, 200);
  const postal = text("postalCode", input.postalCode, 8);
  if (postal && !POSTAL.test(postal)) {
    errors.push({ path: "postalCode", code: "bad_postal_code", message: "郵便番号 is 123-4567" });
  }
  const postalCode = POSTAL.test(postal)
    ? `${postal.replace("-", "").slice(0, 3)}-${postal.slice(-4)}`
    : postal;
  let phone: string | null = null;
  if (input.phone && input.phone.trim() !== "") {
    phone = normalisePhoneNumber(input.phone);
    if (!phone)
      errors.push({ path: "phone", code: "bad_phone", message: "a phone number, e.g. 090-1234-5678" });
  }
  const birthDate = date("birthDate", input.birthDate, errors);
  if (birthDate && birthDate.getTime() >= today.getTime()) {
    errors.push({ path: "birthDate", code: "future_date", message: "must be in the past" });
  }

  const childName = text("childName", input.childName, 100, false);
  const multipleBirth = input.multipleBirth ?? 1;
  if (!Number.isInteger(multipleBirth) || multipleBirth < 1 || multipleBirth > 5) {
    errors.push({ path: "multipleBirth", code: "bad_number", message: "the number of babies, 1 to 5" });
  }
  const childBirthDate = input.childBirthDate ? date("childBirthDate", input.childBirthDate, errors) : null;
  const childDueDate = input.childDueDate ? date("childDueDate", input.childDueDate, errors) : null;
  if (!input.childBirthDate && !input.childDueDate) {
    errors.push({
      path: "childBirthDate",
      code: "required",
      message: "the baby's birth date, or the due date if not yet born",
    });
  }
  if (childBirthDate) {
    if (childBirthDate.getTime() > today.getTime()) {
      errors.push({
        path: "childBirthDate",
        code: "future_date",
        message: "a birth date cannot be in the future",
      });
    } else if (formatDate(childBirthDate) <= addMonths(formatDate(today), -12)) {
      errors.push({
        path: "childBirthDate",
        code: "child_too_old",
        message: "postpartum care is for the first year after the birth",
      });
    }
    if (childDueDate && Math.abs(daysBetween(childBirthDate, childDueDate)) > MAX_DUE_DATE_OFFSET_DAYS) {
      errors.push({
        path: "childDueDate",
        code: "due_date_out_of_range",
        message: "the due date must be within 20 weeks of the birth date",
      });
    }
    if (birthDate && childBirthDate.getTime() <= birthDate.getTime()) {
      errors.push({ path: "birthDate", code: "bad_date", message: "must be before the baby's birth date" });
    }
  } else if (childDueDate) {
    // Not yet born: a due date from two weeks past (a late baby) to ten months ahead.
    if (daysBetween(today, childDueDate) < -14 || childDueDate.getTime() > addDays(today, 300).getTime()) {
      errors.push({
        path: "childDueDate",
        code: "due_date_out_of_range",
        message: "a due date within the next ten months (or the birth date, if the baby is born)",
      });
    }
  }
  if (errors.length || !birthDate) return { data: null, errors };
  return {
    data: {
      familyName,
      givenName,
      kana,
      birthDate,
      postalCode,
      address,
      phone,
      preferredLanguage: input.preferredLanguage === "en" ? "en" : "ja",
      childName,
      childBirthDate,
      childDueDate,
      multipleBirth,
    },
    errors,
  };
}

function date(path: string, text: string, errors: FieldError[]): Date | null {
  if (text.trim() === "") {
    errors.push({ path, code: "required", message: "must not be empty" });
    return null;
  }
  const d = parseDate(text);
  if (!d) errors.push({ path, code: "bad_date", message: `"${text}" is not a date (YYYY-MM-DD)` });
  return d;
}

/**
 * Which actions each state allows: the clerk may ask (again), approve or decline while it is open; she may amend
 * only when asked. Approved and declined are final.
 */
const ALLOWED: Record<ApplicationState, readonly ApplicationAction[]> = {
  submitted: ["request_info", "decline", "approve"],
  needs_info: ["amend", "request_info", "decline", "approve"],
  approved: [],
  declined: [],
};

const RESULT: Record<ApplicationAction, ApplicationState> = {
  amend: "submitted",
  request_info: "needs_info",
  decline: "declined",
  approve: "approved",
};

/** The state after `action`, or null when the state does not allow it. */
export function nextState(state: ApplicationState, action: ApplicationAction): ApplicationState | null {
  return ALLOWED[state].includes(action) ? RESULT[action] : null;
}

/** Crockford's base32 without I, L, O, U: a reference read out on the phone cannot be misheard as a digit. */
const REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** e.g. "AP-7K3M-9QXR": random (40 bits), so it says nothing about how many applied. */
export function newReference(): string {
  const pick = () => REFERENCE_ALPHABET[randomInt(0, REFERENCE_ALPHABET.length)];
  const part = () => Array.from({ length: 4 }, pick).join("");
  return `AP-${part()}-${part()}`;
}

/** The status link's secret (256 bits) and the hash that is stored in its place. */
export function newToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString("base64url");
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash("sha256").update(`application-token\0${token}`).digest("hex");
}

/**
 * Where she follows her application: the token travels in the fragment (#), which browsers never send to a
 * server, so it is in no access log; the page posts it to the API.
 */
export const statusUrl = (publicUrl: string, token: string) => `${publicUrl}apply/status#${token}`;

type Notice = { to: string; familyName: string; givenName: string; reference: string; language: string };

function mail(n: Notice, subject: string, ja: string[], en: string[]): Message {
  const english = n.language === "en";
  const lines = [`${n.familyName} ${n.givenName} 様`, "", ...ja];
  if (english) lines.push("", "----", ...en);
  lines.push("", "このメールに心当たりがない場合は、お住まいの市町村の担当窓口にご連絡ください。");
  return {
    channel: "email",
    to: n.to,
    subject: `【産後ケア みやぎ】${subject}`,
    text: lines.join("\n"),
    language: n.language,
  };
}

/** The code proving her e-mail before she sends the application. */
export function applicationCodeMessage(to: string, code: string, expiresAt: Date, language: string): Message {
  const until = new Intl.DateTimeFormat("ja-JP", {
    timeZone: "Asia/Tokyo",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  }).format(expiresAt);
  const lines = [
    "産後ケア利用券の申請のための確認コードです。",
    "",
    `確認コード: ${code}`,
    `有効期限: ${until} まで`,
    "",
    "申請画面にこのコードを入力してください。このコードを他の人に教えないでください。",
    "お心当たりがない場合は、このメールを破棄してください。",
  ];
  if (language === "en") {
    lines.push(
      "",
      `Your code for the postpartum care voucher application is ${code} (valid until ${until} JST).`,
    );
  }
  return {
    channel: "email",
    to,
    subject: "【産後ケア みやぎ】申請の確認コード",
    text: lines.join("\n"),
    expiresAt: expiresAt.toISOString(),
    language,
  };
}

export function receivedMessage(n: Notice, municipalityName: string, link: string): Message {
  return mail(
    n,
    "利用券の申請を受け付けました",
    [
      `${municipalityName}への産後ケア利用券の申請を受け付けました。`,
      `受付番号: ${n.reference}`,
      "",
      `${municipalityName}の担当者が内容を確認します。確認の結果はメールでお知らせします。`,
      "申請の状況は次のリンクから確認できます（このリンクは他の人に教えないでください）。",
      link,
    ],
    [
      `We received your application to ${municipalityName} (reference ${n.reference}).`,
      "The municipality will check it and tell you the result by e-mail. Follow it here (keep this link private):",
      link,
    ],
  );
}

export function needsInfoMessage(
  n: Notice,
  municipalityName: string,
  question: string,
  link: string,
): Message {
  return mail(
    n,
    "申請について確認したいことがあります",
    [
      `${municipalityName}から、申請（受付番号 ${n.reference}）について確認したいことがあります。`,
      "",
      question,
      "",
      "次のリンクから回答し、必要なら内容を直して、もう一度送ってください。",
      link,
    ],
    [
      `${municipalityName} has a question about your application (${n.reference}):`,
      question,
      "Answer it and send the application again here:",
      link,
    ],
  );
}

export function declinedMessage(n: Notice, municipalityName: string, reason: string): Message {
  return mail(
    n,
    "利用券の申請について",
    [
      `申請（受付番号 ${n.reference}）について、${municipalityName}では今回は利用券を発行できませんでした。`,
      "",
      `理由: ${reason}`,
      "",
      `ご不明な点は${municipalityName}の担当窓口にお問い合わせください。`,
    ],
    [
      `${municipalityName} could not issue a voucher for your application (${n.reference}).`,
      `Reason: ${reason}`,
      "Please contact the municipality if you have questions.",
    ],
  );
}

export function approvedMessage(
  n: Notice,
  municipalityName: string,
  voucherNumber: string,
  validity: { validFrom: string; validUntil: string },
  signInUrl: string,
): Message {
  return mail(
    n,
    "申請が承認され、利用券を発行しました",
    [
      `申請（受付番号 ${n.reference}）が承認されました。${municipalityName}の産後ケア利用券（電子利用券）を発行しました。`,
      "",
      `利用券番号: ${voucherNumber}`,
      `有効期間: ${validity.validFrom} から ${validity.validUntil} まで`,
      "",
      "これからできること: 次のリンクで、このメールアドレスを入力してサインインしてください。",
      "届いた確認コードを入れると、利用券の残りの回数を見たり、施設の予約をしたりできます。",
      signInUrl,
    ],
    [
      `Your application (${n.reference}) was approved: ${municipalityName} issued your voucher ${voucherNumber},`,
      `valid from ${validity.validFrom} to ${validity.validUntil}.`,
      "Sign in with this e-mail address to see it and to book a stay, a day visit or a home visit:",
      signInUrl,
    ],
  );
}
