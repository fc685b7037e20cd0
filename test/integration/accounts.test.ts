/**
 * Issue 12, part 2: what staff expect of their accounts — change the password, reset a forgotten one by a
 * link to the registered e-mail, see and end their sessions — and an audited reset of a person's second factor
 * by the operator (anyone) or the prefecture (municipal staff). Each change e-mails the person a notice.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PASSWORD } from "../../fixtures/demo-data.js";
import { encryptSecret } from "../../hub/identity/secrets.js";
import { dispatchOutbox } from "../../hub/notify/outbox.js";
import { TestClient } from "../support/client.js";
import { startTestHub, type TestHub } from "../support/hub.js";

const NEW_PASSWORD = "quiet-harbour-lantern-42";

describe("accounts", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({
      seed: "demo",
      residents: 20,
      env: { TOTP_REQUIRED_ROLES: "operator,prefecture" },
    });
  });
  afterAll(() => t?.close());

  async function lastMessageTo(to: string) {
    await dispatchOutbox(t.hub.prisma, t.hub.transport);
    return t.hub.prisma.mailboxMessage.findFirst({ where: { to }, orderBy: { id: "desc" } });
  }
  const mailCount = (to: string) =>
    t.hub.prisma.outboxMessage.count({ where: { payload: { path: ["to"], equals: to } } });
  const sessionsOf = async (email: string) => t.hub.prisma.session.count({ where: { user: { email } } });

  /** A client signed in with the password, for roles that need no second factor here. */
  async function signedIn(email: string, password = DEMO_PASSWORD) {
    const c = new TestClient(t.url);
    await c.signIn(email, password);
    return c;
  }

  /** A verified operator or prefecture session: TOTP set up directly, then signed in with its code. */
  async function verifiedAdmin(email: string) {
    const { generate } = await import("otplib");
    const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    await t.hub.prisma.user.update({
      where: { email },
      data: {
        totpEnabled: true,
        totpSecret: encryptSecret(t.hub.config.SECRET_KEY, secret),
        totpLastStep: null,
      },
    });
    const c = await signedIn(email);
    const res = await c.post("api/auth/totp", { code: await generate({ secret }) });
    if (res.status !== 200) throw new Error(`second factor of ${email} failed: ${res.text}`);
    return c;
  }

  it("changes a password: the current one is needed, the new one must follow the rule, other sessions end", async () => {
    const email = "medical@demo.example.jp";
    const c = await signedIn(email);
    const elsewhere = await signedIn(email);
    const wrong = await c.put("api/me/password", { currentPassword: "not-it", newPassword: NEW_PASSWORD });
    expect(wrong.status).toBe(422);
    expect(wrong.json.code).toBe("wrong_password");
    for (const [newPassword, code] of [
      ["short-one", "too_short"],
      ["password1234", "common"],
      ["medical-staff-2027", "contains_email"],
    ]) {
      const weak = await c.put("api/me/password", { currentPassword: DEMO_PASSWORD, newPassword });
      expect(weak.status, newPassword).toBe(422);
      expect(weak.json.code).toBe("weak_password");
      expect(
        weak.json.errors.map((e: { code: string }) => e.code),
        newPassword,
      ).toContain(code);
    }
    const changed = await c.put("api/me/password", {
      currentPassword: DEMO_PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    expect(changed.status).toBe(204);
    expect((await c.get("api/me")).status).toBe(200);
    expect((await elsewhere.get("api/me")).status).toBe(401);
    expect((await lastMessageTo(email))?.subject).toContain("パスワードが変更されました");
    const old = await new TestClient(t.url).post("api/auth/sign-in", { email, password: DEMO_PASSWORD });
    expect(old.status).toBe(401);
    await signedIn(email, NEW_PASSWORD);
    const audit = await t.hub.prisma.auditLog.findMany({ where: { action: "account.password_change" } });
    expect(audit.map((a) => a.outcome).sort()).toEqual(["denied", "ok"]);
    expect(JSON.stringify(audit, (_k, v) => (typeof v === "bigint" ? String(v) : v))).not.toContain(
      NEW_PASSWORD,
    );
    await t.hub.limits.signInPerAddress.delete("127.0.0.1");
  });

  it("resets a forgotten password by a single-use link to the registered e-mail, ending every session", async () => {
    const email = "facility2@demo.example.jp";
    const before = await signedIn(email);
    const request = (address: string) =>
      new TestClient(t.url).post("api/auth/password-reset", { email: address });

    // Unknown addresses and resident accounts get the same answer, and nothing is sent.
    const unknown = await request("nobody@demo.example.jp");
    expect(unknown.status).toBe(202);
    const residentMails = await mailCount("resident@demo.example.jp");
    const resident = await request("resident@demo.example.jp");
    expect(resident.status).toBe(202);
    expect(resident.json).toEqual(unknown.json);
    expect(await mailCount("nobody@demo.example.jp")).toBe(0);
    expect(await mailCount("resident@demo.example.jp")).toBe(residentMails);

    const res = await request("Facility2@Demo.Example.JP");
    expect(res.status).toBe(202);
    expect(res.json).toEqual(unknown.json);
    const mail = await lastMessageTo(email);
    expect(mail?.subject).toContain("パスワードの再設定");
    const token = /reset-password#token=([A-Za-z0-9_-]+)/.exec(mail?.body ?? "")?.[1] ?? "";
    expect(token.length).toBeGreaterThan(30);
    expect(JSON.stringify(await t.hub.prisma.accountToken.findMany())).not.toContain(token);

    const complete = (body: Record<string, string>) =>
      new TestClient(t.url).post("api/auth/password-reset/complete", body);
    expect((await complete({ token: `${token}x`, newPassword: NEW_PASSWORD })).json.code).toBe(
      "invalid_token",
    );
    // A weak password is refused without spending the link.
    expect((await complete({ token, newPassword: "password1234" })).json.code).toBe("weak_password");
    expect((await complete({ token, newPassword: NEW_PASSWORD })).status).toBe(204);
    expect((await complete({ token, newPassword: `${NEW_PASSWORD}!` })).json.code).toBe("invalid_token");
    expect((await before.get("api/me")).status).toBe(401);
    expect(await sessionsOf(email)).toBe(0);
    expect((await lastMessageTo(email))?.subject).toContain("パスワードが再設定されました");
    await signedIn(email, NEW_PASSWORD);
    // A newer link retires an older one.
    await request(email);
    const first = /token=([A-Za-z0-9_-]+)/.exec((await lastMessageTo(email))?.body ?? "")?.[1] ?? "";
    await request(email);
    expect((await complete({ token: first, newPassword: NEW_PASSWORD })).json.code).toBe("invalid_token");
    await t.hub.limits.codeRequestPerAddress.delete("127.0.0.1");
    await t.hub.limits.signInPerAddress.delete("127.0.0.1");
  });

  it("lists one's sessions, ends one, and signs out everywhere else with a notice", async () => {
    const email = "midwife@demo.example.jp";
    const a = await signedIn(email);
    const b = await signedIn(email);
    const c = await signedIn(email);
    const list = await a.get("api/me/sessions");
    expect(list.status).toBe(200);
    expect(list.json.items).toHaveLength(3);
    expect(list.json.items.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    expect(list.json.items[0]).toMatchObject({ ip: "127.0.0.1", verified: true });
    expect(JSON.stringify(list.json)).not.toContain(a.sessionToken());

    const bId = (await b.get("api/me/sessions")).json.items.find((s: { current: boolean }) => s.current).id;
    // Someone else's session is not found, whoever asks.
    const stranger = await signedIn("medical@demo.example.jp", NEW_PASSWORD);
    expect((await stranger.delete(`api/me/sessions/${bId}`)).status).toBe(404);
    expect((await a.delete(`api/me/sessions/${bId}`)).status).toBe(204);
    expect((await b.get("api/me")).status).toBe(401);

    const ended = await a.post("api/me/sessions/end-others");
    expect(ended.json).toEqual({ ended: 1 });
    expect((await c.get("api/me")).status).toBe(401);
    expect((await a.get("api/me")).status).toBe(200);
    expect((await lastMessageTo(email))?.subject).toContain("ほかのセッションを終了しました");
  });

  it("lets the operator reset anyone's second factor and the prefecture municipal staff's, audited and announced", async () => {
    const sendai = await t.hub.prisma.user.update({
      where: { email: "sendai@demo.example.jp" },
      data: { totpEnabled: true, totpSecret: encryptSecret(t.hub.config.SECRET_KEY, "JBSWY3DPEHPK3PXP") },
    });
    await t.hub.prisma.recoveryCode.create({ data: { userId: sendai.id, codeHash: "x".repeat(64) } });
    const sendaiSession = await signedIn("sendai@demo.example.jp");
    const facility = await t.hub.prisma.user.findUniqueOrThrow({
      where: { email: "facility@demo.example.jp" },
    });

    const prefecture = await verifiedAdmin("prefecture@demo.example.jp");
    const operator = await verifiedAdmin("operator@demo.example.jp");

    const listed = await prefecture.get("api/staff-accounts");
    expect(listed.status).toBe(200);
    expect(new Set(listed.json.items.map((u: { role: string }) => u.role))).toEqual(
      new Set(["municipality"]),
    );
    expect(listed.json.items.find((u: { id: string }) => u.id === sendai.id)).toMatchObject({
      totpEnabled: true,
      recoveryCodesRemaining: 1,
      tenantName: "仙台市",
    });
    const all = await operator.get("api/staff-accounts?limit=200");
    expect(all.json.items.map((u: { role: string }) => u.role)).toEqual(
      expect.arrayContaining(["facility", "municipality", "association", "prefecture"]),
    );
    expect(all.json.items.some((u: { role: string }) => u.role === "resident")).toBe(false);

    const reset = (c: TestClient, id: string) =>
      c.post(`api/staff-accounts/${id}/second-factor/reset`, { reason: "lost phone (ticket Q-000123)" });
    expect((await reset(prefecture, facility.id)).status).toBe(404);
    const operatorId = (await operator.get("api/me")).json.id;
    expect((await reset(operator, operatorId)).status).toBe(404);
    expect((await (await signedIn("facility@demo.example.jp")).get("api/staff-accounts")).status).toBe(403);

    expect((await reset(prefecture, sendai.id)).status).toBe(204);
    const after = await t.hub.prisma.user.findUniqueOrThrow({ where: { id: sendai.id } });
    expect(after).toMatchObject({ totpEnabled: false, totpSecret: null, totpPendingSecret: null });
    expect(await t.hub.prisma.recoveryCode.count({ where: { userId: sendai.id } })).toBe(0);
    expect((await sendaiSession.get("api/me")).status).toBe(401);
    const mail = await lastMessageTo("sendai@demo.example.jp");
    expect(mail?.subject).toContain("2段階認証がリセットされました");
    expect(mail?.body).toContain("宮城県");
    const entry = await t.hub.prisma.auditLog.findFirst({
      where: { action: "account.second_factor_reset", outcome: "ok" },
    });
    expect(entry).toMatchObject({ actorRole: "prefecture", resourceId: sendai.id });
    expect(entry?.detail).toMatchObject({ reason: "lost phone (ticket Q-000123)" });

    expect((await reset(operator, facility.id)).status).toBe(204);
  });
});
