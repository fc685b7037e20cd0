import type Koa from "koa";
import type { Hub } from "../context.js";
import type { Actor } from "../identity/actor.js";

export type OpRequest = {
  hub: Hub;
  actor: Actor | null;
  operationId: string;
  params: Record<string, string>;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** Client address, resolved through trusted proxies only. */
  ip: string;
  koa: Koa.Context;
};

export type OpResponse = {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Content type when not JSON. */
  type?: string;
};

export type OpHandler = (req: OpRequest) => Promise<OpResponse>;

/** A route module maps operationIds of schemas/openapi.yaml to handlers. */
export type Handlers = Record<string, OpHandler>;

/** Narrows `actor` for operations whose x-access already requires a signed-in caller. */
export function requireActor(req: OpRequest): Actor {
  if (!req.actor) throw new Error(`operation ${req.operationId} reached its handler without an actor`);
  return req.actor;
}
