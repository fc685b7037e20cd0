import { audit } from "../../audit/audit.js";
import {
  type CorrectionInput,
  decideCorrection,
  listCorrections,
  listCorrectionsInScope,
  requestCorrection,
} from "../../billing/corrections.js";
import type { InvoiceFile } from "../../billing/invoices.js";
import { DOCX_TYPE, XLSX_TYPE } from "../../billing/mime.js";
import {
  finalizeRun,
  getRun,
  listRuns,
  readableRun,
  reviewRun,
  runDocument,
  runMonth,
  scopeAssociation,
} from "../../billing/runs.js";
import {
  EMPTY_ISSUER,
  getIssuer,
  getSetting,
  type IssuerProfile,
  invoiceContext,
  type MunicipalitySetting,
  missingIssuerFields,
  saveIssuer,
  saveSetting,
} from "../../billing/settings.js";
import { problems } from "../../errors.js";
import { assertCanReadMunicipality, assertOwnMunicipality } from "../../identity/access.js";
import type { Actor } from "../../identity/actor.js";
import { requireMonth } from "../../usage/monthly.js";
import { type Handlers, type OpRequest, requireActor } from "../types.js";

const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);

/** The association an association user acts for (writes are theirs only). */
function ownAssociation(actor: Actor): string {
  if (actor.role !== "association" || !actor.associationId) {
    throw problems.forbidden("Only an association's own staff may do this");
  }
  return actor.associationId;
}

/** Downloads where the prefecture must say which association. */
function associationFor(actor: Actor, requested: string | undefined): string {
  const id = scopeAssociation(actor, requested);
  if (!id) {
    throw problems.unprocessable("association_required", "Choose an association (associationId)", [
      { path: "associationId", message: "required for the prefecture" },
    ]);
  }
  return id;
}

/** The invoice writers load exceljs and docx, which take longer to load than the rest of the hub: on first use. */
const invoices = () => import("../../billing/invoices.js");

const download = (f: InvoiceFile) => ({
  body: f.body,
  type: f.contentType,
  headers: { "Content-Disposition": `attachment; filename="${f.fileName}"` },
});

async function exported(req: OpRequest, actor: Actor, resourceId: string, detail: Record<string, unknown>) {
  await audit(
    req.hub.prisma,
    actor,
    req.ip,
    { action: "export.billing", resourceType: "billing_run", resourceId, detail },
    req.hub.now(),
  );
}

/**
 * Billing runs (請求) of the associations: association staff compute, review and finalize their own runs and
 * download invoices; the prefecture reads everything. Staff writes and personal-data reads are audited by the
 * app; downloads are audited here too, with what was exported.
 */
export const billingHandlers: Handlers = {
  listBillingRuns: async (req) => {
    const actor = requireActor(req);
    const month = requireMonth(req.query.month);
    const associationId = scopeAssociation(actor, str(req.query.associationId));
    const municipalityCode = str(req.query.municipalityCode);
    return { body: await listRuns(req.hub.prisma, { associationId, month, municipalityCode }) };
  },

  createBillingRuns: async (req) => {
    const actor = requireActor(req);
    const associationId = ownAssociation(actor);
    const body = req.body as { month: string; municipalityCode?: string };
    const month = requireMonth(body.month);
    const result = await runMonth(req.hub.db, {
      associationId,
      month,
      municipalityCode: body.municipalityCode,
      actorId: actor.userId,
      now: req.hub.now(),
    });
    return { body: result };
  },

  exportBillingTotalsCsv: async (req) => {
    const actor = requireActor(req);
    const month = requireMonth(req.query.month);
    const associationId = scopeAssociation(actor, str(req.query.associationId));
    const encoding = req.query.encoding === "sjis" ? "sjis" : "utf-8";
    const list = await listRuns(req.hub.prisma, { associationId, month });
    const file = (await invoices()).totalsCsv(list, encoding);
    await exported(req, actor, "", { month: month.text, associationId, encoding, format: "csv" });
    return download(file);
  },

  getBillingRun: async (req) => {
    const actor = requireActor(req);
    const { runId } = req.params as { runId: string };
    await readableRun(req.hub.prisma, actor, runId);
    return { body: await getRun(req.hub.prisma, runId, req.hub.now()) };
  },

  reviewBillingRun: async (req) => {
    const actor = requireActor(req);
    const { runId } = req.params as { runId: string };
    const now = req.hub.now();
    await reviewRun(req.hub.prisma, runId, ownAssociation(actor), actor.userId, now);
    return { body: await getRun(req.hub.prisma, runId, now) };
  },

  finalizeBillingRun: async (req) => {
    const actor = requireActor(req);
    const { runId } = req.params as { runId: string };
    const now = req.hub.now();
    const body = (req.body ?? {}) as { issueDate?: string };
    await finalizeRun(req.hub.prisma, runId, ownAssociation(actor), actor.userId, now, {
      issueDate: body.issueDate,
    });
    return { body: await getRun(req.hub.prisma, runId, now) };
  },

  getBillingInvoiceXlsx: async (req) => {
    const actor = requireActor(req);
    const { runId } = req.params as { runId: string };
    await readableRun(req.hub.prisma, actor, runId);
    const file = await runDocument(req.hub.prisma, runId, "xlsx", req.hub.now());
    await exported(req, actor, runId, { format: "xlsx", invoiceNumber: file.run.invoiceNumber });
    return download({ body: file.body, fileName: file.fileName, contentType: XLSX_TYPE });
  },

  getBillingInvoiceDocx: async (req) => {
    const actor = requireActor(req);
    const { runId } = req.params as { runId: string };
    await readableRun(req.hub.prisma, actor, runId);
    const file = await runDocument(req.hub.prisma, runId, "docx", req.hub.now());
    await exported(req, actor, runId, { format: "docx", invoiceNumber: file.run.invoiceNumber });
    return download({ body: file.body, fileName: file.fileName, contentType: DOCX_TYPE });
  },

  exportBillingLinesCsv: async (req) => {
    const actor = requireActor(req);
    const { runId } = req.params as { runId: string };
    await readableRun(req.hub.prisma, actor, runId);
    const run = await getRun(req.hub.prisma, runId, req.hub.now(), { discrepancies: false });
    if (run.status !== "finalized") {
      throw problems.conflict("not_finalized", "Lines are exported for finalized runs only");
    }
    const encoding = req.query.encoding === "sjis" ? "sjis" : "utf-8";
    const file = (await invoices()).linesCsv(run, await invoiceContext(req.hub.prisma, run), encoding);
    await exported(req, actor, runId, { format: "lines.csv", encoding, invoiceNumber: run.invoiceNumber });
    return download(file);
  },

  getBillingInvoicesZip: async (req) => {
    const actor = requireActor(req);
    const month = requireMonth(req.query.month);
    const associationId = associationFor(actor, str(req.query.associationId));
    const file = await (await invoices()).invoicesZip(req.hub.prisma, associationId, month, req.hub.now());
    await exported(req, actor, "", { format: "zip", month: month.text, associationId, runs: file.runs });
    return download(file);
  },

  getFacilityStatementXlsx: async (req) => {
    const actor = requireActor(req);
    const month = requireMonth(req.query.month);
    const associationId = associationFor(actor, str(req.query.associationId));
    const facilityId = req.query.facilityId as string;
    const file = await (await invoices()).facilityStatementXlsx(
      req.hub.prisma,
      associationId,
      facilityId,
      month,
      req.hub.now(),
    );
    await exported(req, actor, facilityId, { format: "statement.xlsx", month: month.text, associationId });
    return download(file);
  },
};

/** Invoice settings (issue 15, part 2): the association's issuer block, a municipality's invoice settings. */
export const billingSettingsHandlers: Handlers = {
  getBillingIssuer: async (req) => {
    const actor = requireActor(req);
    const associationId = associationFor(actor, str(req.query.associationId));
    const issuer = (await getIssuer(req.hub.prisma, associationId)) ?? { ...EMPTY_ISSUER };
    return { body: { associationId, ...issuer, missing: missingIssuerFields(issuer) } };
  },

  setBillingIssuer: async (req) => {
    const actor = requireActor(req);
    const associationId = ownAssociation(actor);
    const saved = await saveIssuer(
      req.hub.prisma,
      actor,
      req.ip,
      associationId,
      req.body as IssuerProfile,
      req.hub.now(),
    );
    return { body: { associationId, ...saved, missing: missingIssuerFields(saved) } };
  },

  getMunicipalityBillingSettings: async (req) => {
    const actor = requireActor(req);
    const { code } = req.params as { code: string };
    // The municipality itself and the prefecture; the associations read what their invoices will say.
    if (actor.role !== "association") assertCanReadMunicipality(actor, code);
    await requireMunicipality(req, code);
    return { body: { municipalityCode: code, ...(await getSetting(req.hub.prisma, code)) } };
  },

  setMunicipalityBillingSettings: async (req) => {
    const actor = requireActor(req);
    const { code } = req.params as { code: string };
    if (actor.role !== "prefecture") assertOwnMunicipality(actor, code);
    await requireMunicipality(req, code);
    const saved = await saveSetting(
      req.hub.prisma,
      actor,
      req.ip,
      code,
      req.body as MunicipalitySetting,
      req.hub.now(),
    );
    return { body: { municipalityCode: code, ...saved } };
  },
};

async function requireMunicipality(req: OpRequest, code: string) {
  const m = await req.hub.prisma.municipality.findUnique({ where: { code }, select: { code: true } });
  if (!m) throw problems.notFound("municipality");
}

/** 過誤 corrections of redeemed bookings (issue 15, part 4): hub/billing/corrections.ts. */
export const correctionHandlers: Handlers = {
  listCorrectionsInScope: async (req) => {
    const { status } = req.query as { status?: "pending" | "confirmed" | "declined" };
    return { body: { items: await listCorrectionsInScope(req.hub.prisma, requireActor(req), { status }) } };
  },

  listBookingCorrections: async (req) => {
    const { bookingId } = req.params as { bookingId: string };
    return { body: { items: await listCorrections(req.hub.prisma, requireActor(req), bookingId) } };
  },

  requestBookingCorrection: async (req) => {
    const actor = requireActor(req);
    const { bookingId } = req.params as { bookingId: string };
    const c = await requestCorrection(
      req.hub.prisma,
      actor,
      req.ip,
      bookingId,
      req.body as CorrectionInput,
      req.hub.now(),
    );
    return { status: 201, body: c };
  },

  decideBookingCorrection: async (req) => {
    const actor = requireActor(req);
    const { correctionId } = req.params as { correctionId: string };
    const { decision } = req.body as { decision: "confirm" | "decline" };
    return {
      body: await decideCorrection(req.hub.prisma, actor, req.ip, correctionId, decision, req.hub.now()),
    };
  },
};
