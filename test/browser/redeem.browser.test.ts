/**
 * 使用済処理 at the front desk, in Chromium. With the demo data, a booking starting today at （架空）青葉産婦人科病院
 * (facility@demo.example.jp) is made through the API on a 仙台市 resident's voucher (the demo resident's own on the
 * phone, another resident's booked by 仙台市 staff on the desktop) and approved by the facility; then
 * the facility's staff open 利用券の使用 from the menu and
 *  - are told when the camera cannot be used (no camera in this browser), the other ways still working;
 *  - read a photo without a QR code (told so), then a PNG of the voucher's QR code: the voucher, the resident's
 *    name and the booking with the exact copay to collect and the policy version; mark it used (success);
 *  - type the number (full-width digits and hyphens): the booking shows as already used;
 *  - are refused, with the reason, for a wrong check digit (phone) and for a revoked voucher (desktop);
 *  - on the desktop, press "Mark as used" on a booking another desk redeemed meanwhile: "already used".
 * The resident then sees the booking as used on their vouchers page, and 仙台市 staff on the resident's page.
 * With a fake camera that shows the QR code, scanning finds the voucher, under the hub's Content Security Policy.
 *
 * axe-core on every state, at 375 px and 1280 px, nothing fetched from another host. Always starts its own hub;
 * needs `npm run build` first.
 */
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import QRCode from "qrcode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, SESSION_COOKIE } from "../../hub/identity/sessions.js";
import type { TestClient } from "../support/client.js";
import { tokyoDay } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { clientFor } from "../support/sessions.js";
import {
  CHROMIUM,
  checkPage,
  hasChromium,
  launchBrowser,
  openMenu,
  portalHelpers,
  requirePortalBuild,
  settled,
  WIDTHS,
} from "./support.js";

const RESIDENT = "resident@demo.example.jp";
const FACILITY = "facility@demo.example.jp";
const SENDAI_STAFF = "sendai@demo.example.jp";
const SENDAI = "041009";

/** Today in Japan, YYYY-MM-DD. */
const yen = (n: number) => `¥${n.toLocaleString("en-US")}`;
/** 04100-0000123-4 as typed on a Japanese keyboard in full-width mode: ０４１００－００００１２３－４. */
const fullWidth = (s: string) =>
  s.replace(/[0-9]/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0)).replace(/-/g, "－");
/** The same number with its check digit changed. */
const wrongCheckDigit = (n: string) => n.slice(0, -1) + String((Number(n.slice(-1)) + 1) % 10);

type Voucher = { id: string; number: string; qrPayload: string | null; residentId: string };
type Booking = {
  id: string;
  status: string;
  residentCopay: number;
  units: number;
  voucherId: string | null;
  policyVersion: { version: number } | null;
};
/** One resident's voucher and a confirmed booking on it that starts today at the demo facility. */
type Case = { voucher: Voucher; qrPayload: string; booking: Booking; residentName: string };

/**
 * A Y4M video (what Chromium's fake camera plays) of the QR code, black on white, 640×480: two identical frames.
 */
async function qrVideo(payload: string, file: string) {
  const qr = QRCode.create(payload, { errorCorrectionLevel: "M" });
  const size = qr.modules.size;
  const [w, h] = [640, 480];
  const scale = Math.floor(400 / (size + 8));
  const side = (size + 8) * scale;
  const [x0, y0] = [(w - side) / 2, (h - side) / 2];
  const y = Buffer.alloc(w * h, 235);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      if (!qr.modules.data[row * size + col]) continue;
      for (let dy = 0; dy < scale; dy++) {
        const start = (y0 + (row + 4) * scale + dy) * w + x0 + (col + 4) * scale;
        y.fill(16, start, start + scale);
      }
    }
  }
  const chroma = Buffer.alloc((w / 2) * (h / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from("FRAME\n"), y, chroma]);
  writeFileSync(
    file,
    Buffer.concat([Buffer.from(`YUV4MPEG2 W${w} H${h} F10:1 Ip A1:1 C420jpeg\n`), frame, frame]),
  );
}

describe.skipIf(!hasChromium)("redeeming a voucher at the front desk (使用済処理)", () => {
  let browser: Browser;
  let t: TestHub;
  let facility: TestClient;
  let sendai: TestClient;
  let facilityId: string;
  const cases = new Map<number, Case>();
  const { url, open } = portalHelpers(() => ({ browser, hubUrl: t.url }));

  beforeAll(async () => {
    requirePortalBuild();
    t = await startTestHub({ seed: "demo", residents: 20 });
    browser = await launchBrowser();
    facility = await clientFor(t, FACILITY);
    sendai = await clientFor(t, SENDAI_STAFF);
    facilityId = (await facility.get("api/me")).json.facilityId;
    expect(facilityId).toBeTruthy();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, 60_000);

  /** Signs the page's context in as the user (a verified session, as after the full sign-in). */
  async function signInAs(page: Page, email: string) {
    const user = await t.hub.prisma.user.findUniqueOrThrow({ where: { email } });
    const token = await createSession(
      t.hub.prisma,
      { id: user.id },
      { verified: true, ip: "127.0.0.1", hours: 1, now: new Date() },
    );
    await page.context().addCookies([{ name: SESSION_COOKIE, value: token, url: t.url }]);
  }

  /** A one-night stay from today at the demo facility for the voucher's resident, held by `booker`, approved. */
  async function bookToday(booker: TestClient, voucher: Voucher, onBehalf: boolean): Promise<Booking> {
    const held = await booker.post("api/bookings", {
      facilityId,
      serviceType: "stay",
      startDate: tokyoDay(),
      nights: 1,
      ...(onBehalf ? { residentId: voucher.residentId } : {}),
    });
    expect(held.status, held.text).toBe(201);
    expect(held.json.voucherId).toBe(voucher.id);
    const confirmed = await facility.post(`api/bookings/${held.json.id}/confirm`);
    expect(confirmed.status, confirmed.text).toBe(200);
    expect(confirmed.json.status).toBe("confirmed");
    return confirmed.json;
  }

  /** The demo resident's own voucher and booking (phone), or another 仙台市 resident's, booked by staff (desktop). */
  async function makeCase(width: number): Promise<Case> {
    if (width === WIDTHS[0]) {
      const resident = await clientFor(t, RESIDENT);
      const mine = await resident.get("api/me/vouchers");
      const active = (mine.json.items as Voucher[]).find(
        (v) => (v as { status?: string }).status === "active",
      );
      if (!active) throw new Error("the demo resident has no active voucher");
      const voucher: Voucher = (await resident.get(`api/vouchers/${active.id}`)).json;
      const booking = await bookToday(resident, voucher, false);
      const person = await t.hub.prisma.resident.findUniqueOrThrow({ where: { id: voucher.residentId } });
      return {
        voucher,
        qrPayload: voucher.qrPayload ?? "",
        booking,
        residentName: `${person.familyName} ${person.givenName}`,
      };
    }
    // Every demo resident with a child has a voucher: another 仙台市 resident's, booked by 仙台市 staff.
    const person = await t.hub.prisma.resident.findFirstOrThrow({
      where: { municipalityCode: SENDAI, user: { is: null }, vouchers: { some: { status: "active" } } },
      orderBy: { id: "asc" },
    });
    const listed = await sendai.get(`api/vouchers?residentId=${person.id}`);
    const active = (listed.json.items as (Voucher & { status: string })[]).find((v) => v.status === "active");
    if (!active) throw new Error(`resident ${person.id} has no active voucher`);
    const voucher: Voucher = (await sendai.get(`api/vouchers/${active.id}`)).json;
    const booking = await bookToday(sendai, voucher, true);
    return {
      voucher,
      qrPayload: voucher.qrPayload ?? "",
      booking,
      residentName: `${person.familyName} ${person.givenName}`,
    };
  }

  for (const width of WIDTHS) {
    const phone = width === WIDTHS[0];

    it(`at ${width}px: scan a photo, collect the copay, mark used; typed again it is already used; a refusal`, async () => {
      const c = await makeCase(width);
      cases.set(width, c);
      expect(c.qrPayload).toMatch(/^SCV1\./);
      expect(c.booking.voucherId).toBe(c.voucher.id);
      expect(Number.isInteger(c.booking.residentCopay)).toBe(true);
      const copay = yen(c.booking.residentCopay);

      const { page, done } = await open(width);
      await signInAs(page, FACILITY);
      await page.goto(url(""));
      await settled(page);
      if (phone) {
        await openMenu(page);
        await page.getByRole("link", { name: "利用券の使用" }).click();
        await page.waitForURL(/\/facility\/redeem$/);
      } else {
        await page.goto(url("facility/redeem"));
      }
      await settled(page);
      expect(await page.locator("h1").textContent()).toBe("利用券の使用");
      await checkPage(page, "redeem", width);

      // This browser has no camera: it says so, and the other ways still work.
      await page.getByRole("button", { name: "カメラを起動する" }).click();
      const cameraNote = page.locator("#redeem-camera-note[role=alert]");
      await cameraNote.waitFor();
      expect(await cameraNote.textContent()).toMatch(/カメラ/);
      expect(await page.getByRole("button", { name: "カメラを起動する" }).isEnabled()).toBe(true);
      await checkPage(page, "redeem-camera-unavailable", width);

      // The photo picker: a styled, labelled button; the browser's bare control is not shown; the keyboard works it.
      const photo = page.getByLabel("QRコードの写真");
      const pickerButton = page.locator("label.file-picker-button");
      expect(await pickerButton.textContent()).toBe("写真を選ぶ");
      expect(await pickerButton.evaluate((el) => getComputedStyle(el).display)).not.toBe("none");
      expect((await photo.boundingBox())?.width ?? 0).toBeLessThanOrEqual(1);
      expect(await page.locator("#redeem-photo-file-name").textContent()).toBe("まだ選んでいません");
      await photo.focus();
      await page.keyboard.press("Shift+Tab");
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("redeem-photo-file");
      // The focus is shown on the button the control stands for.
      expect(await pickerButton.evaluate((el) => getComputedStyle(el).outlineStyle)).toBe("solid");
      // Space activates the control, as a click does (which opens the browser's chooser; headless shows none).
      await photo.evaluate((el) => {
        el.addEventListener("click", () => el.setAttribute("data-activated", "yes"), { once: true });
      });
      await page.keyboard.press("Space");
      await page.locator("#redeem-photo-file[data-activated=yes]").waitFor({ state: "attached" });
      // A photo without a QR code.
      await photo.setInputFiles({
        name: "heading.png",
        mimeType: "image/png",
        buffer: await page.locator("h1").screenshot(),
      });
      await page.getByText("この画像からはQRコードを読み取れませんでした").waitFor();
      expect(await photo.getAttribute("aria-invalid")).toBe("true");
      expect(await page.locator("#redeem-photo-file-name").textContent()).toBe("選んだ画像：heading.png");
      await checkPage(page, "redeem-photo-no-qr", width);

      // A PNG of the voucher's QR code.
      const png = await QRCode.toBuffer(c.qrPayload, { errorCorrectionLevel: "M", margin: 4, scale: 6 });
      await photo.setInputFiles({ name: "voucher.png", mimeType: "image/png", buffer: png });
      const voucherHeading = page.locator("#redeem-voucher");
      await voucherHeading.waitFor();
      await page.waitForFunction(() => document.activeElement?.id === "redeem-voucher");
      const result = page.locator(".redeem-result");
      expect(((await result.locator(".voucher-number").textContent()) ?? "").trim()).toBe(c.voucher.number);
      const facts = (await result.locator(".voucher").textContent()) ?? "";
      expect(facts).toContain(c.residentName);
      expect(facts).toContain("仙台市");
      // Each balance in the municipality's own count, as on her voucher card: 仙台市 counts a stay's days (日分).
      const left = (type: string) =>
        result.locator(".balances li").filter({ hasText: type }).locator(".balance-left").textContent();
      expect(await left("宿泊型")).toMatch(/^残り [0-9]+ \/ [0-9]+日分$/);
      expect(await left("デイサービス型")).toMatch(/^残り [0-9]+ \/ [0-9]+回$/);
      const card = page.locator(`article.redeem-booking[data-booking-id="${c.booking.id}"]`);
      await card.waitFor();
      expect(await card.locator(".copay").textContent()).toContain(`自己負担額 ${copay}`);
      expect(await card.textContent()).toContain(`第${c.booking.policyVersion?.version}版`);
      // A stay's units in the municipality's way of counting (仙台市: days), as the resident reads them.
      expect(await card.textContent()).toContain(`${c.booking.units}日分`);
      expect(await card.textContent()).toContain("予約確定");
      await checkPage(page, "redeem-found", width);

      const markUsed = card.getByRole("button", { name: "使用済にする" });
      if (phone) {
        await markUsed.click();
        await card.getByText(`使用済にしました。自己負担額 ${copay} を受け取ってください。`).waitFor();
        await page.waitForFunction((id) => document.activeElement?.id === `outcome-${id}`, c.booking.id);
        await checkPage(page, "redeem-used", width);
      } else {
        // Another desk redeems it meanwhile: pressing the button here says it had been, and changes nothing.
        const elsewhere = await facility.post(`api/bookings/${c.booking.id}/redeem`);
        expect(elsewhere.status, elsewhere.text).toBe(200);
        expect(elsewhere.json.alreadyRedeemed).toBe(false);
        await markUsed.click();
        await card.getByText("この予約はすでに使用済です。").waitFor();
        await checkPage(page, "redeem-already-by-button", width);
      }
      expect(await card.getByRole("button", { name: "使用済にする" }).count()).toBe(0);
      expect(await card.textContent()).toContain("利用済み");
      const after = await facility.get(`api/bookings/${c.booking.id}`);
      expect(after.json.status).toBe("used");

      // Typed by hand (full-width digits and hyphens on the phone): the booking is already used.
      const field = page.getByLabel("利用券番号");
      await field.fill(phone ? fullWidth(c.voucher.number) : c.voucher.number);
      await page.getByRole("button", { name: "照会する" }).click();
      await page.waitForFunction(() => document.activeElement?.id === "redeem-voucher");
      const again = page.locator(`article.redeem-booking[data-booking-id="${c.booking.id}"]`);
      await again.getByText("この予約はすでに使用済です。").waitFor();
      expect(await again.getByRole("button", { name: "使用済にする" }).count()).toBe(0);
      expect(await again.locator(".copay").textContent()).toContain(`自己負担額 ${copay}`);
      await checkPage(page, "redeem-already", width);

      // A refusal: a wrong check digit (phone), a revoked voucher (desktop).
      let expected: string;
      if (phone) {
        await field.fill(wrongCheckDigit(c.voucher.number));
        expected = "確認用の数字が合いません";
      } else {
        const revoked = await sendai.post(`api/vouchers/${c.voucher.id}/revoke`, {
          reason: "テスト：転出のため",
        });
        expect(revoked.status, revoked.text).toBe(200);
        await field.fill(c.voucher.number);
        expected = "この利用券は無効になっています";
      }
      await page.getByRole("button", { name: "照会する" }).click();
      const refusal = page.locator("section[aria-labelledby=redeem-manual] #redeem-problem[role=alert]");
      await refusal.waitFor();
      expect(await refusal.textContent()).toContain(expected);
      expect(await page.locator(".redeem-result").count()).toBe(0);
      // Focus goes back to the number, which the refusal describes.
      await page.waitForFunction(() => document.activeElement?.id === "redeem-code");
      expect(await field.getAttribute("aria-describedby")).toContain("redeem-problem");
      await checkPage(page, "redeem-refused", width);

      // In English too.
      await page.getByRole("button", { name: "Switch to English" }).click();
      await page.locator("h1", { hasText: "Redeem a voucher" }).waitFor();
      expect(await refusal.textContent()).toContain(
        phone ? "check digit does not match" : "This voucher has been revoked",
      );
      await checkPage(page, "redeem-refused-en", width);
      await done();
    }, 120_000);

    it(`at ${width}px: the resident's vouchers page and the resident's page for staff show the use`, async () => {
      const c = cases.get(width);
      if (!c) throw new Error("the redeeming test did not run");
      if (phone) {
        const { page, done } = await open(width);
        await signInAs(page, RESIDENT);
        await page.goto(url("my/vouchers"));
        await settled(page);
        const row = page.locator(`#my-bookings-table tr[data-booking-id="${c.booking.id}"]`);
        await row.waitFor();
        const text = (await row.textContent()) ?? "";
        expect(text).toContain("利用済み");
        expect(text).toContain("（架空）青葉産婦人科病院");
        expect(text).toContain("宿泊型");
        expect(text).toContain(yen(c.booking.residentCopay));
        expect(await page.locator("#my-bookings-table caption").textContent()).toBe("予約と利用（新しい順）");
        await checkPage(page, "my-vouchers-used", width);
        await done();
      }
      const { page, done } = await open(width);
      await signInAs(page, SENDAI_STAFF);
      await page.goto(url(`residents/${c.voucher.residentId}`));
      await settled(page);
      const row = page.locator(`#resident-bookings-table tr[data-booking-id="${c.booking.id}"]`);
      await row.waitFor();
      const text = (await row.textContent()) ?? "";
      expect(text).toContain("利用済み");
      expect(text).toContain("（架空）青葉産婦人科病院");
      expect(text).toContain(phone ? "ポータル" : "職員による登録");
      await checkPage(page, "resident-detail-bookings", width);
      await done();
    }, 90_000);
  }

  // Under the hub's real Content Security Policy (the decoder is a chunk loaded on first use). The state it ends
  // in is the "already used" one checked with axe-core above; axe-core cannot be injected under the policy.
  it("at 375px with a camera showing the QR code, under the CSP: scanning finds the voucher", async () => {
    const c = cases.get(WIDTHS[0]);
    if (!c) throw new Error("the redeeming test did not run");
    const video = path.join(tmpdir(), `redeem-qr-${process.pid}.y4m`);
    await qrVideo(c.qrPayload, video);
    const camera = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        `--use-file-for-fake-video-capture=${video}`,
      ],
    });
    try {
      const helpers = portalHelpers(() => ({ browser: camera, hubUrl: t.url }));
      const { page, done } = await helpers.open(WIDTHS[0], { enforceCsp: true });
      await page.context().grantPermissions(["camera"], { origin: new URL(t.url).origin });
      await signInAs(page, FACILITY);
      await page.goto(url("facility/redeem"));
      await settled(page);
      await page.getByRole("button", { name: "カメラを起動する" }).click();
      await page.locator("#redeem-voucher").waitFor({ timeout: 20_000 });
      expect(((await page.locator(".redeem-result .voucher-number").textContent()) ?? "").trim()).toBe(
        c.voucher.number,
      );
      await page
        .locator(`article.redeem-booking[data-booking-id="${c.booking.id}"]`)
        .getByText("この予約はすでに使用済です。")
        .waitFor();
      // The camera stopped once it had read the code.
      await page.getByRole("button", { name: "カメラを起動する" }).waitFor();
      expect(await page.locator("video.redeem-video").isHidden()).toBe(true);
      await done();
    } finally {
      await camera.close();
      rmSync(video, { force: true });
    }
  }, 90_000);
});
