import { ackFeed, authenticateFeed, readFeed } from "../../connections/feed.js";
import { receiveWebhook } from "../../connections/webhooks.js";
import { rawBodyOf } from "../body.js";
import type { Handlers } from "../types.js";

/**
 * Machine endpoints of the webhook connector, for facilities' booking systems: no portal session, each request
 * authenticated by the connection's secret (a Standard Webhooks signature, or the secret as a bearer token).
 */
export const connectionWebhookHandlers: Handlers = {
  /** A facility's system posts its changes: verified, stored, acknowledged; applied by a job. */
  receiveConnectionWebhook: async (req) => {
    const body = await receiveWebhook(
      req.hub,
      req.params.id as string,
      req.headers,
      rawBodyOf(req.koa.req) ?? "",
    );
    return { status: 202, body: { received: body.received, duplicate: body.duplicate } };
  },

  /** Our changes for a facility's system that pulls them. */
  listConnectionChanges: async (req) => {
    const conn = await authenticateFeed(req.hub, req.params.id as string, req.headers.authorization);
    const cursor = typeof req.query.cursor === "string" ? req.query.cursor : undefined;
    const limit = typeof req.query.limit === "number" ? req.query.limit : undefined;
    return { body: await readFeed(req.hub, conn, { cursor, limit }) };
  },

  /** The facility's system acknowledges what it has read. */
  ackConnectionChanges: async (req) => {
    const conn = await authenticateFeed(req.hub, req.params.id as string, req.headers.authorization);
    const { cursor } = req.body as { cursor: string };
    return { body: await ackFeed(req.hub, conn, cursor) };
  },
};
