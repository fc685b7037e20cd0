import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";

const dataDir = () => mkdtempSync(path.join(tmpdir(), "hub-config-"));

describe("loadConfig", () => {
  it("works with no variables at all (the embedded default)", () => {
    const c = loadConfig({ DATA_DIR: dataDir() });
    expect(c.PORT).toBe(3000);
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.REDIS_URL).toBeUndefined();
    expect(c.PROCESS_ROLES).toEqual(["api", "workers", "cron"]);
    expect(c.BASE_PATH).toBe("/");
    expect(c.SECRET_KEY).toHaveLength(32);
    expect(c.PUBLIC_URL).toBe("http://localhost:3000/");
  });

  it("treats empty variables as unset", () => {
    const c = loadConfig({ DATA_DIR: dataDir(), DATABASE_URL: "", REDIS_URL: "", PORT: "" });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.REDIS_URL).toBeUndefined();
    expect(c.PORT).toBe(3000);
  });

  it("keeps the generated secret key across restarts", () => {
    const dir = dataDir();
    expect(loadConfig({ DATA_DIR: dir }).SECRET_KEY.equals(loadConfig({ DATA_DIR: dir }).SECRET_KEY)).toBe(
      true,
    );
  });

  it("lists every invalid variable by name", () => {
    const env = {
      PORT: "http",
      DATABASE_URL: "mysql://x",
      PROCESS_ROLES: "api,web",
      SECRET_KEY: "short",
      TRUSTED_PROXIES: "10.0.0.0/8,not-an-ip",
      TOTP_REQUIRED_ROLES: "resident",
      CONNECTOR_ALLOWED_NETWORKS: "10.0.0.0/8,lgwan.example.jp",
      METRICS_TOKEN: "short",
      METRICS_ALLOWED_NETWORKS: "127.0.0.1/33",
      BACKUP_RECIPIENTS: "age1notakey",
    };
    try {
      loadConfig(env);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      for (const name of Object.keys(env)) expect(msg).toContain(name);
    }
  });

  it("encrypts backups only to valid age public keys", () => {
    expect(loadConfig({ DATA_DIR: dataDir() }).BACKUP_RECIPIENTS).toEqual([]);
    const key = "age16c6jmxzqjndksk79w5qt47jdfn3xy3p9a2m84af9lj7p7y3phqgse7cy8r";
    expect(loadConfig({ DATA_DIR: dataDir(), BACKUP_RECIPIENTS: ` ${key} ` }).BACKUP_RECIPIENTS).toEqual([
      key,
    ]);
    for (const bad of ["AGE-SECRET-KEY-1XYZ", `${key.slice(0, -1)}q`, "ssh-ed25519 AAAA"]) {
      expect(() => loadConfig({ DATA_DIR: dataDir(), BACKUP_RECIPIENTS: bad })).toThrow(/BACKUP_RECIPIENTS/);
    }
  });

  it("refuses private networks to connectors and serves metrics to loopback only, unless told otherwise", () => {
    const defaults = loadConfig({ DATA_DIR: dataDir() });
    expect(defaults.CONNECTOR_ALLOWED_NETWORKS).toEqual([]);
    expect(defaults.METRICS_ALLOWED_NETWORKS).toEqual(["127.0.0.0/8", "::1/128"]);
    expect(defaults.METRICS_TOKEN).toBeUndefined();
    const set = loadConfig({
      DATA_DIR: dataDir(),
      CONNECTOR_ALLOWED_NETWORKS: "10.20.0.0/16, fd00:1::/64",
      METRICS_ALLOWED_NETWORKS: "none",
      METRICS_TOKEN: "0123456789abcdef",
    });
    expect(set.CONNECTOR_ALLOWED_NETWORKS).toEqual(["10.20.0.0/16", "fd00:1::/64"]);
    expect(set.METRICS_ALLOWED_NETWORKS).toEqual([]);
    expect(set.METRICS_TOKEN).toBe("0123456789abcdef");
  });

  it("normalises the base path and parses lists", () => {
    const c = loadConfig({
      DATA_DIR: dataDir(),
      BASE_PATH: "/sango",
      TRUSTED_PROXIES: "10.0.0.1, 192.168.0.0/16",
      PROCESS_ROLES: "workers",
      SECRET_KEY: "ab".repeat(32),
    });
    expect(c.BASE_PATH).toBe("/sango/");
    expect(c.TRUSTED_PROXIES).toEqual(["10.0.0.1", "192.168.0.0/16"]);
    expect(c.PROCESS_ROLES).toEqual(["workers"]);
    expect(c.PUBLIC_URL).toBe("http://localhost:3000/sango/");
  });
});
