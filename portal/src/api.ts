/**
 * The hub's HTTP API (schemas/openapi.yaml), as seen from the portal.
 *
 * Every URL is relative to the document base (the hub injects <base href>), so the portal works under a
 * reverse-proxy path. Writes carry the session's CSRF token; errors arrive as application/problem+json and
 * become an ApiError the UI can show.
 */

export type Role = "resident" | "facility" | "municipality" | "association" | "prefecture" | "operator";
export type ServiceType = "stay" | "day" | "visit";
export type FacilityKind = "hospital" | "clinic" | "midwife_home";

export const SERVICE_TYPES: ServiceType[] = ["stay", "day", "visit"];
export const FACILITY_KINDS: FacilityKind[] = ["hospital", "clinic", "midwife_home"];
export const ACCESSIBILITY_TAGS = ["wheelchair", "parking", "elevator", "nursing_room", "stroller"] as const;
export const KNOWN_LANGUAGES = ["ja", "en", "zh", "vi", "ko"] as const;

export type Me = {
  id: string;
  role: Role;
  displayName: string;
  email?: string | null;
  locale: string;
  verified: boolean;
  totpEnabled: boolean;
  /** The role must use a second factor, or one is set up: sign-in asks for it (or for enrolment). */
  secondFactorRequired?: boolean;
  recoveryCodesRemaining?: number;
  csrfToken: string;
  municipalityCode?: string | null;
  facilityId?: string | null;
  associationId?: string | null;
  residentId?: string | null;
  tenantName?: string | null;
};

export type Municipality = { code: string; name: string; kana: string; kind: string; region: string };

/** One of the signed-in person's sessions (GET api/me/sessions). */
export type SessionSummary = {
  id: string;
  current: boolean;
  verified: boolean;
  ip: string;
  userAgent: string;
  createdAt: string;
  expiresAt: string;
};

/** A staff account an administrator may reset the second factor of (GET api/staff-accounts). */
export type StaffAccount = {
  id: string;
  role: Role;
  displayName: string;
  email: string | null;
  tenantName: string | null;
  totpEnabled: boolean;
  recoveryCodesRemaining: number;
  disabled: boolean;
};
export type TimeBlock = { code: string; start: string; end: string };
export type FacilityService = {
  serviceType: ServiceType;
  capacity: number;
  timeBlocks: TimeBlock[];
  holdMinutes: number;
};

export type Facility = {
  id: string;
  name: string;
  kana?: string;
  kind: FacilityKind;
  associationId: string;
  associationName?: string;
  municipalityCode: string;
  municipalityName?: string;
  region?: string;
  postalCode?: string;
  address: string;
  access?: string;
  phone?: string;
  email?: string;
  website?: string;
  bookingUrl?: string;
  serviceArea?: string[];
  languages?: string[];
  accessibility?: string[];
  description?: string;
  services: FacilityService[];
  version: number;
  updatedAt: string;
};

export type FacilityPatch = { version: number } & Partial<
  Pick<
    Facility,
    | "name"
    | "kana"
    | "postalCode"
    | "address"
    | "access"
    | "phone"
    | "email"
    | "website"
    | "bookingUrl"
    | "serviceArea"
    | "languages"
    | "accessibility"
    | "description"
  >
>;

export type FacilityRevision = {
  version: number;
  changedAt: string;
  changedBy?: string | null;
  changes: Record<string, { from?: unknown; to?: unknown }>;
};

export type Slot = {
  date: string;
  serviceType: ServiceType;
  timeBlock: string;
  capacity: number;
  free: number;
  closed: boolean;
};

export type Resident = {
  id: string;
  municipalityCode: string;
  familyName: string;
  givenName: string;
  kana?: string;
  birthDate?: string | null;
  postalCode?: string;
  address?: string;
  email?: string | null;
  phone?: string | null;
  preferredLanguage?: string;
  /** Only when the hub includes it. */
  incomeTier?: string | null;
  children?: {
    id?: string;
    name?: string;
    birthDate?: string;
    dueDate?: string | null;
    multipleBirth?: number;
  }[];
};

export type VoucherStatus = "active" | "revoked";
export type VoucherBalance = {
  serviceType: ServiceType;
  cap: number;
  reserved: number;
  used: number;
  remaining: number;
};

/** A voucher (電子利用券) with its balances per service type. */
export type Voucher = {
  id: string;
  number: string;
  status: VoucherStatus;
  validFrom: string;
  validUntil: string;
  municipalityCode: string;
  residentId: string;
  childId: string | null;
  policyVersion: { id: string; version: number; effectiveFrom: string };
  balances: VoucherBalance[];
  usesCount: number;
  issuedAt: string;
  revokedAt: string | null;
  revokedReason: string | null;
  replacesId: string | null;
  qrPayload: string | null;
};

export type AuditEntry = {
  id: string;
  at: string;
  actorId?: string | null;
  actorRole?: string | null;
  action: string;
  resourceType?: string;
  resourceId?: string;
  tenant?: string;
  ip?: string;
  outcome?: string;
  detail?: Record<string, unknown>;
};

/** A message the demo hub would have sent (GET api/mailbox, only with DEMO_MAILBOX=true). */
export type MailboxMessage = {
  id: string;
  channel: "email" | "sms";
  to: string;
  subject: string;
  body: string;
  createdAt: string;
};

/**
 * One attempt to send an e-mail or SMS (GET api/deliveries): the destination masked, never the body.
 * `messageStatus` is the message's state now: sent, pending (tried again at `nextAttemptAt`) or failed.
 */
export type Delivery = {
  id: string;
  messageId: string;
  attemptedAt: string;
  channel: "email" | "sms" | "unknown";
  to: string;
  subject: string;
  status: "sent" | "failed";
  error: string | null;
  providerRef: string | null;
  messageStatus: "sent" | "pending" | "failed";
  attempts: number;
  nextAttemptAt: string | null;
  residentId: string | null;
  facilityId: string | null;
  municipalityCode: string | null;
};

/** Whether a signed-in, fully verified user has one of the roles. */
export function hasRole(me: Me | null | undefined, roles: Role[]): boolean {
  return !!me?.verified && roles.includes(me.role);
}

/** A connector kind (GET api/connectors), with the JSON Schema of its configuration. */
export type ConnectorInfo = {
  key: string;
  name: { ja: string; en: string };
  description: { ja: string; en: string };
  capabilities: string[];
  configSchema: {
    properties?: Record<
      string,
      { type?: string | string[]; enum?: string[]; format?: string; description?: string; default?: unknown }
    >;
    required?: string[];
  };
};

export type ConnectionState = "ok" | "never" | "warning" | "failing" | "stale" | "disabled" | "skipping";

/** What a connection's last pull left out (ConnectionHealth.skipped). */
export type ConnectionSkipped = {
  total: number;
  read: number;
  imported: number;
  counts: Record<string, number>;
  items: { reason: string; line?: number; date?: string; problem?: string; property?: string }[];
};

/** A facility's connection with its health (GET api/connections, api/facilities/{id}/connection). */
export type ConnectionHealth = {
  id: string;
  facilityId: string;
  facilityName: string;
  connector: string;
  connectorName: { ja: string; en: string };
  capabilities: string[];
  config: Record<string, unknown>;
  enabled: boolean;
  disabledReason: string | null;
  /** gone: paused after the facility's endpoint answered 410 Gone. */
  disabledCode: "gone" | "failures" | "staff" | null;
  syncMinutes: number;
  state: ConnectionState;
  requestOnly: boolean;
  lastSyncAt: string | null;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lastError: string | null;
  /** The last error's kind, worded by the portal (FailureCode). */
  lastErrorCode: string | null;
  consecutiveFailures: number;
  nextRunAt: string | null;
  lagSeconds: number | null;
  openConflicts: number;
  pendingWebhooks: number;
  deadLetters: { webhooks: number; pushes: number };
  webhookPath: string | null;
  hasFeed: boolean;
  skipped: ConnectionSkipped | null;
};

/** Shown once, after a connection is set up or its credentials are made anew. */
export type ConnectionCredentials = { webhookSecret: string | null; feedUrl: string | null };

/** What an uploaded CSV holds (or did, once applied), with every problem by line. */
export type ConnectionFileReport = {
  layout: "bookings" | "capacity" | null;
  encoding: string | null;
  lines: number;
  dryRun: boolean;
  applied: boolean;
  created: number;
  changed: number;
  cancelled: number;
  ignored: number;
  conflicts: number;
  errors: { line: number; column: string; message: string }[];
};

export type SkippedItem = {
  reason: string;
  line?: number;
  date?: string;
  problem?: string;
  property?: string;
};

/** One entry of a connection's log (GET api/facilities/{id}/connection/log). */
export type ConnectionLogEntry = {
  id: string;
  at: string;
  kind: "sync" | "webhook" | "upload" | "push" | "test";
  result: "ok" | "failed" | "retrying" | "not_modified";
  code: string | null;
  message: string | null;
  counts: Record<string, number>;
  refs: Record<string, unknown>;
  skipped: { counts: Record<string, number>; items: SkippedItem[] } | null;
  request: string | null;
  httpStatus: number | null;
  durationMs: number | null;
  replayable: boolean;
  replayedAt: string | null;
};

/** What "send test delivery" got back. */
export type TestDelivery = {
  ok: boolean;
  httpStatus: number | null;
  durationMs: number;
  code: string | null;
  message: string | null;
  paused: boolean;
};

/** What a proposed iCal or CSV mapping would import (nothing is saved). */
export type MappingPreview = {
  connector: string;
  read: number;
  byServiceType: Record<string, number>;
  availability: number;
  items: {
    line?: number;
    externalId?: string;
    serviceType: string;
    timeBlock: string;
    startDate: string;
    endDate: string;
    status: string;
  }[];
  skipped: { counts: Record<string, number>; items: SkippedItem[] };
  failure: { code: string; message: string } | null;
};

/** What a connector reported that the hub would not apply on its own (the review queue). */
export type SyncConflict = {
  id: string;
  facilityId: string;
  facilityName: string;
  connector: string;
  kind: string;
  externalRef: string | null;
  bookingId: string | null;
  detail: Record<string, unknown>;
  status: "open" | "resolved";
  resolution: string | null;
  resolvedAt: string | null;
  createdAt: string;
};

export type Page<T> = { items: T[]; total: number };
/** A problem's `errors` item; import reports add the file's line (1 = header, 0 = whole file), column and code. */
export type FieldError = { path?: string; message: string; line?: number; column?: string; code?: string };

export type IncomeTier = "general" | "exempt" | "welfare";
export const INCOME_TIERS: IncomeTier[] = ["general", "exempt", "welfare"];

/** The rules of one service type in a policy version (hub/policies/policy.ts validates them in full). */
export type PolicyServiceRule = {
  unitFee?: number;
  copayPerUnit?: Partial<Record<IncomeTier, number>>;
  maxUnits?: number;
  maxUnitsMultipleBirth?: number;
  stayCounting?: string;
  maxNightsPerStay?: number;
  eligibility?: { maxChildAgeMonths?: number; useCorrectedAgeForPreterm?: boolean; minChildAgeDays?: number };
};

/** A municipality's policy version (利用条件); `inUse` once in effect (never changed from then on). */
export type PolicyVersion = {
  municipalityCode: string;
  version: number;
  effectiveFrom: string;
  services: Partial<Record<ServiceType, PolicyServiceRule>>;
  note?: string;
  inUse: boolean;
  createdAt: string;
  /** Carried over unchanged when a new version is drafted from this one. */
  voucherValidity?: unknown;
  cancellation?: unknown;
};

/** A proposed version (createPolicyVersion / previewPolicyVersion); the hub sets municipality and number. */
export type PolicyRules = {
  effectiveFrom: string;
  services: Partial<Record<ServiceType, PolicyServiceRule>>;
  voucherValidity?: unknown;
  cancellation?: unknown;
  note?: string;
};

/** What a proposed version would change compared with the version in force on its start date. */
export type PolicyPreview = {
  municipalityCode: string;
  effectiveFrom: string;
  replaces: { version: number; effectiveFrom: string } | null;
  residentsAffected: number;
  childrenAffected: number;
  vouchersAffected: number;
  changes: { serviceType: ServiceType; field: string; from: number | null; to: number | null }[];
};

/** An import file (residents, municipalities or facilities), as the API takes it. */
export type ImportFile = { fileName: string; contentBase64: string };

/** What an import did (or, on a dry run, would do). */
export type ImportReport = {
  dryRun: boolean;
  rows: number;
  created: number;
  updated: number;
  errors: { line: number; column: string; code: string; message: string }[];
};

export type BookingStatus =
  | "requested"
  | "confirmed"
  | "rejected"
  | "expired"
  | "cancelled"
  | "used"
  | "reported"
  | "no_show";
export type BookingSource = "portal" | "connector" | "staff" | "system";

/** One line of a booking's entitlement: a unit, an add-on or a reduction, with its yen. */
export type EntitlementLine = {
  kind: "unit" | "add_on" | "reduction";
  code: string;
  label: string;
  date?: string;
  quantity: number;
  fee: number;
  residentCopay: number;
  municipalityShare: number;
};

/** A booking in the ledger, with the voucher units it reserves (or used) and what it costs. */
export type Booking = {
  id: string;
  residentId?: string | null;
  facilityId: string;
  facilityName?: string;
  serviceType: ServiceType;
  startDate: string;
  endDate: string;
  timeBlock: string;
  status: BookingStatus;
  holdExpiresAt?: string | null;
  source: BookingSource;
  externalRef?: string | null;
  revision: number;
  createdAt: string;
  updatedAt?: string;
  voucherId?: string | null;
  voucherNumber?: string | null;
  units?: number;
  fee?: number;
  residentCopay?: number;
  municipalityShare?: number;
  addOns?: string[];
  policyVersion?: { id: string; version: number; effectiveFrom: string } | null;
  lines?: EntitlementLine[];
  /** Free cancellation until this instant (open bookings: as of now; cancelled ones: the deadline that applied). */
  cancelDeadline?: string | null;
  /** How a cancelled booking was cancelled: reason code and fee with its split. */
  cancellation?: {
    reasonCode: string;
    fee: number;
    residentShare: number;
    municipalityShare: number;
    /** The resident's own no-fee reason: free until the facility or her municipality decides. */
    waiver?: {
      status: "claimed" | "accepted" | "declined";
      decidedAt: string | null;
      claim: FeeSplit | null;
    } | null;
  } | null;
};

export type FeeSplit = { fee: number; residentShare: number; municipalityShare: number };

/** 使用済処理, step 1: the voucher read at the front desk, whom it belongs to and this facility's due bookings. */
export type RedemptionLookup = {
  voucher: {
    id: string;
    number: string;
    status: VoucherStatus;
    municipalityCode: string;
    municipalityName: string;
    validFrom: string;
    validUntil: string;
    balances: VoucherBalance[];
  };
  resident: { familyName: string; givenName: string; kana: string };
  bookings: Booking[];
};

/** 使用済処理, step 2: the booking marked used (`alreadyRedeemed` when it had been before). */
export type Redemption = { booking: Booking; alreadyRedeemed: boolean };

export type WaitlistStatus = "waiting" | "offered" | "booked" | "cancelled" | "ended";
export const WAITLIST_STATUSES: WaitlistStatus[] = ["waiting", "offered", "booked", "cancelled", "ended"];

/** The place held for a waiting resident (offered) or accepted by them (booked). */
export type WaitlistOffer = {
  bookingId: string;
  bookingStatus: BookingStatus;
  /** Until when the offer may be accepted; null once accepted. */
  expiresAt: string | null;
  startDate: string;
  endDate: string;
  timeBlock: string;
  units: number;
  residentCopay: number;
};

/** A waitlist entry (予約待ち): what the resident waits for, their place in line and any offer. */
export type WaitlistEntry = {
  id: string;
  residentId: string;
  /** For the resident's municipality and the prefecture only. */
  residentName: string | null;
  facilityId: string;
  facilityName: string;
  serviceType: ServiceType;
  fromDate: string;
  toDate: string;
  nights: number;
  /** "" for any time block. */
  timeBlock: string;
  priority: number;
  status: WaitlistStatus;
  /** 1 = next in line, while waiting. */
  position: number | null;
  offersMade: number;
  offer: WaitlistOffer | null;
  /** The staff note, for the resident's municipality and the prefecture only. */
  note: string | null;
  createdAt: string;
  updatedAt: string;
};

/** What joining the waitlist asks for (residents for themselves; staff name the resident). */
export type WaitlistJoin = {
  facilityId: string;
  serviceType: ServiceType;
  fromDate: string;
  toDate: string;
  nights?: number;
  timeBlock?: string;
  residentId?: string;
  priority?: number;
  note?: string;
};

/** One time block (or the whole day, "") of a service in the vacancy view: free places per day, null = closed. */
export type VacancyBlock = {
  timeBlock: string;
  start: string | null;
  end: string | null;
  free: (number | null)[];
};

/** A facility in the unified vacancy view (GET api/vacancy). */
export type VacancyFacility = {
  facilityId: string;
  name: string;
  kana?: string;
  kind: FacilityKind;
  municipalityCode: string;
  municipalityName: string;
  region: string;
  languages: string[];
  accessibility: string[];
  bookingUrl: string;
  asOf: string;
  /** The facility's own system has not been heard from lately: the numbers are the last known, ask the facility. */
  requestOnly: boolean;
  freePlaces: number;
  services: { serviceType: ServiceType; capacity: number; blocks: VacancyBlock[] }[];
};

export type Vacancy = {
  from: string;
  to: string;
  days: number;
  serviceType: ServiceType | null;
  checkedAt: string;
  total: number;
  freePlaces: number;
  items: VacancyFacility[];
};

/** What a booking would ask for (POST api/bookings/quote and api/bookings). */
export type HoldRequest = {
  facilityId: string;
  serviceType: ServiceType;
  startDate: string;
  nights?: number;
  timeBlock?: string;
  addOns?: string[];
};

/** What a booking would reserve and cost, before anything is held. */
export type BookingQuote = {
  voucherId: string;
  voucherNumber: string;
  serviceType: ServiceType;
  unitsNeeded: number;
  unitsRemainingAfter: number;
  fee: number;
  residentCopay: number;
  municipalityShare: number;
  lines: EntitlementLine[];
  policyVersion: { id: string; version: number; effectiveFrom: string };
};

/** What cancelling a booking now would cost (GET api/bookings/{id}/cancellation). */
export type CancellationPreview = {
  bookingId: string;
  status: BookingStatus;
  deadline: string;
  /** The municipality's rule behind the deadline (said in words on the page). */
  cutoff: { daysBefore: number; time: string; days: "calendar" | "business"; closuresMove: boolean };
  beforeDeadline: boolean;
  reasonCode: string;
  reasonCodes: string[];
  noFeeReasons: string[];
  fee: number;
  residentShare: number;
  municipalityShare: number;
  waived: string | null;
  /** A resident's own no-fee reason: what applies if the facility or municipality declines it. */
  claim: FeeSplit | null;
};

/** A booking changed to other dates (or service): the new booking and the old one, now cancelled. */
export type BookingChange = { booking: Booking; previous: Booking };

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
export type UsageTotals = {
  uses: number;
  units: number;
  fee: number;
  residentCopay: number;
  municipalityShare: number;
};

export type UsageItem = UsageTotals & {
  bookingId: string;
  startDate: string;
  endDate: string;
  serviceType: ServiceType;
  timeBlock: string;
  status: string;
  facilityId: string;
  facilityName: string;
  residentId: string;
  residentName: string;
  residentKana: string;
  residentNumber: string | null;
};

export type UsageConfirmation = UsageTotals & {
  month: string;
  note: string;
  confirmedAt: string;
  confirmedBy: string | null;
  confirmedByName: string | null;
};

export type MonthlyUsage = {
  municipalityCode: string;
  municipalityName: string;
  month: string;
  from: string;
  to: string;
  ended: boolean;
  totals: UsageTotals;
  facilities: (UsageTotals & { facilityId: string; facilityName: string })[];
  items: Omit<UsageItem, "uses">[];
  unredeemed: number;
  confirmation: UsageConfirmation | null;
  differsFromConfirmation: boolean;
};

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
export const CARE_CODES = [
  "maternal_check",
  "breast_care",
  "feeding",
  "bathing",
  "rest",
  "counselling",
  "family_support",
  "other",
] as const;
export type CareCode = (typeof CARE_CODES)[number];
export type UsageReportStatus = "due" | "submitted" | "confirmed";
export type UsageReportInput = {
  care: CareCode[];
  infantCondition: string;
  notes: string;
  copayCollected: number;
};
export type UsageReport = UsageReportInput & {
  submittedAt: string;
  submittedBy: string | null;
  updatedAt: string;
  confirmedAt: string | null;
  confirmedBy: string | null;
};
export type UsageReportItem = {
  bookingId: string;
  bookingStatus: string;
  status: UsageReportStatus;
  month: string;
  facilityId: string;
  facilityName: string;
  municipalityCode: string;
  municipalityName: string;
  residentName: string;
  residentKana: string;
  residentNumber: string | null;
  voucherNumber: string | null;
  startDate: string;
  endDate: string;
  serviceType: ServiceType;
  timeBlock: string;
  units: number;
  fee: number;
  residentCopay: number;
  report: UsageReport | null;
};
export type UsageReportList = {
  month: string;
  deadline: string;
  deadlinePassed: boolean;
  counts: Record<UsageReportStatus, number>;
  items: UsageReportItem[];
};

// Billing (請求): the associations' monthly runs per municipality, invoices and lists.

/** The columns add up: fee − residentCopay + cancellationFee − cancellationCopay = amount. */
export type BillingTotals = {
  lines: number;
  units: number;
  fee: number;
  residentCopay: number;
  cancellationFee: number;
  cancellationCopay: number;
  amount: number;
};
export type BillingFacilityTotals = BillingTotals & { facilityId: string; facilityName: string };
export type BillingRunSummary = {
  id: string;
  associationId: string;
  municipalityCode: string;
  municipalityName: string;
  month: string;
  status: "draft" | "reviewed" | "finalized";
  invoiceNumber: string | null;
  total: number;
  lineCount: number;
  units: number;
  fee: number;
  residentCopay: number;
  cancellationFee: number;
  cancellationCopay: number;
  createdAt: string;
  updatedAt: string;
  reviewedAt: string | null;
  finalizedAt: string | null;
  /** 請求日 of a finalized run, "YYYY-MM-DD". */
  issueDate: string | null;
  /** ¥0: no invoice (請求なし). */
  nothingToBill: boolean;
};
export type BillingRunList = {
  month: string;
  items: BillingRunSummary[];
  byFacility: BillingFacilityTotals[];
  total: number;
};
export type BillingLine = {
  id: string;
  kind: "use" | "cancellation_fee" | "adjustment";
  bookingId: string | null;
  facilityId: string;
  facilityName: string;
  residentRef: string;
  serviceType: ServiceType | null;
  startDate: string | null;
  endDate: string | null;
  units: number;
  fee: number;
  residentCopay: number;
  cancellationFee: number;
  cancellationCopay: number;
  amount: number;
  /** An adjustment: billed before (訂正前) and billable now (訂正後). */
  amountBefore: number | null;
  amountAfter: number | null;
  note: string;
  adjustsLineId: string | null;
  /** No. on the invoice. */
  lineNo: number;
  /** An adjustment: the finalized invoice and line it corrects. */
  adjusts: { invoiceNumber: string; lineNo: number } | null;
};
export type BillingDiscrepancy = {
  code: string;
  bookingId: string;
  facilityId: string;
  facilityName: string;
  residentRef: string;
  startDate: string;
  status: string;
  expected?: number;
  actual?: number;
};
export type BillingDocument = { kind: "xlsx" | "docx"; fileName: string; sha256: string; bytes: number };
export type BillingRunDetail = Omit<BillingRunSummary, "lines"> & {
  associationName: string;
  /** The stored files of a finalized run, with their sha-256. */
  documents: BillingDocument[];
  lines: BillingLine[];
  totals: BillingTotals;
  byFacility: BillingFacilityTotals[];
  discrepancies: BillingDiscrepancy[];
};

export type BillingIssuer = {
  associationId: string;
  postalCode: string;
  address: string;
  presidentTitle: string;
  presidentName: string;
  responsibleName: string;
  contactName: string;
  phone: string;
  bankName: string;
  branchName: string;
  accountType: "普通" | "当座";
  accountNumber: string;
  accountHolderKana: string;
  /** Fields still empty: no run is finalized until there are none. */
  missing: string[];
};
export type MunicipalityBillingSettings = {
  municipalityCode: string;
  paymentDue: "end_of_next_month" | "days_after_issue";
  paymentDays: number;
  sealRequired: boolean;
  residentDisplay: "external_id" | "voucher_number" | "name";
  creditorCodes: Record<string, string>;
};

/** A 過誤 correction of a redeemed booking (取消 = void, 修正 = amend), hub/billing/corrections.ts. */
export type BookingCorrection = {
  id: string;
  bookingId: string;
  kind: "void" | "amend";
  reason: string;
  units: number | null;
  fee: number | null;
  residentCopay: number | null;
  status: "pending" | "confirmed" | "declined";
  requestedRole: string;
  requestedAt: string;
  decidedAt: string | null;
};
export type CorrectionListItem = BookingCorrection & {
  booking: {
    serviceType: ServiceType;
    startDate: string;
    units: number;
    fee: number;
    residentCopay: number;
    facilityName: string;
    municipalityCode: string | null;
  };
};
export type CorrectionRequest =
  | { kind: "void"; reason: string }
  | { kind: "amend"; reason: string; units: number; fee: number; residentCopay: number };

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
export const REPORT_METRICS = [
  "usage_bookings",
  "usage_units",
  "reservations",
  "cancellations",
  "cancellations_early",
  "cancellations_late",
  "cancellation_rate",
  "occupancy_rate",
  "unmet_searches",
  "waitlist_expired",
  "refusals",
] as const;
export type ReportMetric = (typeof REPORT_METRICS)[number];
export const REPORT_DIMENSIONS = ["month", "service_type", "municipality", "facility"] as const;
export type ReportDimension = (typeof REPORT_DIMENSIONS)[number];
export const REPORT_ROLES = ["municipality", "facility", "association", "operator"] as const;
export type ReportRole = (typeof REPORT_ROLES)[number];

export type Report = {
  key: string;
  titleJa: string;
  titleEn: string;
  description: string;
  metric: ReportMetric;
  dimensions: ReportDimension[];
  roles: ReportRole[];
  chart: "bar" | "line";
  sortOrder: number;
  builtIn: boolean;
};
export type ReportInput = Omit<Report, "builtIn" | "description" | "sortOrder"> & { description?: string };
export type StatsRow = {
  month?: string;
  serviceType?: string;
  municipalityCode?: string | null;
  municipalityName?: string | null;
  facilityId?: string | null;
  facilityName?: string | null;
  value: number | null;
  numerator?: number | null;
  denominator?: number | null;
  /** Hidden by the disclosure rule: the figures are null, shown as ＊. */
  suppressed?: boolean;
};
export type ReportData = {
  report: Report;
  period: { from: string; to: string };
  kind: "count" | "rate";
  scope: "all" | "municipality" | "facility" | "association";
  rows: StatsRow[];
  total: StatsRow;
  /** Counts from 1 to threshold − 1 are hidden (1: none). */
  disclosure: { threshold: number };
  /** What the metric counts. */
  definition: { ja: string; en: string };
};
export const DISCLOSURE_READERS = [
  "prefecture",
  "municipality",
  "facility",
  "association",
  "operator",
] as const;
export const DISCLOSURE_TENANT_ROLES = ["municipality", "facility", "association"] as const;
export type StatsDisclosure = {
  defaultThreshold: number;
  thresholds: Record<string, Partial<Record<(typeof DISCLOSURE_READERS)[number], number>>>;
  exactOwnRoles: (typeof DISCLOSURE_TENANT_ROLES)[number][];
};

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
export const INQUIRY_CATEGORIES = [
  "account",
  "booking",
  "voucher",
  "facility",
  "billing",
  "connector",
  "other",
] as const;
export type InquiryCategory = (typeof INQUIRY_CATEGORIES)[number];
export type InquiryStatus = "open" | "answered" | "closed";
export const INQUIRY_STATUSES: InquiryStatus[] = ["open", "answered", "closed"];
export type InquiryInput = {
  category: string;
  subject: string;
  text: string;
  contactName: string;
  contactEmail: string | null;
  contactPhone: string | null;
  locale: "ja" | "en";
};
export type InquiryMessage = {
  id: string;
  kind: "question" | "answer" | "follow_up" | "status";
  body: string;
  status: InquiryStatus;
  authorRole: string;
  at: string;
};
export type Inquiry = {
  id: string;
  number: number;
  reference: string;
  category: InquiryCategory;
  subject: string;
  status: InquiryStatus;
  authorRole: string;
  contactName: string;
  contactEmail: string | null;
  contactPhone: string | null;
  locale: string;
  faqEntryId: string | null;
  createdAt: string;
  updatedAt: string;
  messages: InquiryMessage[];
};
export type InquiryList = { items: Inquiry[]; total: number; counts: Record<InquiryStatus, number> };
export type FaqEntryInput = {
  category: string;
  questionJa: string;
  answerJa: string;
  questionEn: string;
  answerEn: string;
  published?: boolean;
  sortOrder?: number;
  sourceInquiryId?: string;
  /** The ids of the findings the operator confirms as not personal data. */
  confirmFindings?: string[];
};
export type FaqTextField = "questionJa" | "answerJa" | "questionEn" | "answerEn";
/** What looks like personal data in an FAQ text: UTF-16 positions in the field as checked. */
export type FaqFinding = {
  id: string;
  field: FaqTextField;
  class: string;
  start: number;
  end: number;
  text: string;
};
export type FaqEntry = Required<Omit<FaqEntryInput, "sourceInquiryId" | "confirmFindings">> & {
  id: string;
  /** For the help desk (not in the public FAQ). */
  findings?: FaqFinding[];
  publishedAt: string | null;
  sourceInquiryId: string | null;
  createdAt: string;
  updatedAt: string;
};
export type FaqDraft = {
  inquiryId: string;
  category: InquiryCategory;
  questionJa: string;
  answerJa: string;
  questionEn: string;
  answerEn: string;
};
export type AnnouncementKind = "info" | "maintenance" | "important";
export const ANNOUNCEMENT_KINDS: AnnouncementKind[] = ["info", "maintenance", "important"];
export const AUDIENCES = [
  "public",
  "resident",
  "facility",
  "municipality",
  "association",
  "prefecture",
  "operator",
] as const;
export type AnnouncementInput = {
  kind: AnnouncementKind;
  titleJa: string;
  bodyJa: string;
  titleEn: string;
  bodyEn: string;
  audiences: string[];
  startsAt: string;
  endsAt: string;
  sendEmail: boolean;
};
export type Announcement = AnnouncementInput & {
  id: string;
  emailedAt: string | null;
  createdAt: string;
  updatedAt: string;
};
export type CurrentAnnouncement = Omit<Announcement, "sendEmail" | "emailedAt" | "createdAt" | "updatedAt">;

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
