import axios from "axios";
import iconv from "iconv-lite";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ConnectorContext, ExternalBooking } from "../contract.js";
import { FEED_ORIGIN, FEED_PATH, feed, googleConfig } from "./__fixtures__/contract.js";
import { connector } from "./connector.js";
import { assignRevisions, countIn, type IcalConfig, type Mapped, mapCalendar } from "./mapping.js";

const DECEMBER = { from: "2026-12-01", to: "2026-12-31" };
const NOW = new Date("2026-12-01T01:00:00Z");

const text = (name: string) => feed(name).toString("utf8");
const seconds = (iso: string) => Date.parse(iso) / 1000;

function mapped(name: string, config: Partial<IcalConfig> = {}, window = DECEMBER): Mapped {
  const r = mapCalendar(text(name), { url: "https://x.example/", ...config }, window);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

/** The fields the hub keeps, by external id. */
const byId = (m: Mapped) =>
  Object.fromEntries(
    m.changes.map((c) => [
      c.externalId,
      [c.status, c.serviceType, c.startDate, c.endDate, c.timeBlock ?? ""],
    ]),
  );

/** A minimal calendar around some VEVENT lines. */
const calendar = (...lines: string[]) =>
  ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", ...lines, "END:VCALENDAR"].join("\r\n");

const DAY_BLOCKS = [
  { timeBlock: "am", start: "09:00", end: "11:00", serviceType: "visit" },
  { timeBlock: "pm", start: "13:00", end: "15:00", serviceType: "visit" },
  { timeBlock: "day6h", start: "10:00", end: "16:00", serviceType: "day" },
] as const;
const RULES = [
  { keyword: "宿泊", serviceType: "stay" },
  { keyword: "デイ", serviceType: "day" },
  { keyword: "訪問", serviceType: "visit" },
] as const;

describe("mapping each style of export", () => {
  it("Google Calendar: all-day, timed (TZID and UTC), recurring with EXDATE, a moved and a cancelled occurrence", () => {
    const m = mapped("google-calendar-export.ics", googleConfig);
    expect(byId(m)).toEqual({
      // DTEND 12-12 is exclusive: the event covers the 10th and 11th, a 1泊2日 stay.
      "4q1v7d9k2m3n5p6r8s0t1u2v3w@google.com": ["confirmed", "stay", "2026-12-10", "2026-12-11", ""],
      "0a9b8c7d6e5f4g3h2i1j0k9l8m@google.com": ["confirmed", "day", "2026-12-14", "2026-12-14", "day6h"],
      // 00:00Z is 09:00 in Tokyo.
      "7h6g5f4e3d2c1b0a9z8y7x6w5v@google.com": ["confirmed", "visit", "2026-12-15", "2026-12-15", "am"],
      // 23:30Z on the 16th is 08:30 on the 17th in Tokyo; it overlaps the morning block most.
      "late-utc-visit-3e4r5t6y7u@google.com": ["confirmed", "visit", "2026-12-17", "2026-12-17", "am"],
      // Weekly on Thursdays at 13:00 JST (04:00Z): the 10th moved to the morning, the 17th cancelled, the 24th
      // excluded (EXDATE), the 31st after UNTIL.
      "weekly-visit-d1e2f3a4b5@google.com/20261203T040000Z": [
        "confirmed",
        "visit",
        "2026-12-03",
        "2026-12-03",
        "pm",
      ],
      "weekly-visit-d1e2f3a4b5@google.com/20261210T040000Z": [
        "confirmed",
        "visit",
        "2026-12-10",
        "2026-12-10",
        "am",
      ],
      "weekly-visit-d1e2f3a4b5@google.com/20261217T040000Z": [
        "cancelled",
        "visit",
        "2026-12-17",
        "2026-12-17",
        "pm",
      ],
      "cancelled-stay-9z8y7x@google.com": ["cancelled", "stay", "2026-12-20", "2026-12-21", ""],
    });
    // The staff meeting is not a booking; February is outside the window.
    expect(m.skipped).toEqual({ ignored_keyword: 1, outside_window: 1 });
    // LAST-MODIFIED is the revision, per occurrence (the overrides have their own).
    const rev = Object.fromEntries(m.changes.map((c) => [c.externalId, c.revision]));
    expect(rev["4q1v7d9k2m3n5p6r8s0t1u2v3w@google.com"]).toBe(seconds("2026-11-20T05:42:11Z"));
    expect(rev["weekly-visit-d1e2f3a4b5@google.com/20261203T040000Z"]).toBe(seconds("2026-11-18T09:15:00Z"));
    expect(rev["weekly-visit-d1e2f3a4b5@google.com/20261210T040000Z"]).toBe(seconds("2026-11-25T01:30:00Z"));
    expect(m.unversioned.size).toBe(0);
  });

  it("Outlook/Exchange: TZID=Tokyo Standard Time from its VTIMEZONE, folded UIDs, a cancelled occurrence", () => {
    const m = mapped("outlook-exchange-export.ics", { rules: [...RULES], timeOfDay: [...DAY_BLOCKS] });
    const stay =
      "040000008200E00074C5B7101A82E00800000000D0A6F1B2C35BDB01000000000000000010000000A1B2C3D4E5F60718293A4B5C6D7E8F90";
    const daily =
      "040000008200E00074C5B7101A82E00800000000F1C2B3A495EDB01000000000000000010000000FFEEDDCCBBAA99887766554433221100";
    const allDay =
      "040000008200E00074C5B7101A82E0080000000011223344556677DB010000000000000000100000009988776655443322110099887766554433";
    expect(byId(m)).toEqual({
      // 14:00 on the 7th to 10:00 on the 9th: two nights.
      [stay]: ["confirmed", "stay", "2026-12-07", "2026-12-09", ""],
      // Daily at 10:00 Tokyo (01:00Z), three times; Outlook marks the cancelled one STATUS:CANCELLED.
      [`${daily}/20261221T010000Z`]: ["confirmed", "day", "2026-12-21", "2026-12-21", "day6h"],
      [`${daily}/20261222T010000Z`]: ["cancelled", "day", "2026-12-22", "2026-12-22", "day6h"],
      [`${daily}/20261223T010000Z`]: ["confirmed", "day", "2026-12-23", "2026-12-23", "day6h"],
      [allDay]: ["confirmed", "stay", "2026-12-26", "2026-12-27", ""],
    });
    // No LAST-MODIFIED: revisions come from fingerprints (below).
    expect(m.unversioned.size).toBe(5);
  });

  it("Apple Calendar: a VTIMEZONE with Japan's 1948–51 summer time, DURATION instead of DTEND, floating times", () => {
    const m = mapped("apple-calendar-export.ics", { rules: [...RULES], timeOfDay: [...DAY_BLOCKS] });
    expect(byId(m)).toEqual({
      "6F1D2C3B-4A59-4E6F-8D7C-1B2A3948576A": ["confirmed", "day", "2026-12-05", "2026-12-05", "day6h"],
      // 13:30 for 1h30 (DURATION): the afternoon block.
      "8B9A0C1D-2E3F-4051-9263-7A8B9C0D1E2F": ["confirmed", "visit", "2026-12-08", "2026-12-08", "pm"],
      // One all-day event: the night of the 18th.
      "2C3D4E5F-6071-4283-94A5-B6C7D8E9F0A1": ["confirmed", "stay", "2026-12-18", "2026-12-19", ""],
      // Floating 09:00–15:00 is read as Tokyo time; it overlaps the 10:00–16:00 block most.
      "A1B2C3D4-E5F6-4789-8ABC-DEF012345678": ["confirmed", "day", "2026-12-29", "2026-12-29", "day6h"],
    });
  });

  it("a Japanese booking tool: TZID without VTIMEZONE, counts in the summary, cancellations only in the summary", () => {
    const m = mapped("japanese-booking-tool-export.ics", {
      rules: [...RULES],
      timeOfDay: [...DAY_BLOCKS],
      countInSummary: true,
      cancelledKeywords: ["キャンセル"],
    });
    expect(byId(m)).toEqual({
      // 【予約】デイケア 2名: two places, two bookings.
      "rsv-20261209-000123@yoyaku-cloud.example.jp": [
        "confirmed",
        "day",
        "2026-12-09",
        "2026-12-09",
        "day6h",
      ],
      "rsv-20261209-000123@yoyaku-cloud.example.jp#2": [
        "confirmed",
        "day",
        "2026-12-09",
        "2026-12-09",
        "day6h",
      ],
      // 訪問ケア １名 (full-width digit), 09:00 Tokyo although the feed defines no VTIMEZONE.
      "rsv-20261211-000131@yoyaku-cloud.example.jp": ["confirmed", "visit", "2026-12-11", "2026-12-11", "am"],
      "rsv-20261213-000140@yoyaku-cloud.example.jp": ["cancelled", "stay", "2026-12-13", "2026-12-14", ""],
      "rsv-20261216-000152@yoyaku-cloud.example.jp": ["confirmed", "stay", "2026-12-16", "2026-12-18", ""],
    });
  });

  it("Airbnb-style: DTEND is the check-out day with stayDates=nights; blocked dates ignored by keyword", () => {
    const config: Partial<IcalConfig> = {
      serviceType: "stay",
      stayDates: "nights",
      ignoreKeywords: ["Not available"],
    };
    expect(Object.values(byId(mapped("airbnb-style-export.ics", config)))).toEqual([
      ["confirmed", "stay", "2026-12-02", "2026-12-04", ""],
      ["confirmed", "stay", "2026-12-15", "2026-12-16", ""],
    ]);
    // Read as days instead, the 2nd–4th export would be one night short.
    expect(Object.values(byId(mapped("airbnb-style-export.ics", { serviceType: "stay" })))[0]).toEqual([
      "confirmed",
      "stay",
      "2026-12-02",
      "2026-12-03",
      "",
    ]);
  });

  it("refuses every broken file as invalid_payload, without throwing", () => {
    for (const name of ["broken-truncated-download.ics", "broken-html-login-page.ics", "broken-empty.ics"]) {
      const r = mapCalendar(text(name), googleConfig, DECEMBER);
      expect(r, name).toMatchObject({ ok: false, error: { code: "invalid_payload", retryable: false } });
    }
    expect(mapCalendar("\u0000\u0001garbage", googleConfig, DECEMBER).ok).toBe(false);
    expect(mapCalendar("BEGIN:VCARD\r\nVERSION:4.0\r\nEND:VCARD", googleConfig, DECEMBER).ok).toBe(false);
    const cut = mapCalendar(text("broken-truncated-download.ics"), googleConfig, DECEMBER);
    expect(cut).toMatchObject({ ok: false, error: { message: expect.stringContaining("cut off") } });
  });
});

describe("one bad event never stops a feed", () => {
  const day: IcalConfig = { url: "https://x.example/", serviceType: "day" };
  const read = (name: string) => {
    const r = mapCalendar(text(name), day, DECEMBER);
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    return r.value;
  };

  it("reads the rest of an Outlook feed with one unclosed quoted TZID, listing that event at its line", () => {
    const r = read("outlook-unclosed-quoted-tzid.ics");
    expect(r.changes.map((c) => (c.kind === "booking" ? c.startDate : ""))).toEqual([
      "2026-12-10",
      "2026-12-12",
    ]);
    expect(r.events).toBe(3);
    expect(r.skipped).toEqual({ bad_event: 1 });
    expect(r.skippedEvents).toEqual([{ reason: "bad_event", line: 29, problem: "unreadable_line" }]);
  });

  it("leaves out a recurring all-day event whose EXDATE lacks VALUE=DATE, and applies the others", () => {
    const r = read("allday-exdate-without-value-date.ics");
    expect(r.changes.map((c) => (c.kind === "booking" ? c.externalId : ""))).toEqual([
      "single-1@booking.example.jp",
      "single-2@booking.example.jp",
    ]);
    expect(r.skippedEvents).toEqual([
      { reason: "bad_event", line: 10, problem: "bad_value", property: "EXDATE" },
    ]);
  });

  it("lists an event with a date that is not a date at its line, naming the property", () => {
    const r = read("broken-bad-date.ics");
    expect(r.changes).toEqual([]);
    expect(r.skippedEvents).toEqual([
      { reason: "bad_event", line: 6, problem: "bad_value", property: "DTSTART" },
    ]);
  });

  it("lists events with no start, a line that is not iCalendar, or a rule that is not one, and reads the good ones", () => {
    const r = mapCalendar(
      calendar(
        ...["BEGIN:VEVENT", "UID:ok", "DTSTART;VALUE=DATE:20261210", "END:VEVENT"],
        ...["BEGIN:VEVENT", "UID:nostart", "SUMMARY:x", "END:VEVENT"],
        ...[
          "BEGIN:VEVENT",
          "UID:noline",
          "DTSTART;VALUE=DATE:20261211",
          "this is not a property",
          "END:VEVENT",
        ],
        ...["BEGIN:VEVENT", "UID:rule", "DTSTART;VALUE=DATE:20261212", "RRULE:FREQ=SOMETIMES", "END:VEVENT"],
      ),
      day,
      DECEMBER,
    );
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    expect(r.value.changes.map((c) => (c.kind === "booking" ? c.externalId : ""))).toEqual(["ok"]);
    expect(r.value.skipped).toEqual({ bad_event: 3 });
    // Each at its own line (the calendar's header takes lines 1–3).
    expect(r.value.skippedEvents.map((e) => [e.line, e.problem])).toEqual([
      [8, "no_start"],
      [15, "unreadable_line"],
      [20, "unreadable_line"],
    ]);
  });
});

describe("mapping rules", () => {
  const changes = (
    lines: string[],
    config: Partial<IcalConfig> = { serviceType: "day" },
    window = DECEMBER,
  ) => {
    const r = mapCalendar(
      calendar("BEGIN:VEVENT", ...lines, "END:VEVENT"),
      { url: "https://x.example/", ...config },
      window,
    );
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    return r.value.changes;
  };

  it("converts a TZID the feed does not define through the IANA database", () => {
    const [c] = changes(
      [
        "UID:ny",
        "DTSTART;TZID=America/New_York:20261209T200000",
        "DTEND;TZID=America/New_York:20261209T210000",
      ],
      { serviceType: "visit", timeOfDay: [...DAY_BLOCKS] },
    );
    // 20:00 EST (UTC−5) is 10:00 the next day in Tokyo.
    expect(c).toMatchObject({ startDate: "2026-12-10", endDate: "2026-12-10", timeBlock: "am" });
  });

  it("reads a timed event ending at midnight as ending the day before, and a stay over midnight as one night", () => {
    expect(changes(["UID:a", "DTSTART:20261210T100000", "DTEND:20261211T000000"])[0]).toMatchObject({
      startDate: "2026-12-10",
      endDate: "2026-12-10",
    });
    expect(
      changes(["UID:b", "DTSTART:20261210T150000", "DTEND:20261211T100000"], { serviceType: "stay" })[0],
    ).toMatchObject({ startDate: "2026-12-10", endDate: "2026-12-11" });
  });

  it("expands an endless rule only within the window, and takes events by their first day in it", () => {
    const weekly = ["UID:w", "DTSTART;VALUE=DATE:20200106", "RRULE:FREQ=WEEKLY;BYDAY=MO", "SUMMARY:デイ"];
    const got = changes(weekly, { serviceType: "day" }, { from: "2026-12-01", to: "2026-12-20" });
    expect(got.map((c) => c.externalId)).toEqual(["w/20261207", "w/20261214"]);
    // A stay that began before the window is not the window's.
    expect(
      changes(["UID:s", "DTSTART;VALUE=DATE:20261129", "DTEND;VALUE=DATE:20261203"], { serviceType: "stay" }),
    ).toEqual([]);
  });

  it("ignores keywords before rules, takes the first rule, and skips events no rule or default names", () => {
    const config: Partial<IcalConfig> = {
      rules: [
        { keyword: "ＤＡＹ", serviceType: "day", timeBlock: "day6h" },
        { keyword: "visit", serviceType: "visit" },
      ],
      ignoreKeywords: ["休診"],
    };
    const cal = calendar(
      ...["BEGIN:VEVENT", "UID:1", "DTSTART;VALUE=DATE:20261210", "SUMMARY:day care", "END:VEVENT"],
      ...["BEGIN:VEVENT", "UID:2", "DTSTART;VALUE=DATE:20261211", "SUMMARY:Visit day", "END:VEVENT"],
      ...["BEGIN:VEVENT", "UID:3", "DTSTART;VALUE=DATE:20261212", "SUMMARY:休診 day", "END:VEVENT"],
      ...["BEGIN:VEVENT", "UID:4", "DTSTART;VALUE=DATE:20261213", "SUMMARY:買い物", "END:VEVENT"],
      ...["BEGIN:VEVENT", "UID:5", "DTSTART;VALUE=DATE:20261214", "CATEGORIES:x,VISIT", "END:VEVENT"],
      ...["BEGIN:VEVENT", "DTSTART;VALUE=DATE:20261215", "SUMMARY:no uid", "END:VEVENT"],
    );
    const r = mapCalendar(cal, { url: "https://x.example/", ...config }, DECEMBER);
    if (!r.ok) throw new Error("unreadable");
    expect(byId(r.value)).toEqual({
      "1": ["confirmed", "day", "2026-12-10", "2026-12-10", "day6h"],
      // "Visit day": the day rule comes first.
      "2": ["confirmed", "day", "2026-12-11", "2026-12-11", "day6h"],
      "5": ["confirmed", "visit", "2026-12-14", "2026-12-14", ""],
    });
    // The event without a UID is read (part 3: it gets an identity of its own fields); no rule names it.
    expect(r.value.skipped).toEqual({ ignored_keyword: 1, no_service_type: 2 });
  });

  it("refuses a feed whose rules repeat beyond reason instead of reading half of it", () => {
    const minutely = (uid: string) => [
      "BEGIN:VEVENT",
      `UID:${uid}`,
      "DTSTART:20200101T000000Z",
      "RRULE:FREQ=MINUTELY",
      "SUMMARY:デイ",
      "END:VEVENT",
    ];
    const cal = calendar(...Array.from({ length: 5 }, (_, i) => minutely(`m${i}`)).flat());
    const config = { url: "https://x.example/", serviceType: "day" } as const;
    // With small limits, so the test is quick: each event is read up to 1,000 times, the feed up to 3,000.
    const r = mapCalendar(cal, config, DECEMBER, { event: 1000, feed: 3000 });
    expect(r).toMatchObject({ ok: false, error: { code: "invalid_payload" } });
    // Within the limits, an endless rule is read as far as the limit and the rest of the feed is kept.
    expect(mapCalendar(calendar(...minutely("one")), config, DECEMBER, { event: 1000, feed: 3000 }).ok).toBe(
      true,
    );
  });

  it("skips the hub's own exported events copied into the facility's calendar", () => {
    const r = mapCalendar(
      calendar(
        ...["BEGIN:VEVENT", "UID:5f0c1b2a@sango-care.miyagi.example", "DTSTART;VALUE=DATE:20261210"],
        ...["SUMMARY:産後ケア 宿泊 1泊（確定）", "END:VEVENT"],
        ...["BEGIN:VEVENT", "UID:copied-1", "X-SANGO-BOOKING-ID:5f0c1b2a", "DTSTART;VALUE=DATE:20261211"],
        ...["SUMMARY:産後ケア 宿泊", "END:VEVENT"],
      ),
      { url: "https://x.example/", serviceType: "stay" },
      DECEMBER,
    );
    expect(r.ok && r.value).toMatchObject({ changes: [], skipped: { hub_echo: 2 } });
  });

  it("keeps ids within 200 characters, stably", () => {
    const uid = `${"x".repeat(250)}@example.jp`;
    const a = changes([`UID:${uid}`, "DTSTART;VALUE=DATE:20261210"]);
    const b = changes([`UID:${uid}`, "DTSTART;VALUE=DATE:20261210"]);
    expect(a[0]?.externalId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(a[0]?.externalId).toBe(b[0]?.externalId);
  });

  it("reads counts of places from summaries", () => {
    expect(countIn("【予約】デイケア 2名")).toBe(2);
    expect(countIn("予約（３件）")).toBe(3);
    expect(countIn("宿泊 A様")).toBe(1);
    expect(countIn("予約 999名")).toBe(20);
  });
});

describe("revisions of events without LAST-MODIFIED", () => {
  const outlook = () =>
    mapped("outlook-exchange-export.ics", { rules: [...RULES], timeOfDay: [...DAY_BLOCKS] });

  it("stay the same while the event does, and go up when it changes", () => {
    const t0 = seconds("2026-12-01T01:00:00Z");
    const first = outlook();
    const seen = assignRevisions(first, {}, t0);
    expect(new Set(first.changes.map((c) => c.revision))).toEqual(new Set([t0]));

    // The same feed an hour later: the same revisions (the hub ignores them, nothing is written).
    const again = outlook();
    const seen2 = assignRevisions(again, seen, t0 + 3600);
    expect(again.changes.map((c) => c.revision)).toEqual(first.changes.map((c) => c.revision));
    expect(seen2).toEqual(seen);

    // The stay moved a day: only its revision goes up.
    const moved = mapCalendar(
      text("outlook-exchange-export.ics").replace("20261209T100000", "20261210T100000"),
      { url: "https://x.example/", rules: [...RULES], timeOfDay: [...DAY_BLOCKS] },
      DECEMBER,
    );
    if (!moved.ok) throw new Error("unreadable");
    assignRevisions(moved.value, seen2, t0 + 7200);
    const changed = moved.value.changes.filter((c) => c.revision !== t0);
    expect(changed.map((c) => [c.endDate, c.revision])).toEqual([["2026-12-10", t0 + 7200]]);
  });

  it("always go up, even when the clock does not", () => {
    const m = outlook();
    const [first] = m.changes as [ExternalBooking];
    const id = first.externalId;
    assignRevisions(m, { [id]: ["other-fingerprint", 2_000_000_000] }, 1_800_000_000);
    expect(first.revision).toBe(2_000_000_001);
  });
});

describe("pulling the feed over HTTP", () => {
  const ctx = (over: Partial<ConnectorContext<IcalConfig>> = {}): ConnectorContext<IcalConfig> => ({
    config: googleConfig,
    secret: null,
    state: {},
    http: axios.create({ timeout: 2_000 }),
    log: { info() {}, warn() {} },
    now: () => NOW,
    signal: new AbortController().signal,
    ...over,
  });
  const pull = (c: ConnectorContext<IcalConfig>, window = DECEMBER) => {
    if (!connector.pull) throw new Error("no pull");
    return connector.pull(c, window);
  };

  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  it("reads the whole feed as a complete snapshot of the window, keeping ETag and Last-Modified", async () => {
    nock(FEED_ORIGIN).get(FEED_PATH).reply(200, feed("google-calendar-export.ics"), {
      "Content-Type": "text/calendar; charset=UTF-8",
      ETag: 'W/"abc"',
      "Last-Modified": "Mon, 30 Nov 2026 22:00:00 GMT",
    });
    const r = await pull(ctx());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.complete).toBe(true);
    expect(r.value.window).toEqual(DECEMBER);
    expect(r.value.changes).toHaveLength(8);
    expect(r.value.state).toEqual({
      etag: 'W/"abc"',
      lastModified: "Mon, 30 Nov 2026 22:00:00 GMT",
      window: DECEMBER,
    });
  });

  it("asks conditionally with the saved validators; 304 is not modified, not complete, state kept", async () => {
    const state = { etag: '"v1"', lastModified: "Mon, 30 Nov 2026 22:00:00 GMT", window: DECEMBER };
    nock(FEED_ORIGIN, {
      reqheaders: { "if-none-match": '"v1"', "if-modified-since": "Mon, 30 Nov 2026 22:00:00 GMT" },
    })
      .get(FEED_PATH)
      .reply(304);
    const r = await pull(ctx({ state }));
    expect(r).toEqual({ ok: true, value: { changes: [], complete: false, notModified: true, state } });
  });

  it("reads the feed again, unconditionally, when the window has moved on", async () => {
    const state = { etag: '"v1"', window: { from: "2026-11-30", to: "2026-12-30" } };
    nock(FEED_ORIGIN, { badheaders: ["if-none-match", "if-modified-since"] })
      .get(FEED_PATH)
      .reply(200, feed("google-calendar-export.ics"), { ETag: '"v1"' });
    const r = await pull(ctx({ state }));
    expect(r.ok && r.value.complete).toBe(true);
    expect(r.ok && r.value.state).toEqual({ etag: '"v1"', window: DECEMBER });
  });

  it("remembers fingerprints of unversioned events in its state and keeps their revisions", async () => {
    const config = { ...googleConfig, rules: [...RULES], timeOfDay: [...DAY_BLOCKS] };
    nock(FEED_ORIGIN).get(FEED_PATH).twice().reply(200, feed("outlook-exchange-export.ics"));
    const first = await pull(ctx({ config }));
    if (!first.ok) throw new Error("pull failed");
    const later = new Date(NOW.getTime() + 3_600_000);
    const second = await pull(ctx({ config, state: first.value.state, now: () => later }));
    if (!second.ok) throw new Error("pull failed");
    expect(Object.keys(first.value.state.revisions as object)).toHaveLength(5);
    const revisions = (r: typeof first.value) => r.changes.map((c) => (c as ExternalBooking).revision);
    expect(revisions(second.value)).toEqual(revisions(first.value));
  });

  it("turns webcal:// into https:// and sends credentials from the connection's secret", async () => {
    nock(FEED_ORIGIN, {
      reqheaders: { authorization: `Basic ${Buffer.from("aoba:s3cret").toString("base64")}` },
    })
      .get(FEED_PATH)
      .reply(200, feed("apple-calendar-export.ics"));
    const basic = await pull(
      ctx({
        config: {
          ...googleConfig,
          url: `webcal://calendar.example.jp${FEED_PATH}`,
          auth: "basic",
          username: "aoba",
        },
        secret: "s3cret",
      }),
    );
    expect(basic.ok).toBe(true);
    nock(FEED_ORIGIN, { reqheaders: { authorization: "Bearer t0ken" } })
      .get(FEED_PATH)
      .reply(200, feed("apple-calendar-export.ics"));
    expect((await pull(ctx({ config: { ...googleConfig, auth: "bearer" }, secret: "t0ken" }))).ok).toBe(true);
    const none = await pull(ctx({ config: { ...googleConfig, auth: "bearer" } }));
    expect(none).toMatchObject({ ok: false, error: { code: "auth_expired", retryable: false } });
  });

  it("decodes a Shift_JIS feed from an older Japanese tool", async () => {
    const sjis = iconv.encode(text("japanese-booking-tool-export.ics"), "cp932");
    nock(FEED_ORIGIN).get(FEED_PATH).reply(200, sjis, { "Content-Type": "text/calendar; charset=Shift_JIS" });
    const r = await pull(ctx({ config: { ...googleConfig, rules: [...RULES], countInSummary: true } }));
    expect(r.ok && r.value.changes.length).toBe(5);
  });

  it.each([
    [500, "upstream_5xx", true],
    [503, "upstream_5xx", true],
    [401, "auth_expired", false],
    [403, "auth_expired", false],
    [404, "upstream_4xx", false],
    [410, "upstream_4xx", false],
    [400, "upstream_4xx", false],
    [429, "rate_limited", true],
    [408, "timeout", true],
  ])("answers HTTP %i with %s (retryable: %s)", async (status, code, retryable) => {
    nock(FEED_ORIGIN).get(FEED_PATH).reply(status, "nope");
    expect(await pull(ctx())).toMatchObject({ ok: false, error: { code, retryable } });
  });

  it("answers a slow server with timeout and an unreachable one with network", async () => {
    nock(FEED_ORIGIN).get(FEED_PATH).delay(500).reply(200, feed("google-calendar-export.ics"));
    const slow = await pull(ctx({ http: axios.create({ timeout: 100 }) }));
    expect(slow).toMatchObject({ ok: false, error: { code: "timeout", retryable: true } });
    nock(FEED_ORIGIN)
      .get(FEED_PATH)
      .replyWithError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
    expect(await pull(ctx())).toMatchObject({ ok: false, error: { code: "network", retryable: true } });
  });

  it("answers a login page or a broken file served as 200 with invalid_payload", async () => {
    for (const name of ["broken-html-login-page.ics", "broken-truncated-download.ics", "broken-empty.ics"]) {
      nock(FEED_ORIGIN).get(FEED_PATH).reply(200, feed(name), { "Content-Type": "text/html" });
      expect(await pull(ctx()), name).toMatchObject({ ok: false, error: { code: "invalid_payload" } });
    }
  });

  it("checks health with a plain GET", async () => {
    nock(FEED_ORIGIN).get(FEED_PATH).reply(200, feed("google-calendar-export.ics"));
    expect(await connector.checkHealth?.(ctx())).toEqual({
      ok: true,
      value: { detail: "the feed answers with 10 events" },
    });
    nock(FEED_ORIGIN).get(FEED_PATH).reply(502);
    expect(await connector.checkHealth?.(ctx())).toMatchObject({
      ok: false,
      error: { code: "upstream_5xx" },
    });
  });
});
