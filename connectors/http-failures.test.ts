import { AxiosError } from "axios";
import { describe, expect, it } from "vitest";
import { REFUSED_DESTINATION } from "./contract.js";
import { transportFailure } from "./http-failures.js";

const err = (code: string, message = `connect ${code} 10.0.0.7:5432 /srv/hub/node_modules/x.js:12`) =>
  AxiosError.from(Object.assign(new Error(message), { code }));

describe("transport failures as facility staff read them", () => {
  it("names the kind of failure, with its code and whether a retry can help", () => {
    const cases: [unknown, string, boolean, RegExp][] = [
      [err(REFUSED_DESTINATION), "refused_address", false, /private or local network/],
      [err("ECONNABORTED", "timeout of 10000ms exceeded"), "timeout", true, /no answer in time/],
      [err("ETIMEDOUT"), "timeout", true, /no answer in time/],
      [err("CERT_HAS_EXPIRED"), "tls", true, /TLS/],
      [err("DEPTH_ZERO_SELF_SIGNED_CERT"), "tls", true, /TLS/],
      [err("ERR_TLS_CERT_ALTNAME_INVALID"), "tls", true, /TLS/],
      [err("ENOTFOUND"), "network", true, /name could not be found/],
      [err("ERR_FR_TOO_MANY_REDIRECTS"), "network", false, /too many redirects/],
      [err("ECONNREFUSED"), "network", true, /could not be reached/],
      [err("ECONNRESET"), "network", true, /could not be reached/],
      [new Error("socket hang up"), "network", true, /could not be reached/],
    ];
    for (const [e, code, retryable, words] of cases) {
      const r = transportFailure(e, "the feed");
      expect(r, code).toMatchObject({ ok: false, error: { code, retryable } });
      expect(r.ok ? "" : r.error.message).toMatch(words);
    }
  });

  it("never passes on the driver's message, an address, a port or a file", () => {
    for (const code of [
      REFUSED_DESTINATION,
      "ECONNREFUSED",
      "EHOSTUNREACH",
      "CERT_HAS_EXPIRED",
      "ENOTFOUND",
    ]) {
      const r = transportFailure(err(code), "GET changes");
      const message = r.ok ? "" : r.error.message;
      expect(message).toMatch(/^GET changes: /);
      expect(message).not.toMatch(/10\.0\.0\.7|5432|node_modules|\.js|ECONN|EHOST|CERT_|ENOTFOUND/);
    }
  });

  it("takes an aborted signal as a timeout", () => {
    const controller = new AbortController();
    controller.abort();
    expect(transportFailure(new Error("canceled"), "the feed", controller.signal)).toMatchObject({
      error: { code: "timeout" },
    });
  });
});
