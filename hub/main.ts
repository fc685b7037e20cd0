import { ConfigError, loadConfig } from "./config.js";
import { createHub, startHub } from "./server.js";

/** The hub's entry point: `npm run demo` (embedded, with demo data) or `npm start` (configured by the environment). */
async function main() {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const hub = await createHub(config);
  console.log(
    `Database: ${hub.db.kind === "pglite" ? `embedded PGlite in ${config.DATA_DIR}` : "PostgreSQL"}; ` +
      `jobs: ${hub.queue.kind === "memory" ? "in-process" : "BullMQ on Redis"}; roles: ${config.PROCESS_ROLES.join(", ")}`,
  );
  if (config.SEED_DEMO) {
    const { seedDemo } = await import("../fixtures/seed.js");
    const { hashPassword } = await import("./identity/passwords.js");
    const counts = await seedDemo(hub.prisma, { hashPassword, publicUrl: config.PUBLIC_URL });
    console.log(
      `Demo data: ${counts.municipalities} municipalities, ${counts.facilities} facilities, ${counts.residents} residents, ${counts.users} accounts`,
    );
  }
  const running = await startHub(hub);
  if (running.url) {
    console.log(`\nThe hub is running: ${running.url}`);
    console.log(`  sign in:  ${running.url}sign-in`);
    console.log(`  API docs: ${running.url}api/docs`);
    if (config.SEED_DEMO) {
      console.log(`  demo accounts (password demo-pass-2026): see README.md "Demo accounts"`);
      console.log("  residents sign in with a one-time code (resident@demo.example.jp)");
    }
    if (config.DEMO_MAILBOX) {
      console.log(`  demo mailbox (what the hub would have e-mailed): ${running.url}mailbox`);
    }
  }
  const shutdown = async (signal: string) => {
    console.log(`\n${signal}: stopping`);
    await running.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((err) => {
  console.error("The hub could not start:", err instanceof Error ? err.message : err);
  process.exit(1);
});
