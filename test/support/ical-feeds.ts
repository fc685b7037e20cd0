/**
 * Large calendar feeds for the sync tests and the bench: `count` all-day one-night stays ("宿泊 予約"), spread
 * over `days` days from `from`, with a stable UID each, as a calendar app exports them. `bytes` pads each event
 * with a DESCRIPTION (folded at 75 octets, as RFC 5545 asks) until the feed is about that large; `lastModified:
 * false` leaves LAST-MODIFIED out (the connector then fingerprints events and assigns their revisions itself).
 */
import { addDays, formatDate, parseDate } from "../../hub/inventory/dates.js";

export type LargeFeed = { count: number; from: string; days: number; bytes?: number; lastModified?: boolean };

export function largeFeed(f: LargeFeed): string {
  const head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Example//Large Calendar//JA"];
  let pad: string[] = [];
  if (f.bytes) {
    const bare = Buffer.byteLength(largeFeed({ ...f, bytes: undefined }));
    // Octets to add per event; a DESCRIPTION line costs 14 of its own and 3 per fold (CRLF, space) every 74.
    const extra = (f.bytes - bare) / f.count;
    const n = Math.floor(((extra - 14) * 74) / 77);
    // ASCII padding: one octet a character, so the folding below counts octets right.
    if (n > 0) pad = fold(`DESCRIPTION:${"x".repeat(n)}`);
  }
  const start = parseDate(f.from) as Date;
  const ymd = (n: number) => formatDate(addDays(start, n)).replaceAll("-", "");
  const lines = [...head];
  for (let i = 0; i < f.count; i++) {
    const day = i % f.days;
    lines.push(
      "BEGIN:VEVENT",
      `UID:large-${i}@calendar.example.jp`,
      "DTSTAMP:20261201T000000Z",
      ...(f.lastModified === false ? [] : ["LAST-MODIFIED:20261201T000000Z"]),
      `DTSTART;VALUE=DATE:${ymd(day)}`,
      `DTEND;VALUE=DATE:${ymd(day + 2)}`,
      "SUMMARY:宿泊 予約",
      ...pad,
      "END:VEVENT",
    );
  }
  lines.push("END:VCALENDAR", "");
  return lines.join("\r\n");
}

function fold(line: string): string[] {
  const out = [line.slice(0, 75)];
  for (let i = 75; i < line.length; i += 74) out.push(` ${line.slice(i, i + 74)}`);
  return out;
}
