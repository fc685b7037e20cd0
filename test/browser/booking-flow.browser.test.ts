/**
 * A resident finds a free place and books it, in Chromium at 375 px and 1280 px.
 *
 * Three views from any entry point: from her home signed in, and from the welcome page signed out, she answers
 * the three questions (when, which kind, where) on the home page, taps a free cell of the vacancy view, which
 * opens the booking with facility, service, day and block chosen and the copay shown at once (signing in there,
 * with a one-time code, when she is not yet), and requests it. The journey counts views (every address the page
 * shows, the first included) and presses (taps and choices; typed fields apart): on main before issue 16 it was
 * 4 views and 9 presses signed in, 6 views (7 with the demo mailbox) and 12 presses signed out; now it is 3 views
 * and 5 presses signed in, 3 views and 7 presses signed out.
 *
 * With the demo data, a new 仙台市 resident (a month-old baby, an active voucher) signs in and:
 *  - opens 空き状況 from the menu, searches stays in 仙台市 and finds （架空）青葉産婦人科病院: on the desktop in
 *    the grid (free places as text, each a link to book that day, closed days as 休), on the phone in the list
 *    of facilities with a week of ○△× (free days are links), stepping to the next week and back; then follows
 *    its 予約する link, which keeps the service she searched for;
 *  - chooses a day from the facility's calendar and sees the quote without pressing anything (the exact copay of
 *    the hub's quote in large type, the days of the voucher it takes and leaves, counted as 仙台市 counts stays,
 *    and since when its rules apply) and requests it; a double tap books
 *    once, with an Idempotency-Key; the answer says what happens next, with the facility's deadline;
 *  - on the phone, the day chosen fills up between the quote and the request: the page says so in plain words and
 *    the resident chooses another day;
 *  - sees the booking under 予約の確認 (waiting for approval, the copay), cancels it with a reason (a missing
 *    reason is pointed out first) and finds it among past bookings as cancelled; the place is free again.
 * On the desktop, residents without a voucher, with a revoked one and with too few units left for even one night
 * (told whom to ask, not to choose fewer nights) are told why they cannot book, and a facility
 * with its own booking page gets a link there instead of the flow.
 *
 * axe-core on every state at both widths, nothing fetched from another host. Needs `npm run build` first.
 */
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, SESSION_COOKIE } from "../../hub/identity/sessions.js";
import { formatDate, parseDate } from "../../hub/inventory/dates.js";
import { dispatchOutbox } from "../../hub/notify/outbox.js";
import { serviceDay, tokyoDay } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { bookableResidents } from "../support/residents.js";
import { clientForUser } from "../support/sessions.js";
import {
  checkPage,
  hasChromium,
  launchBrowser,
  portalHelpers,
  requirePortalBuild,
  settled,
  WIDTHS,
} from "./support.js";

const SENDAI = "041009";
const yen = (n: number) => `¥${n.toLocaleString("en-US")}`;

/**
 * What a resident does on the way to a booking: `views` are the addresses the page shows (full loads and the
 * router's in-place navigations, the entry page included), `presses` the taps and choices made through `tap` and
 * `pick`, `typed` the fields filled through `type`.
 */
function journey(page: Page) {
  const views: string[] = [];
  page.on("framenavigated", (frame) => {
    if (frame !== page.mainFrame()) return;
    const u = new URL(frame.url());
    if (views.at(-1) !== u.pathname + u.search) views.push(u.pathname + u.search);
  });
  const j = {
    views,
    presses: 0,
    typed: 0,
    tap: async (l: Locator) => {
      j.presses++;
      await l.click();
    },
    pick: async (l: Locator, value: string) => {
      j.presses++;
      await l.selectOption(value);
    },
    type: async (l: Locator, text: string) => {
      j.typed++;
      await l.fill(text);
    },
  };
  return j;
}

describe.skipIf(!hasChromium)("booking a free place as a resident", () => {
  let browser: Browser;
  let t: TestHub;
  let facilityId: string;
  let facilityName: string;
  const { url, open } = portalHelpers(() => ({ browser, hubUrl: t.url }));

  beforeAll(async () => {
    requirePortalBuild();
    t = await startTestHub({ seed: "demo", residents: 20 });
    browser = await launchBrowser();
    const staff = await t.hub.prisma.user.findUniqueOrThrow({ where: { email: "facility@demo.example.jp" } });
    facilityId = staff.facilityId as string;
    facilityName = (await t.hub.prisma.facility.findUniqueOrThrow({ where: { id: facilityId } })).name;
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, 60_000);

  /** A new resident user of 仙台市 (with a voucher unless `voucher: false`). */
  async function newResident(opts: { voucher?: boolean } = {}) {
    let residentId: string;
    if (opts.voucher === false) {
      residentId = (
        await t.hub.prisma.resident.create({
          data: { municipalityCode: SENDAI, familyName: "試験", givenName: "券なし" },
        })
      ).id;
    } else {
      [residentId] = (await bookableResidents(t.hub.prisma, SENDAI, 1)) as [string];
    }
    const user = await t.hub.prisma.user.create({
      data: { role: "resident", displayName: "試験 利用者", residentId },
    });
    return { residentId, userId: user.id };
  }

  async function signInAs(page: Page, userId: string) {
    const token = await createSession(
      t.hub.prisma,
      { id: userId },
      { verified: true, ip: "127.0.0.1", hours: 1, now: new Date() },
    );
    await page.context().addCookies([{ name: SESSION_COOKIE, value: token, url: t.url }]);
  }

  const slotOf = (date: string) =>
    t.hub.prisma.slot.findFirstOrThrow({
      where: { facilityId, serviceType: "stay", date: parseDate(date) as Date, timeBlock: "" },
    });

  /** Chooses a stay starting on `date` on the booking page: the quote follows by itself. */
  async function chooseStay(page: Page, date: string) {
    await page.locator(`input[name=slot][value="${date}|"]`).check();
    await page.getByLabel("泊数").selectOption("1");
  }

  for (const width of WIDTHS) {
    const phone = width === WIDTHS[0];

    it(`at ${width}px: find a free place, book it, see what happens next, cancel it`, async () => {
      const { residentId, userId } = await newResident();
      const api = await clientForUser(t, userId);
      const day = serviceDay(phone ? 6 : 8);
      const quote = await api.post("api/bookings/quote", {
        facilityId,
        serviceType: "stay",
        startDate: day,
        nights: 1,
      });
      expect(quote.status, quote.text).toBe(200);
      const copay = yen(quote.json.residentCopay);

      const { page, done } = await open(width);
      const holds: { key: string | undefined }[] = [];
      page.on("request", (r) => {
        if (r.method() === "POST" && new URL(r.url()).pathname.endsWith("/api/bookings")) {
          holds.push({ key: r.headers()["idempotency-key"] });
        }
      });
      await signInAs(page, userId);
      await page.goto(url(""));
      await settled(page);

      // 空き状況 from the menu: stays in 仙台市.
      await page.getByRole("link", { name: "空き状況", exact: true }).click();
      await page.waitForURL(/\/vacancy$/);
      await settled(page);
      await checkPage(page, "vacancy", width);
      await page.getByLabel("サービスの種類").selectOption("stay");
      await page.getByLabel("市町村").selectOption(SENDAI);
      await page.getByRole("button", { name: "さがす", exact: true }).click();
      await page.waitForURL(/serviceType=stay/);
      const group = page.locator(`[data-facility-id="${facilityId}"]`);
      await group.waitFor();
      await settled(page);
      const hrefOfDay = new RegExp(`^book/${facilityId}\\?type=stay&day=[0-9]{4}-[0-9]{2}-[0-9]{2}$`);
      if (phone) {
        // A phone lists the facilities, with a week of ○△× per service: no grid two days wide.
        expect(await page.locator("#vacancy-table").count()).toBe(0);
        expect(await group.locator(".vacancy-row-label").allTextContents()).toEqual(["宿泊型"]);
        const marks = await group.locator(".vacancy-day").allTextContents();
        expect(marks).toHaveLength(7);
        for (const m of marks) expect(m).toMatch(/^(○|△|×|休)$/);
        // Every ○ and △ day is a link to book it, named in words; × and 休 are not links.
        const links = group.locator("a.vacancy-cell-book");
        expect(await links.count()).toBe(marks.filter((m) => m === "○" || m === "△").length);
        expect(await links.first().getAttribute("aria-label")).toMatch(
          /^(○|△) [0-9]+\/[0-9]+（.） 宿泊型 (空き[0-9]+人分|残り1人分)、予約する$/,
        );
        expect(await links.first().getAttribute("href")).toMatch(hrefOfDay);
        // The next week, by the button (or a swipe), then back.
        const week = page.locator(".vacancy-week-label");
        const firstWeek = await week.textContent();
        await page.getByRole("button", { name: "次の7日" }).click();
        await page.waitForFunction(
          (w) => document.querySelector(".vacancy-week-label")?.textContent !== w,
          firstWeek,
        );
        expect(await page.getByRole("button", { name: "次の7日" }).isDisabled()).toBe(true);
        expect(await group.locator(".vacancy-day").count()).toBe(7);
        await checkPage(page, "vacancy-stay-sendai-next-week", width);
        await page.getByRole("button", { name: "前の7日" }).click();
        expect(await week.textContent()).toBe(firstWeek);
      } else {
        const rows = group.locator("tr");
        expect(await rows.count()).toBe(2);
        expect(await group.locator("th[scope=row]").first().textContent()).toBe("宿泊型");
        const cells = await rows.nth(1).locator("td").allTextContents();
        expect(cells).toHaveLength(14);
        for (const c of cells) expect(c).toMatch(/^([0-9]+|満|休)$/);
        // Every free cell is a link to book that day; full and closed ones are not.
        const links = rows.nth(1).locator("a.vacancy-cell-book");
        expect(await links.count()).toBe(cells.filter((c) => /^[0-9]+$/.test(c)).length);
        expect(await links.first().getAttribute("aria-label")).toMatch(
          /^[0-9]+ [0-9]+\/[0-9]+（.）の宿泊型を予約する：/,
        );
        expect(await links.first().getAttribute("href")).toMatch(hrefOfDay);
        expect(await page.locator("#vacancy-table caption").textContent()).toContain("空き人数");
      }
      expect(await page.locator(".as-of").textContent()).toMatch(/[0-9]{2}:[0-9]{2} 時点/);
      await checkPage(page, "vacancy-stay-sendai", width);
      await group.getByRole("link", { name: /^予約する/ }).click();
      await page.waitForURL(new RegExp(`/book/${facilityId}\\?type=stay&date=`));
      await settled(page);
      expect(await page.locator("h1").textContent()).toBe(`${facilityName}を予約する`);
      // The service searched for is chosen already.
      expect(await page.getByLabel(/^宿泊型/).isChecked()).toBe(true);
      await checkPage(page, "book", width);

      // No day chosen yet: the page says what is missing.
      await page.getByRole("button", { name: "この内容で申し込む" }).click();
      expect(await page.locator("#book-choose-error").textContent()).toBe("日にちを選んでください。");
      const option = page.locator(`input[name=slot][value="${day}|"]`);
      await option.waitFor();
      await checkPage(page, "book-days", width);

      if (phone) {
        // The chosen day fills up between the quote and the request.
        const full = serviceDay(5);
        await chooseStay(page, full);
        await page.locator("#quote-title").waitFor();
        const slot = await slotOf(full);
        await t.hub.prisma.slot.update({ where: { id: slot.id }, data: { external: slot.capacity } });
        await page.getByRole("button", { name: "この内容で申し込む" }).click();
        const alert = page.locator("#book-problem[role=alert]");
        await alert.waitFor();
        expect(await alert.textContent()).toContain("選んだ日は、ちょうど満員になりました");
        await page.waitForFunction(() => document.activeElement?.id === "book-problem");
        // The calendar now shows that day as full; nothing was booked.
        await page.locator(`input[name=slot][value="${full}|"]:disabled`).waitFor();
        expect(await t.hub.prisma.booking.count({ where: { residentId } })).toBe(0);
        await checkPage(page, "book-slot-full", width);
      }

      await chooseStay(page, day);
      const quoteTitle = page.locator("#quote-title");
      await quoteTitle.waitFor();
      // Focus stays where she chose (arrow keys go on choosing days); the copay is announced.
      const focused = await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name);
      expect(["slot", "nights"]).toContain(focused);
      expect(await page.locator("#book-status").textContent()).toContain(`自己負担額は${copay}です`);
      expect(await page.locator("[data-testid=quote-copay]").textContent()).toBe(copay);
      const quoteText = (await page.locator("section[aria-labelledby=quote-title]").textContent()) ?? "";
      // 仙台市 counts a stay per day: one night takes 2 days of the voucher, said as days (not 「2回」).
      expect(quote.json.stayCounting).toBe("per_day");
      expect(quote.json.unitsNeeded).toBe(2);
      expect(quoteText).toContain("利用券から使う分2日分");
      expect(quoteText).toContain(`使った後の残り${quote.json.unitsRemainingAfter}日分`);
      expect(quoteText).toContain("宿泊を日数で数えます。1泊2日は2日分です。");
      expect(quoteText).toContain("お住まいの市町村が2025/04/01から使っている決まりで計算しています。");
      expect(quoteText).not.toMatch(/第[0-9]+版/);
      expect(quoteText).toContain(quote.json.voucherNumber);
      expect(await t.hub.prisma.booking.count({ where: { residentId } })).toBe(0);
      await checkPage(page, "book-quote", width);

      // A double tap books once.
      holds.length = 0;
      await page.getByRole("button", { name: "この内容で申し込む" }).dblclick();
      const doneTitle = page.locator("#done-title");
      await doneTitle.waitFor();
      await page.waitForFunction(() => document.activeElement?.id === "done-title");
      const bookings = await t.hub.prisma.booking.findMany({ where: { residentId } });
      expect(bookings).toHaveLength(1);
      const booking = bookings[0];
      if (!booking) throw new Error("no booking was made");
      expect(booking.status).toBe("requested");
      expect(holds.length).toBeGreaterThanOrEqual(1);
      expect(holds.every((h) => h.key && h.key === holds[0]?.key)).toBe(true);
      const next = (await page.locator("section[aria-labelledby=next-title]").textContent()) ?? "";
      const deadline = new Intl.DateTimeFormat("ja-JP", {
        timeZone: "Asia/Tokyo",
        dateStyle: "medium",
        timeStyle: "short",
      }).format(booking.holdExpiresAt as Date);
      expect(next).toContain(`${deadline}までに承認するかどうか`);
      expect(next).toContain("メールまたはSMS");
      expect(next).toContain(`自己負担額 ${copay}`);
      await checkPage(page, "book-done", width);

      // 予約の確認: waiting for approval, with the copay; cancel it with a reason.
      await page.getByRole("link", { name: "予約の確認へ" }).click();
      await page.waitForURL(/\/my\/bookings$/);
      await settled(page);
      const card = page.locator(`li.card[data-booking-id="${booking.id}"]`);
      await card.waitFor();
      const cardText = (await card.textContent()) ?? "";
      expect(cardText).toContain(facilityName);
      expect(cardText).toContain("承認待ち");
      expect(cardText).toContain(copay);
      expect(cardText).toContain(`${deadline}までに承認されると`);
      // The stay's units as the booking page said them (仙台市 counts days), not 「2回」.
      expect(cardText).toContain("2日分");
      expect(cardText).not.toContain("2回");
      await checkPage(page, "my-bookings", width);

      let current = booking.id;
      if (!phone) {
        // Change the day: the old booking is cancelled as "changed", a new request takes its place.
        const newDay = serviceDay(10);
        await card.getByRole("link", { name: /^日にちを変更する/ }).click();
        await page.waitForURL(/change=/);
        await settled(page);
        expect(await page.locator("h1").textContent()).toBe(`${facilityName}の予約の日にちを変更する`);
        expect(await page.getByLabel(/^宿泊型/).isChecked()).toBe(true);
        await checkPage(page, "book-change", width);
        await chooseStay(page, newDay);
        await page.locator("#quote-title").waitFor();
        expect(await page.locator("section[aria-labelledby=quote-title]").textContent()).toContain("変更前");
        await checkPage(page, "book-change-check", width);
        await page.getByRole("button", { name: "この日にちに変更する" }).click();
        await page.locator("#done-title", { hasText: "日にちを変更しました" }).waitFor();
        await checkPage(page, "book-changed", width);
        const old = await t.hub.prisma.booking.findUniqueOrThrow({ where: { id: booking.id } });
        expect(old).toMatchObject({ status: "cancelled", cancelReason: "changed" });
        const fresh = await t.hub.prisma.booking.findFirstOrThrow({
          where: { residentId, status: "requested" },
        });
        expect(formatDate(fresh.startDate)).toBe(newDay);
        current = fresh.id;
        await page.getByRole("link", { name: "予約の確認へ" }).click();
        await page.waitForURL(/\/my\/bookings$/);
        await settled(page);
      }
      const open2 = page.locator(`li.card[data-booking-id="${current}"]`);
      await open2.waitFor();

      await open2.getByRole("button", { name: /^キャンセルする/ }).click();
      await page.waitForFunction((id) => document.activeElement?.id === `cancel-title-${id}`, current);
      // Not approved yet: cancelling is free, and the page says so before anything is done.
      await open2.getByText("まだ施設の承認前のため、キャンセル料はかかりません。").waitFor();
      // The municipality's cut-off rule, in words (the demo policies: the calendar day before, closures move it).
      await open2
        .getByText("キャンセル料がかからない期限：ご利用日の前日の10:00まで（施設の休業日は数えません）。", {
          exact: true,
        })
        .waitFor();
      await open2.getByRole("button", { name: "キャンセルする", exact: true }).click();
      expect(await open2.locator(".field-error").textContent()).toContain("キャンセルの理由を選んでください");
      await checkPage(page, "my-bookings-cancel-form", width);
      await open2.getByLabel("予定が変わったため").check();
      await open2.getByRole("button", { name: "キャンセルする", exact: true }).click();
      const notice = page.locator("#my-bookings-notice");
      await notice.getByText("予約をキャンセルしました").waitFor();
      const past = page.locator(`#past-bookings tr[data-booking-id="${current}"]`);
      await past.waitFor();
      expect(await past.textContent()).toContain("キャンセル");
      expect(await page.locator(`li.card[data-booking-id="${current}"]`).count()).toBe(0);
      await checkPage(page, "my-bookings-cancelled", width);
      const after = await t.hub.prisma.booking.findUniqueOrThrow({ where: { id: current } });
      expect(after).toMatchObject({
        status: "cancelled",
        cancelReason: "resident_request",
        cancellationFee: 0,
      });
      const event = await t.hub.prisma.bookingEvent.findFirstOrThrow({
        where: { bookingId: current, type: "cancelled" },
      });
      expect(JSON.stringify(event.data)).toContain("予定が変わったため");
      expect((await slotOf(day)).booked).toBe(0);

      // In English too.
      await page.getByRole("button", { name: "Switch to English" }).click();
      await page.locator("h1", { hasText: "My bookings" }).waitFor();
      await checkPage(page, "my-bookings-en", width);
      await done();
    }, 180_000);
  }

  for (const width of WIDTHS) {
    for (const signedIn of [true, false]) {
      it(`at ${width}px, ${signedIn ? "signed in from her home" : "signed out from the welcome page"}: three views to a booking`, async () => {
        const [residentId] = (await bookableResidents(t.hub.prisma, SENDAI, 1)) as [string];
        const resident = await t.hub.prisma.resident.findUniqueOrThrow({ where: { id: residentId } });
        const { page, done } = await open(width);
        if (signedIn) {
          const user = await t.hub.prisma.user.create({
            data: { role: "resident", displayName: "試験 利用者", residentId },
          });
          await signInAs(page, user.id);
        }
        const j = journey(page);
        await page.goto(url(""));
        await settled(page);
        const name = `home-${signedIn ? "resident" : "welcome"}`;
        if (width === WIDTHS[0]) await checkPage(page, name, width);

        // Home asks when, which kind and where; the vacancy view opens with the answers applied.
        const questions = page.getByRole("search", { name: "空き状況をさがす" });
        await j.pick(questions.getByLabel("サービスの種類"), "stay");
        await j.pick(questions.getByLabel("市町村"), SENDAI);
        await j.tap(questions.getByRole("button", { name: "さがす", exact: true }));
        await page.waitForURL(/\/vacancy\?serviceType=stay&municipality=041009$/);
        const group = page.locator(`[data-facility-id="${facilityId}"]`);
        await group.waitFor();
        await settled(page);
        if (signedIn) {
          // Signed in, she sees what one use of each service would cost her (copay does not depend on the facility).
          const user = await t.hub.prisma.user.findUniqueOrThrow({ where: { residentId } });
          const stay = await (await clientForUser(t, user.id)).post("api/bookings/quote", {
            facilityId,
            serviceType: "stay",
            startDate: tokyoDay(),
            nights: 1,
          });
          expect(stay.status, stay.text).toBe(200);
          const copays = page.locator("#vacancy-copay");
          await copays.waitFor();
          expect(await copays.locator("li").allTextContents()).toEqual([
            `宿泊型（1泊）：${yen(stay.json.residentCopay)}`,
          ]);
        }
        if (width === WIDTHS[0] || signedIn) await checkPage(page, `vacancy-from-${name}`, width);

        // A free cell opens the booking with that day chosen.
        await j.tap(group.locator("a.vacancy-cell-book").last());
        await page.waitForURL(new RegExp(`/book/${facilityId}\\?type=stay&day=`));
        await settled(page);
        const day = new URL(page.url()).searchParams.get("day") as string;
        // The day she tapped is chosen; the calendar stays folded so the copay and the button come first.
        const [, month, date] = day.split("-").map(Number);
        expect(await page.locator(".chosen-day strong").textContent()).toContain(`${month}/${date}（`);
        expect(await page.locator("input[name=slot]").count()).toBe(0);
        if (!signedIn) {
          // Signing in happens here, keeping the choice: no page in between.
          // The header's sign-in link would come back to this choice too.
          const header = page.locator("header").getByRole("link", { name: "ログイン" });
          expect(decodeURIComponent((await header.getAttribute("href")) ?? "")).toContain(
            `next=/book/${facilityId}?type=stay&day=${day}`,
          );
          const panel = page.locator("#book-sign-in");
          expect(await panel.locator("h2").textContent()).toBe("ログインして申し込む");
          await checkPage(page, "book-sign-in-inline", width);
          await j.type(panel.getByLabel("メールアドレスまたは携帯電話番号"), resident.email as string);
          await j.tap(panel.getByRole("button", { name: "確認コードを送る" }));
          await panel.getByLabel("確認コード（6桁）").waitFor();
          await dispatchOutbox(t.hub.prisma, t.hub.transport);
          const message = await t.hub.prisma.mailboxMessage.findFirstOrThrow({
            where: { to: resident.email as string },
            orderBy: { id: "desc" },
          });
          const code = /(?<![0-9])([0-9]{6})(?![0-9])/.exec(message.body)?.[1] ?? "";
          await j.type(panel.getByLabel("確認コード（6桁）"), code);
          await j.tap(panel.getByRole("button", { name: "ログインする" }));
        }
        // The copay is there without another press.
        await page.locator("#quote-title").waitFor();
        await settled(page);
        const user = await t.hub.prisma.user.findUniqueOrThrow({ where: { residentId } });
        const quote = await (await clientForUser(t, user.id)).post("api/bookings/quote", {
          facilityId,
          serviceType: "stay",
          startDate: day,
          nights: 1,
        });
        expect(quote.status, quote.text).toBe(200);
        expect(await page.locator("[data-testid=quote-copay]").textContent()).toBe(
          yen(quote.json.residentCopay),
        );
        expect(await page.locator("#book-sign-in").count()).toBe(0);
        await checkPage(page, `book-quote-from-${name}`, width);
        await j.tap(page.getByRole("button", { name: "この内容で申し込む" }));
        await page.locator("#done-title").waitFor();
        const booking = await t.hub.prisma.booking.findFirstOrThrow({ where: { residentId } });
        expect(booking).toMatchObject({ status: "requested", serviceType: "stay" });
        expect(formatDate(booking.startDate)).toBe(day);

        expect(j.views, j.views.join("\n")).toEqual([
          "/",
          "/vacancy?serviceType=stay&municipality=041009",
          `/book/${facilityId}?type=stay&day=${day}`,
        ]);
        expect([j.presses, j.typed]).toEqual(signedIn ? [5, 0] : [7, 2]);
        await done();
      }, 120_000);
    }
  }

  it("at 1280px: explains why a resident without a voucher, with a revoked one or with too few units left cannot book", async () => {
    const width = WIDTHS[1];
    const day = serviceDay(9);
    const { page, done } = await open(width);

    const none = await newResident({ voucher: false });
    await signInAs(page, none.userId);
    await page.goto(url(`book/${facilityId}?type=stay&date=${day}`));
    await settled(page);
    expect(await page.getByLabel(/^宿泊型/).isChecked()).toBe(true);
    await chooseStay(page, day);
    const alert = page.locator("#book-problem[role=alert]");
    await alert.waitFor();
    expect(await alert.textContent()).toContain("利用券がまだ交付されていません");
    await checkPage(page, "book-no-voucher", width);
    await page.context().clearCookies();

    const revoked = await newResident();
    await t.hub.prisma.voucher.updateMany({
      where: { residentId: revoked.residentId },
      data: { status: "revoked", revokedAt: new Date(), revokedReason: "テスト" },
    });
    await signInAs(page, revoked.userId);
    await page.goto(url(`book/${facilityId}?type=stay&date=${day}`));
    await settled(page);
    await chooseStay(page, day);
    await alert.waitFor();
    expect(await alert.locator(".alert-title").textContent()).toBe(
      "お持ちの利用券では、この予約はできません。",
    );
    expect(await alert.textContent()).toContain("利用券が無効になっています");
    await checkPage(page, "book-not-entitled", width);
    await page.context().clearCookies();

    // One day of stays left; one night takes two (仙台市 counts per day). Fewer nights cannot help: the page says
    // so and whom to ask, instead of advising fewer nights.
    const spent = await newResident();
    const voucher = await t.hub.prisma.voucher.findFirstOrThrow({ where: { residentId: spent.residentId } });
    const stays = await t.hub.prisma.voucherBalance.findUniqueOrThrow({
      where: { voucherId_serviceType: { voucherId: voucher.id, serviceType: "stay" } },
    });
    await t.hub.prisma.voucherBalance.update({
      where: { voucherId_serviceType: { voucherId: voucher.id, serviceType: "stay" } },
      data: { used: stays.cap - 1 },
    });
    await signInAs(page, spent.userId);
    await page.goto(url(`book/${facilityId}?type=stay&date=${day}`));
    await settled(page);
    await chooseStay(page, day);
    await alert.waitFor();
    const said = (await alert.textContent()) ?? "";
    expect(said).toContain("利用券の残りが、この予約には足りません");
    expect(said).toContain("お住まいの市町村の母子保健の窓口");
    expect(said).not.toContain("泊数を減らす");
    await checkPage(page, "book-units-used-up", width);
    await done();
  }, 120_000);

  it("at 1280px: a late cancellation shows its fee first; an illness makes it free once confirmed", async () => {
    const width = WIDTHS[1];
    const { residentId, userId } = await newResident();
    const api = await clientForUser(t, userId);
    // A stay from today, approved: its free cancellation deadline (10:00 the day before) has passed.
    const today = tokyoDay();
    const held = await api.post("api/bookings", {
      facilityId,
      serviceType: "stay",
      startDate: today,
      nights: 1,
    });
    expect(held.status, held.text).toBe(201);
    const staff = await t.hub.prisma.user.findUniqueOrThrow({ where: { email: "facility@demo.example.jp" } });
    const facility = await clientForUser(t, staff.id);
    expect((await facility.post(`api/bookings/${held.json.id}/confirm`)).status).toBe(200);
    const preview = await api.get(`api/bookings/${held.json.id}/cancellation`);
    expect(preview.status, preview.text).toBe(200);
    expect(preview.json.fee).toBeGreaterThan(0);
    const share = yen(preview.json.residentShare);

    const { page, done } = await open(width);
    await signInAs(page, userId);
    await page.goto(url("my/bookings"));
    await settled(page);
    const card = page.locator(`li.card[data-booking-id="${held.json.id}"]`);
    expect(await card.textContent()).toContain("予約確定");
    expect(await card.textContent()).toContain("無料でキャンセルできる期限");
    // Past the deadline no change is offered, only a cancellation.
    expect(await card.getByRole("link", { name: /^日にちを変更する/ }).count()).toBe(0);
    await card.getByRole("button", { name: /^キャンセルする/ }).click();
    const fee = card.locator(`#cancel-fee-${held.json.id}`);
    await fee.getByText(`キャンセル料のうち ${share} をご負担いただきます`).waitFor();
    expect(
      await card.getByRole("button", { name: `キャンセル料（${share}）を了承してキャンセルする` }).count(),
    ).toBe(1);
    await checkPage(page, "my-bookings-fee", width);
    await card.getByLabel("体調がすぐれないため").check();
    // Her own reason makes it free once the facility or her municipality confirms it.
    await fee.getByText("この理由でのキャンセルは、施設または市町村の確認のうえ無料になります。").waitFor();
    await fee
      .getByText(`確認できなかったときは、キャンセル料のうち ${share} をご負担いただきます。`, {
        exact: false,
      })
      .waitFor();
    await card.getByRole("button", { name: "キャンセルする", exact: true }).click();
    await page.locator("#my-bookings-notice").getByText("予約をキャンセルしました").waitFor();
    const after = await t.hub.prisma.booking.findUniqueOrThrow({ where: { id: held.json.id } });
    expect(after).toMatchObject({
      status: "cancelled",
      cancelReason: "illness",
      cancellationFee: 0,
      feeWaiver: "claimed",
    });
    expect(after.residentId).toBe(residentId);
    await done();
  }, 120_000);

  it("at 375px: a facility with its own booking page gets a link there instead", async () => {
    const other = await t.hub.prisma.user.findUniqueOrThrow({
      where: { email: "facility2@demo.example.jp" },
    });
    const id = other.facilityId as string;
    const bookingUrl = "https://booking.example.jp/nukumori";
    await t.hub.prisma.facility.update({ where: { id }, data: { bookingUrl, version: { increment: 1 } } });
    try {
      const { page, done } = await open(WIDTHS[0]);
      await page.goto(url(`book/${id}`));
      await settled(page);
      const link = page.getByRole("link", { name: /施設の予約ページを開く/ });
      expect(await link.getAttribute("href")).toBe(bookingUrl);
      expect(await page.locator("input[name=slot]").count()).toBe(0);
      await checkPage(page, "book-external", WIDTHS[0]);
      await done();
    } finally {
      await t.hub.prisma.facility.update({ where: { id }, data: { bookingUrl: "" } });
    }
  }, 60_000);
});
