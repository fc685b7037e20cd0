/**
 * The import rules of the layers (docs/architecture.md), checked by `npm run lint` (`depcruise`):
 *   hub/http (and the entry points)  →  the domain folders  →  identity, notify, db, audit  →  config
 * Connectors are plug-ins that know nothing of the hub; the demo data and generators (fixtures/) stay out of the
 * product. Tests may import anything.
 */
const DOMAIN =
  "^hub/(billing|bookings|connections|facilities|import|inventory|policies|residents|stats|support|usage|vouchers|waitlist|ops)/";
const FOUNDATIONS = "^hub/(identity|notify|db|audit)/";
/** Modules of the hub that import nothing of it: anyone may use them. */
const BASE = "^hub/(errors|network|log|time-limit)\\.ts$";
const TESTS = "\\.test\\.ts$";

module.exports = {
  forbidden: [
    {
      name: "connectors-know-nothing-of-the-hub",
      comment:
        "A connector is given what it needs (connectors/contract.ts); the hub applies what it returns.",
      severity: "error",
      from: { path: "^connectors/", pathNot: TESTS },
      to: { path: "^(hub|jobs|fixtures)/" },
    },
    {
      name: "only-http-speaks-http",
      comment: "Domain code throws DomainError (hub/errors.ts); only hub/http maps it to problem JSON.",
      severity: "error",
      from: { path: "^(hub|jobs|connectors|fixtures)/", pathNot: `^hub/http/|^hub/server\\.ts$|${TESTS}` },
      to: { path: "^hub/http/" },
    },
    {
      name: "foundations-below-the-domain",
      comment: "identity, notify, db and audit serve the domain folders and never call them.",
      severity: "error",
      from: { path: FOUNDATIONS, pathNot: TESTS },
      to: { path: `${DOMAIN}|^hub/http/|^jobs/(handlers|cron)\\.ts$` },
    },
    {
      name: "config-at-the-bottom",
      comment: "Configuration is read first, by everything; it reads only the base modules.",
      severity: "error",
      from: { path: "^hub/config\\.ts$" },
      to: { path: "^(hub|jobs|connectors|fixtures)/", pathNot: BASE },
    },
    {
      name: "base-modules-import-nothing-of-the-hub",
      severity: "error",
      from: { path: BASE },
      to: { path: "^(hub|jobs|connectors|fixtures)/", pathNot: BASE },
    },
    {
      name: "no-demo-data-in-the-product",
      comment:
        "Demo data, simulators and generators live in fixtures/; only the entry point (hub/main.ts) seeds them.",
      severity: "error",
      from: { path: "^(hub|jobs|connectors)/", pathNot: `^hub/main\\.ts$|${TESTS}` },
      to: { path: "^fixtures/" },
    },
    {
      name: "inventory-reads-freshness-as-data",
      comment:
        "The vacancy view reads how fresh a facility's places are from the connection's row " +
        "(vacancy_trust_minutes), never from the connector registry or connection health.",
      severity: "error",
      from: { path: "^hub/inventory/", pathNot: TESTS },
      to: { path: "^connectors/|^hub/connections/health\\.ts$" },
    },
    {
      name: "the-domain-only-enqueues",
      comment:
        "The domain writes jobs through jobs/queue.ts; which handler runs them is jobs/handlers.ts' business.",
      severity: "error",
      from: { path: `${DOMAIN}|${FOUNDATIONS}`, pathNot: TESTS },
      to: { path: "^jobs/", pathNot: "^jobs/(queue|names)\\.ts$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "node_modules|^hub/db/generated/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
