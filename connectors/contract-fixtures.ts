/**
 * What each connector's `__fixtures__/contract.ts` exports for the shared contract suite (connectors/contract.test.ts):
 * a valid configuration and, per declared capability, input that behaves like the facility's real system.
 */
import type { InboundRequest } from "./contract.js";

export type ContractFixtures = {
  /** A configuration that passes the connector's schema. */
  config: Record<string, unknown>;
  secret?: string;
  /** capability webhooks: a correctly signed request sent at `now`. */
  webhook?: (now: Date) => InboundRequest;
  /** capability fileUpload: a valid file. */
  file?: Buffer;
  /**
   * pullBookings / pushBooking / checkHealth against HTTP: installs interceptors (nock or msw) that answer like
   * the facility's system; returns the function that removes them.
   */
  mockHttp?: () => () => void;
};
