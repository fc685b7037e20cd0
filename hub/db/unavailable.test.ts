import { describe, expect, it } from "vitest";
import { unavailability } from "./unavailable.js";

/** The shape Prisma gives a raw query's failure through a driver adapter (P2010 with the adapter's cause). */
const viaAdapter = (cause: Record<string, unknown>) =>
  Object.assign(new Error("Invalid `prisma.$queryRaw()` invocation"), {
    code: "P2010",
    meta: { driverAdapterError: { name: "DriverAdapterError", cause } },
  });

describe("unavailability", () => {
  it("reads PostgreSQL's timeouts and lost connections from the adapter's cause", () => {
    expect(unavailability(viaAdapter({ kind: "postgres", originalCode: "55P03" }))).toBe("lock_timeout");
    expect(unavailability(viaAdapter({ kind: "postgres", originalCode: "57014" }))).toBe("timeout");
    expect(unavailability(viaAdapter({ kind: "postgres", originalCode: "57P01" }))).toBe("connection");
    expect(unavailability(viaAdapter({ kind: "postgres", originalCode: "08006" }))).toBe("connection");
    expect(unavailability(viaAdapter({ kind: "DatabaseNotReachable" }))).toBe("connection");
    expect(unavailability(viaAdapter({ kind: "TooManyConnections" }))).toBe("connection");
  });

  it("reads node-postgres's own errors: the pool's wait, a terminated or refused connection", () => {
    expect(unavailability(new Error("timeout exceeded when trying to connect"))).toBe("connection");
    expect(unavailability(new Error("Connection terminated unexpectedly"))).toBe("connection");
    expect(
      unavailability(
        Object.assign(new Error("connect ECONNREFUSED 10.0.0.5:5432"), { code: "ECONNREFUSED" }),
      ),
    ).toBe("connection");
    expect(unavailability({ code: "57014", message: "canceling statement due to statement timeout" })).toBe(
      "timeout",
    );
    expect(unavailability(new Error("wrapped", { cause: { code: "55P03" } }))).toBe("lock_timeout");
  });

  it("leaves every other error alone: a bug stays a 500, a conflict stays what it is", () => {
    expect(
      unavailability(viaAdapter({ kind: "UniqueConstraintViolation", originalCode: "23505" })),
    ).toBeNull();
    expect(unavailability(viaAdapter({ kind: "postgres", originalCode: "22P02" }))).toBeNull();
    expect(unavailability(new TypeError("Cannot read properties of undefined"))).toBeNull();
    expect(unavailability(Object.assign(new Error("x"), { code: "P2025" }))).toBeNull();
    expect(unavailability(undefined)).toBeNull();
    expect(unavailability("a string")).toBeNull();
  });

  it("does not loop on an error that is its own cause", () => {
    const e = new Error("loop") as Error & { cause?: unknown };
    e.cause = e;
    expect(unavailability(e)).toBeNull();
  });
});
