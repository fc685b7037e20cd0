import { createReadStream, createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { Decrypter, Encrypter } from "age-encryption";
import { OpsError } from "./sql.js";

/**
 * Backups encrypted with age (https://age-encryption.org): the hub holds only the recipients' public keys
 * (BACKUP_RECIPIENTS, `age1…`), so a stolen server or backup disk reveals nothing; the secret key (an identity file
 * with `AGE-SECRET-KEY-1…`) is needed only to restore, and the standard `age -d -i key.txt` CLI opens the files too.
 */

/** Writes `source` to `out`, encrypted to `recipients` when there are any. */
export async function writeMaybeEncrypted(source: Readable, out: string, recipients: string[]) {
  if (!recipients.length) {
    await pipeline(source, createWriteStream(out, { mode: 0o600 }));
    return;
  }
  const encrypter = new Encrypter();
  for (const r of recipients) encrypter.addRecipient(r);
  const encrypted = await encrypter.encrypt(Readable.toWeb(source) as ReadableStream<Uint8Array>);
  await pipeline(
    Readable.fromWeb(encrypted as WebReadableStream<Uint8Array>),
    createWriteStream(out, { mode: 0o600 }),
  );
}

/** The age identities (secret keys) in an identity file, as `age-keygen` writes it (comments allowed). */
export async function readIdentities(identityFile: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(identityFile, "utf8");
  } catch {
    throw new OpsError(`cannot read the identity file ${identityFile}`);
  }
  const identities = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.startsWith("AGE-SECRET-KEY-"));
  if (!identities.length) throw new OpsError(`${identityFile} holds no age secret key (AGE-SECRET-KEY-1…)`);
  return identities;
}

/** A decrypting reader of an age file; refuses clearly when none of the identities opens it. */
export async function openEncrypted(file: string, identities: string[]): Promise<Readable> {
  const decrypter = new Decrypter();
  try {
    for (const id of identities) decrypter.addIdentity(id);
  } catch {
    throw new OpsError("the identity file holds a malformed age secret key");
  }
  try {
    const plain = await decrypter.decrypt(
      Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
    );
    return Readable.fromWeb(plain as WebReadableStream<Uint8Array>);
  } catch (err) {
    throw new OpsError(
      `cannot decrypt ${file}: ${(err as Error).message} (is it the secret key of one of the backup's recipients?)`,
    );
  }
}
