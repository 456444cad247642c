/**
 * Uploads one recording's segments to the controller, as the controller's
 * `upload-recording` request asks: first the manifest (each segment's name,
 * length and SHA-256, as the buffer index recorded them when the segment was
 * sealed), whose answer names the segments the controller already holds, so
 * an interrupted upload resumes where it stopped; then the missing segments,
 * a few at a time (`parallel`, each on a kept-alive connection of its own),
 * so the wire stays busy while the controller makes each one durable. The
 * next segment to start is chosen by a cursor in recording order, which the
 * controller's answers may move (`next`: a viewer is waiting for it), from
 * where the upload goes on and the rest follows (protocol's `nextToUpload`).
 *
 * A segment is read from disk into memory once (into buffers used again for
 * the segments after it) and sent as read; it is not hashed again here: the controller hashes what arrives and keeps it only
 * when it matches the manifest. When the controller refuses a segment's bytes
 * as not matching, the box hashes what it sent: bytes that no longer match
 * the index (a bad sector, a truncated file) end the upload with a clear
 * error; bytes that do match were damaged on the way, and are sent again.
 * The retry rule is `upload-http.ts`, the connections `http-lane.ts`.
 */
import { createHash } from "node:crypto";
import { close, open, read } from "node:fs";
import { join } from "node:path";
import { nextToUpload, uploadNextProblem } from "@classcam/protocol";
import { UploadConnection, UploadFailed, describe, type Answer } from "./upload-http.js";

export { UploadFailed } from "./upload-http.js";

export interface UploadSegment {
  seq: number;
  name: string;
  durationSeconds: number;
  bytes: number;
  /** Lower-case hex, as the buffer index recorded it when the segment closed. */
  sha256: string;
}

export interface UploadOptions {
  /** `<publicUrl>/api/uploads/<recordingId>`, from the request. */
  url: string;
  /** The request's one-time token, sent as `Authorization: Bearer <token>`. */
  token: string;
  recordingId: string;
  segments: readonly UploadSegment[];
  /** The content key sealed to the controller, sent with the manifest; null: footage in the clear. */
  sealedKey?: string | null;
  /** The recording's folder on this device. */
  dir: string;
  /** PEM file of the CA to trust for HTTPS (only it); the system's CAs when absent. */
  caFile?: string;
  signal?: AbortSignal;
  /** Bytes the controller holds of the recording, as they go (including what it already had). */
  onProgress?: (sentBytes: number, totalBytes: number) => void;
  /** Tries per request before a transient failure ends the upload (default 5). */
  attempts?: number;
  /** The first wait before trying again; it doubles each time, with jitter (default 500 ms). */
  backoffMs?: number;
  /** The longest wait between tries (default 30 s). */
  maxBackoffMs?: number;
  /** How long a request may stay silent before it is given up (default 60 s). */
  timeoutMs?: number;
  /** Segments on the wire at once (default 3). */
  parallel?: number;
}

export interface UploadResult {
  segments: number;
  bytes: number;
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}\.ts$/;
const SHA256 = /^[0-9a-f]{64}$/;
const DEFAULT_PARALLEL = 3;

function checkOptions(options: UploadOptions): URL {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new UploadFailed(`the upload URL '${options.url}' is not a URL`, null, false);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UploadFailed(`the upload URL must be http(s), not ${url.protocol}`, null, false);
  }
  if (options.segments.length === 0) {
    throw new UploadFailed(
      `recording ${options.recordingId} has no segments to upload`,
      null,
      false,
    );
  }
  const names = new Set<string>();
  for (const segment of options.segments) {
    if (!SAFE_NAME.test(segment.name)) {
      throw new UploadFailed(`'${segment.name}' is not a segment file name`, null, false);
    }
    if (!SHA256.test(segment.sha256)) {
      throw new UploadFailed(
        `segment ${segment.name} has no valid SHA-256 in the index`,
        null,
        false,
      );
    }
    if (names.has(segment.name)) {
      throw new UploadFailed(`segment ${segment.name} is listed twice`, null, false);
    }
    names.add(segment.name);
  }
  return url;
}

/**
 * A segment's bytes, read from disk now into `room` (grown when too small):
 * the bytes to send, or an `UploadFailed` saying why they cannot be (not
 * hashed: see the top).
 */
async function readSegment(
  dir: string,
  segment: UploadSegment,
  room: { buffer: Buffer },
): Promise<Buffer> {
  const problem = (what: string) =>
    new UploadFailed(`segment ${segment.name} cannot be read on this device: ${what}`, null, false);
  let fd: number;
  try {
    fd = await openToRead(join(dir, segment.name));
  } catch (error) {
    throw problem((error as Error).message);
  }
  try {
    if (room.buffer.length < segment.bytes + 1)
      room.buffer = Buffer.allocUnsafeSlow(segment.bytes + 1);
    let length = 0;
    // one byte more than the index says: a longer file shows itself, and a read that
    // comes back short of it at the expected length has met the end of the file
    for (;;) {
      const asked = segment.bytes + 1 - length;
      const got = await readAt(fd, room.buffer, length, asked);
      if (got === 0) break;
      length += got;
      if (length > segment.bytes || (length === segment.bytes && got < asked)) break;
    }
    if (length !== segment.bytes) {
      throw new UploadFailed(
        `segment ${segment.name} on this device's disk no longer matches its checksum ` +
          `(${length > segment.bytes ? `more than ${segment.bytes}` : length} bytes; ` +
          `the index says ${segment.bytes}): it was not sent`,
        null,
        false,
      );
    }
    return room.buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof UploadFailed) throw error;
    throw problem((error as Error).message);
  } finally {
    close(fd, () => undefined);
  }
}

// node:fs's callback calls, not its promise API's file handles: a third of the JavaScript
// per segment on the box, where the daemon runs without the optimising compiler
function openToRead(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    open(path, "r", (error, fd) => (error ? reject(error) : resolve(fd)));
  });
}

/** Reads up to `length` bytes of the file at `at` into `buffer` at `at`. */
function readAt(fd: number, buffer: Buffer, at: number, length: number): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buffer, at, length, at, (error, bytesRead) =>
      error ? reject(error) : resolve(bytesRead),
    );
  });
}

/**
 * What a refusal of a segment's bytes means: when they no longer match the
 * index, the device's copy is bad (the upload ends, saying so); when they do,
 * they were damaged on the way, and another try may help.
 */
function judgeRefusal(segment: UploadSegment, data: Buffer, answer: Answer): UploadFailed | null {
  const body = answer.body as { error?: unknown } | null;
  if (answer.status !== 422 || body?.error !== "checksum-mismatch") return null;
  const sha256 = createHash("sha256").update(data).digest("hex");
  if (sha256 !== segment.sha256) {
    return new UploadFailed(
      `segment ${segment.name} on this device's disk no longer matches its checksum ` +
        `(${data.length} bytes hashing to ${sha256}; the index says ${segment.bytes} ` +
        `bytes, ${segment.sha256}): the controller refused it and kept nothing of it`,
      422,
      false,
    );
  }
  return new UploadFailed(
    `sending ${segment.name}: the bytes were damaged on the way (${describe(answer)})`,
    422,
    true,
  );
}

export async function uploadRecording(options: UploadOptions): Promise<UploadResult> {
  const base = checkOptions(options);
  const { signal } = options;
  signal?.throwIfAborted();
  const parallel = Math.max(1, Math.floor(options.parallel ?? DEFAULT_PARALLEL));
  const connection = new UploadConnection({
    base,
    token: options.token,
    caFile: options.caFile,
    signal,
    sockets: parallel,
    attempts: Math.max(1, options.attempts ?? 5),
    backoffMs: options.backoffMs ?? 500,
    maxBackoffMs: options.maxBackoffMs ?? 30_000,
    timeoutMs: options.timeoutMs ?? 60_000,
  });

  const totalBytes = options.segments.reduce((sum, s) => sum + s.bytes, 0);
  try {
    const manifest = Buffer.from(
      JSON.stringify({
        segments: options.segments.map(({ seq, name, durationSeconds, bytes, sha256 }) => ({
          seq,
          name,
          durationSeconds,
          bytes,
          sha256,
        })),
        ...(options.sealedKey != null && { sealedKey: options.sealedKey }),
      }),
    );
    const answered = (await connection.withRetries("sending the manifest", () =>
      connection.exchange(
        "PUT",
        connection.at("/manifest"),
        { "content-type": "application/json", "content-length": manifest.length },
        manifest,
      ),
    )) as { received?: unknown; complete?: unknown; next?: unknown };
    const already = new Set(
      Array.isArray(answered.received) ? (answered.received as string[]) : [],
    );
    /** Bytes the controller holds, and bytes of segments on their way. */
    let held = options.segments
      .filter((s) => already.has(s.name))
      .reduce((sum, s) => sum + s.bytes, 0);
    let moving = 0;
    options.onProgress?.(held, totalBytes);
    let complete = answered.complete === true;

    // in recording order from a cursor, which the controller moves to where a viewer waits
    // (its answers' `next`: one of this recording's own segments, or nothing is sent)
    const missing = options.segments.filter((s) => !already.has(s.name));
    const names = new Set(options.segments.map((s) => s.name));
    let cursor = 0;
    const follow = (next: unknown) => {
      const problem = uploadNextProblem(next, names);
      if (problem !== null) throw new UploadFailed(problem, null, false);
      const wanted = missing.find((s) => s.name === next);
      if (wanted !== undefined) cursor = wanted.seq;
    };
    follow(answered.next);

    /** One segment, read and sent (tried again while that may help), its answer followed. */
    /** Memory to read segments into, one per segment in flight, used again and again. */
    const rooms: { buffer: Buffer }[] = [];
    const send = async (segment: UploadSegment): Promise<void> => {
      const room = rooms.pop() ?? { buffer: Buffer.alloc(0) };
      try {
        await sendFrom(segment, room);
      } finally {
        rooms.push(room);
      }
    };
    const sendFrom = async (segment: UploadSegment, room: { buffer: Buffer }): Promise<void> => {
      const data = await readSegment(options.dir, segment, room);
      let sent = 0;
      const answer = (await connection.withRetries(
        `sending ${segment.name}`,
        () => {
          moving -= sent;
          sent = 0;
          return connection.exchange(
            "PUT",
            connection.at(`/segments/${segment.name}`),
            {
              "content-type": "application/octet-stream",
              "content-length": segment.bytes,
              "x-content-sha256": segment.sha256,
            },
            data,
            (bytes) => {
              sent += bytes;
              moving += bytes;
              options.onProgress?.(held + moving, totalBytes);
            },
          );
        },
        (refusal) => judgeRefusal(segment, data, refusal),
      )) as { complete?: unknown; next?: unknown };
      moving -= sent;
      held += segment.bytes;
      if (answer.complete === true) complete = true;
      follow(answer.next);
    };

    // a few on the wire at once; when one ends, the cursor names the next to start.
    // After a failure nothing new starts; those already going finish (what arrives counts).
    const going = new Set<Promise<void>>();
    const failed: { error?: unknown } = {};
    for (;;) {
      while (!("error" in failed) && going.size < parallel) {
        const segment = nextToUpload(missing, cursor);
        if (segment === null) break;
        missing.splice(missing.indexOf(segment), 1);
        cursor = segment.seq + 1;
        const sending: Promise<void> = send(segment)
          .catch((error: unknown) => {
            if (!("error" in failed)) failed.error = error;
          })
          .finally(() => going.delete(sending));
        going.add(sending);
      }
      if (going.size === 0) break;
      await Promise.race(going);
    }
    if ("error" in failed) {
      const { error } = failed;
      if (signal?.aborted) throw signal.reason as Error;
      throw error instanceof Error ? error : new Error(String(error));
    }

    if (!complete) {
      const progress = (await connection.withRetries("asking how far the upload got", () =>
        connection.exchange("GET", connection.at(""), {}, null),
      )) as { complete?: unknown; received?: unknown };
      if (progress.complete !== true) {
        const received = new Set(Array.isArray(progress.received) ? progress.received : []);
        const lacking = options.segments.filter((s) => !received.has(s.name)).map((s) => s.name);
        throw new UploadFailed(
          `the controller still lacks ${lacking.length} segment(s) of recording ` +
            `${options.recordingId} (${lacking.slice(0, 5).join(", ")}${lacking.length > 5 ? ", …" : ""})`,
          null,
          true,
        );
      }
    }
    return { segments: options.segments.length, bytes: totalBytes };
  } finally {
    connection.close();
  }
}
