import { readFileSync } from "node:fs";
import { Webhook } from "standardwebhooks";
import type { ContractFixtures } from "../../contract-fixtures.js";
import { vendorApi } from "./vendor-api.js";

/** A fixed test secret (32 bytes, base64): never used outside tests. */
export const SECRET = `whsec_${Buffer.from("sango-care-miyagi-webhook-test!!").toString("base64")}`;
export const API_BASE_URL = "https://yoyaku.example-clinic.jp/api/v1";

/** A sample payload's text, exactly as stored (signatures cover the bytes). */
export const sample = (name: string) => readFileSync(new URL(`./${name}`, import.meta.url), "utf8");

/** A request as the facility's system sends it: the body signed at `now` with `secret`. */
export function signed(body: string, now: Date, id = "msg_2b8fTqYbQxM3kE", secret = SECRET) {
  return {
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": new Webhook(secret).sign(id, now, body),
    },
    body,
  };
}

export const fixtures: ContractFixtures = {
  config: { apiBaseUrl: API_BASE_URL, pullChanges: true },
  secret: SECRET,
  webhook: (now) => signed(sample("booking-upserted.json"), now),
  mockHttp: () => {
    const api = vendorApi({ baseUrl: API_BASE_URL, secret: SECRET });
    api.setChanges(JSON.parse(sample("changes-page.json")).events);
    return api.stop;
  },
};
