import "./styles.css";
import { Route, Router } from "@solidjs/router";
import { type Component, lazy } from "solid-js";
import { render } from "solid-js/web";
import { Layout } from "./components/Layout";
import { getFacility, getMe, getMunicipalities, getRevisions } from "./data";
import { ready } from "./i18n";

/**
 * A page as a chunk of its own, loaded when its route is first shown (the router waits for it inside a
 * transition, so the previous page stays until the next one can render): the vacancy page does not carry the
 * billing screens, nor Chart.js (only Stats draws charts).
 */
// biome-ignore lint/suspicious/noExplicitAny: a page's props are whatever the router gives it
function page<K extends string>(load: () => Promise<Record<K, Component<any>>>, name: K) {
  return lazy(() => load().then((m) => ({ default: m[name] })));
}

const Account = page(() => import("./pages/Account"), "Account");
const Announcements = page(() => import("./pages/Announcements"), "Announcements");
const Audit = page(() => import("./pages/Audit"), "Audit");
const Billing = page(() => import("./pages/Billing"), "Billing");
const BillingSettings = page(() => import("./pages/BillingSettings"), "BillingSettings");
const Book = page(() => import("./pages/Book"), "Book");
const Connections = page(() => import("./pages/Connections"), "Connections");
const FacilityConnection = page(() => import("./pages/Connections"), "FacilityConnection");
const Deliveries = page(() => import("./pages/Deliveries"), "Deliveries");
const Facilities = page(() => import("./pages/Facilities"), "Facilities");
const FacilityBookings = page(() => import("./pages/FacilityBookings"), "FacilityBookings");
const StaffBookings = page(() => import("./pages/FacilityBookings"), "StaffBookings");
const FacilityEdit = page(() => import("./pages/FacilityEdit"), "FacilityEdit");
const FacilityProfile = page(() => import("./pages/FacilityProfile"), "FacilityProfile");
const Help = page(() => import("./pages/Help"), "Help");
const MyInquiries = page(() => import("./pages/Help"), "MyInquiries");
const HelpDesk = page(() => import("./pages/HelpDesk"), "HelpDesk");
const Home = page(() => import("./pages/Home"), "Home");
const ImportFacilities = page(() => import("./pages/Import"), "ImportFacilities");
const ImportMunicipalities = page(() => import("./pages/Import"), "ImportMunicipalities");
const ImportResidents = page(() => import("./pages/Import"), "ImportResidents");
const Mailbox = page(() => import("./pages/Mailbox"), "Mailbox");
const MyBookings = page(() => import("./pages/MyBookings"), "MyBookings");
const MyVouchers = page(() => import("./pages/MyVouchers"), "MyVouchers");
const NotFound = page(() => import("./pages/NotFound"), "NotFound");
const ForgotPassword = page(() => import("./pages/PasswordReset"), "ForgotPassword");
const ResetPassword = page(() => import("./pages/PasswordReset"), "ResetPassword");
const Policies = page(() => import("./pages/Policies"), "Policies");
const Redeem = page(() => import("./pages/Redeem"), "Redeem");
const ResidentDetail = page(() => import("./pages/ResidentDetail"), "ResidentDetail");
const Residents = page(() => import("./pages/Residents"), "Residents");
const SignIn = page(() => import("./pages/SignIn"), "SignIn");
const StaffAccounts = page(() => import("./pages/StaffAccounts"), "StaffAccounts");
const Stats = page(() => import("./pages/Stats"), "Stats");
const StatsSettings = page(() => import("./pages/StatsSettings"), "StatsSettings");
const UsageMonthly = page(() => import("./pages/UsageMonthly"), "UsageMonthly");
const FacilityUsageReports = page(() => import("./pages/UsageReports"), "FacilityUsageReports");
const MunicipalityUsageReports = page(() => import("./pages/UsageReports"), "MunicipalityUsageReports");
const Vacancy = page(() => import("./pages/Vacancy"), "Vacancy");
const MyWaitlist = page(() => import("./pages/Waitlist"), "MyWaitlist");
const StaffWaitlist = page(() => import("./pages/Waitlist"), "StaffWaitlist");

// The hub serves the portal under a base path it announces with <base href>; the router works below it.
const base = new URL(document.baseURI).pathname.replace(/\/$/, "");

/** Preloads warm the cache; errors are shown by the page that reads the data, not here. */
const warm = (p: Promise<unknown>) => void p.catch(() => undefined);

const root = document.getElementById("app");
if (!root) throw new Error("#app is missing from index.html");

// The first language's dictionary is loaded before anything renders (no flash of missing words).
void ready.then(() =>
  render(
    () => (
      <Router base={base} root={Layout} rootPreload={() => warm(getMe())}>
        <Route path="/" component={Home} />
        <Route path="/facilities" component={Facilities} preload={() => warm(getMunicipalities())} />
        <Route
          path="/facilities/:id"
          component={FacilityProfile}
          preload={({ params }) => {
            warm(getFacility(params.id ?? ""));
            warm(getRevisions(params.id ?? ""));
            warm(getMunicipalities());
          }}
        />
        <Route
          path="/facilities/:id/edit"
          component={FacilityEdit}
          preload={() => warm(getMunicipalities())}
        />
        <Route path="/sign-in" component={SignIn} />
        <Route path="/forgot-password" component={ForgotPassword} />
        <Route path="/reset-password" component={ResetPassword} />
        <Route path="/account" component={Account} />
        <Route path="/staff-accounts" component={StaffAccounts} />
        <Route path="/residents" component={Residents} />
        <Route path="/residents/:id" component={ResidentDetail} />
        <Route path="/my/vouchers" component={MyVouchers} />
        <Route path="/my/waitlist" component={MyWaitlist} />
        <Route path="/waitlist" component={StaffWaitlist} />
        <Route path="/audit" component={Audit} />
        <Route path="/association/billing" component={Billing} />
        <Route path="/billing/settings" component={BillingSettings} />
        <Route path="/deliveries" component={Deliveries} />
        <Route path="/connections" component={Connections} />
        <Route path="/facility/connection" component={FacilityConnection} />
        <Route path="/municipality/policies" component={Policies} preload={() => warm(getMunicipalities())} />
        <Route path="/municipality/import" component={ImportResidents} />
        <Route path="/prefecture/import/municipalities" component={ImportMunicipalities} />
        <Route path="/prefecture/import/facilities" component={ImportFacilities} />
        <Route
          path="/municipality/usage"
          component={UsageMonthly}
          preload={() => warm(getMunicipalities())}
        />
        <Route path="/facility/redeem" component={Redeem} />
        <Route path="/facility/reports" component={FacilityUsageReports} />
        <Route path="/municipality/reports" component={MunicipalityUsageReports} />
        <Route path="/stats" component={Stats} />
        <Route path="/stats/settings" component={StatsSettings} />
        <Route path="/mailbox" component={Mailbox} />
        <Route path="/help" component={Help} />
        <Route path="/my/inquiries" component={MyInquiries} />
        <Route path="/helpdesk" component={HelpDesk} />
        <Route path="/announcements" component={Announcements} />
        <Route path="/vacancy" component={Vacancy} preload={() => warm(getMunicipalities())} />
        <Route
          path="/book/:facilityId"
          component={Book}
          preload={({ params }) => warm(getFacility(params.facilityId ?? ""))}
        />
        <Route path="/my/bookings" component={MyBookings} />
        <Route path="/facility/bookings" component={FacilityBookings} />
        <Route path="/bookings" component={StaffBookings} />
        <Route path="*404" component={NotFound} />
      </Router>
    ),
    root,
  ),
);
