/**
 * iCal → canonical bookings, the pure part (no I/O): parses an iCalendar feed with ical.js and maps every event
 * (every occurrence of a recurring one) whose first service date falls in the window to an ExternalBooking.
 *
 * - externalId: the event's UID; for an occurrence of a recurring event UID + "/" + its RECURRENCE-ID
 *   ("20261210" for all-day, "20261210T003000Z" for timed ones), so a moved or cancelled occurrence keeps its id.
 *   A count in the summary ("予約 2名", with `countInSummary`) gives one booking per place: id, id#2, id#3, …
 * - revision: LAST-MODIFIED (seconds since 1970) when the event has it: it changes with every edit (Google bumps
 *   SEQUENCE only when the time moves). Events without it (Outlook publishing, Airbnb-style and many booking-tool
 *   exports) are "unversioned": their revision is assigned by `assignRevisions` from a fingerprint of SEQUENCE and
 *   what the hub keeps (status, type, dates, block), remembered in the connector's state — the same content keeps
 *   its revision, changed content gets the time it was first seen (seconds), so a change is applied once and an
 *   unchanged feed writes nothing. DTSTAMP is not used: most feeds set it to the time of the download.
 * - status: STATUS:CANCELLED (or a summary with one of `cancelledKeywords`) → cancelled, anything else confirmed.
 * - dates: in Asia/Tokyo. All-day events (DATE values) keep their calendar dates, DTEND being exclusive; timed
 *   events are converted with the feed's own VTIMEZONE definitions (Outlook's "Tokyo Standard Time" included),
 *   UTC ("Z") as it is, and a TZID the feed does not define through the IANA database (or as Tokyo time when
 *   unknown, like floating times: a facility's calendar is in Japan).
 * - service type and time block: the first rule whose keyword is in SUMMARY or CATEGORIES, else the configured
 *   `serviceType`; a timed day-care or visit event without a rule block gets the block of `timeOfDay` its start
 *   falls in. Events matching `ignoreKeywords`, or with no service type at all, are skipped.
 *
 * Events of the hub's own exported feed copied into the facility's calendar (UID @HUB_UID_DOMAIN) are skipped,
 * so nothing loops. Summaries, descriptions and attendees are read only to classify an event; nothing of them is
 * returned (they may hold a mother's name).
 */
import { createHash } from "node:crypto";
import ICAL from "ical.js";
import type { ExternalBooking, Result, ServiceType } from "../contract.js";
import { fail, ok } from "../contract.js";

export type IcalRule = { keyword: string; serviceType?: ServiceType; timeBlock?: string };
/** A time block by time of day (Tokyo, "HH:MM", end exclusive), for one service type or all. */
export type IcalTimeOfDay = { timeBlock: string; start: string; end: string; serviceType?: ServiceType };

/** A connection's configuration (schemas/connectors/ical.schema.json). */
export type IcalConfig = {
  /** The feed's address (https://, http:// or webcal://). */
  url: string;
  /** The service type of events no rule names; without it such events are skipped. */
  serviceType?: ServiceType;
  /** Keywords looked for in SUMMARY and CATEGORIES (first match wins), e.g. 宿泊 → stay, デイ → day. */
  rules?: IcalRule[];
  /** Time blocks by time of day (Tokyo), for timed day-care and visit events. */
  timeOfDay?: IcalTimeOfDay[];
  /** Events whose SUMMARY or CATEGORIES hold one of these are not bookings (e.g. 休診, 会議). */
  ignoreKeywords?: string[];
  /** Events whose SUMMARY holds one of these are cancelled bookings (tools that do not set STATUS). */
  cancelledKeywords?: string[];
  /** A count in the summary ("2名", "3件") means that many places. */
  countInSummary?: boolean;
  /**
   * How an all-day stay's DTEND is read: "days" (default) — the event covers the days of the stay (1泊2日 is an
   * event over two days); "nights" — DTEND is the check-out day (Airbnb-style exports).
   */
  stayDates?: "days" | "nights";
  /** Credentials: "basic" (username + the connection's secret as password) or "bearer" (the secret). */
  auth?: "none" | "basic" | "bearer";
  username?: string;
};

export type Window = { from: string; to: string };

export type SkipReason = "outside_window" | "ignored_keyword" | "no_service_type" | "bad_event" | "hub_echo";

/** Why an event could not be read: a line that is not iCalendar, a value that is not its type, no start, a broken rule. */
export type BadEventProblem = "unreadable_line" | "bad_value" | "no_start" | "bad_recurrence";

/**
 * An event left out that the facility should know about (not those outside the window or copied from the hub's
 * own feed): where it is in the file (its line, 1 = the first), why, and its first day when it has one. Nothing
 * of its summary or description: they may hold a mother's name.
 */
export type SkippedEvent = {
  reason: Exclude<SkipReason, "outside_window" | "hub_echo">;
  line: number;
  date?: string;
  problem?: BadEventProblem;
  /** The property whose value could not be read (bad_value), e.g. "EXDATE". */
  property?: string;
};

/**
 * The domain of the UIDs in the hub's own exported feed (hub/connections/ical-feed.ts). An event with such a UID
 * in a facility's feed is one of ours copied into its calendar: never imported, or it would loop back as a
 * second booking.
 */
export const HUB_UID_DOMAIN = "sango-care.miyagi.example";

export type Mapped = {
  changes: ExternalBooking[];
  /** The externalIds of changes without LAST-MODIFIED, with their fingerprints (revision 0 until assigned). */
  unversioned: Map<string, string>;
  /** Events (or occurrences) left out, by reason; counts only, never their contents. */
  skipped: Partial<Record<SkipReason, number>>;
  /** The events behind the counts the facility should see (every reason but outside_window and hub_echo). */
  skippedEvents: SkippedEvent[];
  /** The UIDs of events that could not be read: still in the feed, so their bookings have not vanished. */
  unreadableUids: string[];
  /** VEVENT components in the feed. */
  events: number;
};

/** The most occurrences of one recurring event read (a rule that never ends is read until the window's end). */
export const MAX_ITERATIONS = 25_000;
/** The most occurrences read in one feed, all events together: beyond it the feed is refused, not half read. */
export const MAX_FEED_ITERATIONS = 100_000;

const LIMITS = { event: MAX_ITERATIONS, feed: MAX_FEED_ITERATIONS };

class TooLarge extends Error {}
/** The most places one event's count can stand for. */
export const MAX_COUNT = 20;

const DAY_MS = 86_400_000;
const TOKYO_MS = 9 * 3_600_000;

/** Parses and maps a feed; an unreadable one is `invalid_payload`, never a throw. */
export function mapCalendar(
  text: string,
  config: IcalConfig,
  window: Window,
  limits = LIMITS,
): Result<Mapped> {
  const parsed = parseFeed(text);
  if (!parsed.ok) return parsed;
  try {
    const mapped = mapEvents(parsed.value.calendar, config, window, limits, parsed.value.lines);
    for (const { uid, ...bad } of parsed.value.bad) {
      mapped.skipped.bad_event = (mapped.skipped.bad_event ?? 0) + 1;
      mapped.skippedEvents.push(bad);
      if (uid) mapped.unreadableUids.push(uid);
    }
    mapped.events += parsed.value.bad.length;
    mapped.skippedEvents.sort((a, b) => a.line - b.line);
    return ok(mapped);
  } catch (err) {
    if (err instanceof TooLarge) {
      return fail("invalid_payload", `the feed's recurring events repeat more than ${limits.feed} times`);
    }
    throw err;
  }
}

/** The VCALENDAR of an iCalendar text, with its readable events (see parseFeed). */
export function parseCalendar(text: string): Result<ICAL.Component> {
  const parsed = parseFeed(text);
  return parsed.ok ? ok(parsed.value.calendar) : parsed;
}

/** A feed read event by event: the calendar with the events that could be read, and those that could not. */
export type ParsedFeed = {
  calendar: ICAL.Component;
  /** With the UID each names, when its UID line could be read. */
  bad: (SkippedEvent & { uid?: string })[];
  /** The line each event begins on, by its jCal array. */
  lines: WeakMap<object, number>;
};

/**
 * Reads a feed event by event, as other calendar programs do: the calendar around the events (its properties and
 * VTIMEZONEs) must be iCalendar, but an event that is not (an unclosed quote in a TZID, a line without a colon)
 * is left out with its line and the rest is read. Values ical.js reads lazily (dates, EXDATE without
 * VALUE=DATE on an all-day event, …) are checked here too, so a bad one is reported at its own line.
 */
export function parseFeed(text: string): Result<ParsedFeed> {
  const body = text.replace(/^\uFEFF/, "");
  if (!/^\s*BEGIN:VCALENDAR/i.test(body)) {
    const what = /^\s*</.test(body)
      ? "an HTML page"
      : body.trim() === ""
        ? "an empty file"
        : "something else";
    return fail("invalid_payload", `not an iCalendar file (got ${what})`);
  }
  const { skeleton, events, cut } = splitEvents(body);
  // A download cut short is not read at all: as a complete snapshot, every booking after the cut would look vanished.
  if (cut) return fail("invalid_payload", "the calendar ends too early (the download was cut off)");
  let root: ICAL.Component;
  try {
    const jcal = ICAL.parse(skeleton);
    // Several calendars in one file: ical.js gives an array; only the first is read.
    root = new ICAL.Component((Array.isArray(jcal[0]) ? jcal[0] : jcal) as unknown[]);
    if (root.name !== "vcalendar") return fail("invalid_payload", "not an iCalendar file (no VCALENDAR)");
  } catch {
    return fail("invalid_payload", UNREADABLE);
  }
  const bad: ParsedFeed["bad"] = [];
  const lines = new WeakMap<object, number>();
  for (const e of events) {
    const problem = readEvent(e);
    if ("reason" in problem) {
      const uid = e.lines.map((l) => /^UID(?:;[^:]*)?:(.+)$/i.exec(l.text.trim())?.[1]?.trim()).find(Boolean);
      bad.push(uid ? { ...problem, uid } : problem);
      continue;
    }
    root.addSubcomponent(problem.component);
    lines.set(problem.component.jCal, e.line);
  }
  return ok({ calendar: root, bad, lines });
}

type EventText = { line: number; lines: { line: number; text: string }[] };

/**
 * Splits a feed into the calendar without its events and the events' own lines (unfolded, each with the line it
 * begins on). An event runs from BEGIN:VEVENT to its END:VEVENT (VALARMs inside it included); one cut off by the
 * end of the file is an event like the others and fails to parse on its own.
 */
function splitEvents(body: string): { skeleton: string; events: EventText[]; cut: boolean } {
  const physical = body.split(/\r\n|\n|\r/);
  const logical: { line: number; text: string }[] = [];
  physical.forEach((text, i) => {
    const last = logical[logical.length - 1];
    if ((text.startsWith(" ") || text.startsWith("\t")) && last) last.text += text.slice(1);
    else logical.push({ line: i + 1, text });
  });
  const skeleton: string[] = [];
  const events: EventText[] = [];
  let current: EventText | null = null;
  let depth = 0;
  for (const l of logical) {
    const upper = l.text.trim().toUpperCase();
    if (!current) {
      if (upper === "BEGIN:VEVENT") {
        current = { line: l.line, lines: [l] };
        depth = 1;
      } else if (l.text.trim() !== "") skeleton.push(l.text);
      continue;
    }
    current.lines.push(l);
    if (upper.startsWith("BEGIN:")) depth++;
    else if (upper.startsWith("END:")) depth--;
    if (depth === 0 || (upper === "END:VCALENDAR" && depth > 0)) {
      if (upper === "END:VCALENDAR") {
        // Cut off: the calendar ends inside the event.
        current.lines.pop();
        skeleton.push(l.text);
      }
      events.push(current);
      current = null;
    }
  }
  const ended = skeleton.some((l) => l.trim().toUpperCase() === "END:VCALENDAR");
  return { skeleton: skeleton.join("\r\n"), events, cut: !!current || !ended };
}

/** One event, parsed and with every value read once: the component, or why and where it is not readable. */
function readEvent(e: EventText): { component: ICAL.Component } | SkippedEvent {
  const bad = (problem: BadEventProblem, line = e.line, property?: string): SkippedEvent => ({
    reason: "bad_event",
    line,
    problem,
    ...(property ? { property } : {}),
  });
  let component: ICAL.Component;
  try {
    component = new ICAL.Component(ICAL.parse(e.lines.map((l) => l.text).join("\r\n")) as unknown[]);
  } catch {
    // The line ical.js could not read: the first that does not parse as a property on its own.
    const at = e.lines.find((l) => !/^(BEGIN|END):/i.test(l.text.trim()) && !parsesAsProperty(l.text));
    return bad("unreadable_line", at?.line ?? e.line);
  }
  for (const p of component.getAllProperties()) {
    try {
      p.getValues();
    } catch {
      const name = p.name.toUpperCase();
      const at = e.lines.find((l) => l.text.toUpperCase().startsWith(name));
      return bad("bad_value", at?.line ?? e.line, name);
    }
  }
  if (!component.hasProperty("dtstart")) return bad("no_start");
  return { component };
}

function parsesAsProperty(line: string): boolean {
  try {
    ICAL.parse.property(line);
    return true;
  } catch {
    return false;
  }
}

/**
 * The parser's own message is not passed on: it quotes what the server sent, which is not the facility staff's to
 * read when the address was not a calendar at all.
 */
const UNREADABLE = "the calendar could not be read (it is not valid iCalendar)";

/** The most skipped events listed one by one (the counts by reason stay exact). */
export const MAX_SKIPPED_LISTED = 200;

/** Maps the events of a parsed calendar; `lines` (from parseFeed) gives the line each event begins on. */
export function mapEvents(
  calendar: ICAL.Component,
  config: IcalConfig,
  window: Window,
  limits = LIMITS,
  lines: WeakMap<object, number> = new WeakMap(),
): Mapped {
  const vevents = calendar.getAllSubcomponents("vevent");
  const out: Mapped = {
    changes: [],
    unversioned: new Map(),
    skipped: {},
    skippedEvents: [],
    unreadableUids: [],
    events: vevents.length,
  };
  const lineOf = (v: ICAL.Component) => lines.get(v.jCal) ?? 0;
  const skip = (
    reason: SkipReason,
    v?: ICAL.Component,
    start?: ICAL.Time | null,
    extra?: Partial<SkippedEvent>,
  ) => {
    out.skipped[reason] = (out.skipped[reason] ?? 0) + 1;
    if (reason === "outside_window" || reason === "hub_echo" || !v) return;
    if (out.skippedEvents.length >= MAX_SKIPPED_LISTED) return;
    let date: string | undefined;
    try {
      if (start) date = toTokyo(start, tzidOf(v, "dtstart")).date;
    } catch {
      date = undefined;
    }
    out.skippedEvents.push({ reason, line: lineOf(v), ...(date ? { date } : {}), ...extra });
  };
  // Group by UID: the master (no RECURRENCE-ID) and its overridden occurrences. Events without a UID get one
  // from their own fields (identityOf).
  const byUid = new Map<string, { master?: ICAL.Component; exceptions: ICAL.Component[] }>();
  const uidless = new Map<string, number>();
  for (const v of vevents) {
    if (!v.hasProperty("dtstart")) {
      skip("bad_event", v, null, { problem: "no_start" });
      continue;
    }
    let uid = text(v, "uid");
    if (!uid) {
      const base = identityOf(v);
      const seen = (uidless.get(base) ?? 0) + 1;
      uidless.set(base, seen);
      // Identical events (the same slot booked twice): numbered in the order of the feed.
      uid = seen === 1 ? base : `${base}~${seen}`;
    }
    if (uid.toLowerCase().endsWith(`@${HUB_UID_DOMAIN}`) || v.hasProperty("x-sango-booking-id")) {
      skip("hub_echo");
      continue;
    }
    const group = byUid.get(uid) ?? { exceptions: [] };
    if (v.hasProperty("recurrence-id")) group.exceptions.push(v);
    else group.master = v;
    byUid.set(uid, group);
  }
  const lastWanted = addDays(window.to, 1);
  let budget = limits.feed;
  for (const [uid, { master, exceptions }] of byUid) {
    const recurring = master && (master.hasProperty("rrule") || master.hasProperty("rdate"));
    if (master && recurring) {
      // One event's broken rule or exception leaves that event out (bad_event), not the feed.
      const group: Mapped = { ...out, changes: [], unversioned: new Map(), skipped: {}, skippedEvents: [] };
      try {
        const event = new ICAL.Event(master, { exceptions, strictExceptions: false });
        const it = event.iterator();
        let n = 0;
        for (let next = it.next(); next; next = it.next()) {
          if (++n > limits.event) break;
          if (--budget < 0) throw new TooLarge();
          const details = event.getOccurrenceDetails(next);
          const original = occurrenceDay(details.recurrenceId, details.item.component);
          // Occurrences come in order; an overridden one may move, so read a little past the window.
          if (original > addDays(lastWanted, 31)) break;
          const b = occurrence(
            details.item.component,
            details.startDate,
            details.endDate,
            `${uid}/${recurrenceKey(details.recurrenceId, details.item.component)}`,
            config,
            window,
          );
          if (typeof b === "string") {
            group.skipped[b] = (group.skipped[b] ?? 0) + 1;
            group.skippedEvents.push({
              reason: b as SkippedEvent["reason"],
              line: lineOf(details.item.component),
              date: occurrenceStart(details.startDate, details.item.component),
            });
          } else add(group, b);
        }
      } catch (err) {
        if (err instanceof TooLarge) throw err;
        skip("bad_event", master, null, { problem: "bad_recurrence" });
        continue;
      }
      for (const c of group.changes) out.changes.push(c);
      for (const [k, f] of group.unversioned) out.unversioned.set(k, f);
      for (const [reason, count] of Object.entries(group.skipped) as [SkipReason, number][]) {
        out.skipped[reason] = (out.skipped[reason] ?? 0) + count;
      }
      for (const e of group.skippedEvents) {
        if (e.reason === ("outside_window" as string) || e.reason === ("hub_echo" as string)) continue;
        if (out.skippedEvents.length < MAX_SKIPPED_LISTED) out.skippedEvents.push(e);
      }
      continue;
    }
    const singles = master ? [master] : [];
    // Overridden occurrences whose master is not in the feed (a calendar shared one instance): each its own.
    const orphans = master ? [] : exceptions;
    for (const v of [...singles, ...orphans]) {
      let b: Occurrence[] | SkipReason;
      let start: ICAL.Time | null = null;
      try {
        // Exceptions given (none): without them ical.js scans every VEVENT of the calendar for each event, which
        // made a feed of 10,000 events take minutes.
        const event = new ICAL.Event(v, { exceptions: [], strictExceptions: false });
        start = event.startDate;
        const id = v === master ? uid : `${uid}/${recurrenceKey(event.recurrenceId, v)}`;
        b = occurrence(v, event.startDate, event.endDate, id, config, window);
      } catch {
        skip("bad_event", v, null, { problem: "bad_value" });
        continue;
      }
      if (typeof b === "string") skip(b, v, start);
      else add(out, b);
    }
  }
  return out;
}

function occurrenceStart(start: ICAL.Time, v: ICAL.Component): string | undefined {
  try {
    return toTokyo(start, tzidOf(v, "dtstart")).date;
  } catch {
    return undefined;
  }
}

/**
 * A stable identity for an event without a UID (Outlook Web App exports, some recurring series): "nouid:" and the
 * SHA-256 (first 32 hex digits) of what the event itself says of when and what — DTSTART, DTEND or DURATION
 * (each with its TZID), RRULE, RDATE, EXDATE, RECURRENCE-ID, SUMMARY, LOCATION and CREATED — never DTSTAMP (many
 * feeds set it to the download time). The same event reads the same identity on every pull; an edit to one of
 * these fields makes it a new event (the old one goes to review as missing from the feed).
 */
export function identityOf(v: ICAL.Component): string {
  const fields = [
    "dtstart",
    "dtend",
    "duration",
    "rrule",
    "rdate",
    "exdate",
    "recurrence-id",
    "summary",
    "location",
    "created",
  ];
  const parts = fields.map((name) =>
    v
      .getAllProperties(name)
      .map((p) => `${p.getParameter("tzid") ?? ""}|${JSON.stringify(p.toJSON().slice(3))}`)
      .join(","),
  );
  return `nouid:${createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 32)}`;
}

function add(out: Mapped, bookings: Occurrence[]) {
  for (const { change, fingerprint } of bookings) {
    out.changes.push(change);
    if (fingerprint) out.unversioned.set(change.externalId, fingerprint);
  }
}

type Occurrence = { change: ExternalBooking; fingerprint?: string };

/** One event or occurrence → its bookings (one per place), or why it was left out. */
function occurrence(
  v: ICAL.Component,
  start: ICAL.Time,
  end: ICAL.Time | null,
  id: string,
  config: IcalConfig,
  window: Window,
): Occurrence[] | SkipReason {
  const summary = normalize(text(v, "summary"));
  const categories = v
    .getAllProperties("categories")
    .flatMap((p) => p.getValues().map((c) => normalize(String(c))))
    .join(" ");
  const words = `${summary} ${categories}`;
  if ((config.ignoreKeywords ?? []).some((k) => words.includes(normalize(k)))) return "ignored_keyword";
  const rule = (config.rules ?? []).find((r) => words.includes(normalize(r.keyword)));
  const serviceType = rule?.serviceType ?? config.serviceType;
  if (!serviceType) return "no_service_type";

  const startTzid = tzidOf(v, "dtstart");
  const from = toTokyo(start, startTzid);
  const to = end ? toTokyo(end, tzidOf(v, "dtend") ?? startTzid) : null;
  const startDate = from.date;
  if (startDate < window.from || startDate > window.to) return "outside_window";

  // The last day the event covers: DTEND is exclusive (a timed event ending at midnight ends the day before).
  let lastDay = startDate;
  if (to && to.date > startDate) lastDay = from.allDay || to.minutes === 0 ? addDays(to.date, -1) : to.date;
  let endDate = lastDay;
  let timeBlock = "";
  if (serviceType === "stay") {
    // Canonical stays end on the check-out day (1泊2日: start + 1).
    if (config.stayDates === "nights" && from.allDay && to && to.date > startDate) endDate = to.date;
    if (endDate <= startDate) endDate = addDays(startDate, 1);
  } else {
    const blocks = (config.timeOfDay ?? []).filter((b) => !b.serviceType || b.serviceType === serviceType);
    timeBlock = rule?.timeBlock ?? (from.allDay ? "" : blockAt(blocks, from.minutes, to));
  }

  const cancelled =
    text(v, "status").toUpperCase() === "CANCELLED" ||
    (config.cancelledKeywords ?? []).some((k) => summary.includes(normalize(k)));
  const count = config.countInSummary ? countIn(summary) : 1;
  const lastModified = lastModifiedOf(v);
  const base: Omit<ExternalBooking, "externalId"> = {
    kind: "booking",
    revision: lastModified ?? 0,
    status: cancelled ? "cancelled" : "confirmed",
    serviceType,
    startDate,
    endDate,
    ...(timeBlock ? { timeBlock } : {}),
  };
  const fingerprint =
    lastModified === null
      ? createHash("sha256")
          .update(
            JSON.stringify([text(v, "sequence"), base.status, serviceType, startDate, endDate, timeBlock]),
          )
          .digest("hex")
          .slice(0, 16)
      : undefined;
  return Array.from({ length: count }, (_, i) => ({
    change: { ...base, externalId: externalIdOf(i === 0 ? id : `${id}#${i + 1}`) },
    ...(fingerprint ? { fingerprint } : {}),
  }));
}

const text = (v: ICAL.Component, name: string): string => {
  const value = v.getFirstPropertyValue(name);
  return value === null || value === undefined ? "" : String(value).trim();
};

/** Full-width letters and digits as half-width, lower case: "ＤＡＹ２" and "day2" match. */
export const normalize = (s: string) => s.normalize("NFKC").toLowerCase();

/** The number of places in a summary such as "【予約】デイケア 2名" (1 when it names none). */
export function countIn(summary: string): number {
  const m = /(\d{1,3})\s*(?:名|人|件|組|枠|席)/.exec(summary.normalize("NFKC"));
  const n = m ? Number(m[1]) : 1;
  return Math.min(Math.max(n, 1), MAX_COUNT);
}

/** LAST-MODIFIED in seconds since 1970, or null when the event has none. */
export function lastModifiedOf(v: ICAL.Component): number | null {
  const t = v.getFirstPropertyValue("last-modified");
  if (!(t instanceof ICAL.Time)) return null;
  const s = Math.floor(t.toUnixTime());
  return Number.isFinite(s) ? Math.max(0, s) : null;
}

/** What the connector remembers of unversioned events: externalId → [fingerprint, revision]. */
export type SeenRevisions = Record<string, [string, number]>;

/**
 * Gives unversioned changes their revision: the remembered one while the fingerprint is the same, else a new one
 * (the time in seconds, and always above the one before). Returns what to remember for the next pull.
 */
export function assignRevisions(mapped: Mapped, seen: SeenRevisions, nowSeconds: number): SeenRevisions {
  const next: SeenRevisions = {};
  for (const change of mapped.changes) {
    const fingerprint = mapped.unversioned.get(change.externalId);
    if (!fingerprint) continue;
    const before = seen[change.externalId];
    const valid = Array.isArray(before) && typeof before[1] === "number" && Number.isInteger(before[1]);
    const revision =
      valid && before[0] === fingerprint
        ? before[1]
        : Math.max(Math.floor(nowSeconds), valid ? before[1] + 1 : 0);
    change.revision = revision;
    next[change.externalId] = [fingerprint, revision];
  }
  return next;
}

/** Ids longer than the ledger keeps (200) are replaced by their SHA-256, stably. */
export function externalIdOf(id: string): string {
  return id.length <= 200 ? id : `sha256:${createHash("sha256").update(id).digest("hex")}`;
}

/** "20261210" for an all-day occurrence, "20261210T003000Z" (UTC) for a timed one. */
function recurrenceKey(recurrenceId: ICAL.Time | null, v: ICAL.Component): string {
  if (!recurrenceId) return "none";
  if (recurrenceId.isDate) return ymd(recurrenceId).replaceAll("-", "");
  const unix = absolute(recurrenceId, tzidOf(v, "recurrence-id") ?? tzidOf(v, "dtstart"));
  return new Date(unix * 1000).toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
}

function occurrenceDay(recurrenceId: ICAL.Time | null, v: ICAL.Component): string {
  return recurrenceId ? toTokyo(recurrenceId, tzidOf(v, "dtstart")).date : "0000-00-00";
}

const tzidOf = (v: ICAL.Component, prop: string): string | undefined => {
  const p = v.getFirstProperty(prop)?.getParameter("tzid");
  return typeof p === "string" ? p : undefined;
};

export type TokyoTime = { date: string; minutes: number; allDay: boolean };

/** A DATE or DATE-TIME value as the Tokyo calendar date and minutes after midnight. */
export function toTokyo(t: ICAL.Time, tzid?: string): TokyoTime {
  if (t.isDate) return { date: ymd(t), minutes: 0, allDay: true };
  const tokyo = new Date(absolute(t, tzid) * 1000 + TOKYO_MS);
  return {
    date: tokyo.toISOString().slice(0, 10),
    minutes: tokyo.getUTCHours() * 60 + tokyo.getUTCMinutes(),
    allDay: false,
  };
}

/** Seconds since 1970 of a DATE-TIME value. */
function absolute(t: ICAL.Time, tzid?: string): number {
  const zone = t.zone;
  // UTC, or a zone the feed defines (VTIMEZONE): ical.js knows the offset.
  if (zone && zone !== ICAL.Timezone.localTimezone && zone.tzid !== "floating") return t.toUnixTime();
  // Floating: either no TZID (local time) or a TZID the feed does not define.
  const wall = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
  return (wall - offsetMs(tzid, wall)) / 1000;
}

/** Names Windows and some tools use for Japan time. */
const TOKYO_NAMES = /tokyo|japan|^jst$|^asia\/tokyo$|osaka|sapporo/i;

/** The offset from UTC of a zone at a wall-clock time (Tokyo's when the zone is unknown or absent). */
function offsetMs(tzid: string | undefined, wall: number): number {
  if (!tzid || TOKYO_NAMES.test(tzid)) return TOKYO_MS;
  const clean = tzid.replace(/^\//, "");
  try {
    // Two passes: the offset at the instant the wall time would be in UTC, then at the corrected instant.
    let offset = zoneOffset(clean, wall);
    offset = zoneOffset(clean, wall - offset);
    return offset;
  } catch {
    return TOKYO_MS;
  }
}

function zoneOffset(timeZone: string, instant: number): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour"),
    get("minute"),
    get("second"),
  );
  return asUtc - Math.floor(instant / 1000) * 1000;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The block whose [start, end) holds the event's start; else the one it overlaps most; else "". */
function blockAt(blocks: IcalTimeOfDay[], start: number, end: TokyoTime | null): string {
  const within = blocks.find((b) => minutesOf(b.start) <= start && start < minutesOf(b.end));
  if (within) return within.timeBlock;
  const stop = end && end.minutes > start ? end.minutes : start;
  let best = "";
  let most = 0;
  for (const b of blocks) {
    const overlap = Math.min(stop, minutesOf(b.end)) - Math.max(start, minutesOf(b.start));
    if (overlap > most) {
      most = overlap;
      best = b.timeBlock;
    }
  }
  return best;
}

const ymd = (t: ICAL.Time) =>
  `${String(t.year).padStart(4, "0")}-${String(t.month).padStart(2, "0")}-${String(t.day).padStart(2, "0")}`;

/** "2026-12-31" + 1 → "2027-01-01". */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d) + days * DAY_MS).toISOString().slice(0, 10);
}
