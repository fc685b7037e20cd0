/**
 * Going live safely: a signed test delivery to the facility's API ("send test delivery" on the connection page),
 * and a preview of a proposed iCal or CSV mapping before it is saved (which events or lines would become which
 * service type, which would be left out and why), writing nothing.
 */

import type { ExternalChange, PullSkipped } from "../../connectors/contract.js";
import { type CsvConfig, readCsvFile } from "../../connectors/csv/mapping.js";
import { loadRegistry } from "../../connectors/registry.js";
import type { Hub } from "../context.js";
import type { Prisma } from "../db/client.js";
import { DomainError, problems } from "../errors.js";
import type { Actor } from "../identity/actor.js";
import { addDays, formatDate, tokyoToday } from "../inventory/dates.js";
import { TX_OPTIONS } from "../inventory/inventory.js";
import { isGone, pauseGone, plainFailure, writeLog } from "./log.js";
import { checkedConfig, mayManage } from "./manage.js";
import { pushesTo } from "./push.js";
import { connectorContext, recordFailure } from "./store.js";
import { SYNC_WINDOW_DAYS } from "./sync.js";

export type TestDelivery = {
  ok: boolean;
  /** The HTTP status the facility's API answered with (null when it did not answer). */
  httpStatus: number | null;
  durationMs: number;
  /** Why it failed, as a code and plain words (null when it passed). */
  code: string | null;
  message: string | null;
  /** The connection was paused: the API answered 410 Gone. */
  paused: boolean;
};

/**
 * Sends a signed ping (POST {apiBaseUrl}/ping, Standard Webhooks headers like a booking push) and answers what
 * came back. 404 without a connection; 409 `no_endpoint` for a connection with no API to send to. Allowed on a
 * paused connection (to check the API before enabling it again). Logged as a `test` entry; a 410 Gone pauses an
 * enabled connection, as a push would.
 */
export async function sendTestDelivery(hub: Hub, actor: Actor, facilityId: string): Promise<TestDelivery> {
  mayManage(actor, facilityId);
  const conn = await hub.prisma.connection.findUnique({ where: { facilityId } });
  if (!conn) throw problems.notFound("Connection");
  const connector = (await loadRegistry()).get(conn.connector);
  if (!connector?.ping || !pushesTo(connector, conn)) {
    throw problems.conflict(
      "no_endpoint",
      "This connection has no API of the facility to send to (set the API base URL first)",
    );
  }
  const started = Date.now();
  let got: Awaited<ReturnType<NonNullable<typeof connector.ping>>>;
  try {
    got = await connector.ping(connectorContext(hub, conn));
  } catch {
    got = { ok: false, error: { code: "connector_error" as never, message: "", retryable: false } };
  }
  const durationMs = Date.now() - started;
  const now = hub.now();
  const failure = got.ok ? null : got.error;
  const paused = !!failure && isGone(failure) && conn.enabled;
  await hub.prisma.$transaction(async (tx) => {
    if (paused && failure) {
      await pauseGone(tx, conn.id, "the facility's API");
      await recordFailure(tx, conn.id, failure, now);
    }
    await writeLog(tx, {
      connectionId: conn.id,
      facilityId,
      at: now,
      kind: "test",
      result: got.ok ? "ok" : "failed",
      ...(failure ? { failure } : {}),
      request: "POST ping",
      ...(got.ok ? { httpStatus: got.value.status } : {}),
      durationMs,
    });
  }, TX_OPTIONS);
  const plain = failure ? plainFailure(failure) : null;
  return {
    ok: got.ok,
    httpStatus: got.ok ? got.value.status : (failure?.status ?? null),
    durationMs,
    code: plain?.code ?? null,
    message: plain?.message ?? null,
    paused,
  };
}

/** Events or lines listed in a preview (the counts cover all). */
export const PREVIEW_LISTED = 200;

export type MappingPreview = {
  connector: string;
  /** Events (iCal) or data lines (CSV) read. */
  read: number;
  /** Bookings that would be imported, by service type; availability lines counted apart. */
  byServiceType: Record<string, number>;
  availability: number;
  /** The first PREVIEW_LISTED of them. */
  items: {
    line?: number;
    externalId?: string;
    serviceType: string;
    timeBlock: string;
    startDate: string;
    endDate: string;
    status: string;
  }[];
  /** What would be left out, by reason, with the items (line, first day, problem). */
  skipped: { counts: Record<string, number>; items: PullSkipped["items"] };
  /** The feed could not be fetched or read at all: why, as a code and plain words. */
  failure: { code: string; message: string } | null;
};

export type PreviewInput = {
  connector: string;
  config?: Record<string, unknown>;
  /** A sample file (CSV connector), base64. */
  sample?: string;
};

/**
 * What a proposed mapping would do, writing nothing: an iCal feed is fetched and read with the proposed
 * configuration (for the sync window, like a pull); a CSV sample is read with it. The configuration is checked
 * like a save (422 `invalid_config`); 409 `no_preview` for connectors without a mapping to preview; 400
 * `file_missing` for a CSV preview without a sample.
 */
export async function previewMapping(
  hub: Hub,
  actor: Actor,
  facilityId: string,
  input: PreviewInput,
): Promise<MappingPreview> {
  mayManage(actor, facilityId);
  if (!(await hub.prisma.facility.findUnique({ where: { id: facilityId }, select: { id: true } }))) {
    throw problems.notFound("Facility");
  }
  const { connector, config } = await checkedConfig(hub, input);
  const out: MappingPreview = {
    connector: input.connector,
    read: 0,
    byServiceType: {},
    availability: 0,
    items: [],
    skipped: { counts: {}, items: [] },
    failure: null,
  };
  const add = (changes: { change: ExternalChange; line?: number }[]) => {
    for (const { change: c, line } of changes) {
      if (c.kind === "availability") {
        out.availability++;
        continue;
      }
      out.byServiceType[c.serviceType] = (out.byServiceType[c.serviceType] ?? 0) + 1;
      if (out.items.length < PREVIEW_LISTED)
        out.items.push({
          ...(line ? { line } : {}),
          externalId: c.externalId,
          serviceType: c.serviceType,
          timeBlock: c.timeBlock ?? "",
          startDate: c.startDate,
          endDate: c.endDate,
          status: c.status,
        });
    }
  };
  if (input.connector === "csv") {
    if (!input.sample) {
      throw new DomainError(
        "invalid",
        "file_missing",
        "No sample",
        "Send a sample file (base64) to preview a CSV mapping",
      );
    }
    const read = readCsvFile(config as CsvConfig, Buffer.from(input.sample, "base64"), hub.now());
    out.read = read.report.lines;
    add(read.rows.map((r) => ({ change: r.change, line: r.line })));
    out.skipped = {
      // Lines left out (a line may have several errors, each listed).
      counts: read.report.errors.length
        ? { file_error: new Set(read.report.errors.map((e) => e.line)).size }
        : {},
      items: read.report.errors.slice(0, PREVIEW_LISTED).map((e) => ({
        reason: "file_error",
        line: e.line,
        problem: `${e.field ? `${e.field}: ` : ""}${e.message}`,
      })),
    };
    if (read.hubLines) out.skipped.counts.hub_booking = read.hubLines;
    return out;
  }
  if (input.connector !== "ical" || !connector.pull) {
    throw problems.conflict("no_preview", "Only calendar-feed (iCal) and CSV mappings can be previewed");
  }
  // The secret of the facility's connection (a feed behind credentials), never stored state: a fresh read.
  const existing = await hub.prisma.connection.findUnique({ where: { facilityId } });
  const today = tokyoToday(hub.now());
  const window = { from: formatDate(today), to: formatDate(addDays(today, SYNC_WINDOW_DAYS - 1)) };
  let pulled: Awaited<ReturnType<NonNullable<typeof connector.pull>>>;
  try {
    pulled = await connector.pull(
      connectorContext(hub, {
        id: existing?.id ?? facilityId,
        config: config as Prisma.JsonValue,
        secretSealed: existing?.connector === input.connector ? existing.secretSealed : null,
        state: {},
      }),
      window,
    );
  } catch {
    pulled = { ok: false, error: { code: "connector_error" as never, message: "", retryable: false } };
  }
  if (!pulled.ok) {
    out.failure = plainFailure(pulled.error);
    return out;
  }
  const v = pulled.value;
  out.read = v.skipped?.read ?? v.changes.length;
  add(v.changes.map((change) => ({ change })));
  out.skipped = {
    counts: v.skipped?.counts ?? {},
    items: (v.skipped?.items ?? []).slice(0, PREVIEW_LISTED),
  };
  return out;
}
