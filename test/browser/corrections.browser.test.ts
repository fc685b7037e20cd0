/**
 * 過誤 corrections in the portal, in Chromium at 375 px and 1280 px (issue 15, part 4): the demo facility asks to
 * void one of its redeemed bookings from its usage reports; 仙台市 finds the request among its pending ones and
 * confirms it; the association (宮城県医師会) amends another use directly from 仙台市's billing run and sees every
 * correction with its state. axe-core on every state. Needs `npm run build` first.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateYear } from "../../fixtures/billing-year.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import {
  checkPageAtWidths,
  FLOW_WIDTHS,
  hasChromium,
  launchBrowser,
  portalHelpers,
  requirePortalBuild,
  settled,
} from "./support.js";

const SENDAI = "041009";

describe.skipIf(!hasChromium)("過誤 corrections in the portal", () => {
  let browser: Browser;
  let t: TestHub;
  const { url, open, signInAsStaff } = portalHelpers(() => ({ browser, hubUrl: t.url }));

  beforeAll(async () => {
    requirePortalBuild();
    t = await startTestHub({ seed: "demo", residents: 20 });
    browser = await launchBrowser();
    await generateYear(t.hub.prisma, {
      from: "2025-04",
      municipalities: [SENDAI],
      residents: 40,
      bookings: 200,
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, 60_000);

  /** The demo facility's redeemed 仙台市 bookings not corrected yet, oldest first. */
  async function redeemed() {
    const user = await t.hub.prisma.user.findUniqueOrThrow({ where: { email: "facility@demo.example.jp" } });
    return t.hub.prisma.booking.findMany({
      where: {
        facilityId: user.facilityId as string,
        status: { in: ["used", "reported"] },
        resident: { municipalityCode: SENDAI },
        corrections: { none: {} },
      },
      orderBy: [{ startDate: "asc" }, { id: "asc" }],
      select: { id: true, startDate: true },
    });
  }

  for (const width of FLOW_WIDTHS) {
    it(`at ${width}px: the facility asks, 仙台市 confirms, the association corrects and sees every state`, async () => {
      const target = (await redeemed())[0];
      expect(target, "a redeemed booking at the demo facility").toBeDefined();
      if (!target) return;
      const month = target.startDate.toISOString().slice(0, 7);

      // The facility: 取消 with a reason, from the use's card in its usage reports.
      const f = await open(width);
      await signInAsStaff(f.page, "facility@demo.example.jp");
      await f.page.goto(url(`facility/reports?month=${month}`));
      await settled(f.page);
      const card = f.page.locator(`#report-${target.id}`);
      await card.waitFor();
      await card.getByText("過誤の訂正を申し立てる（取消・修正）").click();
      await checkPageAtWidths(f.page, "correction-form");
      await card.getByRole("button", { name: "訂正を送る" }).click();
      // No reason: said next to the field, nothing sent.
      await card.getByText("訂正の理由を入力してください。").waitFor();
      expect(await t.hub.prisma.bookingCorrection.count({ where: { bookingId: target.id } })).toBe(0);
      await card.getByLabel("取消（この利用を請求しない）").check();
      await card.getByLabel("訂正の理由").fill("別の利用者の利用券で使用済処理をしたため");
      await card.getByRole("button", { name: "訂正を送る" }).click();
      await f.page.getByRole("status").filter({ hasText: "過誤の申立てを送りました" }).waitFor();
      const asked = await t.hub.prisma.bookingCorrection.findFirstOrThrow({
        where: { bookingId: target.id },
      });
      expect(asked).toMatchObject({ kind: "void", status: "pending", requestedRole: "facility" });
      const mine = f.page.locator(`#corrections-facility tr[data-correction-id="${asked.id}"]`);
      await expect(mine.locator(".correction-state").textContent()).resolves.toBe("確認待ち");
      await checkPageAtWidths(f.page, "correction-sent");
      await f.done();

      // 仙台市: the request is among its pending ones; 確認する.
      const m = await open(width);
      await signInAsStaff(m.page, "sendai@demo.example.jp");
      await m.page.goto(url(`municipality/reports?month=${month}`));
      await settled(m.page);
      const pending = m.page.locator(`#corrections-pending tr[data-correction-id="${asked.id}"]`);
      await pending.waitFor();
      await expect(pending.textContent()).resolves.toContain("別の利用者の利用券で使用済処理をしたため");
      await checkPageAtWidths(m.page, "corrections-pending");
      await pending.getByRole("button", { name: "確認する" }).click();
      await m.page.getByRole("status").filter({ hasText: "訂正を確認しました" }).waitFor();
      await pending.waitFor({ state: "detached" });
      expect(
        (await t.hub.prisma.bookingCorrection.findUniqueOrThrow({ where: { id: asked.id } })).status,
      ).toBe("confirmed");
      await checkPageAtWidths(m.page, "corrections-confirmed");
      await m.done();

      // The association: computes the month, amends another use of 仙台市's run directly.
      const a = await open(width);
      await signInAsStaff(a.page, "medical@demo.example.jp");
      await a.page.goto(url(`association/billing?month=${month}`));
      await settled(a.page);
      await a.page.getByRole("button", { name: "この月の請求を計算" }).click();
      await a.page.locator("#billing-runs").getByRole("button", { name: "仙台市" }).click();
      await a.page.locator("#billing-run").waitFor();
      const run = await t.hub.prisma.billingRun.findFirstOrThrow({
        where: { associationId: "medical", municipalityCode: SENDAI, month },
      });
      const lines = await t.hub.prisma.billingLine.findMany({ where: { runId: run.id } });
      const other = lines.find((l) => l.kind === "use" && l.bookingId && l.bookingId !== target.id);
      expect(other, "another use in the run").toBeDefined();
      if (!other) return;
      await a.page.getByLabel("訂正する請求明細").selectOption(String(other.id));
      const section = a.page.locator("section[aria-labelledby=billing-correction]");
      await section.getByText("過誤を訂正する（取消・修正）").click();
      await section.getByLabel("修正（回数・金額を直す）").check();
      await section.getByLabel("正しい委託料（円）").fill(String(other.fee - 1_000));
      await section.getByLabel("訂正の理由").fill("委託料の単価誤り");
      await checkPageAtWidths(a.page, "correction-association");
      await section.getByRole("button", { name: "訂正を送る" }).click();
      await a.page.getByRole("status").filter({ hasText: "過誤を訂正しました" }).waitFor();
      const amended = await t.hub.prisma.bookingCorrection.findFirstOrThrow({
        where: { bookingId: other.bookingId as string },
      });
      expect(amended).toMatchObject({
        kind: "amend",
        status: "confirmed",
        fee: other.fee - 1_000,
        units: other.units,
        residentCopay: other.residentCopay,
      });
      // Every correction of its facilities, with its state.
      for (const id of [asked.id, amended.id]) {
        const row = a.page.locator(`#corrections-all tr[data-correction-id="${id}"]`);
        await row.waitFor();
        await expect(row.locator(".correction-state").textContent()).resolves.toBe("確定");
      }
      await checkPageAtWidths(a.page, "corrections-all");
      await a.done();
    }, 180_000);
  }
});
