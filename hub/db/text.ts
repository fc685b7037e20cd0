/**
 * Text PostgreSQL cannot store, refused before it reaches the database with an error naming where it is: a NUL
 * character (refused in text), and an unpaired UTF-16 surrogate (`"\ud800"` in JSON: refused in jsonb, silently
 * replaced in text, and never part of valid Unicode text).
 */

export type TextProblem = { path: string; message: string };

const NUL = "\u0000";
/** A high surrogate not followed by a low one, or a low one not preceded by a high one (UTF-16 code units). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const REFUSED_CHARACTERS = new RegExp(`\\u0000|${LONE_SURROGATE.source}`, "g");

/** What is wrong with one string, or null. */
export function textProblem(s: string): string | null {
  if (s.includes(NUL)) return "contains a NUL character, which text may not hold";
  if (LONE_SURROGATE.test(s)) return "contains an unpaired UTF-16 surrogate, which is not valid Unicode text";
  return null;
}

/**
 * Every string in `value` (nested objects and arrays, keys included) that textProblem refuses, with its JSON pointer
 * below `at` (e.g. "/requestBody/notes", "/query/q").
 */
export function textProblems(value: unknown, at: string): TextProblem[] {
  const out: TextProblem[] = [];
  const walk = (v: unknown, path: string) => {
    if (typeof v === "string") {
      const message = textProblem(v);
      if (message) out.push({ path, message });
    } else if (Array.isArray(v)) {
      for (const [i, item] of v.entries()) walk(item, `${path}/${i}`);
    } else if (v !== null && typeof v === "object") {
      for (const [key, item] of Object.entries(v)) {
        const keyProblem = textProblem(key);
        const pointer = `${path}/${pointerEscape(key)}`;
        if (keyProblem) out.push({ path: pointer, message: `its name ${keyProblem}` });
        walk(item, pointer);
      }
    }
  };
  walk(value, at);
  return out;
}

/** A JSON pointer segment (RFC 6901), with the refused characters themselves made visible. */
function pointerEscape(key: string): string {
  return key
    .replace(/~/g, "~0")
    .replace(/\//g, "~1")
    .replace(REFUSED_CHARACTERS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
