/**
 * native: the facility keeps its capacity and bookings in the hub's portal. There is no external system, so
 * nothing to pull, push or receive; the connection exists so every facility has one, with the same health view.
 */
import type { Connector } from "../contract.js";
import manifest from "./manifest.json" with { type: "json" };
import { nativeHealth } from "./mapping.js";

export const connector: Connector = {
  manifest: manifest as Connector["manifest"],
  async checkHealth() {
    return nativeHealth();
  },
};
