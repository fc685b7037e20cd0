/**
 * Statistics in Chromium: the prefecture opens 統計 from its home, reads the default report as a chart (a
 * canvas drawn by Chart.js under the hub's Content Security Policy) with the same figures in a table, and
 * switches reports; 仙台市 staff see only the reports granted to municipalities, and the hub refuses the others
 * too; the prefecture grants one on the settings page and adds a report; the municipality then reads both.
 * axe-core on every state, at phone and desktop widths.
 *
 * Always starts its own hub; needs `npm run build` first.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fiscalYear } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { DEMO_USERS } from "../support/sessions.js";
import {
  checkPage,
  hasChromium,
  launchBrowser,
  portalHelpers,
  requirePortalBuild,
  settled,
} from "./support.js";

describe.skipIf(!hasChromium)("statistics", () => {
  let browser: Browser;
  let t: TestHub;
  const { url, open, signInAsStaff } = portalHelpers(() => ({ browser, hubUrl: t.url }));
  // The current fiscal year (April to March) in Japan: what the page shows first.
  const year = { from: `${fiscalYear()}-04` };

  beforeAll(async () => {
    requirePortalBuild();
    t = await startTestHub({ seed: "demo", residents: 20 });
    browser = await launchBrowser();
    const p = t.hub.prisma;
    const facility = await p.user.findUniqueOrThrow({ where: { email: DEMO_USERS.facility.own } });
    const resident = await p.user.findUniqueOrThrow({ where: { email: DEMO_USERS.resident.own } });
    // Three uses in the fiscal year's first month, so the chart has something to draw.
    for (const d of [3, 10, 17]) {
      const date = new Date(`${year.from}-${String(d).padStart(2, "0")}T00:00:00Z`);
      await p.booking.create({
        data: {
          residentId: resident.residentId,
          facilityId: facility.facilityId as string,
          serviceType: "day",
          startDate: date,
          endDate: date,
          status: "used",
          source: "staff",
          units: 1,
        },
      });
    }
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, 60_000);

  it("draws the chart under the Content Security Policy, with no error", async () => {
    const { page, done } = await open(1280, { enforceCsp: true });
    await signInAsStaff(page, DEMO_USERS.prefecture.own);
    await page.goto(url("stats"));
    await settled(page);
    const canvas = page.getByRole("img", { name: /グラフ：月別・サービス種別の利用件数/ });
    await canvas.waitFor();
    // Chart.js has sized and painted the canvas: some pixels are not transparent.
    await page.waitForFunction(() => {
      const c = document.querySelector(".chart-box canvas") as HTMLCanvasElement | null;
      const ctx = c?.getContext("2d");
      if (!c || !ctx || c.width === 0) return false;
      return ctx.getImageData(0, 0, c.width, c.height).data.some((v) => v !== 0);
    });
    await done();
  });

  it("lets the prefecture read a report as chart and table, and switch reports", async () => {
    const { page, done } = await open(1280);
    await signInAsStaff(page, DEMO_USERS.prefecture.own);
    await page.locator("main").getByRole("link", { name: "統計", exact: true }).click();
    await page.waitForURL(/\/stats$/);
    await settled(page);
    await page.locator("#report-table").waitFor();
    const caption = (await page.locator("#report-table caption").textContent()) ?? "";
    expect(caption).toContain("月別・サービス種別の利用件数");
    const firstMonth = `${Number(year.from.slice(0, 4))}年4月`;
    const row = page
      .locator("#report-table tbody tr")
      .filter({ hasText: firstMonth })
      .filter({ hasText: "デイサービス型" });
    await expect(row.locator("td").last().textContent()).resolves.toBe("3");
    await expect(page.locator("#report-table tfoot").textContent()).resolves.toContain("合計");
    expect(
      await page.getByRole("link", { name: "CSV をダウンロード（UTF-8）" }).getAttribute("href"),
    ).toContain("api/stats/reports/usage_by_month/csv");
    await checkPage(page, "stats-prefecture", 1280);

    await page
      .getByLabel("報告", { exact: true })
      .selectOption({ label: "施設別の稼働率（確定した予約÷過ぎた日の受入枠）" });
    await page.getByRole("button", { name: "表示する" }).click();
    await page.waitForURL(/report=vacancy_by_facility/);
    await page.locator("#report-table caption", { hasText: "施設別の稼働率" }).waitFor();
    const headers = await page.locator("#report-table thead th").allTextContents();
    expect(headers).toEqual(["施設", "率", "確定した予約で埋まった枠", "過ぎた日の受入枠"]);
    expect(await page.locator("#report-table tbody tr").count()).toBeGreaterThan(50);
    await checkPage(page, "stats-vacancy", 1280);
    await done();
  });

  it("shows a municipality only what it was granted; the prefecture grants more and adds a report", async () => {
    const staff = await open(375);
    await signInAsStaff(staff.page, DEMO_USERS.municipality.own);
    await staff.page.goto(url("stats"));
    await settled(staff.page);
    await staff.page.locator("#report-table").waitFor();
    const offered = () => staff.page.locator("#field-report option").allTextContents();
    expect(await offered()).not.toContain("施設別の稼働率（確定した予約÷過ぎた日の受入枠）");
    expect(await staff.page.locator("main").textContent()).toContain("自市町村の住民の分");
    const refused = await staff.page.request.get(url("api/stats/reports/vacancy_by_facility/data"));
    expect(refused.status()).toBe(403);
    expect((await refused.json()).code).toBe("report_not_granted");
    await checkPage(staff.page, "stats-municipality", 375);

    const pref = await open(375);
    await signInAsStaff(pref.page, DEMO_USERS.prefecture.own);
    await pref.page.goto(url("stats/settings"));
    await settled(pref.page);
    const row = pref.page.locator("#report-grants tbody tr").filter({ hasText: "施設別の稼働率" });
    await row.getByRole("checkbox", { name: "市町村" }).check();
    await row.getByRole("button", { name: /^保存/ }).click();
    await pref.page.getByRole("status").filter({ hasText: "公開範囲を保存しました" }).waitFor();
    await checkPage(pref.page, "stats-settings", 375);

    await pref.page.getByLabel("報告の識別子").fill("refusals_by_month");
    await pref.page.getByLabel("題名（日本語）").fill("月別のお断り件数");
    await pref.page.getByLabel("集計する値").selectOption("refusals");
    await pref.page.getByLabel("分ける軸（1つ目）").selectOption("month");
    await pref.page
      .getByRole("group", { name: "公開する役割", exact: true })
      .getByRole("checkbox", { name: "市町村" })
      .check();
    await pref.page.getByRole("button", { name: "追加する" }).click();
    await pref.page.getByRole("status").filter({ hasText: "「月別のお断り件数」を追加しました" }).waitFor();
    await pref.page.locator("#report-grants tbody tr", { hasText: "月別のお断り件数" }).waitFor();
    await checkPage(pref.page, "stats-settings-added", 375);
    await pref.done();

    await staff.page.reload();
    await settled(staff.page);
    await staff.page.locator("#report-table").waitFor();
    expect(await offered()).toContain("施設別の稼働率（確定した予約÷過ぎた日の受入枠）");
    expect(await offered()).toContain("月別のお断り件数");
    await staff.page.getByLabel("報告", { exact: true }).selectOption({ label: "月別のお断り件数" });
    await staff.page.getByRole("button", { name: "表示する" }).click();
    await staff.page.locator("#report-table caption", { hasText: "月別のお断り件数" }).waitFor();
    expect(await staff.page.locator("#report-table tbody tr").count()).toBe(12);
    await checkPage(staff.page, "stats-municipality-added", 375);
    await staff.done();
  });

  it("lets the prefecture set the disclosure threshold; the page then hides small counts and says so", async () => {
    const pref = await open(375);
    await signInAsStaff(pref.page, DEMO_USERS.prefecture.own);
    await pref.page.goto(url("stats/settings"));
    await settled(pref.page);
    const threshold = pref.page.getByLabel("既定の基準（この数未満を秘匿）");
    await expect(threshold.inputValue()).resolves.toBe("3");
    await threshold.fill("0");
    await pref.page.getByRole("button", { name: "公表の基準を保存" }).click();
    await pref.page.locator("#field-defaultThreshold-error").waitFor();
    // The month with three uses: shown at 3, hidden at 4.
    await threshold.fill("4");
    await pref.page.getByRole("button", { name: "公表の基準を保存" }).click();
    await pref.page.getByRole("status").filter({ hasText: "公表の基準を保存しました" }).waitFor();
    await checkPage(pref.page, "stats-settings-disclosure", 375);
    await pref.page.goto(url("stats"));
    await settled(pref.page);
    await pref.page.locator("#report-table").waitFor();
    const row = pref.page
      .locator("#report-table tbody tr")
      .filter({ hasText: `${Number(year.from.slice(0, 4))}年4月` })
      .filter({ hasText: "デイサービス型" });
    await expect(row.locator("td").last().textContent()).resolves.toBe("＊");
    await expect(pref.page.locator("main").textContent()).resolves.toContain("4未満の件数は「＊」で非表示");
    await expect(pref.page.locator("#report-footnote").textContent()).resolves.toContain("＊：4未満");
    await checkPage(pref.page, "stats-hidden", 375);
    await pref.done();
  });
});
