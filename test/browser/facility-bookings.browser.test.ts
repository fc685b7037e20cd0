/**
 * Facility staff answer booking requests in the approval view (予約の承認), in Chromium at 375 px and 1280 px. With
 * the demo data, four new 仙台市 residents request stays at （架空）青葉産婦人科病院 through the API; the facility's
 * staff sign in through the portal's form, open 予約の承認 from the menu and
 *  - approve one request with one press;
 *  - decline one: the reason is required (an empty one is pointed out), then given;
 *  - select two with the keyboard alone (Space on each checkbox) and approve both at once;
 *  - see the bookings in the week and the day calendar, and download the history as CSV (UTF-8 and Shift_JIS).
 * Municipality staff see their residents' bookings under 予約一覧 with the same downloads.
 *
 * axe-core on every state at both widths, nothing fetched from another host. Needs `npm run build` first.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, SESSION_COOKIE } from "../../hub/identity/sessions.js";
import { formatDate } from "../../hub/inventory/dates.js";
import { monthsBetween } from "../../hub/policies/entitlement.js";
import { serviceDay, tokyoDay } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { bookableResidents } from "../support/residents.js";
import { clientForUser } from "../support/sessions.js";
import {
  checkPage,
  hasChromium,
  launchBrowser,
  openMenu,
  portalHelpers,
  requirePortalBuild,
  settled,
  WIDTHS,
} from "./support.js";

const SENDAI = "041009";
const FACILITY = "facility@demo.example.jp";

type Held = { id: string; startDate: string; voucherNumber: string; residentId: string };
const NOTE = "上の子（2歳）も一緒です。授乳の相談をしたいです。";

describe.skipIf(!hasChromium)("approving bookings at the facility", () => {
  let browser: Browser;
  let t: TestHub;
  let facilityId: string;
  const { url, open, signInAsStaff } = portalHelpers(() => ({ browser, hubUrl: t.url }));

  beforeAll(async () => {
    requirePortalBuild();
    t = await startTestHub({ seed: "demo", residents: 20 });
    browser = await launchBrowser();
    facilityId = (await t.hub.prisma.user.findUniqueOrThrow({ where: { email: FACILITY } }))
      .facilityId as string;
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, 60_000);

  /** Four requests for one-night stays from four new residents, on the given service days; the first with a note. */
  async function requests(days: number[]): Promise<Held[]> {
    const residents = await bookableResidents(t.hub.prisma, SENDAI, days.length);
    const held: Held[] = [];
    for (const [i, residentId] of residents.entries()) {
      const user = await t.hub.prisma.user.create({
        data: { role: "resident", displayName: `試験 ${i}`, residentId },
      });
      const client = await clientForUser(t, user.id);
      const res = await client.post("api/bookings", {
        facilityId,
        serviceType: "stay",
        startDate: serviceDay(days[i] as number),
        nights: 1,
        ...(i === 0 ? { note: NOTE } : {}),
      });
      expect(res.status, res.text).toBe(201);
      held.push({
        id: res.json.id,
        startDate: res.json.startDate,
        voucherNumber: res.json.voucherNumber,
        residentId,
      });
    }
    return held;
  }

  const status = async (id: string) =>
    (await t.hub.prisma.booking.findUniqueOrThrow({ where: { id } })).status;
  const row = (page: Page, id: string) => page.locator(`#pending-list li[data-booking-id="${id}"]`);

  for (const width of WIDTHS) {
    const phone = width === WIDTHS[0];

    it(`at ${width}px: approve one, decline one with a reason, approve two at once by keyboard`, async () => {
      const [a, b, c, d] = (await requests(phone ? [10, 11, 12, 13] : [14, 15, 16, 17])) as Held[] as [
        Held,
        Held,
        Held,
        Held,
      ];
      const { page, done } = await open(width);
      await signInAsStaff(page, FACILITY);
      await openMenu(page);
      await page.getByRole("link", { name: "予約の承認", exact: true }).click();
      await page.waitForURL(/\/facility\/bookings$/);
      await settled(page);
      for (const h of [a, b, c, d]) await row(page, h.id).waitFor();
      expect(await row(page, a.id).textContent()).toContain(a.voucherNumber);
      // Who is coming: her name, her baby's age in months on the day (counted as the policy does) and her note.
      const mother = await t.hub.prisma.resident.findUniqueOrThrow({
        where: { id: a.residentId },
        include: { children: true },
      });
      const baby = mother.children[0] as { birthDate: Date };
      const months = monthsBetween(formatDate(baby.birthDate), a.startDate);
      expect(await row(page, a.id).locator(".pending-guest").textContent()).toBe(
        `${mother.familyName} ${mother.givenName}`,
      );
      expect(await row(page, a.id).locator(".pending-age").textContent()).toBe(`${months}か月`);
      expect(await row(page, a.id).locator(".pending-notes").textContent()).toBe(NOTE);
      expect(await row(page, b.id).locator(".pending-notes").textContent()).toBe("なし");
      await checkPage(page, "facility-bookings", width);

      // Approve one with one press. While the answer is on its way the pressed button keeps the focus (it is not
      // disabled, which would drop the focus to the page): marked busy, looking disabled, ignoring presses.
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      await page.route(`**/api/bookings/${a.id}/confirm`, async (route) => {
        await gate;
        await route.continue();
      });
      const approveA = row(page, a.id).getByRole("button", { name: /^承認/ });
      await approveA.focus();
      await page.keyboard.press("Enter");
      await page.waitForFunction(() => document.activeElement?.getAttribute("aria-busy") === "true");
      expect(await approveA.evaluate((el) => el === document.activeElement)).toBe(true);
      expect(await approveA.getAttribute("aria-disabled")).toBe("true");
      await page.keyboard.press("Enter"); // ignored while busy: one approval only
      release();
      const notice = page.locator("#pending-notice");
      await notice.getByText("予約を承認しました").waitFor();
      await page.waitForFunction(() => document.activeElement?.id === "pending-notice");
      await row(page, a.id).waitFor({ state: "detached" });
      expect(await status(a.id)).toBe("confirmed");
      await checkPage(page, "facility-bookings-approved", width);

      // Decline one: the reason is required.
      await row(page, b.id)
        .getByRole("button", { name: /^お断り/ })
        .click();
      const reason = page.locator(`#reject-reason-${b.id}`);
      await page.waitForFunction((id) => document.activeElement?.id === `reject-reason-${id}`, b.id);
      await row(page, b.id).getByRole("button", { name: "お断りする" }).click();
      expect(await row(page, b.id).locator(".field-error").textContent()).toBe(
        "お断りの理由を書いてください。",
      );
      expect(await reason.getAttribute("aria-invalid")).toBe("true");
      await checkPage(page, "facility-bookings-reject-form", width);
      await reason.fill("その日は満床のため");
      await row(page, b.id).getByRole("button", { name: "お断りする" }).click();
      await notice.getByText("予約をお断りしました").waitFor();
      await row(page, b.id).waitFor({ state: "detached" });
      expect(await status(b.id)).toBe("rejected");
      const event = await t.hub.prisma.bookingEvent.findFirstOrThrow({
        where: { bookingId: b.id, type: "rejected" },
      });
      expect(event.data).toMatchObject({ reason: "その日は満床のため" });

      // Two at once, with the keyboard alone.
      const bulk = page.getByRole("button", { name: /まとめて承認/ });
      expect(await bulk.isDisabled()).toBe(true);
      for (const h of [c, d]) {
        await row(page, h.id).getByRole("checkbox").focus();
        await page.keyboard.press("Space");
      }
      await page.getByRole("button", { name: "選んだ2件をまとめて承認する" }).focus();
      await page.keyboard.press("Enter");
      await notice.getByText("2件の予約を承認しました。").waitFor();
      expect(await status(c.id)).toBe("confirmed");
      expect(await status(d.id)).toBe("confirmed");
      await checkPage(page, "facility-bookings-bulk", width);

      // The week and the day around the first one, in the calendar.
      await page.goto(url(`facility/bookings?view=week&date=${a.startDate}`));
      await settled(page);
      const calendar = page.locator("#booking-calendar");
      await calendar.waitFor();
      expect(await page.getByRole("button", { name: "週", exact: true }).getAttribute("aria-pressed")).toBe(
        "true",
      );
      const entry = calendar.locator(`li[data-booking-id="${a.id}"]`);
      expect(await entry.textContent()).toContain("予約確定");
      expect(await entry.textContent()).toContain(a.voucherNumber);
      expect(await entry.locator(".calendar-who").textContent()).toContain("試験");
      expect(await calendar.locator(`li[data-booking-id="${b.id}"]`).count()).toBe(0);
      // An occupancy board: the stay column of a's night says taken of capacity, as the ledger and slots have it.
      expect(await calendar.locator("thead th[scope=col]").first().textContent()).toBe("日付");
      expect(await calendar.locator("tbody th[scope=row]").count()).toBe(7);
      const cell = calendar.locator(`td[data-date="${a.startDate}"][data-service="stay"]`);
      const slot = await t.hub.prisma.slot.findFirstOrThrow({
        where: { facilityId, serviceType: "stay", date: new Date(`${a.startDate}T00:00:00Z`), timeBlock: "" },
      });
      const taken = await cell.locator("li[data-booking-id]").count();
      expect(taken).toBe(slot.booked);
      expect(await cell.locator(".occupancy-count").textContent()).toBe(`${taken}/${slot.capacity}人`);
      // The region scrolls by itself at 375 px; the page does not.
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await checkPage(page, "facility-bookings-week", width);
      await page.getByRole("button", { name: "日", exact: true }).click();
      await page.waitForURL(/view=day/);
      await settled(page);
      expect(await calendar.locator("caption").textContent()).toContain("の予約");
      expect(await calendar.locator(`li[data-booking-id="${a.id}"]`).textContent()).toContain("自己負担");
      await checkPage(page, "facility-bookings-day", width);

      // The history as CSV, in the list view with its filters.
      await page.getByRole("button", { name: "一覧", exact: true }).click();
      await page.waitForURL((u) => !u.search.includes("view="));
      await page.getByLabel("状態").selectOption("confirmed");
      await page.getByRole("button", { name: "絞り込む" }).click();
      await page.waitForURL(/status=confirmed/);
      await settled(page);
      await page.locator(`#bookings-table tr[data-booking-id="${a.id}"]`).waitFor();
      const utf8 = page.getByRole("link", { name: "CSVでダウンロード（UTF-8）" });
      // Resolved as the browser does, against the document's <base>.
      const href = await utf8.evaluate((a) => (a as HTMLAnchorElement).href);
      expect(href).toContain("/api/bookings.csv?");
      expect(href).toContain("status=confirmed");
      const file = await page.request.get(href);
      expect(file.status()).toBe(200);
      const body = await file.body();
      expect([...body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const text = body.toString("utf8");
      expect(text).toContain(a.id);
      expect(text).not.toContain(b.id);
      const sjis = await page.getByRole("link", { name: /Shift_JIS/ }).getAttribute("href");
      expect(sjis).toContain("encoding=sjis");
      await checkPage(page, "facility-bookings-list", width);
      await done();
    }, 180_000);
  }

  /** A stay from today, approved and then cancelled by its resident "because she is unwell": a claim to decide. */
  async function claims(n: number): Promise<Held[]> {
    const room = await (await clientForUser(t, (await staffUser(FACILITY)).id)).put(
      `api/facilities/${facilityId}/slots`,
      { serviceType: "stay", from: tokyoDay(), to: tokyoDay(1), capacity: 40 },
    );
    expect(room.status, room.text).toBe(200);
    const facility = await clientForUser(t, (await staffUser(FACILITY)).id);
    const out: Held[] = [];
    for (const residentId of await bookableResidents(t.hub.prisma, SENDAI, n)) {
      const user = await t.hub.prisma.user.create({
        data: { role: "resident", displayName: "試験", residentId },
      });
      const resident = await clientForUser(t, user.id);
      const held = await resident.post("api/bookings", {
        facilityId,
        serviceType: "stay",
        startDate: tokyoDay(),
        nights: 1,
      });
      expect(held.status, held.text).toBe(201);
      expect((await facility.post(`api/bookings/${held.json.id}/confirm`)).status).toBe(200);
      const cancelled = await resident.post(`api/bookings/${held.json.id}/cancel`, {
        reason: "発熱のため",
        reasonCode: "illness",
      });
      expect(cancelled.json.cancellation.waiver.status, cancelled.text).toBe("claimed");
      out.push({
        id: held.json.id,
        startDate: held.json.startDate,
        voucherNumber: held.json.voucherNumber,
        residentId,
      });
    }
    return out;
  }
  const staffUser = (email: string) => t.hub.prisma.user.findUniqueOrThrow({ where: { email } });

  it("at 375px and 1280px: the facility accepts one claim of a free cancellation and declines another", async () => {
    for (const width of WIDTHS) {
      const [keep, refuse] = (await claims(2)) as [Held, Held];
      const { page, done } = await open(width);
      await signInAsStaff(page, FACILITY);
      await page.goto(url("facility/bookings"));
      await settled(page);
      const card = (id: string) => page.locator(`#waiver-list li[data-booking-id="${id}"]`);
      await card(keep.id).waitFor();
      expect(await card(keep.id).textContent()).toContain("本人または赤ちゃんの体調不良");
      expect(await card(refuse.id).textContent()).toMatch(
        /認めない場合のキャンセル料¥[\d,]+（うち利用者負担 ¥[\d,]+）/,
      );
      await checkPage(page, "facility-fee-waivers", width);

      await card(keep.id)
        .getByRole("button", { name: /^免除を認める/ })
        .click();
      await page.locator("#waiver-notice").getByText("キャンセル料の免除を認めました").waitFor();
      await page.waitForFunction(() => document.activeElement?.id === "waiver-notice");
      await card(keep.id).waitFor({ state: "detached" });

      await card(refuse.id).getByLabel(/^メモ/).fill("受診の記録が確認できませんでした");
      await card(refuse.id)
        .getByRole("button", { name: /^認めない/ })
        .click();
      await page.locator("#waiver-notice").getByText("キャンセル料の免除を認めませんでした").waitFor();
      await card(refuse.id).waitFor({ state: "detached" });
      await checkPage(page, "facility-fee-waivers-decided", width);
      const kept = await t.hub.prisma.booking.findUniqueOrThrow({ where: { id: keep.id } });
      const refused = await t.hub.prisma.booking.findUniqueOrThrow({ where: { id: refuse.id } });
      expect(kept).toMatchObject({ feeWaiver: "accepted", cancellationFee: 0 });
      expect(refused.feeWaiver).toBe("declined");
      expect(refused.cancellationFee).toBeGreaterThan(0);
      await done();
    }
  }, 180_000);

  it("at 375px and 1280px: municipality staff see their residents' bookings with the downloads", async () => {
    const staff = await t.hub.prisma.user.findUniqueOrThrow({ where: { email: "sendai@demo.example.jp" } });
    const [held] = await requests([18]);
    const [claimed] = await claims(1);
    for (const width of WIDTHS) {
      const { page, done } = await open(width);
      const token = await createSession(
        t.hub.prisma,
        { id: staff.id },
        { verified: true, ip: "127.0.0.1", hours: 1, now: new Date() },
      );
      await page.context().addCookies([{ name: SESSION_COOKIE, value: token, url: t.url }]);
      await page.goto(url(""));
      await settled(page);
      await openMenu(page);
      await page.getByRole("link", { name: "予約一覧", exact: true }).first().click();
      await page.waitForURL(/\/bookings$/);
      await settled(page);
      await page.locator(`#bookings-table tr[data-booking-id="${held?.id}"]`).waitFor();
      expect(await page.locator("#pending-list").count()).toBe(0);
      // Its residents' open claims of a free cancellation, to decide like the facility.
      await page.locator(`#waiver-list li[data-booking-id="${claimed?.id}"]`).waitFor();
      expect(await page.getByRole("link", { name: "CSVでダウンロード（UTF-8）" }).count()).toBe(1);
      await checkPage(page, "staff-bookings", width);
      await done();
    }
  }, 120_000);
});
