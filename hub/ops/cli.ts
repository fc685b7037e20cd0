import { runCli } from "./commands.js";

/** `tsx hub/ops/cli.ts <command>`: the operations of hub/ops/commands.ts (npm run backup, restore, export, …). */
process.exit(await runCli(process.argv.slice(2)));
