/**
 * The hub's HTTP API (schemas/openapi.yaml), as seen from the portal.
 *
 * Every URL is relative to the document base (the hub injects <base href>), so the portal works under a
 * reverse-proxy path. Writes carry the session's CSRF token; errors arrive as application/problem+json and
 * become an ApiError the UI can show.
 */
import {
  announcementKindValues,
  applicationStateValues,
  careCodeValues,
  type components,
  facilityKindValues,
  facilityPatchAccessibilityValues,
  incomeTierValues,
  inquiryCategoryValues,
  inquiryStatusValues,
  type operations,
  reportDimensionValues,
  reportMetricValues,
  reportRoleValues,
  serviceTypeValues,
  statsDisclosureExactOwnRolesValues,
  waitlistStatusValues,
} from "./api-schema";

/**
 * The API's types and its enums' values, generated from schemas/openapi.yaml (`npm run api-types`); never written by
 * hand here.
 */
type Schemas = components["schemas"];
/** The JSON an operation answers with (its 200 unless another status is named). */
type Answer<Op extends keyof operations, Status extends number = 200> =
  operations[Op]["responses"] extends Record<Status, { content: { "application/json": infer J } }>
    ? J
    : never;

export type Role = Schemas["Role"];
export type ServiceType = Schemas["ServiceType"];
export type FacilityKind = Schemas["FacilityKind"];

export const SERVICE_TYPES = serviceTypeValues;
export const FACILITY_KINDS = facilityKindValues;
export const ACCESSIBILITY_TAGS = facilityPatchAccessibilityValues;
export const KNOWN_LANGUAGES = ["ja", "en", "zh", "vi", "ko"] as const;

export type Me = Schemas["Me"];

export type Municipality = Schemas["Municipality"];

/** One of the signed-in person's sessions (GET api/me/sessions). */
export type SessionSummary = Schemas["SessionSummary"];

/** A staff account an administrator may reset the second factor of (GET api/staff-accounts). */
export type StaffAccount = Schemas["StaffAccount"];
export type TimeBlock = Schemas["TimeBlock"];
export type FacilityService = Schemas["FacilityService"];

export type Facility = Schemas["Facility"];

export type FacilityPatch = Schemas["FacilityPatch"];

export type FacilityRevision = Schemas["FacilityRevision"];

export type Slot = Schemas["Slot"];

export type Resident = Schemas["Resident"];
/** Online voucher applications: as staff see one, as the applicant sees hers, and what she types. */
export type Application = Schemas["Application"];
export type ApplicationStatus = Answer<"getApplicationStatus">;
export type ApplicationState = Schemas["ApplicationState"];
export const APPLICATION_STATES = applicationStateValues;
export type ApplicantFields = Schemas["ApplicantFields"];
export type ApplicationSubmit = Schemas["ApplicationSubmitRequest"];

export type VoucherStatus = Schemas["VoucherStatus"];
export type VoucherBalance = Schemas["VoucherBalance"];

/** A voucher (電子利用券) with its balances per service type. */
export type Voucher = Schemas["Voucher"];

export type AuditEntry = Schemas["AuditEntry"];

/** A message the demo hub would have sent (GET api/mailbox, only with DEMO_MAILBOX=true). */
export type MailboxMessage = Answer<"listMailbox">["items"][number];

/**
 * One attempt to send an e-mail or SMS (GET api/deliveries): the destination masked, never the body.
 * `messageStatus` is the message's state now: sent, pending (tried again at `nextAttemptAt`) or failed.
 */
export type Delivery = Schemas["Delivery"];

/** Whether a signed-in, fully verified user has one of the roles. */
export function hasRole(me: Me | null | undefined, roles: Role[]): boolean {
  return !!me?.verified && roles.includes(me.role);
}

/** A connector kind (GET api/connectors), with the JSON Schema of its configuration. */
export type ConnectorInfo = Answer<"listConnectors">["items"][number];

export type ConnectionState = ConnectionHealth["state"];

/** What a connection's last pull left out (ConnectionHealth.skipped). */
export type ConnectionSkipped = NonNullable<ConnectionHealth["skipped"]>;

/** A facility's connection with its health (GET api/connections, api/facilities/{id}/connection). */
export type ConnectionHealth = Schemas["ConnectionHealth"];

/** Shown once, after a connection is set up or its credentials are made anew. */
export type ConnectionCredentials = Schemas["ConnectionCredentials"];

/** What an uploaded CSV holds (or did, once applied), with every problem by line. */
export type ConnectionFileReport = Answer<"uploadConnectionFile">;

export type SkippedItem = Schemas["SkippedItem"];

/** One entry of a connection's log (GET api/facilities/{id}/connection/log). */
export type ConnectionLogEntry = Schemas["ConnectionLogEntry"];

/** What "send test delivery" got back. */
export type TestDelivery = Answer<"sendConnectionTestDelivery">;

/** What a proposed iCal or CSV mapping would import (nothing is saved). */
export type MappingPreview = Answer<"previewConnectionMapping">;

/** What a connector reported that the hub would not apply on its own (the review queue). */
export type SyncConflict = Schemas["SyncConflict"];

export type Page<T> = { items: T[]; total: number };
/** A problem's `errors` item; import reports add the file's line (1 = header, 0 = whole file), column and code. */
export type FieldError = NonNullable<Schemas["Problem"]["errors"]>[number];

export type IncomeTier = Schemas["IncomeTier"];
export const INCOME_TIERS = incomeTierValues;

/** The rules of one service type in a policy version (hub/policies/policy.ts validates them in full). */
export type PolicyServiceRule = Schemas["PolicyServiceRule"];

/** A municipality's policy version (利用条件); `inUse` once in effect (never changed from then on). */
export type PolicyVersion = Schemas["PolicyVersion"];

/** A proposed version (createPolicyVersion / previewPolicyVersion); the hub sets municipality and number. */
export type PolicyRules = Schemas["PolicyRules"];

/** What a proposed version would change compared with the version in force on its start date. */
export type PolicyPreview = Schemas["PolicyPreview"];

/** An import file (residents, municipalities or facilities), as the API takes it. */
export type ImportFile = Schemas["ImportFile"];

/** What an import did (or, on a dry run, would do). */
export type ImportReport = Schemas["ImportReport"];

export type BookingStatus = Schemas["BookingStatus"];
export type BookingSource = Schemas["Booking"]["source"];

/** One line of a booking's entitlement: a unit, an add-on or a reduction, with its yen. */
export type EntitlementLine = Schemas["EntitlementLine"];

/** A booking in the ledger, with the voucher units it reserves (or used) and what it costs. */
export type Booking = Schemas["Booking"];

export type FeeSplit = Schemas["FeeSplit"];

/** 使用済処理, step 1: the voucher read at the front desk, whom it belongs to and this facility's due bookings. */
export type RedemptionLookup = Schemas["RedemptionLookup"];

/** 使用済処理, step 2: the booking marked used (`alreadyRedeemed` when it had been before). */
export type Redemption = Schemas["Redemption"];

export type WaitlistStatus = Schemas["WaitlistStatus"];
export const WAITLIST_STATUSES = waitlistStatusValues;

/** The place held for a waiting resident (offered) or accepted by them (booked). */
export type WaitlistOffer = Schemas["WaitlistOffer"];

/** A waitlist entry (予約待ち): what the resident waits for, their place in line and any offer. */
export type WaitlistEntry = Schemas["WaitlistEntry"];

/** What joining the waitlist asks for (residents for themselves; staff name the resident). */
export type WaitlistJoin = Schemas["WaitlistJoinRequest"];

/** One time block (or the whole day, "") of a service in the vacancy view: free places per day, null = closed. */
export type VacancyBlock = VacancyFacility["services"][number]["blocks"][number];

/** A facility in the unified vacancy view (GET api/vacancy). */
export type VacancyFacility = Schemas["VacancyFacility"];

export type Vacancy = Schemas["Vacancy"];

/** What a booking would ask for (POST api/bookings/quote and api/bookings). */
export type HoldRequest = Schemas["HoldRequest"];

/** What a booking would reserve and cost, before anything is held. */
export type BookingQuote = Schemas["BookingQuote"];

/** What cancelling a booking now would cost (GET api/bookings/{id}/cancellation). */
export type CancellationPreview = Schemas["CancellationPreview"];

/** A booking changed to other dates (or service): the new booking and the old one, now cancelled. */
export type BookingChange = Schemas["BookingChange"];

/** Where staff download the booking history as CSV (UTF-8 with BOM, or Shift_JIS for older Excel). */
export function bookingsCsvUrl(query: Query, encoding: "utf-8" | "sjis"): string {
  return withQuery("api/bookings.csv", { ...query, encoding });
}

/** Where a voucher's QR code is (an SVG image, relative to the document base). */
export const voucherQrUrl = (id: string) => `api/vouchers/${encodeURIComponent(id)}/qr.svg`;

/** An error from the hub (problem JSON) or from the network (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail?: string;
  readonly errors: FieldError[];
  /** personal_data_suspected: what the hub found in an FAQ entry. */
  readonly findings: FaqFinding[];

  constructor(
    status: number,
    problem: {
      code?: string;
      title?: string;
      detail?: string;
      errors?: FieldError[];
      findings?: FaqFinding[];
    },
  ) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = problem.code ?? (status === 0 ? "network_error" : `http_${status}`);
    this.title = problem.title ?? "";
    this.detail = problem.detail;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
    this.findings = Array.isArray(problem.findings) ? problem.findings : [];
  }

  /** Field errors keyed by the top-level property they concern ("/phone" → "phone"). */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.errors) {
      const field =
        (e.path ?? "")
          .replace(/^[/.]+/, "")
          .replace(/^body[/.]/, "")
          .split(/[/.[]/)[0] ?? "";
      if (field && !out[field]) out[field] = e.message;
    }
    return out;
  }
}

let csrfToken: string | null = null;

/** Remembers (or forgets) the session's CSRF token from a Me answer. */
export function rememberSession(me: Me | null) {
  csrfToken = me?.csrfToken ?? null;
}

type Query = Record<string, string | number | undefined | null>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Monthly confirmation (確認・承認) of a municipality's usage (GET api/usage/monthly). */
export type UsageTotals = Schemas["UsageTotals"];

export type UsageItem = Schemas["UsageItem"];

export type UsageConfirmation = Schemas["UsageConfirmation"];

export type MonthlyUsage = Schemas["MonthlyUsage"];

async function request<T>(
  method: string,
  path: string,
  opts: {
    query?: Query;
    body?: unknown;
    /** A file sent as it is (e.g. a CSV), instead of a JSON body. */
    file?: { type: string; data: Blob };
    headers?: Record<string, string>;
  } = {},
): Promise<T> {
  if (path.startsWith("/")) throw new Error(`API paths must be relative to the document base: ${path}`);
  const headers: Record<string, string> = {
    Accept: "application/json, application/problem+json",
    ...opts.headers,
  };
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  if (opts.file) headers["Content-Type"] = opts.file.type;
  if (method !== "GET" && method !== "HEAD") {
    if (!csrfToken) await getMe().catch(() => null);
    if (csrfToken) headers["X-CSRF-Token"] = csrfToken;
  }
  let res: Response;
  try {
    res = await fetch(withQuery(path, opts.query), {
      method,
      headers,
      credentials: "same-origin",
      body: opts.file ? opts.file.data : opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  } catch {
    throw new ApiError(0, { code: "network_error" });
  }
  if (res.status === 204) return undefined as T;
  const type = res.headers.get("content-type") ?? "";
  const data: unknown = type.includes("json") ? await res.json().catch(() => null) : null;
  if (!res.ok) throw new ApiError(res.status, (data ?? {}) as ConstructorParameters<typeof ApiError>[1]);
  return data as T;
}

/** The signed-in user, or null when signed out. */
export async function getMe(): Promise<Me | null> {
  try {
    const me = await request<Me>("GET", "api/me");
    rememberSession(me);
    return me;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      rememberSession(null);
      return null;
    }
    throw err;
  }
}

async function session(path: string, body: unknown): Promise<Me> {
  const me = await request<Me>("POST", path, { body });
  rememberSession(me);
  return me;
}

export const api = {
  getMe,
  signIn: (email: string, password: string) => session("api/auth/sign-in", { email, password }),
  verifyTotp: (code: string) => session("api/auth/totp", { code }),
  verifyRecoveryCode: (recoveryCode: string) => session("api/auth/totp", { recoveryCode }),
  sendTotpEmailCode: () => request<{ expiresInSeconds: number }>("POST", "api/me/totp/email-code"),
  startTotpSetup: (emailCode: string) =>
    request<{ secret: string; otpauthUri: string; qrSvg: string }>("POST", "api/me/totp", {
      body: { emailCode },
    }),
  async confirmTotpSetup(code: string) {
    const res = await request<Me & { recoveryCodes: string[] }>("PUT", "api/me/totp", { body: { code } });
    rememberSession(res);
    return res;
  },
  regenerateRecoveryCodes: () => request<{ recoveryCodes: string[] }>("POST", "api/me/recovery-codes"),
  changePassword: (currentPassword: string, newPassword: string) =>
    request<void>("PUT", "api/me/password", { body: { currentPassword, newPassword } }),
  requestPasswordReset: (email: string) =>
    request<{ expiresInSeconds: number }>("POST", "api/auth/password-reset", { body: { email } }),
  completePasswordReset: (token: string, newPassword: string) =>
    request<void>("POST", "api/auth/password-reset/complete", { body: { token, newPassword } }),
  listMySessions: () => request<{ items: SessionSummary[] }>("GET", "api/me/sessions"),
  endMySession: (id: string) => request<void>("DELETE", `api/me/sessions/${encodeURIComponent(id)}`),
  endMyOtherSessions: () => request<{ ended: number }>("POST", "api/me/sessions/end-others"),
  listStaffAccounts: (query: Query) => request<Page<StaffAccount>>("GET", "api/staff-accounts", { query }),
  resetSecondFactor: (userId: string, reason: string) =>
    request<void>("POST", `api/staff-accounts/${encodeURIComponent(userId)}/second-factor/reset`, {
      body: { reason },
    }),
  requestResidentCode: (destination: string) =>
    request<{ expiresInSeconds: number }>("POST", "api/auth/resident/code", { body: { destination } }),
  verifyResidentCode: (destination: string, code: string) =>
    session("api/auth/resident/verify", { destination, code }),
  async signOut() {
    await request<void>("POST", "api/auth/sign-out");
    rememberSession(null);
  },

  listMunicipalities: () => request<{ items: Municipality[] }>("GET", "api/municipalities"),
  listFacilities: (query: Query) => request<Page<Facility>>("GET", "api/facilities", { query }),
  getFacility: (id: string) => request<Facility>("GET", `api/facilities/${encodeURIComponent(id)}`),
  updateFacility: (id: string, patch: FacilityPatch) =>
    request<Facility>("PATCH", `api/facilities/${encodeURIComponent(id)}`, { body: patch }),
  listFacilityRevisions: (id: string) =>
    request<{ items: FacilityRevision[] }>("GET", `api/facilities/${encodeURIComponent(id)}/revisions`),
  listSlots: (id: string, from: string, to: string) =>
    request<{ asOf: string; items: Slot[] }>("GET", `api/facilities/${encodeURIComponent(id)}/slots`, {
      query: { from, to },
    }),

  requestApplicationCode: (email: string, language: "ja" | "en") =>
    request<Answer<"requestApplicationCode", 202>>("POST", "api/applications/email-code", {
      body: { email, language },
    }),
  submitApplication: (body: ApplicationSubmit) =>
    request<Answer<"submitApplication", 201>>("POST", "api/applications/submit", { body }),
  getApplicationStatus: (token: string) =>
    request<ApplicationStatus>("POST", "api/applications/status", { body: { token } }),
  amendApplication: (token: string, fields: ApplicantFields, answer: string) =>
    request<ApplicationStatus>("POST", "api/applications/amend", { body: { ...fields, token, answer } }),
  listApplications: (query: Query) => request<Page<Application>>("GET", "api/applications", { query }),
  getApplication: (id: string) => request<Application>("GET", `api/applications/${encodeURIComponent(id)}`),
  requestApplicationInfo: (id: string, message: string, revision: number) =>
    request<Application>("POST", `api/applications/${encodeURIComponent(id)}/request-info`, {
      body: { message, revision },
    }),
  declineApplication: (id: string, reason: string, revision: number) =>
    request<Application>("POST", `api/applications/${encodeURIComponent(id)}/decline`, {
      body: { reason, revision },
    }),
  approveApplication: (id: string, revision: number) =>
    request<Application>("POST", `api/applications/${encodeURIComponent(id)}/approve`, {
      body: { revision },
    }),

  listResidents: (query: Query) => request<Page<Resident>>("GET", "api/residents", { query }),
  getResident: (id: string) => request<Resident>("GET", `api/residents/${encodeURIComponent(id)}`),
  listVouchers: (query: Query) => request<Page<Voucher>>("GET", "api/vouchers", { query }),
  listMyVouchers: () => request<{ items: Voucher[] }>("GET", "api/me/vouchers"),
  issueVoucher: (residentId: string) => request<Voucher>("POST", "api/vouchers", { body: { residentId } }),
  revokeVoucher: (id: string, reason: string) =>
    request<Voucher>("POST", `api/vouchers/${encodeURIComponent(id)}/revoke`, { body: { reason } }),
  reissueVoucher: (id: string, reason: string) =>
    request<Voucher>("POST", `api/vouchers/${encodeURIComponent(id)}/reissue`, { body: { reason } }),
  listPolicyVersions: (code: string) =>
    request<{ items: PolicyVersion[] }>("GET", `api/municipalities/${encodeURIComponent(code)}/policies`),
  createPolicyVersion: (code: string, rules: PolicyRules) =>
    request<PolicyVersion>("POST", `api/municipalities/${encodeURIComponent(code)}/policies`, {
      body: rules,
    }),
  previewPolicyVersion: (code: string, rules: PolicyRules) =>
    request<PolicyPreview>("POST", `api/municipalities/${encodeURIComponent(code)}/policies/preview`, {
      body: rules,
    }),
  /** Residents import: a dry run validates and reports; `dryRun: false` applies all rows or none. */
  importResidents: (file: ImportFile, dryRun: boolean) =>
    request<ImportReport>("POST", "api/imports/residents", { query: { dryRun: String(dryRun) }, body: file }),
  /** The prefecture's municipalities (reference data), as importResidents; matched by municipality code. */
  importMunicipalities: (file: ImportFile, dryRun: boolean) =>
    request<ImportReport>("POST", "api/imports/municipalities", {
      query: { dryRun: String(dryRun) },
      body: file,
    }),
  /** The prefecture's facilities and their services' capacity (reference data), as importResidents. */
  importFacilities: (file: ImportFile, dryRun: boolean) =>
    request<ImportReport>("POST", "api/imports/facilities", {
      query: { dryRun: String(dryRun) },
      body: file,
    }),
  listAuditLog: (query: Query) => request<Page<AuditEntry>>("GET", "api/audit-log", { query }),
  listBookings: (query: Query) => request<Page<Booking>>("GET", "api/bookings", { query }),
  getMonthlyUsage: (month: string, municipalityCode?: string) =>
    request<MonthlyUsage>("GET", "api/usage/monthly", { query: { month, municipalityCode } }),
  confirmMonthlyUsage: (month: string, note: string) =>
    request<MonthlyUsage>("POST", `api/usage/monthly/${encodeURIComponent(month)}/confirm`, {
      body: note ? { note } : {},
    }),
  /** Reads a scanned QR payload or a typed voucher number (facility staff). */
  lookupRedemption: (code: string) =>
    request<RedemptionLookup>("POST", "api/redemptions/lookup", { body: { code } }),
  redeemBooking: (id: string) => request<Redemption>("POST", `api/bookings/${encodeURIComponent(id)}/redeem`),
  searchVacancy: (query: Query) => request<Vacancy>("GET", "api/vacancy", { query }),
  quoteBooking: (body: HoldRequest) => request<BookingQuote>("POST", "api/bookings/quote", { body }),
  /** Requests a booking; the same key again (a double tap, a retry) returns the booking the first made. */
  createHold: (body: HoldRequest, idempotencyKey: string) =>
    request<Booking>("POST", "api/bookings", { body, headers: { "Idempotency-Key": idempotencyKey } }),
  confirmBooking: (id: string) => request<Booking>("POST", `api/bookings/${encodeURIComponent(id)}/confirm`),
  rejectBooking: (id: string, reason: string) =>
    request<Booking>("POST", `api/bookings/${encodeURIComponent(id)}/reject`, { body: { reason } }),
  cancelBooking: (id: string, reason: string, reasonCode?: string) =>
    request<Booking>("POST", `api/bookings/${encodeURIComponent(id)}/cancel`, {
      body: reasonCode ? { reason, reasonCode } : { reason },
    }),
  /** Accept or decline a resident's claim that her late cancellation is free (facility or municipality staff). */
  decideFeeWaiver: (id: string, decision: "accept" | "decline", note?: string) =>
    request<Booking>("POST", `api/bookings/${encodeURIComponent(id)}/fee-waiver`, {
      body: note ? { decision, note } : { decision },
    }),
  previewCancellation: (id: string, reasonCode?: string) =>
    request<CancellationPreview>("GET", `api/bookings/${encodeURIComponent(id)}/cancellation`, {
      query: { reasonCode },
    }),
  getBooking: (id: string) => request<Booking>("GET", `api/bookings/${encodeURIComponent(id)}`),
  /** Moves a booking to other dates; the same key again returns the first change. */
  changeBooking: (
    id: string,
    body: { startDate: string; nights?: number; timeBlock?: string; serviceType?: ServiceType },
    idempotencyKey: string,
  ) =>
    request<BookingChange>("POST", `api/bookings/${encodeURIComponent(id)}/change`, {
      body,
      headers: { "Idempotency-Key": idempotencyKey },
    }),
  listWaitlist: (query: Query) => request<Page<WaitlistEntry>>("GET", "api/waitlist", { query }),
  joinWaitlist: (body: WaitlistJoin) => request<WaitlistEntry>("POST", "api/waitlist", { body }),
  updateWaitlistEntry: (id: string, patch: { priority?: number; note?: string }) =>
    request<WaitlistEntry>("PATCH", `api/waitlist/${encodeURIComponent(id)}`, { body: patch }),
  leaveWaitlist: (id: string) => request<WaitlistEntry>("DELETE", `api/waitlist/${encodeURIComponent(id)}`),
  acceptWaitlistOffer: (id: string) =>
    request<WaitlistEntry>("POST", `api/waitlist/${encodeURIComponent(id)}/accept`),
  declineWaitlistOffer: (id: string) =>
    request<WaitlistEntry>("POST", `api/waitlist/${encodeURIComponent(id)}/decline`),
  /** The demo mailbox, newest first; 404 when the hub does not keep one. */
  listMailbox: (query: Query) => request<{ items: MailboxMessage[] }>("GET", "api/mailbox", { query }),
  /** The delivery log of e-mail and SMS, scoped to the caller's facility or municipality (all for the prefecture). */
  listDeliveries: (query: Query) => request<Page<Delivery>>("GET", "api/deliveries", { query }),
  listConnectors: () => request<{ items: ConnectorInfo[] }>("GET", "api/connectors"),
  listConnections: (query: Query) =>
    request<{ items: ConnectionHealth[] }>("GET", "api/connections", { query }),
  getFacilityConnection: (facilityId: string) =>
    request<{ connection: ConnectionHealth | null }>(
      "GET",
      `api/facilities/${encodeURIComponent(facilityId)}/connection`,
    ),
  putFacilityConnection: (
    facilityId: string,
    body: { connector: string; config?: Record<string, unknown>; syncMinutes?: number; enabled?: boolean },
  ) =>
    request<{ connection: ConnectionHealth; credentials: ConnectionCredentials }>(
      "PUT",
      `api/facilities/${encodeURIComponent(facilityId)}/connection`,
      { body },
    ),
  rotateConnectionCredentials: (facilityId: string) =>
    request<ConnectionCredentials>(
      "POST",
      `api/facilities/${encodeURIComponent(facilityId)}/connection/credentials`,
    ),
  syncConnection: (facilityId: string) =>
    request<{ queued: boolean }>("POST", `api/facilities/${encodeURIComponent(facilityId)}/connection/sync`),
  replayConnection: (facilityId: string) =>
    request<{ webhooks: number; pushes: number }>(
      "POST",
      `api/facilities/${encodeURIComponent(facilityId)}/connection/replay`,
    ),
  /** A CSV of bookings or capacity from the facility's own system: a dry run first, then applied all or nothing. */
  uploadConnectionFile: (facilityId: string, file: Blob, dryRun: boolean) =>
    request<ConnectionFileReport>(
      "POST",
      `api/facilities/${encodeURIComponent(facilityId)}/connection/upload`,
      {
        query: { dryRun: String(dryRun) },
        file: { type: "text/csv", data: file },
      },
    ),
  listConnectionLog: (facilityId: string, query: Query) =>
    request<Page<ConnectionLogEntry>>(
      "GET",
      `api/facilities/${encodeURIComponent(facilityId)}/connection/log`,
      { query },
    ),
  replayConnectionLogEntry: (facilityId: string, logId: string) =>
    request<{ replayed: number; kind: "push" | "webhook" }>(
      "POST",
      `api/facilities/${encodeURIComponent(facilityId)}/connection/log/${encodeURIComponent(logId)}/replay`,
    ),
  sendTestDelivery: (facilityId: string) =>
    request<TestDelivery>(
      "POST",
      `api/facilities/${encodeURIComponent(facilityId)}/connection/test-delivery`,
    ),
  previewConnectionMapping: (
    facilityId: string,
    body: { connector: string; config: Record<string, unknown>; sample?: string },
  ) =>
    request<MappingPreview>("POST", `api/facilities/${encodeURIComponent(facilityId)}/connection/preview`, {
      body,
    }),
  listSyncConflicts: (query: Query) => request<Page<SyncConflict>>("GET", "api/sync-conflicts", { query }),
  resolveSyncConflict: (id: string, body: { action: "keep" | "cancel_booking"; note?: string }) =>
    request<SyncConflict>("POST", `api/sync-conflicts/${encodeURIComponent(id)}/resolve`, { body }),
  listUsageReports: (month: string, status?: UsageReportStatus) =>
    request<UsageReportList>("GET", "api/usage-reports", { query: { month, status } }),
  putUsageReport: (bookingId: string, body: UsageReportInput) =>
    request<UsageReportItem>("PUT", `api/bookings/${encodeURIComponent(bookingId)}/usage-report`, { body }),
  confirmUsageReports: (month: string, bookingIds?: string[]) =>
    request<{ month: string; confirmed: number; bookingIds: string[] }>("POST", "api/usage-reports/confirm", {
      body: bookingIds ? { month, bookingIds } : { month },
    }),
};

// Usage reports (実績報告)
export const CARE_CODES = careCodeValues;
export type CareCode = Schemas["CareCode"];
export type UsageReportStatus = Schemas["UsageReportItem"]["status"];
export type UsageReportInput = Schemas["UsageReportInput"];
export type UsageReport = Schemas["UsageReport"];
export type UsageReportItem = Schemas["UsageReportItem"];
export type UsageReportList = Schemas["UsageReportList"];

// Billing (請求): the associations' monthly runs per municipality, invoices and lists.

/** The columns add up: fee − residentCopay + cancellationFee − cancellationCopay = amount. */
export type BillingTotals = Schemas["BillingTotals"];
export type BillingFacilityTotals = Schemas["BillingFacilityTotals"];
export type BillingRunSummary = Schemas["BillingRunSummary"];
export type BillingRunList = Schemas["BillingRunList"];
export type BillingLine = Schemas["BillingLine"];
export type BillingDiscrepancy = Schemas["BillingDiscrepancy"];
export type BillingDocument = Schemas["BillingDocument"];
export type BillingRunDetail = Schemas["BillingRunDetail"];

export type BillingIssuer = Schemas["BillingIssuer"];
export type MunicipalityBillingSettings = Schemas["MunicipalityBillingSettings"];

/** A 過誤 correction of a redeemed booking (取消 = void, 修正 = amend), hub/billing/corrections.ts. */
export type BookingCorrection = Schemas["BookingCorrection"];
export type CorrectionListItem = Answer<"listCorrectionsInScope">["items"][number];
export type CorrectionRequest = Schemas["BookingCorrectionRequest"];

export const correctionsApi = {
  list: (status?: BookingCorrection["status"]) =>
    request<{ items: CorrectionListItem[] }>("GET", "api/booking-corrections", { query: { status } }),
  request: (bookingId: string, body: CorrectionRequest) =>
    request<BookingCorrection>("POST", `api/bookings/${encodeURIComponent(bookingId)}/corrections`, { body }),
  decide: (id: string, decision: "confirm" | "decline") =>
    request<BookingCorrection>("POST", `api/booking-corrections/${encodeURIComponent(id)}/decision`, {
      body: { decision },
    }),
};

export const billingApi = {
  getIssuer: () => request<BillingIssuer>("GET", "api/billing/issuer"),
  setIssuer: (body: Omit<BillingIssuer, "associationId" | "missing">) =>
    request<BillingIssuer>("PUT", "api/billing/issuer", { body }),
  getMunicipalitySettings: (code: string) =>
    request<MunicipalityBillingSettings>(
      "GET",
      `api/municipalities/${encodeURIComponent(code)}/billing-settings`,
    ),
  setMunicipalitySettings: (code: string, body: Omit<MunicipalityBillingSettings, "municipalityCode">) =>
    request<MunicipalityBillingSettings>(
      "PUT",
      `api/municipalities/${encodeURIComponent(code)}/billing-settings`,
      { body },
    ),
  listRuns: (month: string) => request<BillingRunList>("GET", "api/billing/runs", { query: { month } }),
  createRuns: (month: string, municipalityCode?: string) =>
    request<{ items: BillingRunSummary[]; skipped: string[] }>("POST", "api/billing/runs", {
      body: municipalityCode ? { month, municipalityCode } : { month },
    }),
  getRun: (id: string) => request<BillingRunDetail>("GET", `api/billing/runs/${encodeURIComponent(id)}`),
  reviewRun: (id: string) =>
    request<BillingRunDetail>("POST", `api/billing/runs/${encodeURIComponent(id)}/review`),
  finalizeRun: (id: string, issueDate?: string) =>
    request<BillingRunDetail>("POST", `api/billing/runs/${encodeURIComponent(id)}/finalize`, {
      body: issueDate ? { issueDate } : {},
    }),
  invoiceUrl: (id: string, ext: "xlsx" | "docx") =>
    `api/billing/runs/${encodeURIComponent(id)}/invoice.${ext}`,
  zipUrl: (month: string) => withQuery("api/billing/invoices.zip", { month }),
  linesCsvUrl: (id: string, encoding: "utf-8" | "sjis") =>
    withQuery(`api/billing/runs/${encodeURIComponent(id)}/lines.csv`, { encoding }),
  csvUrl: (month: string, encoding: "utf-8" | "sjis") =>
    withQuery("api/billing/runs.csv", { month, encoding }),
  statementUrl: (month: string, facilityId: string) =>
    withQuery("api/billing/statements.xlsx", { month, facilityId }),
};

// Statistics (統計): reports the prefecture grants per role, their figures, CSV. See hub/stats.
export const REPORT_METRICS = reportMetricValues;
export type ReportMetric = Schemas["ReportMetric"];
export const REPORT_DIMENSIONS = reportDimensionValues;
export type ReportDimension = Schemas["ReportDimension"];
export const REPORT_ROLES = reportRoleValues;
export type ReportRole = Schemas["ReportRole"];

export type Report = Schemas["Report"];
export type ReportInput = Schemas["ReportInput"];
export type StatsRow = Schemas["StatsRow"];
export type ReportData = Schemas["ReportData"];
export const DISCLOSURE_READERS = [
  "prefecture",
  "municipality",
  "facility",
  "association",
  "operator",
] as const;
export const DISCLOSURE_TENANT_ROLES = statsDisclosureExactOwnRolesValues;
export type StatsDisclosure = Schemas["StatsDisclosure"];

const reportPath = (key: string) => `api/stats/reports/${encodeURIComponent(key)}`;

export const statsApi = {
  listReports: () => request<{ items: Report[] }>("GET", "api/stats/reports"),
  createReport: (input: ReportInput) => request<Report>("POST", "api/stats/reports", { body: input }),
  updateReport: (key: string, patch: Partial<ReportInput>) =>
    request<Report>("PATCH", reportPath(key), { body: patch }),
  deleteReport: (key: string) => request<void>("DELETE", reportPath(key)),
  getData: (key: string, from: string, to: string) =>
    request<ReportData>("GET", `${reportPath(key)}/data`, { query: { from, to } }),
  getDisclosure: () => request<StatsDisclosure>("GET", "api/stats/disclosure"),
  updateDisclosure: (rule: StatsDisclosure) =>
    request<StatsDisclosure>("PUT", "api/stats/disclosure", { body: rule }),
  csvUrl: (key: string, from: string, to: string, encoding: "utf-8" | "sjis") =>
    withQuery(`${reportPath(key)}/csv`, { from, to, encoding }),
};

// Support: help desk (問い合わせ), FAQ (よくある質問), announcements (お知らせ). See hub/support.
export const INQUIRY_CATEGORIES = inquiryCategoryValues;
export type InquiryCategory = Schemas["InquiryCategory"];
export type InquiryStatus = Schemas["InquiryStatus"];
export const INQUIRY_STATUSES = inquiryStatusValues;
export type InquiryInput = Schemas["InquiryInput"];
export type InquiryMessage = Schemas["InquiryMessage"];
export type Inquiry = Schemas["Inquiry"];
export type InquiryList = Schemas["InquiryList"];
export type FaqEntryInput = Schemas["FaqEntryInput"];
export type FaqTextField = Schemas["FaqFinding"]["field"];
/** What looks like personal data in an FAQ text: UTF-16 positions in the field as checked. */
export type FaqFinding = Schemas["FaqFinding"];
export type FaqEntry = Schemas["FaqEntry"];
export type FaqDraft = Schemas["FaqDraft"];
export type AnnouncementKind = Schemas["AnnouncementKind"];
export const ANNOUNCEMENT_KINDS = announcementKindValues;
export const AUDIENCES = [
  "public",
  "resident",
  "facility",
  "municipality",
  "association",
  "prefecture",
  "operator",
] as const;
export type AnnouncementInput = Schemas["AnnouncementInput"];
export type Announcement = Schemas["Announcement"];
export type CurrentAnnouncement = Schemas["CurrentAnnouncement"];

const enc = encodeURIComponent;

export const supportApi = {
  createInquiry: (body: InquiryInput) => request<Inquiry>("POST", "api/inquiries", { body }),
  listMyInquiries: () => request<{ items: Inquiry[] }>("GET", "api/me/inquiries"),
  followUp: (id: string, text: string) =>
    request<Inquiry>("POST", `api/me/inquiries/${enc(id)}/follow-ups`, { body: { text } }),
  listInquiries: (query: Query) => request<InquiryList>("GET", "api/inquiries", { query }),
  getInquiry: (id: string) => request<Inquiry>("GET", `api/inquiries/${enc(id)}`),
  answerInquiry: (id: string, text: string) =>
    request<Inquiry>("POST", `api/inquiries/${enc(id)}/answer`, { body: { text } }),
  closeInquiry: (id: string, text: string) =>
    request<Inquiry>("POST", `api/inquiries/${enc(id)}/close`, { body: text ? { text } : {} }),
  reopenInquiry: (id: string, text: string) =>
    request<Inquiry>("POST", `api/inquiries/${enc(id)}/reopen`, { body: text ? { text } : {} }),
  getFaqDraft: (id: string) => request<FaqDraft>("GET", `api/inquiries/${enc(id)}/faq-draft`),
  getFaq: () => request<{ categories: { category: InquiryCategory; items: FaqEntry[] }[] }>("GET", "api/faq"),
  listFaqEntries: () => request<{ items: FaqEntry[] }>("GET", "api/faq/entries"),
  createFaqEntry: (body: FaqEntryInput) => request<FaqEntry>("POST", "api/faq/entries", { body }),
  updateFaqEntry: (id: string, body: Partial<FaqEntryInput>) =>
    request<FaqEntry>("PATCH", `api/faq/entries/${enc(id)}`, { body }),
  deleteFaqEntry: (id: string) => request<void>("DELETE", `api/faq/entries/${enc(id)}`),
  currentAnnouncements: () => request<{ items: CurrentAnnouncement[] }>("GET", "api/announcements/current"),
  listAnnouncements: () => request<{ items: Announcement[] }>("GET", "api/announcements"),
  createAnnouncement: (body: AnnouncementInput) =>
    request<Announcement>("POST", "api/announcements", { body }),
  updateAnnouncement: (id: string, body: Partial<AnnouncementInput>) =>
    request<Announcement>("PATCH", `api/announcements/${enc(id)}`, { body }),
  deleteAnnouncement: (id: string) => request<void>("DELETE", `api/announcements/${enc(id)}`),
};
