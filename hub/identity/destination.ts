import { normaliseEmail } from "./email.js";

/**
 * Where a resident's one-time code goes: an e-mail address or a Japanese mobile number.
 * Input comes from a phone keyboard at night, so it is forgiving: full-width characters, spaces, hyphens
 * (including the long-vowel mark people type for one) and the +81 form are all accepted.
 */
export type Destination =
  | { channel: "email"; address: string; key: string }
  | {
      channel: "sms";
      /** 09012345678 */
      national: string;
      /** +819012345678, what SMS providers expect */
      address: string;
      key: string;
    };

// 070 / 080 / 090 mobile numbers: 11 digits domestically, or +81 without the leading 0 ("+81(0)90..." too).
const MOBILE = /^(?:0|\+810?)([789]0\d{8})$/;
const SEPARATORS = /[\s\-‐‑‒–—―−ー－()（）.]/g;

/** The normalised destination, or null when the input is neither an e-mail address nor a mobile number. */
export function normaliseDestination(input: string): Destination | null {
  const text = input.normalize("NFKC").trim();
  if (text.includes("@")) {
    const address = normaliseEmail(text);
    return address ? { channel: "email", address, key: `email:${address}` } : null;
  }
  const m = MOBILE.exec(text.replace(SEPARATORS, ""));
  if (!m?.[1]) return null;
  const rest = m[1];
  return { channel: "sms", national: `0${rest}`, address: `+81${rest}`, key: `sms:+81${rest}` };
}

/**
 * The ways a mobile number may have been stored on a resident row (imports differ), so it can be looked up
 * with an indexed `IN` instead of normalising every row.
 */
export function phoneVariants(d: Extract<Destination, { channel: "sms" }>): string[] {
  const n = d.national;
  const a = n.slice(0, 3);
  const b = n.slice(3, 7);
  const c = n.slice(7);
  const i = n.slice(1);
  return [
    n,
    `${a}-${b}-${c}`,
    `${a} ${b} ${c}`,
    d.address,
    `+81-${i.slice(0, 2)}-${b}-${c}`,
    `+81 ${i.slice(0, 2)} ${b} ${c}`,
    `+81 ${i}`,
  ];
}

/** A destination for log lines and audit details that a passer-by cannot read in full. */
export function maskDestination(d: Destination): string {
  if (d.channel === "sms") return `${d.national.slice(0, 3)}****${d.national.slice(-4)}`;
  const [local = "", domain = ""] = d.address.split("@");
  return `${local.slice(0, 1)}***@${domain}`;
}
