import { describe, expect, it, vi } from "vitest";
import { nudgeOutbox, outageDelayMs, RETRY_BASE_MS, RETRY_MAX_MS, retryDelayMs } from "./outbox.js";
import { smtpDeliveryError, smtpQueueId } from "./transport.js";

describe("backoff during an outage (tries not counted)", () => {
  it("waits half as long as the message has waited, from 30 s to an hour, with jitter", () => {
    expect(outageDelayMs(0, () => 1)).toBe(RETRY_BASE_MS);
    expect(outageDelayMs(10_000, () => 0)).toBe(RETRY_BASE_MS / 2);
    expect(outageDelayMs(10 * 60_000, () => 1)).toBe(5 * 60_000);
    expect(outageDelayMs(10 * 60_000, () => 0)).toBe(2.5 * 60_000);
    expect(outageDelayMs(3 * 3600_000, () => 1)).toBe(RETRY_MAX_MS);
    expect(outageDelayMs(30 * 24 * 3600_000, () => 0.5)).toBe((RETRY_MAX_MS * 3) / 4);
  });
});

describe("retry backoff", () => {
  it("doubles from 30 s after each failed attempt, between half and all of the step", () => {
    for (let attempts = 1; attempts <= 7; attempts++) {
      const step = RETRY_BASE_MS * 2 ** (attempts - 1);
      expect(retryDelayMs(attempts, () => 0)).toBe(step / 2);
      expect(retryDelayMs(attempts, () => 1)).toBe(step);
      expect(retryDelayMs(attempts, () => 0.5)).toBe((step * 3) / 4);
    }
    expect(retryDelayMs(1, () => 1)).toBe(30_000);
    expect(retryDelayMs(2, () => 1)).toBe(60_000);
  });

  it("never waits more than an hour, however many attempts", () => {
    for (const attempts of [8, 10, 50, 1000]) {
      expect(retryDelayMs(attempts, () => 1)).toBe(RETRY_MAX_MS);
      expect(retryDelayMs(attempts, () => 0)).toBe(RETRY_MAX_MS / 2);
    }
  });

  it("spreads messages that failed together", () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(3)));
    expect(delays.size).toBeGreaterThan(10);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(60_000);
      expect(d).toBeLessThanOrEqual(120_000);
    }
  });

  it("treats nonsense as the first attempt and clamps the jitter", () => {
    expect(retryDelayMs(0, () => 1)).toBe(30_000);
    expect(retryDelayMs(-3, () => 1)).toBe(30_000);
    expect(retryDelayMs(1, () => 7)).toBe(30_000);
    expect(retryDelayMs(1, () => -1)).toBe(15_000);
  });
});

describe("SMTP failures", () => {
  const smtpError = (message: string, extra: Record<string, unknown>) =>
    Object.assign(new Error(message), extra);

  it("gives up on a 5xx refusal of the recipient or the message", () => {
    const e = smtpDeliveryError(
      smtpError("Recipient command failed: 550 5.1.1 <taro@example.jp>: user unknown", {
        code: "EENVELOPE",
        responseCode: 550,
      }),
      "taro@example.jp",
    );
    expect(e.permanent).toBe(true);
    expect(e.message).toContain("550");
    expect(e.message).not.toContain("taro@example.jp");
    expect(smtpDeliveryError(smtpError("No recipients defined", { code: "EENVELOPE" }), "x").permanent).toBe(
      true,
    );
  });

  it("retries a 4xx answer, and treats a closing server as unavailable", () => {
    const busy = smtpDeliveryError(smtpError("451 try later", { code: "EMESSAGE", responseCode: 451 }), "x");
    expect(busy).toMatchObject({ permanent: false, unavailable: false });
    const closing = smtpDeliveryError(
      smtpError("421 closing", { code: "EPROTOCOL", responseCode: 421 }),
      "x",
    );
    expect(closing).toMatchObject({ permanent: false, unavailable: true });
  });

  it("retries when the server cannot be reached or refuses the login", () => {
    for (const code of ["ECONNECTION", "ETIMEDOUT", "ESOCKET", "EDNS"]) {
      expect(smtpDeliveryError(smtpError("connect ECONNREFUSED", { code }), "x")).toMatchObject({
        permanent: false,
        unavailable: true,
      });
    }
    const auth = smtpDeliveryError(
      smtpError("535 bad credentials", { code: "EAUTH", responseCode: 535 }),
      "x",
    );
    expect(auth).toMatchObject({ permanent: false, unavailable: true });
  });

  it("reads the server's queue id from its answer", () => {
    expect(smtpQueueId("250 2.0.0 Ok: queued as 4Bx1yZ7")).toBe("4Bx1yZ7");
    expect(smtpQueueId("250 OK")).toBeUndefined();
    expect(smtpQueueId(undefined)).toBeUndefined();
  });
});

describe("nudgeOutbox", () => {
  it("asks each queue once per window for a dispatch at the window's end", () => {
    const added: { jobId?: string; delayMs?: number }[] = [];
    const add = async (_name: string, _payload: unknown, opts?: { jobId?: string; delayMs?: number }) => {
      added.push(opts ?? {});
      return "";
    };
    const queue = { add };
    const other = { add };
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(1_000_030);
      nudgeOutbox(queue as never);
      nudgeOutbox(queue as never);
      nudgeOutbox(other as never);
      expect(added).toEqual([
        { jobId: "outbox.dispatch@nudge-10000", delayMs: 70 },
        { jobId: "outbox.dispatch@nudge-10000", delayMs: 70 },
      ]);
      vi.setSystemTime(1_000_100);
      nudgeOutbox(queue as never);
      expect(added.at(-1)).toEqual({ jobId: "outbox.dispatch@nudge-10001", delayMs: 100 });
    } finally {
      vi.useRealTimers();
    }
  });
});
