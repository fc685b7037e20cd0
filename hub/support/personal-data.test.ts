import { describe, expect, it } from "vitest";
import { detectPersonalData, MASK, maskPersonalData, nameForms, normalise } from "./personal-data.js";

/** ASCII written full-width (０９０－１２３４), as a phone's Japanese keyboard types it; spaces as 　. */
const fullWidth = (s: string) =>
  s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).replace(/ /g, "\u3000");

const found = (text: string, names?: string[]) =>
  detectPersonalData(text, { names }).map((f) => [f.class, f.text]);

/** Each class, a sentence around it and what must be found; checked half-width and full-width. */
const CASES: { cls: string; text: string; match: string }[] = [
  { cls: "email", text: "連絡は hanako.m+faq@example.co.jp まで", match: "hanako.m+faq@example.co.jp" },
  { cls: "phone", text: "電話 090-1234-5678 にください", match: "090-1234-5678" },
  { cls: "phone", text: "電話 (022) 555-0100 まで", match: "(022) 555-0100" },
  { cls: "phone", text: "携帯は +81 90 1234 5678 です", match: "+81 90 1234 5678" },
  { cls: "phone", text: "自宅 022ー222ー3333 へ", match: "022ー222ー3333" },
  { cls: "phone", text: "番号 09012345678 に", match: "09012345678" },
  { cls: "postal_code", text: "〒980-0014 です", match: "〒980-0014" },
  { cls: "postal_code", text: "郵便番号 980-0014 です", match: "980-0014" },
  { cls: "address", text: "住所は仙台市青葉区本町3-8-1です", match: "仙台市青葉区本町3-8-1" },
  {
    cls: "address",
    text: "宮城県仙台市青葉区本町三丁目8番1号に住む",
    match: "宮城県仙台市青葉区本町三丁目8番1号",
  },
  { cls: "address", text: "本町3丁目8番1号の者です", match: "本町3丁目8番1号" },
  { cls: "address", text: "大河原町字新南19番地", match: "大河原町字新南19番地" },
  { cls: "birth_date", text: "令和6年5月1日生まれです", match: "令和6年5月1日" },
  { cls: "birth_date", text: "誕生日は 2024/5/1 です", match: "2024/5/1" },
  { cls: "birth_date", text: "R6.5.1生まれ", match: "R6.5.1" },
  { cls: "birth_date", text: "生年月日：2024-05-01", match: "2024-05-01" },
  { cls: "birth_date", text: "5月1日に生まれた子", match: "5月1日" },
  { cls: "birth_date", text: "Hina was born on May 1, 2024", match: "May 1, 2024" },
  { cls: "date", text: "令和元年10月1日に申し込んだ", match: "令和元年10月1日" },
  { cls: "number", text: "宛名番号12345678です", match: "12345678" },
  { cls: "number", text: "被保険者番号 1234 5678 9012", match: "1234 5678 9012" },
  { cls: "name", text: "陽菜ちゃんの予約", match: "陽菜ちゃん" },
  { cls: "name", text: "担当の佐藤さんに伝えた", match: "佐藤さん" },
  { cls: "name", text: "山田様へ", match: "山田様" },
  { cls: "name", text: "これはひなたくんの分", match: "ひなたくん" },
  { cls: "name", text: "ヒナタちゃん", match: "ヒナタちゃん" },
  { cls: "name", text: "田中氏より", match: "田中氏" },
  { cls: "name", text: "Thanks, Hina-chan", match: "Hina-chan" },
];

describe("personal data in text", () => {
  for (const c of CASES) {
    it(`finds ${c.cls} in「${c.text}」half-width and full-width`, () => {
      expect(found(c.text)).toContainEqual([c.cls, c.match]);
      expect(found(fullWidth(c.text))).toContainEqual([c.cls, fullWidth(c.match)]);
    });
  }

  it("gives positions in the text as written, so full-width text is highlighted where it is", () => {
    const text = "ｶﾞ電話は０９０－１２３４－５６７８、〒９８０－００１４";
    const [phone, postal] = detectPersonalData(text);
    expect(phone).toMatchObject({ class: "phone", text: "０９０－１２３４－５６７８" });
    expect(text.slice(phone?.start, phone?.end)).toBe("０９０－１２３４－５６７８");
    expect(postal).toMatchObject({ class: "postal_code", text: "〒９８０－００１４" });
    expect(normalise("ｶﾞ").text).toBe("ガ");
    expect(normalise("ｶﾞ").map).toEqual([0, 2]);
  });

  it("gives the same id to the same finding written half-width or full-width, wherever it is", () => {
    const [a] = detectPersonalData("090-1234-5678");
    const [b] = detectPersonalData("前置き ０９０－１２３４－５６７８");
    expect(a?.id).toBe(b?.id);
    expect(a?.id).not.toBe(detectPersonalData("090-1234-5679")[0]?.id);
  });

  it("finds the sender's own name in kanji, kana and romaji, with or without the space, in either order", () => {
    const names = nameForms("宮城 花子", "みやぎ はなこ");
    for (const [text, match] of [
      ["宮城 花子です", "宮城 花子"],
      ["宮城花子です", "宮城花子"],
      ["宮城　花子です", "宮城　花子"],
      ["みやぎはなこ", "みやぎはなこ"],
      ["ミヤギ　ハナコ", "ミヤギ　ハナコ"],
      ["ﾐﾔｷﾞﾊﾅｺ", "ﾐﾔｷﾞﾊﾅｺ"],
      ["from Hanako Miyagi.", "Hanako Miyagi"],
      ["MIYAGI HANAKO", "MIYAGI HANAKO"],
      ["ｍｉｙａｇｉ　ｈａｎａｋｏ", "ｍｉｙａｇｉ　ｈａｎａｋｏ"],
      ["花子より", "花子"],
    ] as const) {
      expect(found(text, names), text).toContainEqual(["name", match]);
    }
    // romaji names become kana and back; long vowels may be written or not
    expect(nameForms("佐藤 陽菜", "さとう ひな")).toEqual(
      expect.arrayContaining(["sato hina", "satou hina", "サトウ"]),
    );
    expect(nameForms("Hina Sato")).toEqual(expect.arrayContaining(["ひな", "サト", "Sato Hina"]));
    // a one-letter given name is not looked for alone
    expect(nameForms("宮城 陽")).not.toContain("陽");
  });

  it("leaves alone what is no personal data: roles before an honorific, forms, times, short numbers", () => {
    for (const text of [
      "みなさん、お母さんたち、たくさんの利用者様、赤ちゃん、お子さん、市役所担当者様",
      "様式第1号の氏名欄に記入してください。同様です。",
      "受付時間 9:00〜17:00、10月1日から。料金は1,500円、3回まで。",
      "宮城県内の施設で使えます。仙台市の方は区役所へ。",
    ]) {
      expect(found(text), text).toEqual([]);
    }
  });

  it("merges overlapping findings into the more telling one", () => {
    expect(found("〒980-0014 仙台市青葉区本町3-8-1 022-555-0100")).toEqual([
      ["postal_code", "〒980-0014"],
      ["address", "仙台市青葉区本町3-8-1"],
      ["phone", "022-555-0100"],
    ]);
    expect(found("生年月日 20240501")).toEqual([["birth_date", "20240501"]]);
  });

  it("masks each finding with ＊＊＊", () => {
    const text = "陽菜ちゃん（令和６年５月１日生まれ）、０９０－１２３４－５６７８";
    expect(maskPersonalData(text, detectPersonalData(text))).toBe(`${MASK}（${MASK}生まれ）、${MASK}`);
    expect(maskPersonalData("変化なし", [])).toBe("変化なし");
  });
});
