/**
 * Billing in the portal, in Chromium at 375 px and 1280 px: an association user (宮城県医師会) chooses a month of a
 * generated year, computes it, opens 仙台市's run, reviews and finalizes it (numbered), and downloads its Excel
 * invoice. axe-core on every state. Needs `npm run build` first.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateYear } from "../../fixtures/billing-year.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import {
  checkPage,
  hasChromium,
  launchBrowser,
  portalHelpers,
  requirePortalBuild,
  settled,
  WIDTHS,
} from "./support.js";

const FROM = "2025-04";

describe.skipIf(!hasChromium)("billing in the portal", () => {
  let browser: Browser;
  let t: TestHub;
  let months: string[] = [];
  const { url, open, signInAsStaff } = portalHelpers(() => ({ browser, hubUrl: t.url }));

  beforeAll(async () => {
    requirePortalBuild();
    t = await startTestHub({ seed: "demo", residents: 20 });
    browser = await launchBrowser();
    months = (
      await generateYear(t.hub.prisma, {
        from: FROM,
        municipalities: ["041009", "042072"],
        residents: 40,
        bookings: 200,
      })
    ).months;
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, 60_000);

  for (const [i, width] of WIDTHS.entries()) {
    it(`at ${width}px: compute a month, review and finalize 仙台市's invoice, download it`, async () => {
      const month = months[i] as string;
      const { page, done } = await open(width);
      page.on("dialog", (d) => void d.accept());
      await signInAsStaff(page, "medical@demo.example.jp");
      await page.goto(url(`association/billing?month=${month}`));
      await settled(page);
      await checkPage(page, "billing-empty", width);
      await page.getByRole("button", { name: "この月の請求を計算" }).click();
      await page.locator("#billing-runs").waitFor();
      await checkPage(page, "billing-month", width);

      await page.locator("#billing-runs").getByRole("button", { name: "仙台市" }).click();
      await page.locator("#billing-run").waitFor();
      await checkPage(page, "billing-run", width);
      await page.getByRole("button", { name: "確認済にする" }).click();
      await page.getByRole("status").filter({ hasText: "確認済にしました" }).waitFor();
      await page.getByRole("button", { name: "確定する" }).click();
      await page.getByRole("status").filter({ hasText: "確定しました" }).waitFor();
      const run = await t.hub.prisma.billingRun.findFirstOrThrow({
        where: { associationId: "medical", municipalityCode: "041009", month },
      });
      const lines = await t.hub.prisma.billingLine.findMany({ where: { runId: run.id } });
      expect(run.status).toBe("finalized");
      expect(run.invoiceNumber).not.toBeNull();
      expect(run.total).toBe(lines.reduce((a, l) => a + l.amount, 0));
      // The stored files' sha-256 are shown with the run.
      const docs = await t.hub.prisma.billingDocument.findMany({ where: { runId: run.id } });
      expect(docs.map((d) => d.kind).sort()).toEqual(["docx", "xlsx"]);
      for (const d of docs) await page.locator("code.hash", { hasText: d.sha256 }).waitFor();
      await checkPage(page, "billing-finalized", width);

      const href = await page
        .locator("#billing-run")
        .locator("..")
        .getByRole("link", { name: "Excel" })
        .first()
        .evaluate((a) => (a as HTMLAnchorElement).href);
      const file = await page.request.get(href);
      expect(file.status()).toBe(200);
      expect(file.headers()["content-type"]).toContain("spreadsheetml");
      await done();
    }, 180_000);
  }

  for (const width of WIDTHS) {
    it(`at ${width}px: the association edits its issuer block, 名取市 its invoice settings`, async () => {
      const { page, done } = await open(width);
      await signInAsStaff(page, "medical@demo.example.jp");
      await page.goto(url("billing/settings"));
      await page.getByRole("heading", { name: "発行者と振込先（代表機関）" }).waitFor();
      await checkPage(page, "billing-issuer", width);
      const branch = `（架空）支店${width}`;
      await page.getByLabel("支店名").fill(branch);
      await page.getByRole("button", { name: "保存する" }).click();
      await page.getByRole("status").filter({ hasText: "保存しました" }).waitFor();
      const saved = await t.hub.prisma.associationBillingProfile.findUniqueOrThrow({
        where: { associationId: "medical" },
      });
      expect(saved.branchName).toBe(branch);
      await done();

      const m = await open(width);
      await signInAsStaff(m.page, "natori@demo.example.jp");
      await m.page.goto(url("billing/settings"));
      await m.page.getByRole("heading", { name: "この市町村の請求書の設定" }).waitFor();
      await checkPage(m.page, "billing-municipality-settings", width);
      await m.page.getByLabel("債権者コード（宮城県医師会）").fill(`（架空）N${width}`);
      await m.page.getByRole("button", { name: "保存する" }).click();
      await m.page.getByRole("status").filter({ hasText: "保存しました" }).waitFor();
      const setting = await t.hub.prisma.municipalityBillingSetting.findUniqueOrThrow({
        where: { municipalityCode: "042072" },
      });
      expect((setting.creditorCodes as Record<string, string>).medical).toBe(`（架空）N${width}`);
      await m.done();
    }, 180_000);
  }
});
