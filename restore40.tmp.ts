import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { writeFileSync } from "node:fs";
import { createBackup, restoreBackup } from "/work/main/hub/ops/backup.js";
const url = "postgresql://root@127.0.0.1:5432/drill40";
const identity = await generateX25519Identity();
const recipient = await identityToRecipient(identity);
writeFileSync("/tmp/drill/key.txt", identity + "\n");
for (const enc of [false, true]) {
  const config = { DATABASE_URL: url, DATA_DIR: "/tmp/drill", BACKUP_DIR: `/tmp/drill/b-${enc}`, BACKUP_GENERATIONS: 1, BACKUP_RECIPIENTS: enc ? [recipient] : [], BACKUP_IDENTITY_FILE: "/tmp/drill/key.txt" };
  let t = performance.now();
  const b = await createBackup({ config });
  const backupS = (performance.now() - t) / 1000;
  t = performance.now();
  const r = await restoreBackup({ config, file: b.file, targetUrl: "postgresql://root@127.0.0.1:5432/drill40_restore" });
  const restoreS = (performance.now() - t) / 1000;
  const rows = Object.values(b.meta.tables).reduce((s, x) => s + x.rows, 0);
  console.log(JSON.stringify({ encrypted: enc, bytes: b.meta.bytes, rows, backupS: backupS.toFixed(1), restoreS: restoreS.toFixed(1), ok: r.ok }));
}
