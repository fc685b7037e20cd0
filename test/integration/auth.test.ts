import { generate } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from "../../fixtures/demo-data.js";
import { hashPassword } from "../../hub/identity/passwords.js";
import { encryptSecret } from "../../hub/identity/secrets.js";
import { accountKey } from "../../hub/identity/staff-auth.js";
import { dispatchOutbox } from "../../hub/notify/outbox.js";
import { TestClient } from "../support/client.js";
import { startTestHub, type TestHub } from "../support/hub.js";

const SENDAI = "041009";
const account = (email: string) => {
  const a = DEMO_ACCOUNTS.find((x) => x.email === email);
  if (!a) throw new Error(`no demo account ${email}`);
  return a;
};

async function start(env?: Record<string, string>): Promise<TestHub> {
  return startTestHub({ seed: "demo", residents: 50, env });
}

/** The newest message the local mailbox holds for `to`, after dispatching the outbox. */
async function lastMessageTo(t: TestHub, to: string) {
  await dispatchOutbox(t.hub.prisma, t.hub.transport);
  return t.hub.prisma.mailboxMessage.findFirst({ where: { to }, orderBy: { id: "desc" } });
}

const codeIn = (body: string | undefined) => /(?<![0-9])([0-9]{6})(?![0-9])/.exec(body ?? "")?.[1] ?? "";
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

/** JSON of database rows (audit ids are BigInt), to check that no secret ended up in them. */
const text = (rows: unknown) => JSON.stringify(rows, (_k, v) => (typeof v === "bigint" ? v.toString() : v));

async function auditEntries(t: TestHub, action: string) {
  return t.hub.prisma.auditLog.findMany({ where: { action }, orderBy: { id: "asc" } });
}

describe("with the default configuration", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await start();
  });
  afterAll(() => t?.close());

  describe("staff sign-in, sessions, CSRF and LGWAN", () => {
    it("signs staff in with a hardened session cookie and answers who they are", async () => {
      const c = new TestClient(t.url);
      const res = await c.post("api/auth/sign-in", {
        email: "sendai@demo.example.jp",
        password: DEMO_PASSWORD,
      });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({
        role: "municipality",
        email: "sendai@demo.example.jp",
        municipalityCode: SENDAI,
        tenantName: "仙台市",
        verified: true,
        totpEnabled: false,
      });
      expect(res.json.csrfToken).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      const cookie = res.headers.getSetCookie().find((s) => s.startsWith("sango_session="));
      expect(cookie).toMatch(/httponly/i);
      expect(cookie).toMatch(/samesite=lax/i);
      expect(cookie).toMatch(/path=\//i);
      expect(cookie).not.toMatch(/secure/i); // COOKIE_SECURE=false in tests

      c.csrfToken = res.json.csrfToken;
      const me = await c.get("api/me");
      expect(me.status).toBe(200);
      expect(me.json.id).toBe(res.json.id);
      expect(me.json.csrfToken).toBe(res.json.csrfToken);

      const [entry] = (await auditEntries(t, "auth.sign_in")).filter(
        (e) => e.actorId === res.json.id && e.outcome === "ok",
      );
      expect(entry).toMatchObject({
        actorRole: "municipality",
        tenant: `municipality:${SENDAI}`,
        ip: "127.0.0.1",
      });
      expect(entry?.detail).toMatchObject({ email: "sendai@demo.example.jp" });
    });

    it("answers the same 401 for a wrong password, an unknown user and a resident account, and audits each", async () => {
      const c = new TestClient(t.url);
      const attempts = [
        { email: "medical@demo.example.jp", password: "not-the-password" },
        { email: "nobody@demo.example.jp", password: DEMO_PASSWORD },
        { email: "resident@demo.example.jp", password: DEMO_PASSWORD },
      ];
      for (const body of attempts) {
        const res = await c.post("api/auth/sign-in", body);
        expect(res.status, body.email).toBe(401);
        expect(res.headers.get("content-type")).toMatch(/problem\+json/);
        expect(res.json.code).toBe("invalid_credentials");
        expect(res.headers.getSetCookie()).toEqual([]);
      }
      const denied = (await auditEntries(t, "auth.sign_in")).filter((e) => e.outcome === "denied");
      for (const { email } of attempts) {
        expect(
          denied.some((e) => (e.detail as { email?: string }).email === email),
          email,
        ).toBe(true);
      }
      const all = text(await t.hub.prisma.auditLog.findMany());
      expect(all).not.toContain("not-the-password");
      expect(all).not.toContain(DEMO_PASSWORD);
      // Clean slate for the per-address limit tested below.
      await t.hub.limits.signInPerAddress.delete("127.0.0.1");
    });

    it("slows an account down with growing waits instead of locking it: wrong, unknown and throttled answer alike, and the person is e-mailed once", async () => {
      // Changed by design (issue 12, part 5): no 423 and no 15-minute lock anyone could trigger; the 5th failure
      // from one address brings in a 30 s wait (then 1, 2, 4 … up to 15 minutes), during which even the right
      // password gets the same 401 as a wrong one or an unknown account.
      const email = "facility2@demo.example.jp";
      const c = new TestClient(t.url);
      const unknown = await c.post("api/auth/sign-in", {
        email: "nobody-here@demo.example.jp",
        password: "x",
      });
      const notices = () =>
        t.hub.prisma.outboxMessage.count({
          where: { payload: { path: ["subject"], string_contains: "サインインの失敗が続いています" } },
        });
      const noticesBefore = await notices();
      for (let i = 1; i <= 5; i++) {
        const res = await c.post("api/auth/sign-in", { email, password: `wrong-${i}` });
        expect(res.status).toBe(401);
        expect(res.json).toEqual(unknown.json);
      }
      const pair = `${accountKey(t.hub.config.SECRET_KEY, email, email)}:127.0.0.1`;
      const wait = await t.hub.limits.signInPerAccountAndAddress.waitMs(pair);
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(30_000);
      const right = await c.post("api/auth/sign-in", { email, password: DEMO_PASSWORD });
      expect(right.status).toBe(401);
      expect(right.json).toEqual(unknown.json);
      expect(right.headers.getSetCookie()).toEqual([]);
      // An unknown address is slowed down exactly the same, so the answers cannot tell accounts apart.
      const ghost = "ghost-account@demo.example.jp";
      for (let i = 1; i <= 6; i++) {
        const res = await c.post("api/auth/sign-in", { email: ghost, password: `wrong-${i}` });
        expect(res.status).toBe(401);
        expect(res.json).toEqual(unknown.json);
      }
      expect(
        await t.hub.limits.signInPerAccountAndAddress.waitMs(
          `${accountKey(t.hub.config.SECRET_KEY, ghost, ghost)}:127.0.0.1`,
        ),
      ).toBeGreaterThan(0);
      // One e-mail to the person for the episode, however many tries follow.
      expect(await notices()).toBe(noticesBefore + 1);
      const notice = await lastMessageTo(t, email);
      expect(notice?.subject).toContain("サインインの失敗が続いています");
      expect(notice?.body).toContain("アカウントはロックされていません");
      const throttled = (await auditEntries(t, "auth.sign_in")).filter(
        (e) => (e.detail as { reason?: string }).reason === "throttled",
      );
      expect(throttled.length).toBeGreaterThanOrEqual(1);

      // Once the wait has passed (here: the throttle forgotten), the right password works and clears the count.
      await t.hub.limits.signInPerAccountAndAddress.delete(pair);
      expect((await c.post("api/auth/sign-in", { email, password: DEMO_PASSWORD })).status).toBe(200);
      expect(await t.hub.limits.signInPerAccountAndAddress.waitMs(pair)).toBe(0);
      await t.hub.limits.signInPerAddress.delete("127.0.0.1");
    });

    it("throttles failed sign-ins per address (429), without counting successful ones", async () => {
      const c = new TestClient(t.url);
      for (let i = 0; i < 35; i++) await c.signIn("sendai@demo.example.jp"); // successes do not count
      let status = 0;
      let failures = 0;
      while (failures < 40) {
        const res = await c.post("api/auth/sign-in", {
          email: `guess${failures}@demo.example.jp`,
          password: "x",
        });
        status = res.status;
        if (status !== 401) break;
        failures++;
      }
      expect(status).toBe(429);
      expect(failures).toBe(30);
      const blocked = await new TestClient(t.url).post("api/auth/sign-in", {
        email: "sendai@demo.example.jp",
        password: DEMO_PASSWORD,
      });
      expect(blocked.status).toBe(429);
      expect(blocked.json.code).toBe("rate_limited");
      expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
      await t.hub.limits.signInPerAddress.delete("127.0.0.1");
    });

    it("refuses a write without the session's X-CSRF-Token (403 csrf_failed)", async () => {
      const c = new TestClient(t.url);
      await c.signIn("sendai@demo.example.jp");
      const path = `api/municipalities/${SENDAI}/network`;
      const missing = await c.request("PUT", path, { allowedCidrs: [] }, { "x-csrf-token": "" });
      expect(missing.status).toBe(403);
      expect(missing.json.code).toBe("csrf_failed");
      const forged = await c.request("PUT", path, { allowedCidrs: [] }, { "x-csrf-token": "forged" });
      expect(forged.json.code).toBe("csrf_failed");
      expect((await c.put(path, { allowedCidrs: [] })).status).toBe(200);
    });

    it("signs out: the session ends and the cookie is cleared", async () => {
      const c = new TestClient(t.url);
      const me = await c.signIn("medical@demo.example.jp");
      const sessions = () => t.hub.prisma.session.count({ where: { userId: me.id } });
      const before = await sessions();
      const res = await c.post("api/auth/sign-out");
      expect(res.status).toBe(204);
      expect(res.headers.getSetCookie().join()).toMatch(/sango_session=;.*expires=Thu, 01 Jan 1970/i);
      expect(await sessions()).toBe(before - 1);
      expect((await c.get("api/me")).status).toBe(401);
    });

    it("lets a municipality restrict its staff to its networks (LGWAN)", async () => {
      const sendai = new TestClient(t.url);
      await sendai.signIn("sendai@demo.example.jp");
      const natori = new TestClient(t.url);
      await natori.signIn("natori@demo.example.jp");
      const prefecture = new TestClient(t.url);
      await prefecture.signIn("prefecture@demo.example.jp");
      const path = `api/municipalities/${SENDAI}/network`;

      expect((await sendai.get(path)).json).toEqual({ allowedCidrs: [] });

      const invalid = await sendai.put(path, {
        allowedCidrs: ["10.0.0.0/8", "not-a-network", "10.0.0.0/33"],
      });
      expect(invalid.status).toBe(422);
      expect(invalid.json.code).toBe("invalid_cidr");
      expect(invalid.json.errors.map((e: { path: string }) => e.path)).toEqual([
        "/allowedCidrs/1",
        "/allowedCidrs/2",
      ]);

      const lockout = await sendai.put(path, { allowedCidrs: ["10.0.0.0/8"] });
      expect(lockout.status).toBe(422);
      expect(lockout.json.code).toBe("would_lock_out");

      const saved = await sendai.put(path, { allowedCidrs: ["127.0.0.1/32", "10.0.0.0/8"] });
      expect(saved.status).toBe(200);
      expect(saved.json).toEqual({ allowedCidrs: ["127.0.0.1/32", "10.0.0.0/8"] });
      expect((await prefecture.get(path)).json).toEqual({ allowedCidrs: ["127.0.0.1/32", "10.0.0.0/8"] });
      expect((await natori.get(path)).status).toBe(403);
      expect((await natori.put(path, { allowedCidrs: [] })).status).toBe(403);
      expect((await prefecture.put(path, { allowedCidrs: [] })).status).toBe(403);

      // Inside the list: sign-in works.
      expect(
        (
          await new TestClient(t.url).post("api/auth/sign-in", {
            email: "sendai@demo.example.jp",
            password: DEMO_PASSWORD,
          })
        ).status,
      ).toBe(200);

      // A list without this address (the API refuses to save one, so write it directly).
      await t.hub.prisma.municipality.update({
        where: { code: SENDAI },
        data: { allowedCidrs: ["10.0.0.0/8"] },
      });
      t.hub.networks.forget(SENDAI);
      const refused = await new TestClient(t.url).post("api/auth/sign-in", {
        email: "sendai@demo.example.jp",
        password: DEMO_PASSWORD,
      });
      expect(refused.status).toBe(403);
      expect(refused.json.code).toBe("network_not_allowed");
      expect(refused.headers.getSetCookie()).toEqual([]);
      // Without trusted proxies a forwarded address is ignored.
      const forwarded = await new TestClient(t.url).post(
        "api/auth/sign-in",
        { email: "sendai@demo.example.jp", password: DEMO_PASSWORD },
        { "x-forwarded-for": "10.1.2.3" },
      );
      expect(forwarded.status).toBe(403);
      // A session from before the change is refused too; other municipalities are unaffected.
      expect((await sendai.get("api/me")).json.code).toBe("network_not_allowed");
      expect((await natori.get("api/me")).status).toBe(200);
      const denied = (await auditEntries(t, "auth.sign_in")).filter(
        (e) => (e.detail as { reason?: string }).reason === "network_not_allowed",
      );
      expect(denied.length).toBe(2);
      expect(denied[0]).toMatchObject({
        outcome: "denied",
        ip: "127.0.0.1",
        tenant: `municipality:${SENDAI}`,
      });

      await t.hub.prisma.municipality.update({ where: { code: SENDAI }, data: { allowedCidrs: [] } });
      t.hub.networks.forget(SENDAI);
    });
  });

  describe("resident sign-in with a one-time code", () => {
    const request = (destination: string) =>
      new TestClient(t.url).post("api/auth/resident/code", { destination });

    it("sends a code by e-mail through the outbox and signs the resident in with it", async () => {
      const demo = account("resident@demo.example.jp");
      const outboxBefore = await t.hub.prisma.outboxMessage.count();
      const res = await request("Resident@Demo.Example.JP");
      expect(res.status).toBe(202);
      expect(res.json).toEqual({ expiresInSeconds: 600 });
      expect(await t.hub.prisma.outboxMessage.count()).toBe(outboxBefore + 1);

      const mail = await lastMessageTo(t, "resident@demo.example.jp");
      expect(mail?.channel).toBe("email");
      expect(mail?.subject).toContain("確認コード");
      const code = codeIn(mail?.body);
      expect(code).toMatch(/^[0-9]{6}$/);
      expect(mail?.body).toMatch(/有効期限は [0-9]{2}:[0-9]{2} まで/);
      const stored = await t.hub.prisma.signInCode.findMany();
      expect(JSON.stringify(stored)).not.toContain(code);

      const c = new TestClient(t.url);
      const signedIn = await c.post("api/auth/resident/verify", {
        destination: "resident@demo.example.jp",
        code,
      });
      expect(signedIn.status).toBe(200);
      expect(signedIn.json).toMatchObject({
        role: "resident",
        residentId: demo.residentId,
        verified: true,
        tenantName: "仙台市",
      });
      c.csrfToken = signedIn.json.csrfToken;
      const me = await c.get("api/me");
      expect(me.status).toBe(200);
      expect(me.json.residentId).toBe(demo.residentId);
      expect((await c.get(`api/residents/${demo.residentId}`)).status).toBe(200);

      // A code works once.
      const reuse = await new TestClient(t.url).post("api/auth/resident/verify", {
        destination: "resident@demo.example.jp",
        code,
      });
      expect(reuse.status).toBe(401);
      expect(reuse.json.code).toBe("invalid_code");

      const ok = await t.hub.prisma.auditLog.findFirst({
        where: { action: "auth.sign_in", actorId: me.json.id, outcome: "ok" },
      });
      expect(ok).toMatchObject({ actorRole: "resident", tenant: `resident:${demo.residentId}` });
      expect(text(await t.hub.prisma.auditLog.findMany())).not.toContain(code);
    });

    it("sends by SMS to a mobile number however it is typed, creating the resident's account", async () => {
      const resident = await t.hub.prisma.resident.findFirstOrThrow({
        where: { user: null, phone: { not: null }, municipalityCode: { not: SENDAI } },
        include: { municipality: true },
      });
      const digits = (resident.phone ?? "").replace(/\D/g, "");
      const typed = `+81 ${digits.slice(1, 3)} ${digits.slice(3, 7)} ${digits.slice(7)}`;
      expect((await request(typed)).status).toBe(202);
      const user = await t.hub.prisma.user.findUniqueOrThrow({ where: { residentId: resident.id } });
      expect(user).toMatchObject({
        role: "resident",
        passwordHash: null,
        email: resident.email?.toLowerCase() ?? null,
      });

      const sms = await lastMessageTo(t, `+81${digits.slice(1)}`);
      expect(sms?.channel).toBe("sms");
      const code = codeIn(sms?.body);
      const c = new TestClient(t.url);
      const res = await c.post("api/auth/resident/verify", { destination: resident.phone, code });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({
        id: user.id,
        residentId: resident.id,
        tenantName: resident.municipality.name,
      });
    });

    it("burns a code after 5 wrong tries", async () => {
      const resident = await t.hub.prisma.resident.findFirstOrThrow({
        where: { user: null, email: { not: null } },
      });
      const email = resident.email ?? "";
      expect((await request(email)).status).toBe(202);
      const code = codeIn((await lastMessageTo(t, email))?.body);
      const c = new TestClient(t.url);
      for (let i = 0; i < 5; i++) {
        const res = await c.post("api/auth/resident/verify", { destination: email, code: wrong(code) });
        expect(res.status).toBe(401);
        expect(res.json.code).toBe("invalid_code");
      }
      const burned = await c.post("api/auth/resident/verify", { destination: email, code });
      expect(burned.status).toBe(401);
      expect(burned.json.code).toBe("invalid_code");

      // A new code works, and only the newest one counts.
      expect((await request(email)).status).toBe(202);
      const fresh = codeIn((await lastMessageTo(t, email))?.body);
      expect((await c.post("api/auth/resident/verify", { destination: email, code: fresh })).status).toBe(
        200,
      );
      await t.hub.limits.signInPerAddress.delete("127.0.0.1");
    });

    it("writes English too for residents who prefer it", async () => {
      const resident = await t.hub.prisma.resident.findFirstOrThrow({
        where: { user: null, email: { not: null } },
      });
      await t.hub.prisma.resident.update({ where: { id: resident.id }, data: { preferredLanguage: "en" } });
      expect((await request(resident.email ?? "")).status).toBe(202);
      const mail = await lastMessageTo(t, resident.email?.toLowerCase() ?? "");
      expect(mail?.body).toContain("確認コード");
      expect(mail?.body).toContain("Your Miyagi postpartum care sign-in code is");
    });

    it("answers 202 for an unknown destination and sends nothing", async () => {
      const outbox = await t.hub.prisma.outboxMessage.count();
      const users = await t.hub.prisma.user.count();
      for (const destination of ["nobody@example.jp", "090-9999-9999"]) {
        const res = await request(destination);
        expect(res.status).toBe(202);
        expect(res.json).toEqual({ expiresInSeconds: 600 });
      }
      expect(await t.hub.prisma.outboxMessage.count()).toBe(outbox);
      expect(await t.hub.prisma.user.count()).toBe(users);
      const verify = await new TestClient(t.url).post("api/auth/resident/verify", {
        destination: "nobody@example.jp",
        code: "123456",
      });
      expect(verify.status).toBe(401);
      expect(verify.json.code).toBe("invalid_code");
    });

    it("refuses something that is neither an e-mail address nor a mobile number", async () => {
      const res = await request("022-555-0101");
      expect(res.status).toBe(400);
      expect(res.json.errors[0].path).toBe("/destination");
    });

    it("limits code requests per destination and per address (429)", async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await request("Flood.Target@example.jp")).status);
      expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
      const spelledDifferently = await request("flood.target@EXAMPLE.jp");
      expect(spelledDifferently.status).toBe(429);
      expect(spelledDifferently.json.code).toBe("rate_limited");

      let n = 0;
      let status = 202;
      while (status === 202 && n < 40) status = (await request(`probe${n++}@example.jp`)).status;
      expect(status).toBe(429);
      await t.hub.limits.codeRequestPerAddress.delete("127.0.0.1");
      expect((await request("after.reset@example.jp")).status).toBe(202);
    });
  });
});

describe("with TOTP required for municipalities, behind a trusted proxy", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await start({ TOTP_REQUIRED_ROLES: "municipality", TRUSTED_PROXIES: "127.0.0.1" });
  });
  afterAll(() => t?.close());

  describe("TOTP as a second factor", () => {
    it("makes a role that requires TOTP enrol first, proving the registered e-mail, then asks for the code at every sign-in", async () => {
      const email = "sendai@demo.example.jp";
      const c = new TestClient(t.url);
      const first = await c.signIn(email);
      expect(first).toMatchObject({ verified: false, totpEnabled: false, secondFactorRequired: true });
      const other = new TestClient(t.url);
      await other.signIn(email);

      // An unverified session reaches only the sign-in steps.
      const refused = await c.get("api/residents");
      expect(refused.status).toBe(401);
      expect(refused.json.code).toBe("second_factor_required");
      expect((await c.get("api/me")).json.verified).toBe(false);
      expect((await c.post("api/auth/totp", { code: "123456" })).json.code).toBe("totp_not_enabled");

      // The password alone gives no secret: the set-up needs the code sent to the registered e-mail.
      expect((await c.post("api/me/totp", {})).status).toBe(400);
      expect((await c.post("api/me/totp", { emailCode: "123456" })).json.code).toBe("invalid_email_code");
      const sent = await c.post("api/me/totp/email-code");
      expect(sent.status).toBe(202);
      expect(sent.json).toEqual({ expiresInSeconds: 900 });
      const mail = await lastMessageTo(t, email);
      expect(mail?.subject).toContain("2段階認証の設定用コード");
      const emailCode = codeIn(mail?.body);
      expect(text(await t.hub.prisma.accountToken.findMany())).not.toContain(emailCode);
      expect((await c.post("api/me/totp", { emailCode: wrong(emailCode) })).status).toBe(422);
      const setup = await c.post("api/me/totp", { emailCode });
      expect(setup.status).toBe(200);
      expect(setup.json.secret).toMatch(/^[A-Z2-7]{16,}$/);
      expect(setup.json.otpauthUri).toMatch(/^otpauth:\/\/totp\//);
      expect(decodeURIComponent(setup.json.otpauthUri)).toContain("issuer=Miyagi Sango Care");
      // The e-mailed code works once.
      expect((await c.post("api/me/totp", { emailCode })).json.code).toBe("invalid_email_code");
      const stored = await t.hub.prisma.user.findUniqueOrThrow({ where: { email } });
      expect(stored.totpPendingSecret).toMatch(/^v1\./);
      expect(stored.totpPendingSecret).not.toContain(setup.json.secret);
      expect(stored).toMatchObject({ totpEnabled: false, totpSecret: null });

      const code = await generate({ secret: setup.json.secret });
      const bad = await c.put("api/me/totp", { code: wrong(code) });
      expect(bad.status).toBe(422);
      expect(bad.json.code).toBe("invalid_code");
      const confirmed = await c.put("api/me/totp", { code });
      expect(confirmed.status).toBe(200);
      expect(confirmed.json).toMatchObject({ verified: true, totpEnabled: true, recoveryCodesRemaining: 10 });
      const recoveryCodes = confirmed.json.recoveryCodes as string[];
      expect(recoveryCodes).toHaveLength(10);
      expect(new Set(recoveryCodes).size).toBe(10);
      expect(text(await t.hub.prisma.recoveryCode.findMany())).not.toContain(
        recoveryCodes[0]?.replace("-", ""),
      );
      expect((await lastMessageTo(t, email))?.subject).toContain("2段階認証が設定されました");
      expect((await c.get("api/residents")).status).toBe(200);
      expect((await c.put("api/me/totp", { code })).status).toBe(422);
      // The other session, started with the password alone, was ended.
      expect((await other.get("api/me")).status).toBe(401);

      // Next sign-in: the password alone gives an unverified session until the code is given.
      const next = new TestClient(t.url);
      expect(await next.signIn(email)).toMatchObject({ verified: false, totpEnabled: true });
      expect((await next.get("api/residents")).json.code).toBe("second_factor_required");
      // A password cannot replace the second factor.
      expect((await next.post("api/me/totp/email-code")).json.code).toBe("totp_already_enabled");
      // The code used for enrolment cannot be replayed; the next step's code (within the drift window) works.
      const replay = await next.post("api/auth/totp", { code });
      expect(replay.status).toBe(401);
      const now = await generate({ secret: setup.json.secret, epoch: Math.floor(Date.now() / 1000) + 30 });
      const wrongCode = await next.post("api/auth/totp", { code: wrong(now) });
      expect(wrongCode.status).toBe(401);
      expect(wrongCode.json.code).toBe("invalid_code");
      const verified = await next.post("api/auth/totp", { code: now });
      expect(verified.status).toBe(200);
      expect(verified.json.verified).toBe(true);
      expect((await next.get("api/residents")).status).toBe(200);

      // A recovery code instead of the app: once each, and the person is told how many remain.
      const lost = new TestClient(t.url);
      await lost.signIn(email);
      const recovered = await lost.post("api/auth/totp", { recoveryCode: recoveryCodes[0]?.toUpperCase() });
      expect(recovered.status).toBe(200);
      expect(recovered.json).toMatchObject({ verified: true, recoveryCodesRemaining: 9 });
      expect((await lastMessageTo(t, email))?.body).toContain("残りは9個");
      const again = new TestClient(t.url);
      await again.signIn(email);
      expect((await again.post("api/auth/totp", { recoveryCode: recoveryCodes[0] })).status).toBe(401);

      const failures = await t.hub.prisma.auditLog.findMany({
        where: { action: "auth.totp", outcome: "denied" },
      });
      expect(failures.length).toBeGreaterThanOrEqual(1);
      expect(text(failures)).not.toContain(wrong(now));
      await t.hub.limits.secondFactorPerAccount.delete(stored.id);
    });

    it("does not let someone who knows only the password enrol their own authenticator", async () => {
      const attacker = new TestClient(t.url);
      expect(await attacker.signIn("natori@demo.example.jp")).toMatchObject({
        verified: false,
        totpEnabled: false,
      });
      for (const body of [{}, { emailCode: "000000" }]) {
        const res = await attacker.post("api/me/totp", body);
        expect(res.status).not.toBe(200);
        expect(res.json.secret).toBeUndefined();
      }
      // Even with a code requested, guessing it is limited to 5 tries, after which the right one fails too.
      expect((await attacker.post("api/me/totp/email-code")).status).toBe(202);
      const code = codeIn((await lastMessageTo(t, "natori@demo.example.jp"))?.body);
      for (let i = 1; i <= 5; i++) {
        expect((await attacker.post("api/me/totp", { emailCode: wrong(code) })).status).toBe(422);
      }
      expect((await attacker.post("api/me/totp", { emailCode: code })).json.code).toBe("invalid_email_code");
      const user = await t.hub.prisma.user.findUniqueOrThrow({ where: { email: "natori@demo.example.jp" } });
      expect(user).toMatchObject({ totpEnabled: false, totpPendingSecret: null });
    });

    it("does not ask roles outside TOTP_REQUIRED_ROLES without enrolment", async () => {
      expect(await new TestClient(t.url).signIn("facility@demo.example.jp")).toMatchObject({
        verified: true,
        secondFactorRequired: false,
      });
    });

    it("slows the second factor down after 5 wrong codes: the guessing session ends, nothing is locked", async () => {
      // Changed by design (issue 12, part 5): no lock; the 5th wrong code brings in a wait and ends the session.
      const email = "natori@demo.example.jp";
      const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
      const user = await t.hub.prisma.user.update({
        where: { email },
        data: { totpEnabled: true, totpSecret: encryptSecret(t.hub.config.SECRET_KEY, secret) },
      });
      const c = new TestClient(t.url);
      expect((await c.signIn(email)).verified).toBe(false);
      const right = await generate({ secret });
      for (let i = 1; i <= 4; i++)
        expect((await c.post("api/auth/totp", { code: wrong(right) })).status).toBe(401);
      const fifth = await c.post("api/auth/totp", { code: wrong(right) });
      expect(fifth.status).toBe(429);
      expect(fifth.json.code).toBe("rate_limited");
      expect(Number(fifth.headers.get("retry-after"))).toBeGreaterThan(0);
      // The session that guessed is gone; the password still signs in (no lock), but the code must wait.
      expect((await c.get("api/me")).status).toBe(401);
      const again = new TestClient(t.url);
      expect((await again.signIn(email)).verified).toBe(false);
      expect((await again.post("api/auth/totp", { code: right })).status).toBe(429);
      expect((await lastMessageTo(t, email))?.subject).toContain("サインインの失敗が続いています");
      // Once the wait has passed (here: the throttle forgotten), the right code works.
      await t.hub.limits.secondFactorPerAccount.delete(user.id);
      expect((await again.post("api/auth/totp", { code: right })).status).toBe(200);
    });

    it("does not let a stranger's failures from one address stop the person signing in from another", async () => {
      const email = "facility@demo.example.jp";
      for (let i = 1; i <= 8; i++) {
        const res = await new TestClient(t.url).post(
          "api/auth/sign-in",
          { email, password: `guess-${i}` },
          { "x-forwarded-for": "203.0.113.9" },
        );
        expect(res.status).toBe(401);
      }
      const fromOffice = await new TestClient(t.url).post(
        "api/auth/sign-in",
        { email, password: DEMO_PASSWORD },
        { "x-forwarded-for": "198.51.100.20" },
      );
      expect(fromOffice.status).toBe(200);
    });
  });

  describe("LGWAN behind a trusted proxy", () => {
    const ISHINOMAKI = "042021";
    const email = "ishinomaki-staff@demo.example.jp";
    beforeAll(async () => {
      await t.hub.prisma.user.create({
        data: {
          role: "municipality",
          email,
          displayName: "石巻市 担当（テスト）",
          municipalityCode: ISHINOMAKI,
          passwordHash: await hashPassword(DEMO_PASSWORD),
        },
      });
      await t.hub.prisma.municipality.update({
        where: { code: ISHINOMAKI },
        data: { allowedCidrs: ["10.0.0.0/8"] },
      });
    });

    const signIn = (headers: Record<string, string> = {}) =>
      new TestClient(t.url).post("api/auth/sign-in", { email, password: DEMO_PASSWORD }, headers);

    it("uses the X-Forwarded-For address from a trusted proxy for the network check", async () => {
      const ok = await signIn({ "x-forwarded-for": "10.1.2.3" });
      expect(ok.status).toBe(200);
      expect(ok.json.verified).toBe(false); // TOTP is still to come, but the network check passed
      expect((await signIn({ "x-forwarded-for": "192.168.0.9" })).json.code).toBe("network_not_allowed");
      expect((await signIn()).json.code).toBe("network_not_allowed");
      const entry = await t.hub.prisma.auditLog.findFirst({
        where: { action: "auth.sign_in", outcome: "ok", detail: { path: ["email"], equals: email } },
      });
      expect(entry?.ip).toBe("10.1.2.3");
    });
  });
});
