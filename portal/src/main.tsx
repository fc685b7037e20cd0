import "./styles.css";
import { Route, Router } from "@solidjs/router";
import { render } from "solid-js/web";
import { Layout } from "./components/Layout";
import { getFacility, getMe, getMunicipalities, getRevisions } from "./data";
import { Audit } from "./pages/Audit";
import { Facilities } from "./pages/Facilities";
import { FacilityEdit } from "./pages/FacilityEdit";
import { FacilityProfile } from "./pages/FacilityProfile";
import { Home } from "./pages/Home";
import { ImportResidents } from "./pages/ImportResidents";
import { Mailbox } from "./pages/Mailbox";
import { MyVouchers } from "./pages/MyVouchers";
import { NotFound } from "./pages/NotFound";
import { Policies } from "./pages/Policies";
import { Redeem } from "./pages/Redeem";
import { ResidentDetail } from "./pages/ResidentDetail";
import { Residents } from "./pages/Residents";
import { SignIn } from "./pages/SignIn";
import { UsageMonthly } from "./pages/UsageMonthly";

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
      <Route path="/audit" component={Audit} />
      <Route path="/municipality/policies" component={Policies} preload={() => warm(getMunicipalities())} />
      <Route path="/municipality/import" component={ImportResidents} />
      <Route path="/municipality/usage" component={UsageMonthly} preload={() => warm(getMunicipalities())} />
      <Route path="/facility/redeem" component={Redeem} />
      <Route path="/mailbox" component={Mailbox} />
      <Route path="*404" component={NotFound} />
    </Router>
  ),
  root,
);
