import type { Prisma } from "../db/client.js";
import { likeLiteral } from "../db/like.js";
import { normaliseDestination, phoneVariants } from "./destination.js";

/**
 * Free-text search over residents for municipal staff: every word must match a name, the reading (in
 * hiragana or katakana, whichever the municipality stored), the e-mail or the phone. A word that is a
 * mobile number matches however the number was stored. Words are literals: `_` and `%` are no wildcards.
 */
export function residentSearchWhere(q: string | undefined): Prisma.ResidentWhereInput {
  const words = (q ?? "").normalize("NFKC").trim().split(/\s+/).filter(Boolean).slice(0, 5);
  if (!words.length) return {};
  return {
    AND: words.map((w): Prisma.ResidentWhereInput => {
      const contains = (s: string) => ({ contains: likeLiteral(s), mode: "insensitive" as const });
      const or: Prisma.ResidentWhereInput[] = [
        { familyName: contains(w) },
        { givenName: contains(w) },
        ...kanaVariants(w).map((k) => ({ kana: contains(k) })),
        { email: contains(w) },
        { phone: contains(w) },
      ];
      const d = normaliseDestination(w);
      if (d?.channel === "sms") or.push({ phone: { in: phoneVariants(d) } });
      return { OR: or };
    }),
  };
}

/** The word as written, in katakana and in hiragana (deduplicated). */
export function kanaVariants(word: string): string[] {
  const shift = (s: string, from: number, to: number, delta: number) =>
    s.replace(/./gu, (c) => {
      const code = c.charCodeAt(0);
      return code >= from && code <= to ? String.fromCharCode(code + delta) : c;
    });
  const katakana = shift(word, 0x3041, 0x3096, 0x60);
  const hiragana = shift(word, 0x30a1, 0x30f6, -0x60);
  return [...new Set([word, katakana, hiragana])];
}
