import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NATORI_CODE, SENDAI_CODE } from "../../fixtures/demo-data.js";
import { formatDate } from "../../hub/inventory/dates.js";
import { formatVoucherNumber } from "../../hub/vouchers/number.js";
import { jobHandlers } from "../../jobs/handlers.js";
import { TestClient } from "../support/client.js";
import { expectContract, expectProblem } from "../support/contract.js";
import { tokyoDate, tokyoDay } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { clientFor } from "../support/sessions.js";

/** A complete application to Sendai; each test gives its own e-mail. */
const form = (email: string, over: Record<string, unknown> = {}) => ({
  municipalityCode: SENDAI_CODE,
  familyName: "広瀬",
  givenName: "みどり",
  kana: "ヒロセ ミドリ",
  birthDate: "1993-04-02",
  postalCode: "980-0811",
  address: "仙台市青葉区一番町2-2-2",
  phone: "090-7777-0101",
  preferredLanguage: "ja",
  childName: "",
  childBirthDate: tokyoDay(-20),
  childDueDate: null,
  multipleBirth: 1,
  email,
  consent: true,
  ...over,
});

describe("voucher applications: a mother applies online, her municipality decides", () => {
  let t: TestHub;
  let anon: TestClient;
  let sendai: TestClient;
  let natori: TestClient;
  let facility: TestClient;
  let prefecture: TestClient;

  /** The latest message to `to` in the outbox (what the hub will send). */
  const lastMessage = async (to: string) => {
    const rows = await t.hub.prisma.outboxMessage.findMany({
      where: { topic: "notify.message" },
      orderBy: { id: "desc" },
      take: 200,
    });
    const row = rows.find((r) => (r.payload as { to?: string }).to === to);
    return row?.payload as { to: string; subject: string; text: string } | undefined;
  };
  const messagesTo = async (to: string) =>
    (await t.hub.prisma.outboxMessage.findMany({ where: { topic: "notify.message" } })).filter(
      (r) => (r.payload as { to?: string }).to === to,
    ).length;

  const sendCode = async (email: string) => {
    const res = await anon.post("api/applications/email-code", { email });
    expect(res.status, res.text).toBe(202);
    const text = (await lastMessage(email))?.text ?? "";
    return /確認コード: (\d{6})/.exec(text)?.[1] as string;
  };

  const tokenIn = (text: string) => /apply\/status#([A-Za-z0-9_-]+)/.exec(text)?.[1] as string;

  /** Applies with a proved e-mail; returns the reference and the token from the acknowledgement. */
  const apply = async (email: string, over: Record<string, unknown> = {}) => {
    const code = await sendCode(email);
    const res = await anon.post("api/applications/submit", { ...form(email, over), code });
    expect(res.status, res.text).toBe(201);
    const row = await t.hub.prisma.voucherApplication.findUniqueOrThrow({
      where: { reference: res.json.reference },
    });
    return {
      reference: res.json.reference as string,
      id: row.id,
      token: tokenIn((await lastMessage(email))?.text ?? ""),
    };
  };

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20 });
    anon = new TestClient(t.url);
    sendai = await clientFor(t, "sendai@demo.example.jp");
    natori = await clientFor(t, "natori@demo.example.jp");
    facility = await clientFor(t, "facility@demo.example.jp");
    prefecture = await clientFor(t, "prefecture@demo.example.jp");
  }, 120_000);
  afterAll(() => t?.close());

  it("sends a code to any well-formed address, the same way; refuses a malformed one; limits per address", async () => {
    const known = await t.hub.prisma.resident.findFirstOrThrow({ where: { email: { not: null } } });
    const a = await anon.post("api/applications/email-code", { email: known.email });
    const b = await anon.post("api/applications/email-code", { email: "nobody.here@example.jp" });
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.json).toEqual(b.json);
    await expectContract("requestApplicationCode", a);
    // The code is stored only as a hash.
    const stored = await t.hub.prisma.applicationEmailCode.findMany();
    const code =
      /確認コード: (\d{6})/.exec((await lastMessage("nobody.here@example.jp"))?.text ?? "")?.[1] ?? "";
    expect(code).toMatch(/^\d{6}$/);
    expect(JSON.stringify(stored)).not.toContain(code);

    const bad = await anon.post("api/applications/email-code", { email: "not-an-address" });
    expectProblem(bad, 400, "validation_failed");
    expect(bad.json.errors[0].path).toBe("email");

    // Five codes to one address within 15 minutes, then 429 (as the sign-in code).
    for (let i = 0; i < 5; i++) {
      expect((await anon.post("api/applications/email-code", { email: "flood@example.jp" })).status).toBe(
        202,
      );
    }
    const limited = await anon.post("api/applications/email-code", { email: "FLOOD@example.jp" });
    expectProblem(limited, 429, "rate_limited");
    expect(limited.headers.get("retry-after")).toBeTruthy();
  });

  it("reports every bad field at once, spends no code on them, and refuses a wrong code on the code field", async () => {
    const email = "fields@example.jp";
    const code = await sendCode(email);
    const bad = await anon.post("api/applications/submit", {
      ...form(email, {
        familyName: "",
        kana: "hirose",
        childBirthDate: tokyoDay(3),
        consent: false,
        municipalityCode: "999999",
      }),
      code,
    });
    expectProblem(bad, 400, "validation_failed");
    const paths = bad.json.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining(["familyName", "kana", "childBirthDate", "consent", "municipalityCode"]),
    );
    // A body the schema refuses is a 400 too, never a 500.
    expectProblem(await anon.post("api/applications/submit", { email }), 400, "validation_failed");

    const wrong = await anon.post("api/applications/submit", {
      ...form(email),
      code: code === "000000" ? "111111" : "000000",
    });
    expectProblem(wrong, 400, "invalid_code");
    expect(wrong.json.errors[0].path).toBe("code");
    expect(await t.hub.prisma.voucherApplication.count({ where: { email } })).toBe(0);
    // The right code still works (the field errors spent no try; the wrong one spent one of five).
    const ok = await anon.post("api/applications/submit", { ...form(email), code });
    expect(ok.status, ok.text).toBe(201);
    // …once.
    expectProblem(await anon.post("api/applications/submit", { ...form(email), code }), 400, "invalid_code");
  });

  it("burns a code after five wrong tries", async () => {
    const email = "guess@example.jp";
    const code = await sendCode(email);
    const other = code === "000000" ? "111111" : "000000";
    for (let i = 0; i < 5; i++) {
      expectProblem(
        await anon.post("api/applications/submit", { ...form(email), code: other }),
        400,
        "invalid_code",
      );
    }
    expectProblem(await anon.post("api/applications/submit", { ...form(email), code }), 400, "invalid_code");
  });

  it("receives, follows, asks, amends and approves: the resident, her child and the voucher under the policy in force", async () => {
    const email = "hirose.midori@example.jp";
    const code = await sendCode(email);
    const res = await anon.post("api/applications/submit", { ...form(email), code, preferredLanguage: "en" });
    expect(res.status, res.text).toBe(201);
    await expectContract("submitApplication", res);
    expect(res.json).toMatchObject({ state: "submitted", municipalityName: "仙台市" });
    expect(res.json.reference).toMatch(/^AP-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    const received = await lastMessage(email);
    expect(received?.subject).toContain("受け付けました");
    expect(received?.text).toContain(res.json.reference);
    const token = tokenIn(received?.text ?? "");
    const row = await t.hub.prisma.voucherApplication.findUniqueOrThrow({
      where: { reference: res.json.reference },
    });
    expect(row.tokenHash).not.toContain(token);
    expect(JSON.stringify(row)).not.toContain(token);
    expect(
      await t.hub.prisma.auditLog.count({ where: { action: "application.submit", resourceId: row.id } }),
    ).toBe(1);

    const status = await anon.post("api/applications/status", { token });
    expect(status.status, status.text).toBe(200);
    await expectContract("getApplicationStatus", status);
    expect(status.json).toMatchObject({ state: "submitted", reference: res.json.reference, question: null });
    expectProblem(await anon.post("api/applications/status", { token: "x".repeat(43) }), 404, "not_found");

    // Staff: listed and read (audited), asked for more.
    const list = await sendai.get("api/applications?state=submitted&limit=50");
    expect(list.status).toBe(200);
    await expectContract("listApplications", list);
    expect(list.json.items.map((a: { id: string }) => a.id)).toContain(row.id);
    const one = await sendai.get(`api/applications/${row.id}`);
    await expectContract("getApplication", one);
    expect(one.json).toMatchObject({ revision: 0, consentVersion: expect.any(String), residentId: null });

    expectProblem(
      await sendai.post(`api/applications/${row.id}/request-info`, { message: "x", revision: 5 }),
      409,
      "application_changed",
    );
    const asked = await sendai.post(`api/applications/${row.id}/request-info`, {
      message: "母子健康手帳の出産の記録のページの写しをお持ちください。住所の番地も確認させてください。",
      revision: 0,
    });
    expect(asked.status, asked.text).toBe(200);
    expect(asked.json.state).toBe("needs_info");
    const askMail = await lastMessage(email);
    expect(askMail?.text).toContain("母子健康手帳");
    // The newest e-mail's link is the one that works.
    const token2 = tokenIn(askMail?.text ?? "");
    expectProblem(await anon.post("api/applications/status", { token }), 404, "not_found");
    const seen = await anon.post("api/applications/status", { token: token2 });
    expect(seen.json).toMatchObject({
      state: "needs_info",
      question: expect.stringContaining("母子健康手帳"),
    });

    // Approving while asked is allowed, but not on a stale revision.
    expectProblem(
      await sendai.post(`api/applications/${row.id}/approve`, { revision: 0 }),
      409,
      "application_changed",
    );

    const fields = { ...form(email), preferredLanguage: "en" };
    const amended = await anon.post("api/applications/amend", {
      ...fields,
      municipalityCode: undefined,
      email: undefined,
      consent: undefined,
      address: "仙台市青葉区一番町2-2-2 ひろせハイツ101",
      token: token2,
      answer: "番地は2-2-2、ひろせハイツ101号室です。",
    });
    expect(amended.status, amended.text).toBe(200);
    await expectContract("amendApplication", amended);
    expect(amended.json).toMatchObject({ state: "submitted", address: expect.stringContaining("101") });
    expectProblem(
      await anon.post("api/applications/amend", { ...fields, token: token2, answer: "again" }),
      409,
      "application_not_open",
    );

    // Approve: one transaction, resident + child + voucher + notice.
    const before = await sendai.get(`api/applications/${row.id}`);
    const approved = await sendai.post(`api/applications/${row.id}/approve`, {
      revision: before.json.revision,
    });
    expect(approved.status, approved.text).toBe(200);
    await expectContract("approveApplication", approved);
    expect(approved.json.state).toBe("approved");
    const resident = await t.hub.prisma.resident.findUniqueOrThrow({
      where: { email },
      include: { children: true, vouchers: { include: { balances: true, policyVersion: true } } },
    });
    expect(resident).toMatchObject({
      municipalityCode: SENDAI_CODE,
      familyName: "広瀬",
      phone: "09077770101",
      address: expect.stringContaining("101"),
      preferredLanguage: "en",
    });
    expect(resident.consentAt).not.toBeNull();
    expect(resident.children).toHaveLength(1);
    expect(resident.children[0]?.birthDate).toEqual(tokyoDate(-20));
    expect(approved.json.residentId).toBe(resident.id);
    // The voucher: for the child, under Sendai's policy in force today, with its caps.
    expect(resident.vouchers).toHaveLength(1);
    const voucher = resident.vouchers[0];
    expect(voucher?.childId).toBe(resident.children[0]?.id);
    const inForce = await t.hub.prisma.policyVersion.findFirstOrThrow({
      where: { municipalityCode: SENDAI_CODE, effectiveFrom: { lte: tokyoDate(0) } },
      orderBy: [{ effectiveFrom: "desc" }, { version: "desc" }],
    });
    expect(voucher?.policyVersionId).toBe(inForce.id);
    const services = (inForce.rules as { services: Record<string, { maxUnits: number } | undefined> })
      .services;
    for (const b of voucher?.balances ?? []) expect(b.cap).toBe(services[b.serviceType]?.maxUnits);
    expect(voucher?.validFrom).toEqual(tokyoDate(0));
    // The notice tells her the number and to sign in with this address.
    const approvedMail = await lastMessage(email);
    expect(approvedMail?.subject).toContain("承認");
    expect(approvedMail?.text).toContain(formatVoucherNumber(voucher?.number ?? ""));
    expect(approvedMail?.text).toContain("sign-in");
    expect(approvedMail?.text).toContain("Sign in");

    // She can now ask for a sign-in code as a resident: the code goes to her.
    const count = await messagesTo(email);
    expect((await anon.post("api/auth/resident/code", { destination: email })).status).toBe(202);
    expect(await messagesTo(email)).toBe(count + 1);
    expect((await lastMessage(email))?.subject).toContain("確認コード");

    // Two clerks: the second approval is refused, nothing more is issued.
    expectProblem(
      await sendai.post(`api/applications/${row.id}/approve`, { revision: before.json.revision }),
      409,
      "application_changed",
    );
    expectProblem(
      await sendai.post(`api/applications/${row.id}/approve`, { revision: approved.json.revision }),
      409,
      "application_not_open",
    );
    expect(await t.hub.prisma.voucher.count({ where: { residentId: resident.id } })).toBe(1);

    // Staff reads and writes are audited.
    const audited = await t.hub.prisma.auditLog.findMany({ where: { resourceId: row.id } });
    const actions = audited.map((a) => a.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        "getApplication",
        "requestApplicationInfo",
        "approveApplication",
        "application.amend",
      ]),
    );
    expect(await t.hub.prisma.auditLog.count({ where: { action: "listApplications" } })).toBeGreaterThan(0);
    // The status page shows approval to her.
    expect((await anon.post("api/applications/status", { token: token2 })).json.state).toBe("approved");
  });

  it("approves a mother before the birth: a voucher without a child", async () => {
    const email = "before.birth@example.jp";
    const { id } = await apply(email, {
      familyName: "泉",
      givenName: "さくら",
      childBirthDate: null,
      childDueDate: tokyoDay(30),
      phone: null,
    });
    const ok = await sendai.post(`api/applications/${id}/approve`, { revision: 0 });
    expect(ok.status, ok.text).toBe(200);
    const r = await t.hub.prisma.resident.findUniqueOrThrow({
      where: { email },
      include: { children: true, vouchers: true },
    });
    expect(r.children).toHaveLength(0);
    expect(r.vouchers[0]?.childId).toBeNull();
  });

  it("lets only one of two clerks approving at the same moment win", async () => {
    const email = "two.clerks@example.jp";
    const { id } = await apply(email, {
      familyName: "同時",
      givenName: "承認",
      kana: "ドウジ ショウニン",
      phone: null,
    });
    const other = await clientFor(t, "sendai@demo.example.jp");
    const answers = await Promise.all([
      sendai.post(`api/applications/${id}/approve`, { revision: 0 }),
      other.post(`api/applications/${id}/approve`, { revision: 0 }),
    ]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
    const r = await t.hub.prisma.resident.findMany({ where: { email }, include: { vouchers: true } });
    expect(r).toHaveLength(1);
    expect(r[0]?.vouchers).toHaveLength(1);
  });

  it("declines with a reason and tells her", async () => {
    const email = "declined@example.jp";
    const { id, token } = await apply(email, { familyName: "長町", givenName: "ゆい" });
    expectProblem(
      await sendai.post(`api/applications/${id}/decline`, { reason: " ", revision: 0 }),
      400,
      "validation_failed",
    );
    const res = await sendai.post(`api/applications/${id}/decline`, {
      reason: "仙台市に住民登録がありませんでした。",
      revision: 0,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json.state).toBe("declined");
    expect((await lastMessage(email))?.text).toContain("住民登録がありませんでした");
    const seen = await anon.post("api/applications/status", { token });
    expect(seen.json).toMatchObject({
      state: "declined",
      declineReason: expect.stringContaining("住民登録"),
    });
    expectProblem(
      await sendai.post(`api/applications/${id}/approve`, { revision: 1 }),
      409,
      "application_not_open",
    );
    expect(await t.hub.prisma.resident.count({ where: { email } })).toBe(0);
  });

  it("refuses to approve a mother already registered (same name and birth date, or her e-mail): 409, nothing written", async () => {
    const existing = await t.hub.prisma.resident.findFirstOrThrow({
      where: { municipalityCode: SENDAI_CODE, birthDate: { not: null }, email: { not: null } },
    });
    const same = await apply("same.person@example.jp", {
      familyName: existing.familyName,
      givenName: existing.givenName,
      kana: "ダレカ",
      birthDate: formatDate(existing.birthDate as Date),
      phone: null,
    });
    const taken = await apply(existing.email as string, { familyName: "別名", givenName: "花", phone: null });
    const counts = async () => ({
      residents: await t.hub.prisma.resident.count(),
      children: await t.hub.prisma.child.count(),
      vouchers: await t.hub.prisma.voucher.count(),
      outbox: await t.hub.prisma.outboxMessage.count(),
    });
    const before = await counts();
    expectProblem(
      await sendai.post(`api/applications/${same.id}/approve`, { revision: 0 }),
      409,
      "resident_exists",
    );
    expectProblem(
      await sendai.post(`api/applications/${taken.id}/approve`, { revision: 0 }),
      409,
      "contact_in_use",
    );
    expect(await counts()).toEqual(before);
    for (const id of [same.id, taken.id]) {
      const a = await t.hub.prisma.voucherApplication.findUniqueOrThrow({ where: { id } });
      expect(a).toMatchObject({ state: "submitted", revision: 0, residentId: null });
    }
  });

  it("keeps each municipality to its own applications; facility staff and residents never see them", async () => {
    const { id } = await apply("tenant@example.jp", { familyName: "名取", givenName: "あおい" });
    expectProblem(await natori.get(`api/applications/${id}`), 404, "not_found");
    expectProblem(await natori.post(`api/applications/${id}/approve`, { revision: 0 }), 404, "not_found");
    const natoriList = await natori.get("api/applications?limit=200");
    expect(
      natoriList.json.items.every((a: { municipalityCode: string }) => a.municipalityCode === NATORI_CODE),
    ).toBe(true);
    expectProblem(await facility.get("api/applications"), 403, "forbidden");
    expectProblem(await facility.get(`api/applications/${id}`), 403, "forbidden");
    const resident = await clientFor(t, "resident@demo.example.jp");
    expectProblem(await resident.get("api/applications"), 403, "forbidden");
    expectProblem(await anon.get("api/applications"), 401, "unauthenticated");
    // The prefecture reads all, but decides nothing.
    expect((await prefecture.get(`api/applications/${id}`)).status).toBe(200);
    expectProblem(await prefecture.post(`api/applications/${id}/approve`, { revision: 0 }), 403, "forbidden");
    // Refused reads are audited as denied.
    expect(
      await t.hub.prisma.auditLog.count({
        where: { resourceId: id, outcome: "denied", action: "getApplication" },
      }),
    ).toBeGreaterThan(0);
    // Paging.
    const page = await sendai.get("api/applications?limit=1&offset=1");
    expect(page.json.items).toHaveLength(1);
    expect(page.json.total).toBeGreaterThan(1);
  });

  it("purges used and expired codes with the sign-in codes (identity.purge)", async () => {
    const codes = t.hub.prisma.applicationEmailCode;
    expect(await codes.count({ where: { usedAt: { not: null } } })).toBeGreaterThan(0);
    const live = await codes.count({ where: { usedAt: null, expiresAt: { gt: new Date() } } });
    expect(live).toBeGreaterThan(0);
    await jobHandlers(t.hub)["identity.purge"]({});
    expect(await codes.count({ where: { usedAt: { not: null } } })).toBe(0);
    expect(await codes.count()).toBe(live);
  });
});
