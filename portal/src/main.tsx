import "./styles.css";
import { Route, Router } from "@solidjs/router";
import { render } from "solid-js/web";
import { Layout } from "./components/Layout";
import { getFacility, getMe, getMunicipalities, getRevisions } from "./data";
import { Account } from "./pages/Account";
import { Announcements } from "./pages/Announcements";
import { Audit } from "./pages/Audit";
import { Billing } from "./pages/Billing";
import { BillingSettings } from "./pages/BillingSettings";
import { Book } from "./pages/Book";
import { Connections, FacilityConnection } from "./pages/Connections";
import { Deliveries } from "./pages/Deliveries";
import { Facilities } from "./pages/Facilities";
import { FacilityBookings, StaffBookings } from "./pages/FacilityBookings";
import { FacilityEdit } from "./pages/FacilityEdit";
import { FacilityProfile } from "./pages/FacilityProfile";
import { Help, MyInquiries } from "./pages/Help";
import { HelpDesk } from "./pages/HelpDesk";
import { Home } from "./pages/Home";
import { ImportFacilities, ImportMunicipalities, ImportResidents } from "./pages/Import";
import { Mailbox } from "./pages/Mailbox";
import { MyBookings } from "./pages/MyBookings";
import { MyVouchers } from "./pages/MyVouchers";
import { NotFound } from "./pages/NotFound";
import { ForgotPassword, ResetPassword } from "./pages/PasswordReset";
import { Policies } from "./pages/Policies";
import { Redeem } from "./pages/Redeem";
import { ResidentDetail } from "./pages/ResidentDetail";
import { Residents } from "./pages/Residents";
import { SignIn } from "./pages/SignIn";
import { StaffAccounts } from "./pages/StaffAccounts";
import { Stats } from "./pages/Stats";
import { StatsSettings } from "./pages/StatsSettings";
import { UsageMonthly } from "./pages/UsageMonthly";
import { FacilityUsageReports, MunicipalityUsageReports } from "./pages/UsageReports";
import { Vacancy } from "./pages/Vacancy";
import { MyWaitlist, StaffWaitlist } from "./pages/Waitlist";

// The hub serves the portal under a base path it announces with <base href>; the router works below it.
const base = new URL(document.baseURI).pathname.replace(/\/$/, "");

/** Preloads warm the cache; errors are shown by the page that reads the data, not here. */
const warm = (p: Promise<unknown>) => void p.catch(() => undefined);

const root = document.getElementById("app");
if (!root) throw new Error("#app is missing from index.html");

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
      <Route path="/facilities/:id/edit" component={FacilityEdit} preload={() => warm(getMunicipalities())} />
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
      <Route path="/municipality/usage" component={UsageMonthly} preload={() => warm(getMunicipalities())} />
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
);
