/**
 * The waitlist (予約待ち) in Chromium. A resident joins the waitlist from a full facility's page, sees her place in
 * line at /my/waitlist, and when the place is freed by a cancellation (offered by the hub's own workers, through
 * the queue) she sees the offer with its deadline and accepts it; declining asks once more. Staff: 仙台市 see
 * their residents' entries and raise a priority; the facility reads its line without names. axe-core on every
 * state at phone and desktop widths, nothing fetched from another host.
 *
 * Signs in by putting a fresh session cookie in the browser context. Always starts its own hub (with job
 * workers); needs `npm run build` first.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, SESSION_COOKIE } from "../../hub/identity/sessions.js";
import type { TestClient } from "../support/client.js";
import { tokyoDay as day } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { bookableResidents } from "../support/residents.js";
import { clientFor } from "../support/sessions.js";
import {
  checkPageAtWidths,
  FLOW_WIDTHS,
  hasChromium,
  launchBrowser,
  openMenu,
  portalHelpers,
  requirePortalBuild,
  settled,
} from "./support.js";

const SENDAI = "041009";

describe.skipIf(!hasChromium)("waitlist: a resident receives a freed place and accepts it", () => {
  let browser: Browser;
  let t: TestHub;
  let facilityId: string;
  let facility: TestClient;
  let sendai: TestClient;
  const { url, open } = portalHelpers(() => ({ browser, hubUrl: t.url }));

  beforeAll(async () => {
    requirePortalBuild();
    t = await startTestHub({ seed: "demo", residents: 20, workers: true });
    browser = await launchBrowser();
    facilityId = (await t.hub.prisma.user.findUniqueOrThrow({ where: { email: "facility@demo.example.jp" } }))
      .facilityId as string;
    facility = await clientFor(t, "facility@demo.example.jp");
    sendai = await clientFor(t, "sendai@demo.example.jp");
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, 60_000);

  async function signInAs(page: Page, userId: string) {
    const token = await createSession(
      t.hub.prisma,
      { id: userId },
      { verified: true, ip: "127.0.0.1", hours: 1, now: new Date() },
    );
    await page.context().addCookies([{ name: SESSION_COOKIE, value: token, url: t.url }]);
  }

  /** A date whose one stay place is taken by another resident's hold; returns that hold. */
  async function fullDate(date: string): Promise<string> {
    const cap = await facility.put(`api/facilities/${facilityId}/slots`, {
      serviceType: "stay",
      from: date,
      to: date,
      capacity: 1,
    });
    expect(cap.status, cap.text).toBe(200);
    const [holder] = (await bookableResidents(t.hub.prisma, SENDAI, 1)) as [string];
    const held = await sendai.post("api/bookings", {
      facilityId,
      serviceType: "stay",
      startDate: date,
      nights: 1,
      residentId: holder,
    });
    expect(held.status, held.text).toBe(201);
    return held.json.id;
  }

  for (const [i, width] of FLOW_WIDTHS.entries()) {
    it(`at ${width}px: joins from the facility page, is offered the freed place and accepts it`, async () => {
      const date = day(20 + i);
      const holding = await fullDate(date);
      const [residentId] = (await bookableResidents(t.hub.prisma, SENDAI, 1)) as [string];
      const user = await t.hub.prisma.user.create({
        data: { role: "resident", displayName: "待機 花子", residentId },
      });
      const { page, done } = await open(width);
      await signInAs(page, user.id);

      // Join from the facility's page.
      await page.goto(url(`facilities/${facilityId}`));
      await settled(page);
      const form = page.locator("section[aria-labelledby=waitlist-join-title]");
      await form.getByRole("heading", { name: "予約待ちに申し込む" }).waitFor();
      await form.getByLabel("サービス", { exact: true }).selectOption("stay");
      await form.getByLabel("希望期間の初日").fill(date);
      await form.getByLabel("希望期間の最終日").fill(date);
      await form.getByLabel("泊数").fill("1");
      await form.getByRole("button", { name: "予約待ちに申し込む" }).click();
      await form.getByRole("status").filter({ hasText: "予約待ちに申し込みました。" }).waitFor();
      await checkPageAtWidths(page, "facility-waitlist-joined");

      // Her place in line, reached from the menu.
      await page
        .getByRole("navigation", { name: "メインメニュー" })
        .getByRole("link", { name: "予約待ち" })
        .click();
      await page.waitForURL(/\/my\/waitlist$/);
      await settled(page);
      expect(await page.locator("h1").textContent()).toBe("予約待ち");
      const entry = page.locator("ul.waitlist-entries > li").first();
      await entry.waitFor();
      expect(await entry.textContent()).toContain("順番待ち（1番目）");
      expect(await page.getByText("いまご案内中の空きはありません。").isVisible()).toBe(true);
      await checkPageAtWidths(page, "my-waitlist-waiting");

      // The other resident cancels: the hub's workers offer her the place; the page shows it once reloaded.
      const cancelled = await sendai.post(`api/bookings/${holding}/cancel`, { reason: "体調のため" });
      expect(cancelled.status, cancelled.text).toBe(200);
      const offer = page.locator("article.waitlist-offer");
      for (let tries = 0; (await offer.count()) === 0; tries++) {
        expect(tries, "the freed place was offered").toBeLessThan(300);
        await page.waitForTimeout(100);
        await page.reload();
        await settled(page);
      }
      const text = (await offer.textContent()) ?? "";
      expect(text).toContain("に空きが出ました");
      expect(text).toMatch(/までにお返事ください。/);
      // A one-night stay in 仙台市, which counts stays by the day: said as on the booking page, not 「2回」.
      expect(text).toContain("2日分");
      expect(text).not.toContain("2回");
      await checkPageAtWidths(page, "my-waitlist-offer");

      // Declining asks once more; she keeps the place and accepts it instead.
      await offer.getByRole("button", { name: /の空きを辞退する$/ }).click();
      await offer.getByText("辞退すると、この空きは次にお待ちの方にご案内します。よろしいですか。").waitFor();
      await checkPageAtWidths(page, "my-waitlist-decline-confirm");
      await offer.getByRole("button", { name: "やめる" }).click();
      await offer.getByRole("button", { name: /の空きを受ける$/ }).click();
      await page
        .getByRole("status")
        .filter({ hasText: /の空きを受けました。施設が承認すると予約が確定します/ })
        .waitFor();
      expect(await page.locator("article.waitlist-offer").count()).toBe(0);
      expect(await entry.textContent()).toContain("受けた（予約申込み済み）");
      await checkPageAtWidths(page, "my-waitlist-accepted");
      await done();

      const booking = await t.hub.prisma.booking.findFirstOrThrow({
        where: { residentId, facilityId, status: "requested" },
      });
      expect(booking.waitlistEntryId).not.toBeNull();
    }, 120_000);

    it(`at ${width}px: staff see the line; the municipality raises a priority, the facility reads it`, async () => {
      const date = day(30 + i);
      await fullDate(date);
      const [a, b] = (await bookableResidents(t.hub.prisma, SENDAI, 2)) as [string, string];
      // Names of their own, to find their rows.
      const name = `待機${width} ひかり`;
      await t.hub.prisma.resident.update({
        where: { id: a },
        data: { familyName: `待機${width}`, givenName: "あさひ" },
      });
      await t.hub.prisma.resident.update({
        where: { id: b },
        data: { familyName: `待機${width}`, givenName: "ひかり" },
      });
      for (const r of [a, b]) {
        const joined = await sendai.post("api/waitlist", {
          facilityId,
          serviceType: "stay",
          fromDate: date,
          toDate: date,
          residentId: r,
        });
        expect(joined.status, joined.text).toBe(201);
      }
      const staff = await t.hub.prisma.user.findUniqueOrThrow({ where: { email: "sendai@demo.example.jp" } });
      const { page, done } = await open(width);
      await signInAs(page, staff.id);
      await page.goto(url(""));
      await settled(page);
      await openMenu(page);
      await page
        .getByRole("navigation", { name: "メインメニュー" })
        .getByRole("link", { name: "予約待ち" })
        .click();
      await page.waitForURL(/\/waitlist$/);
      await settled(page);
      expect(await page.locator("h1").textContent()).toBe("予約待ちの一覧");
      await page.getByLabel("状態", { exact: true }).selectOption("waiting");
      await page.getByRole("button", { name: "表示する" }).click();
      await page.waitForURL(/status=waiting/);
      await settled(page);
      const row = page.locator("tr[data-status=waiting]").filter({ hasText: name });
      await row.waitFor();
      const place = async () =>
        Number(/（(\d+)番目）/.exec((await row.locator("th").textContent()) ?? "")?.[1]);
      const before = await place();
      expect(before).toBeGreaterThan(1);
      await checkPageAtWidths(page, "staff-waitlist");

      const field = page.getByLabel(`${name} さんの優先度`, { exact: true });
      await field.fill("200");
      await page.getByRole("button", { name: `${name} さんの優先度を変更` }).click();
      await page.getByText("優先度は0〜100の整数で入力してください。").waitFor();
      expect(await field.getAttribute("aria-invalid")).toBe("true");
      await field.fill("5");
      await page.getByRole("button", { name: `${name} さんの優先度を変更` }).click();
      await page
        .getByRole("status")
        .filter({ hasText: `${name} さんの優先度を 5 にしました。` })
        .waitFor();
      expect(await place()).toBeLessThan(before);
      expect(await page.getByLabel(`${name} さんの優先度`, { exact: true }).inputValue()).toBe("5");
      await checkPageAtWidths(page, "staff-waitlist-priority");
      await done();

      const fac = await open(width);
      const facilityUser = await t.hub.prisma.user.findUniqueOrThrow({
        where: { email: "facility@demo.example.jp" },
      });
      await signInAs(fac.page, facilityUser.id);
      await fac.page.goto(url("waitlist"));
      await settled(fac.page);
      await fac.page.locator("#waitlist-table tbody tr").first().waitFor();
      expect(await fac.page.locator("#waitlist-table thead").textContent()).not.toContain("利用者");
      expect(await fac.page.locator("#waitlist-table").textContent()).not.toContain(name);
      expect(await fac.page.locator("input.input-number").count()).toBe(0);
      await checkPageAtWidths(fac.page, "facility-waitlist");
      await fac.done();
    }, 120_000);
  }
});
