/**
 * Personal data in text meant for the public (FAQ entries): what looks like a mother's or a child's personal data,
 * found by pattern, with its class and where it is. Pure; no I/O.
 *
 * The text is normalised (NFKC) first, so full-width ０９０－１２３４－５６７８ and half-width 090-1234-5678 are
 * one, and ｶﾀｶﾅ is カタカナ; positions are nevertheless those of the text as written (UTF-16 offsets, as in
 * JavaScript and the browser), so the portal can highlight them. Classes:
 *   email       an e-mail address
 *   phone       a phone number (0…, (0…), +81…; hyphens of every kind, spaces, brackets), 10–13 digits
 *   postal_code 〒980-0014, 980-0014
 *   address     a Japanese address with a block number (…市…区…3-8-1, …3丁目8番1号, …番地)
 *   birth_date  a date near 生まれ/誕生/生年月日/born/birth (令和6年5月1日, 2024/5/1, R6.5.1, 5月1日生まれ)
 *   date        any other full date (year, month and day): it may be a birth date
 *   number      a run of 8 or more digits (宛名番号, 被保険者番号, …) that is no phone number or date
 *   name        a name before an honorific (陽菜ちゃん, 佐藤さん, 山田様, 田中氏, ひなたくん, Mr. Sato, Hina-chan),
 *               or the sender's own name in any form given to `names` (kanji, hiragana, katakana, romaji, with or
 *               without the space between family and given name, family or given name alone, either order)
 * What it cannot catch: a name written without honorific that is not the sender's (another person's name
 * alone), names spelled in unusual kanji or romaji, addresses without a block number, facts that identify a
 * person only together (a small town, a month, twins). The operator still reads every entry.
 */

import { toHiragana, toKana, toKatakana, toRomaji } from "wanakana";

export const PERSONAL_DATA_CLASSES = [
  "email",
  "phone",
  "postal_code",
  "address",
  "birth_date",
  "date",
  "number",
  "name",
] as const;
export type PersonalDataClass = (typeof PERSONAL_DATA_CLASSES)[number];

export type Finding = {
  /** Stable across edits elsewhere in the text: the class and the matched text (normalised), hashed. */
  id: string;
  class: PersonalDataClass;
  /** Start and end (exclusive) in the text as given, in UTF-16 code units. */
  start: number;
  end: number;
  /** The text as given between start and end. */
  text: string;
};

/** What replaces a finding when text is masked. */
export const MASK = "＊＊＊";

// ---------------------------------------------------------------------------------------------------------------
// Normalisation with a map back to the original

type Normalised = {
  text: string /** original offset of each normalised UTF-16 unit, plus one past the end */;
  map: number[];
};

/**
 * NFKC, piece by piece so every normalised character knows where it came from. A piece is a character with the
 * combining marks after it (so ｶﾞ or か + U+3099 become one ガ).
 */
export function normalise(input: string): Normalised {
  const pieces = input.match(/[\s\S](?:\p{M}|\uff9e|\uff9f)*/gu) ?? [];
  let text = "";
  const map: number[] = [];
  let at = 0;
  for (const piece of pieces) {
    const n = piece.normalize("NFKC");
    for (let i = 0; i < n.length; i++) map.push(at);
    text += n;
    at += piece.length;
  }
  map.push(at);
  return { text, map };
}

// ---------------------------------------------------------------------------------------------------------------
// Patterns (on NFKC text: digits, Latin letters, @ and most punctuation are half-width; kana are full-width)

const DASH = "[-‐‑‒–—―ー−]";
const SEP = `(?:\\s?${DASH}\\s?|\\s)`;
const KANJI = "[\\p{Script=Han}々〆ヶ]";
const KATAKANA = "[\\p{Script=Katakana}ー]";
const HIRAGANA = "\\p{Script=Hiragana}";

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;
const PHONE = new RegExp(
  `(?<![\\d])(?:\\+\\s?81|\\(0\\d{0,4}\\)|0)(?:[\\d()]|${SEP}){7,20}\\d(?![\\d])`,
  "gu",
);
const POSTAL = new RegExp(
  `(?:〒\\s?\\d{3}${DASH}?\\d{4}|(?<![${DASH.slice(1, -1)}\\d])\\d{3}${DASH}\\d{4}(?![\\d]|${DASH}\\d))`,
  "gu",
);
const DIGIT_RUN = new RegExp(`(?<!\\d)\\d(?:\\d|${SEP}(?=\\d)){7,}\\d*`, "gu");

const PREFECTURE = "(?:北海道|東京都|(?:京都|大阪)府|[\\p{Script=Han}]{2,3}県)";
const MUNICIPALITY = `(?:${KANJI}|${KATAKANA}){1,7}?[市区町村郡]`;
const TOWN = `(?:${KANJI}|${KATAKANA}){0,8}?`;
const BLOCK_NUMBERS = `\\d{1,4}(?:丁目\\s?\\d{1,4}(?:番地?\\s?(?:\\d{1,4}号?)?|${DASH}\\d{1,4}(?:${DASH}\\d{1,4})?)?|${DASH}\\d{1,4}(?:${DASH}\\d{1,4})?|番地?(?:\\s?\\d{1,4}号?)?)`;
const BLOCK_WORDS = `\\d{1,4}(?:丁目\\s?(?:\\d{1,4}(?:番地?|${DASH})?\\s?(?:\\d{1,4}号?)?)?|番地(?:\\s?\\d{1,4}号?)?|番\\s?\\d{1,4}号)`;
const ADDRESS = new RegExp(
  [
    // 宮城県仙台市青葉区本町3-8-1, 仙台市青葉区本町三丁目…, 柴田郡大河原町字新南19
    `${PREFECTURE}?(?:${MUNICIPALITY}){1,3}${TOWN}(?:字${TOWN})?${BLOCK_NUMBERS}`,
    // 本町3丁目8番1号, 本町3丁目, 100番地
    `${TOWN}${BLOCK_WORDS}`,
    // 本町3-8-1
    `${KANJI}{1,6}\\d{1,4}${DASH}\\d{1,4}${DASH}\\d{1,4}`,
  ].join("|"),
  "gu",
);

const D = "\\s?";
const ERA = `(?:令和|平成|昭和|[RHSrhs]\\.?)${D}(?:\\d{1,2}|元)`;
const WESTERN = "(?:19|20)\\d{2}";
const YMD = new RegExp(
  [
    `(?:${ERA}|${WESTERN})${D}年${D}\\d{1,2}${D}月${D}\\d{1,2}${D}日`,
    `(?:${ERA}|${WESTERN})${D}[./-]${D}\\d{1,2}${D}[./-]${D}\\d{1,2}(?!\\d)`,
    `(?:${WESTERN})(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\\d|3[01])(?!\\d)`,
    "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\\.?\\s\\d{1,2}(?:st|nd|rd|th)?,?\\s(?:19|20)\\d{2}",
    "\\d{1,2}(?:st|nd|rd|th)?\\s(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\\.?,?\\s(?:19|20)\\d{2}",
  ].join("|"),
  "giu",
);
const MONTH_DAY = new RegExp(`\\d{1,2}${D}月${D}\\d{1,2}${D}日|(?<![\\d/])\\d{1,2}/\\d{1,2}(?![\\d/])`, "gu");
const BIRTH_WORDS = /生まれ|産まれ|誕生|生年月日|出生|出産日|出産予定|予定日|born|birth|DOB|due date/giu;
const NEAR = 12;

// A name before an honorific. The word before it: up to 4 kanji, or 2–6 katakana, or 2–4 hiragana after a
// particle, or a capitalised romaji word; 様/氏 not followed by a kanji (様式, 氏名 are not honorifics).
const HONORIFIC = new RegExp(
  [
    `(${KANJI}{1,4}|${KATAKANA}{2,6}|${HIRAGANA}{2,8})(?:さん|ちゃん|くん|君|様|さま|氏|殿)(?!${KANJI}|々)`,
    "\\b([A-Z][a-z]{1,15})[- ]?(?:san|chan|kun|sama)\\b",
    "\\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\\.?\\s([A-Z][a-z]{1,15})(?:\\s[A-Z][a-z]{1,15})?",
  ].join("|"),
  "gu",
);
/** Words before an honorific that are not names: people by role, 同様, たくさん, みなさん, … */
const NOT_NAMES = [
  "皆",
  "みな",
  "みんな",
  "お客",
  "客",
  "利用者",
  "ご利用者",
  "担当者",
  "担当",
  "関係者",
  "保護者",
  "申込者",
  "申請者",
  "本人",
  "ご本人",
  "母",
  "お母",
  "父",
  "お父",
  "赤",
  "あか",
  "子",
  "お子",
  "こ",
  "おこ",
  "奥",
  "おく",
  "旦那",
  "家族",
  "ご家族",
  "夫",
  "妻",
  "姉",
  "お姉",
  "兄",
  "お兄",
  "妹",
  "弟",
  "祖母",
  "祖父",
  "ばあ",
  "じい",
  "おばあ",
  "おじい",
  "おかあ",
  "おとう",
  "おねえ",
  "おにい",
  "お嬢",
  "嬢",
  "坊",
  "お坊",
  "先生",
  "医者",
  "お医者",
  "看護師",
  "助産師",
  "保健師",
  "妊婦",
  "産婦",
  "褥婦",
  "ママ",
  "パパ",
  "スタッフ",
  "ヘルパー",
  "ドライバー",
  "ユーザー",
  "メンバー",
  "市民",
  "住民",
  "町民",
  "村民",
  "区民",
  "県民",
  "事業者",
  "施設",
  "各施設",
  "各位",
  "同",
  "仕",
  "模",
  "多",
  "異",
  "一",
  "各",
  "王",
  "神",
  "皇",
  "殿",
  "たく",
  "お疲れ",
  "おつかれ",
  "ご苦労",
  "お世話",
  "ご馳走",
  "ごちそう",
  "お陰",
  "おかげ",
  "お互い",
  "おたがい",
  "彼",
  "彼女",
  "貴",
  "あなた",
  "相手",
  "相手方",
  "業者",
  "大家",
  "お隣",
  "隣",
  "ご近所",
  "近所",
  "職員",
  "役所",
  "市役所",
  "窓口",
  "係",
  "受付",
  "新規",
  "初回",
  "上",
  "お上",
  "女将",
  "主",
];

const SENDER_NAME_MIN = 2;

// ---------------------------------------------------------------------------------------------------------------

/**
 * The forms a sender's name may take in text: as written, without the space, family and given name alone (when at
 * least two characters), in hiragana and katakana (for kana names), in romaji (Hepburn, with long vowels written
 * or not, either order), and the same for `reading` (the name's kana reading, when known).
 */
export function nameForms(name: string | null | undefined, reading?: string | null): string[] {
  const forms = new Set<string>();
  for (const source of [name, reading]) {
    const n = source?.normalize("NFKC").trim();
    if (!n) continue;
    const parts = n.split(/\s+/).filter(Boolean);
    const variants: string[][] = [parts];
    // kana ↔ romaji: a kana name gives its romaji, a romaji name its kana
    if (parts.every((p) => /^[\p{Script=Hiragana}\p{Script=Katakana}ー]+$/u.test(p))) {
      variants.push(
        parts.map((p) => toHiragana(p)),
        parts.map((p) => toKatakana(p)),
      );
      const romaji = parts.map((p) => toRomaji(p));
      variants.push(
        romaji,
        romaji.map(shortVowels),
        [...romaji].reverse(),
        [...romaji].reverse().map(shortVowels),
      );
    } else if (parts.every((p) => /^[A-Za-z'-]+$/.test(p))) {
      const kana = parts.map((p) => toKana(p.toLowerCase()));
      if (kana.every((k) => /^[\p{Script=Hiragana}ー]+$/u.test(k))) {
        variants.push(
          kana,
          kana.map((k) => toKatakana(k)),
          [...kana].reverse(),
        );
      }
      variants.push([...parts].reverse());
    }
    for (const v of variants) {
      if (v.length === 0) continue;
      forms.add(v.join(" "));
      forms.add(v.join(""));
      for (const p of v) forms.add(p);
    }
  }
  return [...forms].filter((f) => {
    const latin = /^[A-Za-z' -]+$/.test(f);
    return [...f.replace(/\s/g, "")].length >= (latin ? 3 : SENDER_NAME_MIN);
  });
}

const shortVowels = (r: string) => r.replace(/ou/g, "o").replace(/uu/g, "u").replace(/oo/g, "o");
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A 32-bit FNV-1a hash, base 36: finding ids. */
function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

const RANK: Record<PersonalDataClass, number> = {
  email: 0,
  phone: 1,
  postal_code: 2,
  birth_date: 3,
  date: 4,
  address: 5,
  name: 6,
  number: 7,
};

type Raw = { class: PersonalDataClass; start: number; end: number };

function all(
  re: RegExp,
  text: string,
  cls: PersonalDataClass,
  out: Raw[],
  accept?: (m: RegExpExecArray) => Raw | null,
) {
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[0] === "") {
      re.lastIndex++;
      continue;
    }
    const r = accept ? accept(m) : { class: cls, start: m.index, end: m.index + m[0].length };
    if (r) out.push(r);
  }
}

const digits = (s: string) => s.replace(/\D/g, "").length;

/**
 * Everything in `input` that looks like personal data, in order of position; overlapping findings are merged
 * into the one of the more telling class (an e-mail address before a phone number before a long number).
 * `options.names`: the sender's own names (see nameForms), found in any case and with any spacing.
 */
export function detectPersonalData(input: string, options: { names?: string[] } = {}): Finding[] {
  const { text, map } = normalise(input);
  const raw: Raw[] = [];
  all(EMAIL, text, "email", raw);
  all(PHONE, text, "phone", raw, (m) => {
    const s = m[0].replace(/[\s)]+$/, "");
    const n = digits(s);
    return n >= 10 && n <= 13 ? { class: "phone", start: m.index, end: m.index + s.length } : null;
  });
  all(POSTAL, text, "postal_code", raw);
  all(ADDRESS, text, "address", raw);
  const birth: { start: number; end: number }[] = [];
  all(BIRTH_WORDS, text, "birth_date", [], (m) => {
    birth.push({ start: m.index, end: m.index + m[0].length });
    return null;
  });
  const nearBirth = (s: number, e: number) => birth.some((b) => b.start - e <= NEAR && s - b.end <= NEAR);
  all(YMD, text, "date", raw, (m) => {
    const start = m.index;
    const end = m.index + m[0].length;
    return { class: nearBirth(start, end) ? "birth_date" : "date", start, end };
  });
  all(MONTH_DAY, text, "birth_date", raw, (m) =>
    nearBirth(m.index, m.index + m[0].length)
      ? { class: "birth_date", start: m.index, end: m.index + m[0].length }
      : null,
  );
  all(DIGIT_RUN, text, "number", raw, (m) => {
    const s = m[0].replace(/\s+$/, "");
    return digits(s) >= 8 ? { class: "number", start: m.index, end: m.index + s.length } : null;
  });
  all(HONORIFIC, text, "name", raw, (m) => {
    let word = m[1] ?? m[2] ?? m[3] ?? "";
    let start = m.index + m[0].indexOf(word);
    if (m[1] && /^\p{Script=Hiragana}+$/u.test(word)) {
      // hiragana: the name starts after the last particle, and is 2–4 long
      const cut = word.search(/[はがのをにともへやでか](?=[^はがのをにともへやでか]{2,4}$)/u);
      if (cut >= 0) {
        start += cut + 1;
        word = word.slice(cut + 1);
      } else if (word.length > 4) {
        start += word.length - 4;
        word = word.slice(-4);
      }
    }
    if (NOT_NAMES.some((w) => word === w || (w.length >= 2 && word.endsWith(w)))) return null;
    return { class: "name", start, end: m.index + m[0].length };
  });
  const forms = [...new Set(options.names ?? [])].filter((f) => f.trim().length > 0);
  if (forms.length > 0) {
    const alternatives = forms
      .map((f) => f.normalize("NFKC").trim())
      .sort((a, b) => b.length - a.length)
      .map((f) => f.split(/\s+/).map(escapeRegExp).join("\\s*"));
    const latinBoundary = (f: string) => /^[A-Za-z]/.test(f);
    const re = new RegExp(
      alternatives.map((a) => (latinBoundary(a) ? `(?<![A-Za-z])${a}(?![A-Za-z])` : a)).join("|"),
      "giu",
    );
    all(re, text, "name", raw);
  }
  // Merge: the more telling class first, then the longer; a finding overlapping a kept one is dropped.
  raw.sort(
    (a, b) => RANK[a.class] - RANK[b.class] || b.end - b.start - (a.end - a.start) || a.start - b.start,
  );
  const kept: Raw[] = [];
  for (const r of raw) {
    const overlapping = kept.filter((k) => r.start < k.end && k.start < r.end);
    if (overlapping.length === 0) {
      kept.push(r);
      continue;
    }
    // a longer finding of a less telling class swallows what it wholly contains (an address with its number)
    if (overlapping.every((k) => r.start <= k.start && k.end <= r.end && r.end - r.start > k.end - k.start)) {
      if (r.class === "address" || r.class === "name") {
        for (const k of overlapping) kept.splice(kept.indexOf(k), 1);
        kept.push(r);
      }
    }
  }
  kept.sort((a, b) => a.start - b.start);
  return kept.map((r) => {
    const start = map[r.start] ?? 0;
    const end = map[r.end] ?? input.length;
    const matched = text.slice(r.start, r.end);
    return {
      id: `${r.class}-${hash(`${r.class}\u0000${matched.toLowerCase().replace(/\s+/g, "")}`)}`,
      class: r.class,
      start,
      end,
      text: input.slice(start, end),
    };
  });
}

/** The text with every finding replaced by 「＊＊＊」. */
export function maskPersonalData(input: string, findings: Finding[]): string {
  let out = "";
  let at = 0;
  for (const f of [...findings].sort((a, b) => a.start - b.start)) {
    if (f.start < at) continue;
    out += input.slice(at, f.start) + MASK;
    at = f.end;
  }
  return out + input.slice(at);
}
