import "./styles.css";
import { Route, Router } from "@solidjs/router";
import { render } from "solid-js/web";
import { Layout } from "./components/Layout";
import { getFacility, getMe, getMunicipalities, getRevisions } from "./data";
import { Audit } from "./pages/Audit";
import { Billing } from "./pages/Billing";
import { Book } from "./pages/Book";
import { Connections, FacilityConnection } from "./pages/Connections";
import { Deliveries } from "./pages/Deliveries";
import { Facilities } from "./pages/Facilities";
import { FacilityBookings, StaffBookings } from "./pages/FacilityBookings";
import { FacilityEdit } from "./pages/FacilityEdit";
import { FacilityProfile } from "./pages/FacilityProfile";
import { Home } from "./pages/Home";
import { ImportResidents } from "./pages/ImportResidents";
import { Mailbox } from "./pages/Mailbox";
import { MyBookings } from "./pages/MyBookings";
import { MyVouchers } from "./pages/MyVouchers";
import { NotFound } from "./pages/NotFound";
import { Policies } from "./pages/Policies";
import { Redeem } from "./pages/Redeem";
import { ResidentDetail } from "./pages/ResidentDetail";
import { Residents } from "./pages/Residents";
import { SignIn } from "./pages/SignIn";
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
      <Route path="/residents" component={Residents} />
      <Route path="/residents/:id" component={ResidentDetail} />
      <Route path="/my/vouchers" component={MyVouchers} />
      <Route path="/my/waitlist" component={MyWaitlist} />
      <Route path="/waitlist" component={StaffWaitlist} />
      <Route path="/audit" component={Audit} />
      <Route path="/association/billing" component={Billing} />
      <Route path="/deliveries" component={Deliveries} />
      <Route path="/connections" component={Connections} />
      <Route path="/facility/connection" component={FacilityConnection} />
      <Route path="/municipality/policies" component={Policies} preload={() => warm(getMunicipalities())} />
      <Route path="/municipality/import" component={ImportResidents} />
      <Route path="/municipality/usage" component={UsageMonthly} preload={() => warm(getMunicipalities())} />
      <Route path="/facility/redeem" component={Redeem} />
      <Route path="/facility/reports" component={FacilityUsageReports} />
      <Route path="/municipality/reports" component={MunicipalityUsageReports} />
      <Route path="/mailbox" component={Mailbox} />
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
