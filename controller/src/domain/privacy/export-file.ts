/**
 * A subject access export's file while it waits to be taken away (at most
 * `EXPORT_KEPT_DAYS`): encrypted at rest like every copy the controller
 * makes (`copy-keys.ts`, kind "export"), so a stolen server disk holds no
 * export in the clear. The tar goes from `tar`'s output through AES-128-CBC
 * (the copy's key and IV, PKCS#7) into `<id>.tar.enc`; its SHA-256 and size
 * are of the clear tar, the file the DPO takes away, which is decrypted as it
 * is sent. Taking it away, or its time running out, deletes the file and
 * erases its key (so a copy of the file left anywhere no longer opens).
 */
import { spawn } from "node:child_process";
import { createCipheriv, createDecipheriv, createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { join } from "node:path";
import { PassThrough, Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ContentKey } from "@classcam/protocol";
import type { CopyKeys } from "../copy-keys.js";

/** What an export needs of the copies' keys. */
export type ExportKeys = Pick<CopyKeys, "fresh" | "keep" | "contentKey" | "eraseNow">;

/** Where export `exportId`'s encrypted file is kept. */
export const sealedExportPath = (exportsDir: string, exportId: string) =>
  join(exportsDir, `${exportId}.tar.enc`);

/** An export's file name in the exports folder: its id, and whether it is encrypted (older ones are not). */
export const EXPORT_FILE = /^([0-9a-f-]{36})\.tar(\.enc)?$/;

function cipherOf(content: ContentKey) {
  if (content.iv === null) throw new Error("an export's key carries one IV");
  return createCipheriv("aes-128-cbc", content.key, content.iv);
}

/**
 * Writes the tar of `folder` to `path`, encrypted with `content`; answers
 * the clear tar's size and SHA-256.
 */
export async function writeSealedTar(
  folder: string,
  path: string,
  content: ContentKey,
): Promise<{ bytes: number; sha256: string }> {
  const tar = spawn("tar", ["-cf", "-", "-C", folder, "."], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  tar.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve, reject) => {
    tar.once("error", reject);
    tar.once("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`tar failed (${code}): ${stderr.trim()}`)),
    );
  });
  const hash = createHash("sha256");
  let bytes = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  await Promise.all([
    pipeline(tar.stdout, measure, cipherOf(content), createWriteStream(path, { mode: 0o600 })),
    exited,
  ]);
  return { bytes, sha256: hash.digest("hex") };
}

/** The clear tar of the file at `path`, decrypted as it is read (`content` null: kept clear). */
export function readExport(path: string, content: ContentKey | null): Readable {
  const file = createReadStream(path);
  if (content === null) return file;
  if (content.iv === null) throw new Error("an export's key carries one IV");
  const clear = new PassThrough();
  pipeline(file, createDecipheriv("aes-128-cbc", content.key, content.iv), clear).catch(
    (error: unknown) => clear.destroy(error as Error),
  );
  return clear;
}
