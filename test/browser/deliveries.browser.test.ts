/**
 * 通知の送信履歴 in Chromium: 仙台市 staff open it from the menu and see their residents' deliveries (masked
 * destinations, no texts), one refused and one waiting to be retried, filter to failures, read it in English;
 * a facility sees only its own. axe-core at 375 and 1280 px.
 *
 * Always starts its own hub; needs `npm run build` first.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeliveryError } from "../../hub/notify/errors.js";
import { dispatchOutbox, enqueueMessage } from "../../hub/notify/outbox.js";
import type { Message, Transport } from "../../hub/notify/transport.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { DEMO_USERS } from "../support/sessions.js";
import {
  checkPage,
  hasChromium,
  launchBrowser,
  openMenu,
  portalHelpers,
  requirePortalBuild,
  settled,
} from "./support.js";

const SENDAI = "041009";

describe.skipIf(!hasChromium)("staff: the delivery log", () => {
  let browser: Browser;
  let t: TestHub;
  const { url, open, signInAsStaff } = portalHelpers(() => ({ browser, hubUrl: t.url }));

  beforeAll(async () => {
    requirePortalBuild();
    t = await startTestHub({ seed: "demo", residents: 20 });
    browser = await launchBrowser();
    const p = t.hub.prisma;
    const user = (email: string) => p.user.findUniqueOrThrow({ where: { email } });
    const facilityId = (await user(DEMO_USERS.facility.own)).facilityId as string;
    const residentId = (await user(DEMO_USERS.resident.own)).residentId as string;
    const about = { residentId, municipalityCode: SENDAI };
    const messages: Message[] = [
      {
        channel: "email",
        to: "sendai.mother@example.jp",
        subject: "【産後ケア】予約が確定しました",
        text: "秘密の本文",
        about: { ...about, facilityId },
      },
      { channel: "sms", to: "090-5550-1234", text: "秘密のSMS本文", about },
      {
        channel: "email",
        to: "bounce@example.jp",
        subject: "【産後ケア】利用券を発行しました",
        text: "本文",
        about,
      },
      {
        channel: "email",
        to: "later@example.jp",
        subject: "【産後ケア】予約が取り消されました",
        text: "本文",
        about,
      },
      // Another municipality's resident: not shown to 仙台市.
      {
        channel: "email",
        to: "natori@example.jp",
        subject: "名取市の通知",
        text: "本文",
        about: { municipalityCode: "042072" },
      },
    ];
    await p.$transaction(async (tx) => {
      for (const m of messages) await enqueueMessage(tx, m);
    });
    const flaky: Transport = {
      send: (m, ctx) => {
        if (m.to.startsWith("bounce@")) {
          return Promise.reject(
            new DeliveryError("SMTP 550: <bounce@example.jp> no such user", { permanent: true }),
          );
        }
        if (m.to.startsWith("later@")) return Promise.reject(new DeliveryError("SMTP 451: try again later"));
        return t.hub.transport.send(m, ctx);
      },
    };
    expect(await dispatchOutbox(p, flaky)).toMatchObject({ sent: 3, gaveUp: 1, retrying: 1 });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, 60_000);

  it("municipality staff read their residents' deliveries, filter them, in Japanese and English", async () => {
    const { page, done } = await open(375);
    await signInAsStaff(page, DEMO_USERS.municipality.own);
    await openMenu(page);
    await page.getByRole("link", { name: "送信履歴", exact: true }).click();
    await page.waitForURL(/\/deliveries$/);
    await settled(page);
    expect(await page.locator("h1").textContent()).toBe("通知の送信履歴");
    const table = page.locator("#deliveries-table");
    await table.waitFor();
    expect(await table.locator("caption").textContent()).toBe("通知の送信履歴（新しい順）");
    expect(await table.locator("tbody tr").count()).toBe(4);
    const text = (await page.locator("main").textContent()) ?? "";
    expect(text).toContain("se****@example.jp");
    expect(text).toContain("090-****-1234");
    expect(text).toContain("送信を中止しました");
    expect(text).toContain("再送を待っています");
    for (const secret of ["sendai.mother@", "5550-1234", "秘密", "名取市の通知", "bounce@"]) {
      expect(text).not.toContain(secret);
    }
    await checkPage(page, "deliveries", 375);

    // Only the failures.
    await page.getByLabel("結果", { exact: true }).selectOption("failed");
    await page.getByRole("button", { name: "絞り込む" }).click();
    await page.waitForURL(/status=failed/);
    await page.getByText("2件の記録があります。").waitFor();
    expect(await table.locator("tbody tr").count()).toBe(2);
    const failed = (await table.textContent()) ?? "";
    expect(failed).toContain("bo****@example.jp");
    expect(failed).toContain("SMTP 550");
    expect(failed).not.toContain("090-****-1234");
    await checkPage(page, "deliveries-failed", 375);

    // An end date before the start date is pointed out at the field.
    await page.getByLabel("開始日").fill("2026-12-10");
    await page.getByLabel("終了日").fill("2026-12-01");
    await page.getByRole("button", { name: "絞り込む" }).click();
    await page.getByText("終了日は開始日以降にしてください。").waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("field-to");
    await checkPage(page, "deliveries-range-error", 375);

    await page.goto(url("deliveries"));
    await settled(page);
    await page.getByRole("button", { name: "Switch to English" }).click();
    await page.getByRole("heading", { level: 1, name: "Notification deliveries" }).waitFor();
    await page.getByText("4 entries.").waitFor();
    expect(await page.locator("#deliveries-table caption").textContent()).toBe(
      "Notification deliveries (newest first)",
    );
    await checkPage(page, "deliveries-en", 375);
    await done();
  }, 120_000);

  it("a facility sees only its own, on a wide screen", async () => {
    const { page, done } = await open(1280);
    await signInAsStaff(page, DEMO_USERS.facility.own);
    await page.getByRole("link", { name: "送信履歴", exact: true }).click();
    await page.waitForURL(/\/deliveries$/);
    await settled(page);
    await page.getByText("1件の記録があります。").waitFor();
    expect(await page.locator("#deliveries-table tbody tr").count()).toBe(1);
    await expect(page.locator("#deliveries-table").textContent()).resolves.toContain("予約が確定しました");
    await checkPage(page, "deliveries-facility", 1280);
    await done();
  }, 90_000);

  it("is not offered to the operator", async () => {
    const { page, done } = await open(1280);
    await signInAsStaff(page, DEMO_USERS.operator.own);
    expect(await page.getByRole("link", { name: "送信履歴", exact: true }).count()).toBe(0);
    await page.goto(url("deliveries"));
    await settled(page);
    await page.locator("main [role=alert]").waitFor();
    await checkPage(page, "deliveries-operator", 1280);
    await done();
  }, 90_000);
});
