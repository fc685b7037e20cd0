import type { Role } from "../../hub/db/client.js";
import { createSession } from "../../hub/identity/sessions.js";
import { TestClient } from "./client.js";
import type { TestHub } from "./hub.js";

/** A signed-in client for a user found by e-mail (any role, residents included), without the sign-in flow. */
export async function clientFor(t: TestHub, email: string): Promise<TestClient> {
  const user = await t.hub.prisma.user.findUniqueOrThrow({ where: { email } });
  return clientForUser(t, user.id);
}

export async function clientForUser(t: TestHub, userId: string): Promise<TestClient> {
  const token = await createSession(
    t.hub.prisma,
    { id: userId },
    { verified: true, ip: "127.0.0.1", hours: 1, now: new Date() },
  );
  const client = new TestClient(t.url);
  await client.useSession(token);
  return client;
}

/** Demo users by role, and a second user of another tenant of the same role where the demo data has one. */
export const DEMO_USERS: Record<Role, { own: string; other?: string }> = {
  resident: { own: "resident@demo.example.jp" },
  facility: { own: "facility@demo.example.jp", other: "facility2@demo.example.jp" },
  municipality: { own: "sendai@demo.example.jp", other: "natori@demo.example.jp" },
  association: { own: "medical@demo.example.jp", other: "midwife@demo.example.jp" },
  prefecture: { own: "prefecture@demo.example.jp" },
  operator: { own: "operator@demo.example.jp" },
};
