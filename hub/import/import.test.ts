import { readFileSync } from "node:fs";
import ExcelJS from "exceljs";
import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { decodeText, readCsv, readXlsx } from "./read.js";
import { isValidMunicipalityCode, parseDate, validateResidents } from "./residents.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/import/${name}`, import.meta.url));
const CODES = new Set(["041009", "042072"]);
const ctx = { municipalityCodes: CODES, ownMunicipality: "041009" };
const HEADER = "市町村コード,宛名番号,氏,名,生年月日,メールアドレス,携帯電話番号,所得区分,子の生年月日,多胎";
const csv = (...lines: string[]) => readCsv(Buffer.from([HEADER, ...lines].join("\n")));

describe("reading import files", () => {
  it("decodes UTF-8 with and without a BOM, and Shift_JIS", () => {
    expect(decodeText(Buffer.from("\uFEFF氏,名")).text).toBe("氏,名");
    expect(decodeText(Buffer.from("氏,名"))).toEqual({ text: "氏,名", encoding: "utf-8" });
    expect(decodeText(iconv.encode("氏,名,①", "cp932"))).toEqual({ text: "氏,名,①", encoding: "shift_jis" });
  });

  it("reads the sample files with line numbers", () => {
    for (const name of ["residents-utf8-bom.csv", "residents-shift-jis.csv"]) {
      const table = readCsv(fixture(name));
      expect(table.headers[0]).toBe("市町村コード");
      expect(table.rows.map((r) => r.line)).toEqual([2, 3, 4, 5, 6]);
      const { rows, errors } = validateResidents(table, ctx);
      expect(errors).toEqual([]);
      expect(rows).toHaveLength(5);
      expect(rows[0]?.familyName).toMatch(/\S/);
    }
    expect(readCsv(fixture("residents-shift-jis.csv")).encoding).toBe("shift_jis");
  });

  it("reads the first worksheet of an .xlsx workbook, dates included", async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet("residents");
    ws.addRow(["municipality_code", "external_id", "family_name", "given_name", "birth_date"]);
    ws.addRow(["041009", "1", "佐藤", "花子", new Date(Date.UTC(1990, 3, 1))]);
    ws.addRow([]);
    ws.addRow(["041009", "2", "鈴木", "", "1991-02-30"]);
    const table = await readXlsx(new Uint8Array(await wb.xlsx.writeBuffer()));
    expect(table.rows.map((r) => r.line)).toEqual([2, 4]);
    expect(table.rows[0]?.cells.birth_date).toBe("1990-04-01");
    expect(validateResidents(table, ctx).errors).toEqual([
      { line: 4, column: "given_name", code: "required", message: expect.any(String) },
      { line: 4, column: "birth_date", code: "bad_date", message: expect.any(String) },
    ]);
  });
});

describe("validating residents", () => {
  it("checks dates and codes", () => {
    expect(parseDate("2026-02-28")?.toISOString()).toBe("2026-02-28T00:00:00.000Z");
    expect(parseDate("2024/2/29")).not.toBeNull();
    for (const bad of ["2026-02-30", "2025-02-29", "2026-13-01", "26-1-1", "tomorrow"]) {
      expect(parseDate(bad), bad).toBeNull();
    }
    expect(isValidMunicipalityCode("041009")).toBe(true);
    expect(isValidMunicipalityCode("041008")).toBe(false);
    expect(isValidMunicipalityCode("41009")).toBe(false);
  });

  it("reports every error of the sample file by line, once each kind", () => {
    const { rows, errors } = validateResidents(readCsv(fixture("residents-with-errors.csv")), ctx);
    expect(rows.map((r) => r.line)).toEqual([2]);
    expect(errors.map((e) => [e.line, e.column, e.code])).toEqual([
      [3, "family_name", "required"],
      [4, "birth_date", "bad_date"],
      [5, "municipality_code", "bad_code"],
      [6, "municipality_code", "unknown_municipality"],
      [7, "municipality_code", "other_municipality"],
      [8, "external_id", "duplicate"],
      [9, "email", "bad_email"],
      [10, "phone", "bad_phone"],
      [11, "income_tier", "bad_income_tier"],
      [12, "multiple_birth", "bad_number"],
    ]);
    for (const e of errors) expect(e.message).toMatch(/\S/);
  });

  it("maps Japanese and English income tiers and defaults", () => {
    const { rows, errors } = validateResidents(
      csv(
        "041009,1,佐藤,花子,1990-01-01,a@example.jp,090-1234-5678,非課税,2026-05-01,2",
        "041009,2,鈴木,舞,,,,welfare,,",
        "041009,3,高橋,彩,,,,,,",
      ),
      ctx,
    );
    expect(errors).toEqual([]);
    expect(rows.map((r) => r.incomeTier)).toEqual(["exempt", "welfare", "general"]);
    expect(rows[0]?.child).toMatchObject({ multipleBirth: 2, name: "" });
    expect(rows[1]?.child).toBeNull();
    expect(rows[2]?.preferredLanguage).toBe("ja");
  });

  it("stores e-mail addresses in their one normal form and compares them exactly, not as patterns", () => {
    const existingEmails = new Map([["resident0042@example.jp", "041009/other"]]);
    const { rows, errors } = validateResidents(
      csv(
        "041009,1,佐藤,花子,,residen_0042@example.jp,,,,",
        "041009,2,鈴木,舞,,Ｍｉｘｅｄ.Case@Example.JP,,,,",
        "041009,3,高橋,彩,,RESIDENT0042@example.jp,,,,",
        "041009,4,田中,愛,,r\u0435sident0042@example.jp,,,,",
      ),
      { ...ctx, existingEmails },
    );
    expect(rows.map((r) => r.email)).toEqual(["residen_0042@example.jp", "mixed.case@example.jp"]);
    expect(errors.map((e) => [e.line, e.column, e.code])).toEqual([
      [4, "email", "duplicate"],
      [5, "email", "bad_email"],
    ]);
  });

  it("reports duplicates against the database, unknown and missing columns, and empty files", () => {
    const existingEmails = new Map([
      ["taken@example.jp", "041009/other"],
      ["mine@example.jp", "041009/2"],
    ]);
    const { errors } = validateResidents(
      csv("041009,1,佐藤,花子,,taken@example.jp,,,,", "041009,2,鈴木,舞,,mine@example.jp,,,,"),
      { ...ctx, existingEmails },
    );
    expect(errors.map((e) => [e.line, e.column, e.code])).toEqual([[2, "email", "duplicate"]]);
    const headers = validateResidents(readCsv(Buffer.from("宛名番号,氏,名,誕生日\n1,a,b,c\n")), ctx);
    expect(headers.errors.map((e) => [e.line, e.column, e.code])).toEqual([
      [1, "誕生日", "unknown_column"],
      [1, "市町村コード", "missing_column"],
    ]);
    expect(validateResidents(csv(), ctx).errors[0]?.code).toBe("no_rows");
  });

  it("reports every cell holding a NUL, which the database cannot store, by line and column", () => {
    const { rows, errors } = validateResidents(
      csv("041009,1,佐藤\u0000,花子,,,,,,", "041009,2,鈴木,\u0000舞,,,,,,", "041009,3,高橋,彩,,,,,,"),
      ctx,
    );
    expect(rows).toEqual([]);
    expect(errors.map((e) => [e.line, e.column, e.code])).toEqual([
      [2, "family_name", "invalid_text"],
      [3, "given_name", "invalid_text"],
    ]);
  });

  it("requires the child's birth date when other child fields are given", () => {
    const { errors } = validateResidents(csv("041009,1,佐藤,花子,,,,,,2"), ctx);
    expect(errors.map((e) => [e.line, e.column, e.code])).toEqual([[2, "child_birth_date", "required"]]);
  });
});
