import axios from "axios";
import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import type { ConnectorContext } from "../contract.js";
import { csvConfig, file } from "./__fixtures__/contract.js";
import { connector } from "./connector.js";
import {
  BOOKING_COLUMNS,
  type CsvConfig,
  dateOf,
  decode,
  headerOf,
  MAX_LINES,
  readCsvFile,
  toCsv,
} from "./mapping.js";

const NOW = new Date("2026-12-01T01:00:00Z");
const read = (bytes: Uint8Array, config: CsvConfig = csvConfig) => readCsvFile(config, bytes, NOW);
const utf8 = (text: string, bom = false) =>
  Buffer.concat([Buffer.from(bom ? [0xef, 0xbb, 0xbf] : []), Buffer.from(text.replace(/\n/g, "\r\n"))]);
const HEADER = "予約番号,改訂,状態,種類,開始日,終了日,時間帯\n";

describe("bookings files as spreadsheets and systems save them", () => {
  it("Excel 'CSV UTF-8': BOM, CRLF, dates as 2026/12/10, Japanese words, a time block alias", () => {
    const r = read(file("bookings-excel-utf8-bom.csv"));
    expect(r).toMatchObject({ layout: "bookings", encoding: "utf-8-bom", hubLines: 0 });
    expect(r.report.errors).toEqual([]);
    expect(r.report.lines).toBe(5);
    expect(r.rows.map((x) => x.line)).toEqual([2, 3, 4, 5, 6]);
    expect(r.report.changes).toEqual([
      {
        kind: "booking",
        externalId: "R-20261201-001",
        revision: 3,
        status: "confirmed",
        serviceType: "stay",
        startDate: "2026-12-10",
        endDate: "2026-12-11",
      },
      {
        kind: "booking",
        externalId: "R-20261201-002",
        revision: 1,
        status: "confirmed",
        serviceType: "stay",
        startDate: "2026-12-14",
        endDate: "2026-12-17",
      },
      {
        kind: "booking",
        externalId: "R-20261202-007",
        revision: 2,
        status: "confirmed",
        serviceType: "day",
        startDate: "2026-12-15",
        endDate: "2026-12-15",
        timeBlock: "day6h",
      },
      {
        kind: "booking",
        externalId: "R-20261203-011",
        revision: 5,
        status: "cancelled",
        serviceType: "day",
        startDate: "2026-12-16",
        endDate: "2026-12-16",
        timeBlock: "day6h",
      },
      // 終了日 blank: the same day; 午前 → am (the connection's alias).
      {
        kind: "booking",
        externalId: "R-20261205-020",
        revision: 1,
        status: "confirmed",
        serviceType: "visit",
        startDate: "2026-12-18",
        endDate: "2026-12-18",
        timeBlock: "am",
      },
    ]);
  });

  it("Excel 'CSV (コンマ区切り)': Shift_JIS, full-width digits, 年月日 dates, extra columns ignored, blank 改訂", () => {
    const r = read(file("bookings-excel-shift-jis.csv"));
    expect(r).toMatchObject({ layout: "bookings", encoding: "shift_jis" });
    expect(r.report.errors).toEqual([]);
    expect(r.rows.map((x) => [x.change, x.autoRevision])).toEqual([
      [
        {
          kind: "booking",
          externalId: "S-0001",
          revision: 1,
          status: "confirmed",
          serviceType: "stay",
          startDate: "2026-12-20",
          endDate: "2026-12-22",
        },
        false,
      ],
      [
        {
          kind: "booking",
          externalId: "S-0002",
          revision: 1,
          status: "cancelled",
          serviceType: "day",
          startDate: "2026-12-21",
          endDate: "2026-12-21",
          timeBlock: "day6h",
        },
        false,
      ],
      // 改訂 blank: the upload time in seconds.
      [
        {
          kind: "booking",
          externalId: "S-0003",
          revision: NOW.getTime() / 1000,
          status: "confirmed",
          serviceType: "visit",
          startDate: "2026-12-22",
          endDate: "2026-12-22",
          timeBlock: "pm",
        },
        true,
      ],
    ]);
    // Nothing of the 備考 column ("体調不良のため") is in what is returned.
    expect(JSON.stringify(r.report)).not.toContain("体調");
  });

  it("a booking system's export: English headers, UTF-8 without BOM, LF, a quoted id with a comma", () => {
    const r = read(file("bookings-system-export-utf8-lf.csv"));
    expect(r).toMatchObject({ layout: "bookings", encoding: "utf-8" });
    expect(r.report.errors).toEqual([]);
    expect(r.report.changes.map((c) => c.kind === "booking" && [c.externalId, c.revision, c.status])).toEqual(
      [
        ["bk_88121", 12, "confirmed"],
        ["bk_88122", 4, "cancelled"],
        ["bk_88123,x", 1, "confirmed"],
      ],
    );
  });

  it("ignores the hub's own bookings listed in a download (経路 = ハブ)", () => {
    const r = read(
      utf8(
        `${HEADER.trim()},経路\nA-1,1,確定,宿泊,2026/12/10,2026/12/11,,施設\n0b1c…,3,requested,stay,2026-12-12,2026-12-13,,ハブ\n`,
      ),
    );
    expect(r.report.errors).toEqual([]);
    expect(r.hubLines).toBe(1);
    expect(r.report.changes).toHaveLength(1);
  });

  it("takes off the apostrophe a download puts before an id Excel would read as a formula", () => {
    const r = read(utf8(`${HEADER}'=1+2,1,確定,宿泊,2026/12/10,,\n`));
    expect(r.report.changes[0]).toMatchObject({ externalId: "=1+2", endDate: "2026-12-11" });
  });
});

describe("capacity files", () => {
  it("Shift_JIS from Excel: 受入枠 and 使用中, either may be blank", () => {
    const r = read(file("capacity-excel-shift-jis.csv"));
    expect(r).toMatchObject({ layout: "capacity", encoding: "shift_jis" });
    expect(r.report.errors).toEqual([]);
    expect(r.report.changes).toEqual([
      { kind: "availability", serviceType: "stay", date: "2026-12-10", capacity: 3, taken: 1 },
      { kind: "availability", serviceType: "stay", date: "2026-12-11", capacity: 3 },
      {
        kind: "availability",
        serviceType: "day",
        date: "2026-12-10",
        timeBlock: "day6h",
        capacity: 5,
        taken: 2,
      },
      { kind: "availability", serviceType: "visit", date: "2026-12-10", timeBlock: "am", taken: 1 },
    ]);
  });

  it("a download with its read-only columns (予約数, 空き, 休業) reads back", () => {
    const r = read(file("capacity-download-utf8-bom.csv"));
    expect(r.report.errors).toEqual([]);
    expect(r.report.changes).toHaveLength(2);
  });

  it("reads an optional 改訂 that orders a day's capacity updates", () => {
    const r = read(
      utf8("種類,日付,受入枠,改訂\n宿泊,2026/12/10,3,17\n宿泊,2026/12/11,2,\n宿泊,2026/12/12,2,x\n"),
    );
    expect(r.report.changes.slice(0, 2)).toEqual([
      { kind: "availability", serviceType: "stay", date: "2026-12-10", capacity: 3, revision: 17 },
      { kind: "availability", serviceType: "stay", date: "2026-12-11", capacity: 2 },
    ]);
    expect(r.report.errors).toEqual([
      { line: 4, field: "改訂", message: expect.stringContaining('or blank (got "x")') },
    ]);
  });

  it("reports bad numbers, duplicates and rows with neither count", () => {
    const r = read(
      utf8(
        "種類,日付,時間帯,受入枠,使用中\n宿泊,2026/12/10,,三,\nデイ,2026/12/10,day6h,,\n宿泊,2026/12/11,,2,\n宿泊,2026/12/11,,3,\n宿泊,2026/12/12,am,1,\n",
      ),
    );
    expect(r.report.errors).toEqual([
      { line: 2, field: "受入枠", message: 'must be a whole number from 0 to 1000, or blank (got "三")' },
      { line: 3, field: "受入枠", message: "give 受入枠, 使用中 or both" },
      { line: 5, field: "日付", message: "the same day and time block is already on line 4" },
      { line: 6, field: "時間帯", message: "stays have no time block: leave it blank" },
    ]);
  });
});

describe("broken files", () => {
  it("reports every problem with its line (1 = the header) and column", () => {
    const r = read(file("broken-bookings-many-errors.csv"));
    expect(r.report.errors).toEqual([
      { line: 3, field: "予約番号", message: "is empty" },
      { line: 4, field: "状態", message: 'must be confirmed (確定) or cancelled (取消) (got "保留")' },
      { line: 5, field: "種類", message: 'must be stay (宿泊), day (デイ) or visit (訪問) (got "温泉")' },
      {
        line: 6,
        field: "開始日",
        message: 'must be a date such as 2026-12-10 or 2026/12/10 (got "2026/13/10")',
      },
      { line: 7, field: "終了日", message: "a stay ends after it starts (1泊2日: the next day)" },
      { line: 8, field: "終了日", message: "day care and visits end on the day they start" },
      { line: 9, field: "予約番号", message: "R-1 is already on line 2" },
      {
        line: 10,
        field: "改訂",
        message: 'must be a whole number from 0 to 2147483647, or blank (got "-1")',
      },
      { line: 11, field: "時間帯", message: "stays have no time block: leave it blank" },
    ]);
    expect(r.report.lines).toBe(10);
  });

  it("names the line where a quote that never closes opens", () => {
    const r = read(file("broken-unclosed-quote.csv"));
    expect(r.report.errors).toEqual([
      { line: 3, message: 'a quote (") opened on this line is never closed' },
    ]);
    expect(r.report.changes).toEqual([]);
  });

  it("refuses an unknown header, a missing column, UTF-16 and an empty file on line 1", () => {
    expect(read(file("broken-unknown-header.csv")).report.errors).toMatchObject([{ line: 1 }]);
    expect(read(file("broken-missing-column.csv")).report.errors).toEqual([
      { line: 1, field: "種類", message: "the column 種類 is missing" },
    ]);
    expect(read(file("broken-excel-unicode-text-utf16.csv")).report.errors[0]?.message).toMatch(/UTF-16/);
    expect(read(Buffer.alloc(0)).report.errors).toMatchObject([{ line: 1 }]);
    expect(read(Buffer.from("\r\n\r\n")).report.errors).toMatchObject([{ line: 1 }]);
  });

  it("counts lines after a stay over several lines of quoted text and skips blank lines", () => {
    const r = read(
      utf8(
        `${HEADER.trim()},備考\nA-1,1,確定,宿泊,2026/12/10,,,"1行目\n2行目"\n\nA-2,1,保留,宿泊,2026/12/10,,,\n`,
      ),
    );
    expect(r.report.errors).toEqual([{ line: 5, field: "状態", message: expect.stringContaining("保留") }]);
  });

  it("refuses more lines than one upload takes", () => {
    const rows = Array.from({ length: MAX_LINES + 1 }, (_, i) => `X-${i},1,確定,宿泊,2026/12/10,,`).join(
      "\n",
    );
    expect(read(utf8(`${HEADER}${rows}\n`)).report.errors).toMatchObject([{ line: 1 }]);
  });
});

describe("encodings and values", () => {
  it("tells UTF-8 (BOM or not) from Shift_JIS", () => {
    expect(decode(Buffer.from("予約", "utf8"))).toEqual({ text: "予約", encoding: "utf-8" });
    expect(decode(Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from("予約")]))).toEqual({
      text: "予約",
      encoding: "utf-8-bom",
    });
    expect(decode(iconv.encode("予約番号,取消", "cp932"))).toEqual({
      text: "予約番号,取消",
      encoding: "shift_jis",
    });
    // ① and ～ exist only in Windows-31J, not in plain Shift_JIS.
    expect(decode(iconv.encode("①～", "cp932"))).toMatchObject({ text: "①～" });
  });

  it("reads the date forms Excel and people write, and no impossible dates", () => {
    expect(
      ["2026-12-10", "2026/12/10", "2026/1/5", "2026年1月5日", "20261210", "2026.12.10"].map(dateOf),
    ).toEqual(["2026-12-10", "2026-12-10", "2026-01-05", "2026-01-05", "2026-12-10", "2026-12-10"]);
    for (const bad of ["2026/2/30", "12/10/2026", "1999/12/31", "", "明日"])
      expect(dateOf(bad), bad).toBeNull();
  });

  it("writes files that read back the same, in UTF-8 with BOM and in Shift_JIS", () => {
    const rows = [
      ["R-1", 3, "confirmed", "stay", "2026-12-10", "2026-12-11", "", "施設"],
      ["=HYPERLINK()", 1, "cancelled", "day", "2026-12-10", "2026-12-10", "day6h", "施設"],
    ] as const;
    for (const encoding of ["utf-8", "sjis"] as const) {
      const bytes = toCsv(headerOf(BOOKING_COLUMNS), rows, encoding);
      expect(bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(encoding === "utf-8");
      expect(bytes.toString("latin1")).toContain("\r\n");
      const r = read(bytes);
      expect(r.report.errors).toEqual([]);
      expect(
        r.report.changes.map((c) => c.kind === "booking" && [c.externalId, c.revision, c.status]),
      ).toEqual([
        ["R-1", 3, "confirmed"],
        ["=HYPERLINK()", 1, "cancelled"],
      ]);
    }
  });
});

describe("the connector", () => {
  const ctx: ConnectorContext = {
    config: csvConfig,
    secret: null,
    state: {},
    http: axios.create(),
    log: { info() {}, warn() {} },
    now: () => NOW,
    signal: new AbortController().signal,
  };

  it("parses files and never throws, whatever the bytes", () => {
    expect(connector.parseFile?.(ctx, file("bookings-excel-utf8-bom.csv")).changes).toHaveLength(5);
    for (const junk of [
      Buffer.from([0x00, 0xff, 0xfe, 0x22, 0x0a]),
      Buffer.from('"'),
      Buffer.from("予約番号\n\u0000"),
      Buffer.alloc(2048, 0x82),
    ]) {
      const report = connector.parseFile?.(ctx, junk);
      expect(report?.errors.length).toBeGreaterThan(0);
    }
  });
});
