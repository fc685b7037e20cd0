import "./styles.css";
import { type RouteDefinition, Router } from "@solidjs/router";
import { type Component, lazy } from "solid-js";
import { render } from "solid-js/web";
import { Layout } from "./components/Layout";
import { getFacility, getMe, getMunicipalities, getRevisions, getVacancy } from "./data";
import { todayInJapan } from "./format";
import { loadArea, ready } from "./i18n";
import { vacancyFilters, vacancyQuery } from "./vacancy-query";

/**
 * A page as a chunk of its own, loaded when its route is first shown (the router waits for it inside a
 * transition, so the previous page stays until the next one can render): the vacancy page does not carry the
 * billing screens, nor Chart.js (only Stats draws charts).
 */
// biome-ignore lint/suspicious/noExplicitAny: a page's props are whatever the router gives it
function page<K extends string>(load: () => Promise<Record<K, Component<any>>>, name: K) {
  return lazy(() => load().then((m) => ({ default: m[name] })));
}

/**
 * A staff screen: its chunk and the staff area's words (portal/src/i18n.ts), loaded together before it renders.
 * portal/i18n-areas.test.ts checks that every page reading staff words is declared here.
 */
// biome-ignore lint/suspicious/noExplicitAny: as above
function staffPage<K extends string>(load: () => Promise<Record<K, Component<any>>>, name: K) {
  return lazy(() => Promise.all([load(), loadArea("staff")]).then(([m]) => ({ default: m[name] })));
}

const Account = staffPage(() => import("./pages/Account"), "Account");
const Apply = page(() => import("./pages/Apply"), "Apply");
const ApplyStatus = page(() => import("./pages/Apply"), "ApplyStatus");
const Applications = staffPage(() => import("./pages/Applications"), "Applications");
const ApplicationDetail = staffPage(() => import("./pages/Applications"), "ApplicationDetail");
const Announcements = page(() => import("./pages/Announcements"), "Announcements");
const Audit = staffPage(() => import("./pages/Audit"), "Audit");
const Billing = staffPage(() => import("./pages/Billing"), "Billing");
const BillingSettings = staffPage(() => import("./pages/BillingSettings"), "BillingSettings");
const Book = page(() => import("./pages/Book"), "Book");
const Connections = staffPage(() => import("./pages/Connections"), "Connections");
const FacilityConnection = staffPage(() => import("./pages/Connections"), "FacilityConnection");
const Deliveries = staffPage(() => import("./pages/Deliveries"), "Deliveries");
const Facilities = page(() => import("./pages/Facilities"), "Facilities");
const FacilityBookings = staffPage(() => import("./pages/FacilityBookings"), "FacilityBookings");
const StaffBookings = staffPage(() => import("./pages/FacilityBookings"), "StaffBookings");
const FacilityEdit = staffPage(() => import("./pages/FacilityEdit"), "FacilityEdit");
const FacilityProfile = page(() => import("./pages/FacilityProfile"), "FacilityProfile");
const Help = page(() => import("./pages/Help"), "Help");
const MyInquiries = page(() => import("./pages/Help"), "MyInquiries");
const HelpDesk = page(() => import("./pages/HelpDesk"), "HelpDesk");
const Home = page(() => import("./pages/Home"), "Home");
const ImportFacilities = staffPage(() => import("./pages/Import"), "ImportFacilities");
const ImportMunicipalities = staffPage(() => import("./pages/Import"), "ImportMunicipalities");
const ImportResidents = staffPage(() => import("./pages/Import"), "ImportResidents");
const Mailbox = page(() => import("./pages/Mailbox"), "Mailbox");
const MyBookings = page(() => import("./pages/MyBookings"), "MyBookings");
const MyVouchers = page(() => import("./pages/MyVouchers"), "MyVouchers");
const NotFound = page(() => import("./pages/NotFound"), "NotFound");
const ForgotPassword = page(() => import("./pages/PasswordReset"), "ForgotPassword");
const ResetPassword = page(() => import("./pages/PasswordReset"), "ResetPassword");
const Policies = staffPage(() => import("./pages/Policies"), "Policies");
const Redeem = staffPage(() => import("./pages/Redeem"), "Redeem");
const ResidentDetail = staffPage(() => import("./pages/ResidentDetail"), "ResidentDetail");
const Residents = staffPage(() => import("./pages/Residents"), "Residents");
const SignIn = page(() => import("./pages/SignIn"), "SignIn");
const StaffAccounts = staffPage(() => import("./pages/StaffAccounts"), "StaffAccounts");
const Stats = staffPage(() => import("./pages/Stats"), "Stats");
const StatsSettings = staffPage(() => import("./pages/StatsSettings"), "StatsSettings");
const UsageMonthly = page(() => import("./pages/UsageMonthly"), "UsageMonthly");
const FacilityUsageReports = staffPage(() => import("./pages/UsageReports"), "FacilityUsageReports");
const MunicipalityUsageReports = staffPage(() => import("./pages/UsageReports"), "MunicipalityUsageReports");
const Vacancy = page(() => import("./pages/Vacancy"), "Vacancy");
const MyWaitlist = page(() => import("./pages/Waitlist"), "MyWaitlist");
const StaffWaitlist = page(() => import("./pages/Waitlist"), "StaffWaitlist");

// The hub serves the portal under a base path it announces with <base href>; the router works below it.
const base = new URL(document.baseURI).pathname.replace(/\/$/, "");

/** Preloads warm the cache; errors are shown by the page that reads the data, not here. */
const warm = (p: Promise<unknown>) => void p.catch(() => undefined);

const root = document.getElementById("app");
if (!root) throw new Error("#app is missing from index.html");

const routes: RouteDefinition[] = [
  { path: "/", component: Home },
  { path: "/facilities", component: Facilities, preload: () => warm(getMunicipalities()) },
  {
    path: "/facilities/:id",
    component: FacilityProfile,
    preload: ({ params }) => {
      warm(getFacility(params.id ?? ""));
      warm(getRevisions(params.id ?? ""));
      warm(getMunicipalities());
    },
  },
  { path: "/facilities/:id/edit", component: FacilityEdit, preload: () => warm(getMunicipalities()) },
  { path: "/sign-in", component: SignIn },
  { path: "/apply", component: Apply, preload: () => warm(getMunicipalities()) },
  { path: "/apply/status", component: ApplyStatus },
  { path: "/municipality/applications", component: Applications },
  { path: "/municipality/applications/:id", component: ApplicationDetail },
  { path: "/forgot-password", component: ForgotPassword },
  { path: "/reset-password", component: ResetPassword },
  { path: "/account", component: Account },
  { path: "/staff-accounts", component: StaffAccounts },
  { path: "/residents", component: Residents },
  { path: "/residents/:id", component: ResidentDetail },
  { path: "/my/vouchers", component: MyVouchers },
  { path: "/my/waitlist", component: MyWaitlist },
  { path: "/waitlist", component: StaffWaitlist },
  { path: "/audit", component: Audit },
  { path: "/association/billing", component: Billing },
  { path: "/billing/settings", component: BillingSettings },
  { path: "/deliveries", component: Deliveries },
  { path: "/connections", component: Connections },
  { path: "/facility/connection", component: FacilityConnection },
  { path: "/municipality/policies", component: Policies, preload: () => warm(getMunicipalities()) },
  { path: "/municipality/import", component: ImportResidents },
  { path: "/prefecture/import/municipalities", component: ImportMunicipalities },
  { path: "/prefecture/import/facilities", component: ImportFacilities },
  { path: "/municipality/usage", component: UsageMonthly, preload: () => warm(getMunicipalities()) },
  { path: "/facility/redeem", component: Redeem },
  { path: "/facility/reports", component: FacilityUsageReports },
  { path: "/municipality/reports", component: MunicipalityUsageReports },
  { path: "/stats", component: Stats },
  { path: "/stats/settings", component: StatsSettings },
  { path: "/mailbox", component: Mailbox },
  { path: "/help", component: Help },
  { path: "/my/inquiries", component: MyInquiries },
  { path: "/helpdesk", component: HelpDesk },
  { path: "/announcements", component: Announcements },
  {
    path: "/vacancy",
    component: Vacancy,
    preload: ({ location }) => {
      warm(getMunicipalities());
      warm(getVacancy(vacancyQuery(vacancyFilters(location.query), todayInJapan())));
    },
  },
  {
    path: "/book/:facilityId",
    component: Book,
    preload: ({ params }) => warm(getFacility(params.facilityId ?? "")),
  },
  { path: "/my/bookings", component: MyBookings },
  { path: "/facility/bookings", component: FacilityBookings },
  { path: "/bookings", component: StaffBookings },
  { path: "*404", component: NotFound },
];

/**
 * Whether `path` (below the base) is one `pattern` of the routes above names: ":x" stands for one segment, "*x" for
 * the rest. The router does the real matching; this only picks the first page to fetch early.
 */
function names(pattern: string, path: string): boolean {
  const want = pattern.split("/").filter(Boolean);
  const have = path.split("/").filter(Boolean);
  if (want[0]?.startsWith("*")) return true;
  return want.length === have.length && want.every((w, i) => w.startsWith(":") || w === have[i]);
}

// The first page's code is fetched while the dictionary loads, not after it (the router would ask for it only
// when it first renders); the first language's dictionary is loaded before anything renders (no flash of missing
// words).
const first = routes.find((r) => names(String(r.path), location.pathname.slice(base.length)));
warm(
  (first?.component as { preload?: () => Promise<unknown> } | undefined)?.preload?.() ?? Promise.resolve(),
);
void ready.then(() =>
  render(
    () => (
      <Router base={base} root={Layout} rootPreload={() => warm(getMe())}>
        {routes}
      </Router>
    ),
    root,
  ),
);
