import { mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { DeliveryError } from "./errors.js";
import { createSmsProvider, HttpSmsProvider, providerRef, retryAfterMs } from "./sms.js";

const API = "https://sms.example.test";
const provider = (timeoutMs?: number) =>
  new HttpSmsProvider({ url: `${API}/v1/messages`, token: "test-token", timeoutMs });

async function failure(p: Promise<unknown>): Promise<DeliveryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeliveryError);
  return err as DeliveryError;
}

describe("the generic HTTP SMS provider", () => {
  beforeAll(() => {
    nock.disableNetConnect();
  });
  afterEach(() => {
    expect(nock.pendingMocks()).toEqual([]);
    nock.cleanAll();
  });
  // Not nock.restore(): the worker goes on to other test files (isolate: false), whose interceptors need nock active.
  afterAll(() => {
    nock.enableNetConnect();
  });

  it("POSTs {to, text} as JSON with the bearer token and an idempotency key, and keeps the provider's id", async () => {
    const scope = nock(API, {
      reqheaders: {
        authorization: "Bearer test-token",
        "content-type": (v) => v.startsWith("application/json"),
        "idempotency-key": "outbox-42-1796000000000",
      },
    })
      .post("/v1/messages", { to: "090-1234-5678", text: "確認コード: 123456" })
      .reply(202, { id: "sms-0001", status: "queued" });
    await expect(
      provider().send(
        { to: "090-1234-5678", text: "確認コード: 123456" },
        { key: "outbox-42-1796000000000" },
      ),
    ).resolves.toEqual({ providerRef: "sms-0001" });
    scope.done();
  });

  it("refuses for good on 4xx, without the number in the error", async () => {
    nock(API).post("/v1/messages").reply(400, { error: "invalid destination 090-1234-5678" });
    const e = await failure(provider().send({ to: "090-1234-5678", text: "x" }));
    expect(e).toMatchObject({ permanent: true, unavailable: false });
    expect(e.message).toContain("HTTP 400");
    expect(e.message).toContain("090-****-5678");
    expect(e.message).not.toContain("1234-5678");

    nock(API).post("/v1/messages").reply(401, "unauthorized");
    expect((await failure(provider().send({ to: "090-1234-5678", text: "x" }))).permanent).toBe(true);
  });

  it("retries 5xx, 429 (honouring Retry-After) and 408", async () => {
    nock(API).post("/v1/messages").reply(503, { message: "maintenance" });
    const down = await failure(provider().send({ to: "090-1234-5678", text: "x" }));
    expect(down).toMatchObject({ permanent: false, unavailable: true });
    expect(down.message).toContain("HTTP 503: maintenance");

    nock(API).post("/v1/messages").reply(429, {}, { "retry-after": "120" });
    expect(await failure(provider().send({ to: "090-1234-5678", text: "x" }))).toMatchObject({
      permanent: false,
      unavailable: true,
      retryAfterMs: 120_000,
    });

    nock(API).post("/v1/messages").reply(408);
    expect((await failure(provider().send({ to: "090-1234-5678", text: "x" }))).permanent).toBe(false);
  });

  it("retries a timeout and a refused connection", async () => {
    nock(API).post("/v1/messages").delay(2_000).reply(200, { id: "late" });
    const slow = await failure(provider(50).send({ to: "090-1234-5678", text: "x" }));
    expect(slow).toMatchObject({ permanent: false, unavailable: true });
    expect(slow.message).toContain("timed out");

    // A port nothing listens on: a real refused connection.
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((r) => server.close(() => r()));
    nock.enableNetConnect("127.0.0.1");
    const refused = await failure(
      new HttpSmsProvider({ url: `http://127.0.0.1:${port}/send`, token: "t" }).send({
        to: "090-1234-5678",
        text: "x",
      }),
    );
    nock.disableNetConnect();
    expect(refused).toMatchObject({ permanent: false, unavailable: true });
    expect(refused.message).toContain("ECONNREFUSED");
  });

  it("is configured only with SMS_API_URL, which must be an http(s) URL", () => {
    expect(createSmsProvider({})).toBeUndefined();
    expect(createSmsProvider({ SMS_API_URL: `${API}/send`, SMS_API_TOKEN: "t" })?.name).toBe("http");
    const dataDir = mkdtempSync(path.join(tmpdir(), "hub-sms-"));
    const c = loadConfig({ DATA_DIR: dataDir, SMS_API_URL: `${API}/send`, SMS_API_TOKEN: "t" });
    expect(c).toMatchObject({ SMS_API_URL: `${API}/send`, SMS_API_TOKEN: "t" });
    expect(loadConfig({ DATA_DIR: dataDir }).SMS_API_URL).toBeUndefined();
    for (const bad of ["ftp://sms.example.test", "sms.example.test/send", "https://"]) {
      expect(() => loadConfig({ DATA_DIR: dataDir, SMS_API_URL: bad })).toThrow(/SMS_API_URL/);
    }
  });
});

describe("provider answers", () => {
  it("finds the message id under its usual names", () => {
    expect(providerRef({ id: "a" })).toBe("a");
    expect(providerRef({ messageId: "b" })).toBe("b");
    expect(providerRef({ message_id: 7 })).toBe("7");
    expect(providerRef({ sid: "SM1" })).toBe("SM1");
    expect(providerRef({ status: "ok" })).toBeUndefined();
    expect(providerRef("ok")).toBeUndefined();
  });

  it("reads Retry-After as seconds or a date", () => {
    expect(retryAfterMs("30")).toBe(30_000);
    expect(retryAfterMs(new Date(60_000).toUTCString(), 0)).toBe(60_000);
    expect(retryAfterMs("soon")).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});
