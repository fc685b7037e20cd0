/** Cached reads (router queries): pages call these through createAsync; routes preload them. */
import { query } from "@solidjs/router";
import { ApiError, api, type MailboxMessage, type Municipality } from "./api";

export type Params = Record<string, string | number | undefined>;

export const getMe = query(() => api.getMe(), "me");

export const getMunicipalities = query(async () => (await api.listMunicipalities()).items, "municipalities");

export const getFacilities = query((params: Params) => api.listFacilities(params), "facilities");

export const getFacility = query((id: string) => api.getFacility(id), "facility");

export const getRevisions = query(
  async (id: string) => (await api.listFacilityRevisions(id)).items,
  "revisions",
);

export const getSlots = query((id: string, from: string, to: string) => api.listSlots(id, from, to), "slots");

export const getResidents = query((params: Params) => api.listResidents(params), "residents");

export const getResident = query((id: string) => api.getResident(id), "resident");

export const getVouchers = query((params: Params) => api.listVouchers(params), "vouchers");

export const getMyVouchers = query(async () => (await api.listMyVouchers()).items, "myVouchers");

export const getBookings = query((params: Params) => api.listBookings(params), "bookings");

export const getWaitlist = query((params: Params) => api.listWaitlist(params), "waitlist");

export const getVacancy = query((params: Params) => api.searchVacancy(params), "vacancy");

export const getPolicyVersions = query(
  async (code: string) => (await api.listPolicyVersions(code)).items,
  "policyVersions",
);

export const getAuditLog = query((params: Params) => api.listAuditLog(params), "auditLog");

export const getDeliveries = query((params: Params) => api.listDeliveries(params), "deliveries");

export const getConnectors = query(async () => (await api.listConnectors()).items, "connectors");

export const getConnections = query(
  async (params: Params) => (await api.listConnections(params)).items,
  "connections",
);

export const getFacilityConnection = query(
  async (facilityId: string) => (await api.getFacilityConnection(facilityId)).connection,
  "facilityConnection",
);

export const getConnectionLog = query(
  (facilityId: string, params: Params) => api.listConnectionLog(facilityId, params),
  "connectionLog",
);

export const getSyncConflicts = query((params: Params) => api.listSyncConflicts(params), "syncConflicts");

/** The demo mailbox, or null when the hub has none (404: DEMO_MAILBOX is off). */
export const getMailbox = query(async (params: Params): Promise<MailboxMessage[] | null> => {
  try {
    return (await api.listMailbox(params)).items;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}, "mailbox");

let mailboxProbe: Promise<boolean> | undefined;

/**
 * Whether the hub keeps a demo mailbox: asked once per page load (200 → yes, 404 → no). Any other failure
 * counts as "no" for now and is asked again next time.
 */
export function mailboxEnabled(): Promise<boolean> {
  mailboxProbe ??= api.listMailbox({ limit: 1 }).then(
    () => true,
    (err) => {
      if (!(err instanceof ApiError && err.status === 404)) mailboxProbe = undefined;
      return false;
    },
  );
  return mailboxProbe;
}

/** Municipalities grouped by region, in the order the hub lists them. */
export function byRegion(items: Municipality[]): [string, Municipality[]][] {
  const groups = new Map<string, Municipality[]>();
  for (const m of items) groups.set(m.region, [...(groups.get(m.region) ?? []), m]);
  return [...groups.entries()];
}
