/** Starting and stopping the processes a benchmark or a multi-process test drives. */
import { type ChildProcess, spawn } from "node:child_process";

/** The hub (hub/main.ts) as a process of its own, with `env` over this process's environment; its errors to stderr. */
export function spawnHub(env: Record<string, string | undefined>): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "hub/main.ts"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
}

/** Waits until `url` answers 2xx, asking every `pollMs`. */
export async function waitReady(url: string, timeoutMs: number, pollMs = 300): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error(`${url} did not become ready`);
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

/** SIGTERM, then waits for the exit (at most 30 s). */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
}
