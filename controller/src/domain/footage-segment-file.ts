/**
 * One uploaded segment's bytes onto the controller's disk: streamed to a
 * temporary file, measured and hashed on the way, and kept (synced, then
 * renamed into the recording's folder) only when length and SHA-256 match
 * what the manifest promised. Nothing else is left behind. The folder's own
 * sync, which makes the rename durable, is the caller's (`footage-commit.ts`).
 */
import { createHash, randomUUID } from "node:crypto";
import { mkdir, open, rename, rm, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { Transform, Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { INCOMING, MAX_SEGMENT_BYTES, UploadRefused } from "./footage-facts.js";

export /** Makes a rename or a new file durable: the folder's entry is synced too. */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Keeps `body` as `<folder>/<name>` when it is exactly the segment the
 * manifest names; throws `UploadRefused` otherwise. The file's data is synced
 * before the rename; the folder's entry is not: the caller syncs the folder
 * (once for the segments finishing together, `footage-commit.ts`) before the
 * segment counts.
 */
export async function keepSegment(
  folder: string,
  name: string,
  body: Readable,
  segment: { bytes: number; sha256: string },
): Promise<void> {
  const incoming = join(folder, INCOMING);
  await mkdir(incoming, { recursive: true, mode: 0o750 });
  const temporary = join(incoming, `${name}.${randomUUID()}.part`);
  const hash = createHash("sha256");
  let length = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      length += chunk.length;
      if (length > MAX_SEGMENT_BYTES) {
        done(
          new UploadRefused(
            413,
            "segment-too-large",
            `a segment may be at most ${MAX_SEGMENT_BYTES} bytes; nothing was kept`,
          ),
        );
        return;
      }
      if (length > segment.bytes) {
        done(
          new UploadRefused(
            422,
            "length-mismatch",
            `${name} is longer than the ${segment.bytes} bytes the manifest says; nothing was kept`,
          ),
        );
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const file = await open(temporary, "wx", 0o640);
  let kept = false;
  try {
    try {
      // written through the handle itself, so it can be synced before it is closed
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          writeAll(file, chunk).then(() => done(), done);
        },
      });
      await pipeline(body, meter, sink);
    } catch (error) {
      if (error instanceof UploadRefused) throw error;
      if (
        body.readableAborted ||
        body.destroyed ||
        (error as { code?: string }).code === "ECONNRESET"
      ) {
        throw new UploadRefused(
          400,
          "upload-cut-off",
          `${name}: the bytes stopped coming after ${length} of ${segment.bytes}; nothing was kept`,
        );
      }
      throw error;
    }
    if (length !== segment.bytes) {
      throw new UploadRefused(
        422,
        "length-mismatch",
        `${name} arrived as ${length} bytes but the manifest says ${segment.bytes}; nothing was kept`,
      );
    }
    const digest = hash.digest("hex");
    if (digest !== segment.sha256) {
      throw new UploadRefused(
        422,
        "checksum-mismatch",
        `${name}: the bytes that arrived do not match the manifest's SHA-256 ` +
          `(they hash to ${digest}); nothing was kept`,
      );
    }
    await file.datasync();
    await file.close();
    await rename(temporary, join(folder, name));
    kept = true;
  } finally {
    if (!kept) {
      await file.close().catch(() => undefined);
      await rm(temporary, { force: true });
    }
  }
}

/** Writes every byte of `chunk` at the handle's position (a write may take only part). */
async function writeAll(file: FileHandle, chunk: Buffer): Promise<void> {
  for (let offset = 0; offset < chunk.length;) {
    const { bytesWritten } = await file.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}
