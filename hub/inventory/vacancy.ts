/**
 * The unified vacancy view (空き状況の一括検索): for every published facility that matches a search, its free places
 * per day (per time block for day care and home visits) over a range of up to 90 days, with each facility's
 * freshness. Public, like the facility search; it shows no personal data.
 *
 * Built for a hot public read. One aggregate statement reads everything the view needs from `slot` and `closure`
 * for a window of days from today (slot rows are created lazily, so a missing row is the service's default
 * capacity, closed when a closure covers the day); the facility side comes from the in-memory directory. The
 * window is kept together with the version of the data it was read at (hub/db/change-counters.ts: counters bumped
 * by triggers in the transaction that changes a facility's slots, closures, connection or the directory): while the
 * version has not moved, nothing it shows can have changed — commits to other tables (bookings' events, the audit
 * log, the outbox) do not count — and each range and service type asked for is cut from it in memory, each facility
 * serialised once. Checking the version is one small query; requests that arrive while one runs share the next one
 * (never one that started before they arrived), so a change committed before a request is always seen by it,
 * whichever process made it.
 *
 * A search that finds no free place at all is unmet demand: it is recorded (UnmetSearch) with the searcher's role
 * only, never who they are. The same searcher repeating the same search (paging, reloading, a script) counts once
 * per UNMET_WINDOW_MS, so unmet demand is people looking, not requests.
 */
import { SharedVersionRead, vacancyVersion } from "../db/change-counters.js";
import type { FacilityKind, Prisma, PrismaClient, ServiceType } from "../db/client.js";
import { problems } from "../errors.js";
import type { FacilityDirectory } from "../facilities/directory.js";
import type { FacilityDto } from "../facilities/mapper.js";
import { type FacilityFilters, matchesFilters, type SearchEntry, searchEntry } from "../facilities/search.js";
import { addDays, daysBetween, formatDate, parseRange, requireDate, tokyoToday } from "./dates.js";
import { SERVICE_ORDER, slotBlocks } from "./slots.js";

/** The longest range one vacancy search covers. */
export const MAX_VACANCY_DAYS = 90;
/** The range shown when none is given: two weeks from today. */
export const DEFAULT_VACANCY_DAYS = 14;
/** Days from today read at once: every range the portal offers falls inside (from up to 90 days ahead, 4 weeks). */
export const WINDOW_DAYS = 120;
/** One searcher's same unmet search is recorded at most once in this long. */
export const UNMET_WINDOW_MS = 30 * 60_000;
/** Searchers remembered for that (the oldest are forgotten first). */
const UNMET_REMEMBERED = 10_000;
/** Ranges and service types kept cut out of the window (older ones are dropped first). */
const CACHED_VIEWS = 64;

export type VacancyQuery = Omit<FacilityFilters, "serviceType"> & {
  from?: string;
  to?: string;
  serviceType?: ServiceType;
  /** Only facilities with at least one free place in the range. */
  available?: boolean;
  limit?: number;
  offset?: number;
};

/** One time block (or the whole day, `timeBlock: ""`) of a service: free places per day of the range. */
export type VacancyBlock = {
  timeBlock: string;
  start: string | null;
  end: string | null;
  /** One entry per day from `from`: free places (0 = full), or null when closed that day. */
  free: (number | null)[];
};
export type VacancyService = { serviceType: ServiceType; capacity: number; blocks: VacancyBlock[] };
export type VacancyFacility = {
  facilityId: string;
  name: string;
  kana: string;
  kind: FacilityKind;
  municipalityCode: string;
  municipalityName: string;
  region: string;
  languages: string[];
  accessibility: string[];
  bookingUrl: string;
  /** Freshness: the latest change of this facility's vacancy (else of its profile). */
  asOf: string;
  /**
   * The facility's own system has not been heard from lately (or its connection is off): the numbers are the
   * last known ones, not counted in `freePlaces`; a request may still be made and the facility decides.
   */
  requestOnly: boolean;
  /** Free places over the whole range, every service and block together. */
  freePlaces: number;
  services: VacancyService[];
};
export type VacancyResult = {
  from: string;
  to: string;
  days: number;
  serviceType: ServiceType | null;
  /** When the hub last confirmed these numbers are current (the moment of the request). */
  checkedAt: string;
  /** Facilities matching the search, and their free places together (before paging). */
  total: number;
  freePlaces: number;
  items: VacancyFacility[];
};

type Entry = { search: SearchEntry; freePlaces: number; json: string };
/** An answer without its `checkedAt`, ready to send: the same search is answered again from it. */
type Answer = { rest: Buffer; total: number; freePlaces: number };
/** A range and service type cut from the window, with the answers given from it so far. */
type View = { source: Source; entries: Entry[]; answers: Map<string, Answer>; validUntil: number };
/** Different searches answered from one view before the oldest answers are dropped. */
const CACHED_ANSWERS = 64;

/**
 * What one aggregate statement returns for a window: per facility × service × block, the day offsets that have a
 * slot row with their free places (-1 = closed) and the latest update; per facility × service type (null = all),
 * the closed day offsets; and the version of the data the statement read.
 */
export type Aggregate = {
  version: string;
  slots: [string, ServiceType, string, number[], number[], string][];
  closures: [string, ServiceType | null, number[]][];
  /**
   * Facilities whose places are not always trusted (synced from their own systems): id, and until when (ISO) their
   * places are shown — null when never (the connection is disabled, or its pull never succeeded).
   */
  trustedUntil: [string, string | null][];
};

/** A window of days read at one version, with the directory's facilities as they were then. */
type Source = {
  version: string;
  start: Date;
  days: number;
  facilities: FacilityDto[];
  aggregate: Aggregate;
  /** Per facility synced from its own system: from when (ms) its vacancy is request only. */
  requestOnlyFrom: Map<string, number>;
};

/** The vacancy of one database (one hub): the window, the views cut from it, the shared version check. */
class VacancyIndex {
  private source?: Source;
  private loading?: Promise<Source>;
  private readonly views = new Map<string, View>();
  private readonly versions: SharedVersionRead;

  constructor(private readonly prisma: PrismaClient) {
    this.versions = new SharedVersionRead(() => vacancyVersion(prisma));
  }

  /** The facilities' vacancy for a range, current as of a version read after this call began. */
  async view(
    directory: FacilityDirectory,
    range: { from: Date; days: number },
    serviceType: ServiceType | undefined,
    now: Date,
  ): Promise<View> {
    const source = await this.current(directory, range, tokyoToday(now));
    const key = `${formatDate(range.from)}/${range.days}/${serviceType ?? ""}`;
    const cached = this.views.get(key);
    // A view also ends when a facility's feed turns stale, which takes no commit.
    if (cached?.source === source && now.getTime() < cached.validUntil) return cached;
    const requestOnly = new Set<string>();
    let validUntil = Number.POSITIVE_INFINITY;
    for (const [facilityId, from] of source.requestOnlyFrom) {
      if (from <= now.getTime()) requestOnly.add(facilityId);
      else validUntil = Math.min(validUntil, from);
    }
    const entries = buildEntries(
      source.facilities,
      source.aggregate,
      { offset: daysBetween(source.start, range.from), days: range.days },
      serviceType,
      requestOnly,
    );
    const view: View = { source, entries, answers: new Map(), validUntil };
    this.views.delete(key);
    this.views.set(key, view);
    for (const old of this.views.keys()) {
      if (this.views.size <= CACHED_VIEWS) break;
      this.views.delete(old);
    }
    return view;
  }

  /** A window that covers the range and was read at the current version. */
  private async current(directory: FacilityDirectory, range: { from: Date; days: number }, today: Date) {
    const version = await this.version();
    const covers = (s: Source) =>
      range.from >= s.start && daysBetween(s.start, range.from) + range.days <= s.days;
    if (this.source && this.source.version === version && covers(this.source)) return this.source;
    if (this.loading) {
      // A read that started after our version check saw at least what we saw; an earlier one, if nothing has
      // changed since it read.
      const loaded = await this.loading.catch(() => undefined);
      if (
        loaded &&
        covers(loaded) &&
        (loaded.version === version || (await this.version()) === loaded.version)
      ) {
        return loaded;
      }
    }
    const start = range.from < today ? range.from : today;
    const days = Math.max(WINDOW_DAYS, daysBetween(start, range.from) + range.days);
    const load = this.load(directory, start, days).finally(() => {
      if (this.loading === load) this.loading = undefined;
    });
    this.loading = load;
    const loaded = await load;
    this.source = loaded;
    return loaded;
  }

  private async load(directory: FacilityDirectory, start: Date, days: number): Promise<Source> {
    const aggregate = await readAggregate(this.prisma, start, days);
    // The directory checks its own fingerprint; facilities come from it, published only, in listing order.
    const { items } = await directory.search({}, { limit: Number.MAX_SAFE_INTEGER, offset: 0 });
    const requestOnlyFrom = new Map<string, number>();
    for (const [facilityId, until] of aggregate.trustedUntil) {
      requestOnlyFrom.set(facilityId, until ? Date.parse(until) : 0);
    }
    return { version: aggregate.version, start, days, facilities: items, aggregate, requestOnlyFrom };
  }

  /** The version of what the view shows (a read shared by concurrent requests). */
  private version(): Promise<string> {
    return this.versions.next();
  }
}

/**
 * Remembers keys for a while: `first(key, now)` is true when the key was not seen in the last `windowMs`.
 * Bounded: beyond `max` keys the least recently recorded are forgotten.
 */
export class RecentKeys {
  private readonly seen = new Map<string, number>();
  constructor(
    private readonly windowMs: number,
    private readonly max: number,
  ) {}

  first(key: string, now: number): boolean {
    const at = this.seen.get(key);
    if (at !== undefined && now - at < this.windowMs) return false;
    // Re-inserted, so the map's order stays oldest first.
    this.seen.delete(key);
    this.seen.set(key, now);
    for (const old of this.seen.keys()) {
      if (this.seen.size <= this.max) break;
      this.seen.delete(old);
    }
    return true;
  }
}

const unmetSeen = new WeakMap<PrismaClient, RecentKeys>();

const indexes = new WeakMap<PrismaClient, VacancyIndex>();
const indexFor = (prisma: PrismaClient) => {
  let index = indexes.get(prisma);
  if (!index) {
    index = new VacancyIndex(prisma);
    indexes.set(prisma, index);
  }
  return index;
};

/** Everything about slots and closures in the window, every service type, in one statement (one version). */
async function readAggregate(prisma: PrismaClient, start: Date, days: number): Promise<Aggregate> {
  const f = formatDate(start);
  const t = formatDate(addDays(start, days - 1));
  const [row] = await prisma.$queryRaw<{ data: string }[]>`
    WITH s AS (
      SELECT facility_id, service_type, time_block,
        array_agg(date - ${f}::date ORDER BY date) AS d,
        array_agg(CASE WHEN closed THEN -1 ELSE greatest(0, capacity - booked - external) END ORDER BY date) AS free,
        to_char(max(updated_at), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated
      FROM slot
      WHERE date BETWEEN ${f}::date AND ${t}::date
      GROUP BY facility_id, service_type, time_block
    ), c AS (
      SELECT facility_id, service_type, array_agg(DISTINCT date - ${f}::date) AS d
      FROM closure
      WHERE date BETWEEN ${f}::date AND ${t}::date
      GROUP BY facility_id, service_type
    )
    SELECT json_build_object(
      -- As vacancyVersion (hub/db/change-counters.ts), in the statement that reads the data it versions.
      'version', (SELECT coalesce(sum(n), 0)::text FROM change_counter),
      'slots', coalesce((SELECT json_agg(json_build_array(facility_id, service_type, time_block, d, free, updated)) FROM s), '[]'),
      'closures', coalesce((SELECT json_agg(json_build_array(facility_id, service_type, d)) FROM c), '[]'),
      -- Freshness as stored with each connection (hub/connections/health.ts, vacancyTrustMinutes).
      'trustedUntil', coalesce((SELECT json_agg(json_build_array(facility_id, CASE WHEN enabled THEN
          to_char(last_success_at + make_interval(mins => vacancy_trust_minutes), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END))
        FROM connection WHERE connector <> 'native' AND (NOT enabled OR vacancy_trust_minutes IS NOT NULL)), '[]')
    )::text AS data`;
  if (!row) throw new Error("the vacancy aggregate returned no row");
  return JSON.parse(row.data) as Aggregate;
}

/**
 * Per facility: its services and blocks with free places on `days` days from day `offset` of the aggregate's
 * window, serialised once. Pure.
 */
export function buildEntries(
  facilities: FacilityDto[],
  aggregate: Pick<Aggregate, "slots" | "closures">,
  range: { offset: number; days: number },
  serviceType: ServiceType | undefined,
  requestOnly: ReadonlySet<string> = new Set(),
): Entry[] {
  const { offset, days } = range;
  const slots = new Map<string, { d: number[]; free: number[] }>();
  const latest = new Map<string, string>();
  for (const [facilityId, type, block, d, free, updated] of aggregate.slots) {
    slots.set(`${facilityId}/${type}/${block}`, { d, free });
    const before = latest.get(facilityId);
    if (!before || updated > before) latest.set(facilityId, updated);
  }
  const closed = new Map<string, Set<number>>();
  for (const [facilityId, type, d] of aggregate.closures) {
    const key = `${facilityId}/${type ?? "*"}`;
    const set = closed.get(key) ?? new Set<number>();
    for (const i of d) set.add(i - offset);
    closed.set(key, set);
  }
  const entries: Entry[] = [];
  for (const facility of facilities) {
    const offered = facility.services
      .filter((s) => !serviceType || s.serviceType === serviceType)
      .sort((a, b) => SERVICE_ORDER[a.serviceType] - SERVICE_ORDER[b.serviceType]);
    if (offered.length === 0) continue;
    let freePlaces = 0;
    const services: VacancyService[] = offered.map((s) => {
      const closedAll = closed.get(`${facility.id}/*`);
      const closedType = closed.get(`${facility.id}/${s.serviceType}`);
      const blocks = slotBlocks(s.serviceType, s.timeBlocks).map((code): VacancyBlock => {
        const free: (number | null)[] = Array.from({ length: days }, (_, i) =>
          closedAll?.has(i) || closedType?.has(i) ? null : s.capacity,
        );
        const rows = slots.get(`${facility.id}/${s.serviceType}/${code}`);
        if (rows) {
          rows.d.forEach((day, n) => {
            const i = day - offset;
            const f = rows.free[n] ?? 0;
            if (i >= 0 && i < days) free[i] = f < 0 ? null : f;
          });
        }
        if (!requestOnly.has(facility.id)) {
          for (const f of free) freePlaces += f ?? 0;
        }
        const def = s.timeBlocks.find((b) => b.code === code);
        return { timeBlock: code, start: def?.start ?? null, end: def?.end ?? null, free };
      });
      return { serviceType: s.serviceType, capacity: s.capacity, blocks };
    });
    const item: VacancyFacility = {
      facilityId: facility.id,
      name: facility.name,
      kana: facility.kana,
      kind: facility.kind,
      municipalityCode: facility.municipalityCode,
      municipalityName: facility.municipalityName,
      region: facility.region,
      languages: facility.languages,
      accessibility: facility.accessibility,
      bookingUrl: facility.bookingUrl,
      asOf: latest.get(facility.id) ?? facility.updatedAt,
      requestOnly: requestOnly.has(facility.id),
      freePlaces,
      services,
    };
    entries.push({ search: searchEntry(facility), freePlaces, json: JSON.stringify(item) });
  }
  return entries;
}

/**
 * Whether a facility matches the search. For home visits a municipality means where the facility visits (its
 * service area, or its own municipality), not where it is.
 */
export function matchesVacancy(entry: SearchEntry, q: VacancyQuery): boolean {
  const f = entry.facility;
  const filters: FacilityFilters = {
    q: q.q,
    region: q.region,
    kind: q.kind,
    language: q.language,
    accessibility: q.accessibility,
    municipality: q.serviceType === "visit" ? undefined : q.municipality,
  };
  if (q.serviceType === "visit" && q.municipality) {
    if (f.municipalityCode !== q.municipality && !f.serviceArea.includes(q.municipality)) return false;
  }
  return matchesFilters(entry, filters);
}

/** The range asked for: today and the next 13 days by default; at most 90 days; not in the past. */
export function vacancyRange(q: Pick<VacancyQuery, "from" | "to">, now: Date) {
  const today = tokyoToday(now);
  const from = q.from ? requireDate(q.from, "from", "invalid_range") : today;
  const to = q.to ?? formatDate(addDays(from, DEFAULT_VACANCY_DAYS - 1));
  const range = parseRange(formatDate(from), to, MAX_VACANCY_DAYS);
  if (range.from < today) {
    throw problems.unprocessable("date_in_past", `${q.from} has already passed; search from today on`, [
      { path: "from", message: "in the past" },
    ]);
  }
  return range;
}

/**
 * Searches vacancy. A search with no free place at all is recorded as unmet demand with `searcher.role` only
 * ("anonymous" when not signed in); `searcher.key` (a session or an address, never stored) only keeps the same
 * searcher's repeats of one search from counting twice.
 */
export async function searchVacancy(
  prisma: PrismaClient,
  directory: FacilityDirectory,
  q: VacancyQuery,
  searcher: { role: string; key: string; municipalityCode?: string | null; residentId?: string | null },
  now: Date,
): Promise<{ total: number; freePlaces: number; body: Buffer }> {
  const range = vacancyRange(q, now);
  const view = await indexFor(prisma).view(directory, range, q.serviceType, now);
  const signature = JSON.stringify([
    q.q,
    q.region,
    q.municipality,
    q.kind,
    q.language,
    q.accessibility,
    q.available === true,
    q.limit ?? 100,
    q.offset ?? 0,
  ]);
  let answer = view.answers.get(signature);
  if (!answer) {
    answer = answerOf(view.entries, q, range);
    view.answers.set(signature, answer);
    for (const old of view.answers.keys()) {
      if (view.answers.size <= CACHED_ANSWERS) break;
      view.answers.delete(old);
    }
  }
  if (answer.freePlaces === 0 && firstUnmet(prisma, q, range, searcher.key, now)) {
    await recordUnmetSearch(prisma, q, range, searcher, now);
  }
  const head = Buffer.from(`{"checkedAt":${JSON.stringify(now.toISOString())},`);
  return { total: answer.total, freePlaces: answer.freePlaces, body: Buffer.concat([head, answer.rest]) };
}

/** The answer to a search from a view: the matching facilities, their free places together, one page of them. */
function answerOf(entries: Entry[], q: VacancyQuery, range: { from: Date; to: Date; days: number }): Answer {
  const matched = entries.filter((e) => matchesVacancy(e.search, q));
  const freePlaces = matched.reduce((sum, e) => sum + e.freePlaces, 0);
  const listed = q.available ? matched.filter((e) => e.freePlaces > 0) : matched;
  const offset = q.offset ?? 0;
  const page = listed.slice(offset, offset + (q.limit ?? 100));
  const head: Omit<VacancyResult, "items" | "checkedAt"> = {
    from: formatDate(range.from),
    to: formatDate(range.to),
    days: range.days,
    serviceType: q.serviceType ?? null,
    total: listed.length,
    freePlaces,
  };
  const text = `${JSON.stringify(head).slice(1, -1)},"items":[${page.map((e) => e.json).join(",")}]}`;
  return { rest: Buffer.from(text, "utf8"), total: listed.length, freePlaces };
}

/** True the first time in UNMET_WINDOW_MS that this searcher makes this search (pages and order aside). */
function firstUnmet(
  prisma: PrismaClient,
  q: VacancyQuery,
  range: { from: Date; to: Date },
  searcher: string,
  now: Date,
): boolean {
  let recent = unmetSeen.get(prisma);
  if (!recent) {
    recent = new RecentKeys(UNMET_WINDOW_MS, UNMET_REMEMBERED);
    unmetSeen.set(prisma, recent);
  }
  const search = [
    q.serviceType,
    q.region,
    q.municipality,
    q.kind,
    q.language,
    q.accessibility,
    q.q,
    q.available,
  ];
  const key = JSON.stringify([searcher, formatDate(range.from), formatDate(range.to), ...search]);
  return recent.first(key, now.getTime());
}

async function recordUnmetSearch(
  prisma: PrismaClient | Prisma.TransactionClient,
  q: VacancyQuery,
  range: { from: Date; to: Date },
  searcher: { role: string; municipalityCode?: string | null; residentId?: string | null },
  now: Date,
): Promise<void> {
  // The searcher's own municipality (statistics count unmet demand where the searcher lives or works), never who.
  const own =
    searcher.municipalityCode ??
    (searcher.residentId
      ? (
          await prisma.resident.findUnique({
            where: { id: searcher.residentId },
            select: { municipalityCode: true },
          })
        )?.municipalityCode
      : null) ??
    null;
  const role = searcher.role;
  await prisma.unmetSearch.create({
    data: {
      at: now,
      serviceType: q.serviceType ?? null,
      region: q.region ?? null,
      municipalityCode: q.municipality ?? null,
      fromDate: range.from,
      toDate: range.to,
      role,
      searcherMunicipalityCode: own,
    },
  });
}
