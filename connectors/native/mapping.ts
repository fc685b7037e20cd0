import { ok } from "../contract.js";

/** Always healthy: the facility's bookings are the hub's own. */
export const nativeHealth = () => ok({ detail: "managed in the portal" });
