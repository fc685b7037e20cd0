import type { PrismaClient } from "../db/client.js";
import { problems } from "../errors.js";
import { inNetworks } from "../network.js";
import type { Actor } from "./actor.js";

const TTL_MS = 15_000;

/**
 * Municipal staff may be limited to their municipality's networks (LGWAN gateways). The list is read
 * from the database and cached briefly, so a change takes effect within seconds on every process.
 */
export class NetworkGuard {
  private cache = new Map<string, { cidrs: string[]; until: number }>();
  constructor(private readonly prisma: PrismaClient) {}

  async allowedCidrs(code: string): Promise<string[]> {
    const hit = this.cache.get(code);
    if (hit && hit.until > Date.now()) return hit.cidrs;
    const m = await this.prisma.municipality.findUnique({ where: { code }, select: { allowedCidrs: true } });
    const cidrs = m?.allowedCidrs ?? [];
    this.cache.set(code, { cidrs, until: Date.now() + TTL_MS });
    return cidrs;
  }

  forget(code: string) {
    this.cache.delete(code);
  }

  async assertAllowed(actor: Pick<Actor, "role" | "municipalityCode">, ip: string): Promise<void> {
    if (actor.role !== "municipality" || !actor.municipalityCode) return;
    const cidrs = await this.allowedCidrs(actor.municipalityCode);
    if (cidrs.length && !inNetworks(ip, cidrs)) {
      throw problems.forbidden(
        "This municipality's staff may sign in only from its own networks",
        "network_not_allowed",
      );
    }
  }
}
