import { hash, verify } from "@node-rs/argon2";

// argon2id with the library's defaults (19 MiB, t=2), the OWASP baseline.
const ARGON2ID = 2;

export const hashPassword = (password: string) => hash(password, { algorithm: ARGON2ID });

export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  if (!stored) {
    // Spend the same time as a real check, so unknown accounts cannot be told apart by timing.
    await verify(DUMMY_HASH, password).catch(() => false);
    return false;
  }
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

const DUMMY_HASH = await hashPassword("not-a-real-password");
