import { domainToASCII } from "node:url";

/**
 * The one normal form of an e-mail address used as an identity (a staff sign-in, a resident's registered
 * contact): NFKC (full-width letters typed on a phone become ASCII), trimmed, lower-cased, the domain in its
 * ASCII (punycode) form. The local part must then be printable ASCII: an internationalised mailbox
 * (SMTPUTF8) is refused rather than folded, so a look-alike such as a Cyrillic "е" never becomes, and never
 * matches, a Latin "e". Stored addresses are always in this form (the database checks it), and look-ups
 * compare it with `=`, never with a pattern: `_`, `%` and `\` are ordinary characters of an address.
 */
export function normaliseEmail(input: string): string | null {
  const text = input.normalize("NFKC").trim().toLowerCase();
  if (text.length > 254) return null;
  const at = text.lastIndexOf("@");
  if (at <= 0 || at !== text.indexOf("@")) return null;
  const local = text.slice(0, at);
  if (!PRINTABLE_ASCII.test(local)) return null;
  const domain = domainToASCII(text.slice(at + 1));
  if (!DOMAIN.test(domain)) return null;
  const address = `${local}@${domain}`;
  return address.length <= 254 ? address : null;
}

/** Printable ASCII without space: what the database's CHECK constraint allows (see the identity migration). */
const PRINTABLE_ASCII = /^[!-~]+$/;
/** At least two labels after IDNA; letters, digits and hyphens (punycode labels included). */
const DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/;
