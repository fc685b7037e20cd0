import { directoryVersion, SharedVersionRead } from "../db/change-counters.js";
import type { PrismaClient } from "../db/client.js";
import { type FacilityDto, facilityInclude, toFacility } from "./mapper.js";
import {
  compareFacilities,
  type FacilityFilters,
  matchesFilters,
  type SearchEntry,
  searchEntry,
} from "./search.js";

/**
 * The published facility directory, held in memory and searched there. Every read first asks the database for the
 * directory's version (hub/db/change-counters.ts: a counter bumped by triggers whenever facilities, their services,
 * municipality or association names change); when it moved, the snapshot is rebuilt. So an edit committed by any
 * process is seen by the next search everywhere, and an unchanged directory costs one primary-key read, shared by
 * the requests arriving together (SharedVersionRead).
 */
/** Different searches answered from one snapshot before the oldest answers are dropped. */
const CACHED_ANSWERS = 64;

export class FacilityDirectory {
  private snapshot?: {
    stamp: string;
    entries: SearchEntry[];
    byId: Map<string, FacilityDto>;
    /**
     * Answers by search as UTF-8 bytes, for this snapshot only (the public search repeats a few searches a lot). Bytes,
     * as the vacancy view keeps its answers: a string answer was measured from and encoded to UTF-8 again for every
     * response, which kept the search slower than the vacancy view's larger answers.
     */
    answers: Map<string, Buffer>;
  };
  private loading?: Promise<NonNullable<FacilityDirectory["snapshot"]>>;

  private readonly versions: SharedVersionRead;

  constructor(private readonly prisma: PrismaClient) {
    this.versions = new SharedVersionRead(() => directoryVersion(prisma));
  }

  async search(filters: FacilityFilters, page: { limit: number; offset: number }) {
    return searchIn((await this.current()).entries, filters, page);
  }

  /** The search's answer as JSON (UTF-8 bytes), kept with the snapshot until the directory changes. */
  async searchJson(filters: FacilityFilters, page: { limit: number; offset: number }): Promise<Buffer> {
    const snapshot = await this.current();
    const key = JSON.stringify([filters, page]);
    let json = snapshot.answers.get(key);
    if (json === undefined) {
      json = Buffer.from(JSON.stringify(searchIn(snapshot.entries, filters, page)), "utf8");
      snapshot.answers.set(key, json);
      for (const old of snapshot.answers.keys()) {
        if (snapshot.answers.size <= CACHED_ANSWERS) break;
        snapshot.answers.delete(old);
      }
    }
    return json;
  }

  /** A published facility, or undefined. */
  async get(id: string): Promise<FacilityDto | undefined> {
    return (await this.current()).byId.get(id);
  }

  private async current() {
    const stamp = await this.stamp();
    if (this.snapshot?.stamp === stamp) return this.snapshot;
    // Concurrent requests that find the snapshot stale share one rebuild.
    this.loading ??= this.load(stamp).finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(stamp: string) {
    const rows = await this.prisma.facility.findMany({
      where: { published: true },
      include: facilityInclude,
    });
    const facilities = rows.map(toFacility).sort(compareFacilities);
    this.snapshot = {
      stamp,
      entries: facilities.map(searchEntry),
      byId: new Map(facilities.map((f) => [f.id, f])),
      answers: new Map(),
    };
    return this.snapshot;
  }

  private stamp(): Promise<string> {
    return this.versions.next();
  }
}

function searchIn(entries: SearchEntry[], filters: FacilityFilters, page: { limit: number; offset: number }) {
  const matched = entries.filter((e) => matchesFilters(e, filters));
  return {
    total: matched.length,
    items: matched.slice(page.offset, page.offset + page.limit).map((e) => e.facility),
  };
}
