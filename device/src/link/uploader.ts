/**
 * Uploads one recording's segments to the controller, as the controller's
 * `upload-recording` request asks: first the manifest (each segment's name,
 * length and SHA-256), whose answer names the segments the controller already
 * holds, so an interrupted upload resumes where it stopped; then each missing
 * segment, in recording order, except that the controller's answers may name
 * the segment to send next (`next`: a viewer is waiting for it), from which
 * the upload goes on and the rest follows (protocol's `nextToUpload`). A
 * segment is read from disk into memory once (segments are a few
 * seconds of footage: a few MB at most) and hashed again before it is sent:
 * one that no longer matches its checksum (a bad sector, a truncated file) is
 * refused here with a clear error, never sent, and what is sent is exactly the
 * bytes that were checked. The next segment is read and checked while the
 * current one is on the wire, so the device's disk and hashing overlap with
 * the network and the controller's own work.
 *
 * Network failures, timeouts and the controller's 5xx/408/429 answers are
 * retried with exponential backoff a bounded number of times; any other
 * refusal ends the upload with the controller's own reason. HTTPS trusts only
 * `caFile` when it is given (the school's own CA).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { join } from "node:path";
import { nextToUpload, uploadNextProblem } from "@classcam/protocol";

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
  /** An HTTP(S) agent of the caller's (default: one keep-alive connection for this upload). */
  agent?: http.Agent;
}

export interface UploadResult {
  segments: number;
  bytes: number;
}

/** An upload that could not be done; `transient` says whether asking again later may help. */
export class UploadFailed extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = "UploadFailed";
  }
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}\.ts$/;
const SHA256 = /^[0-9a-f]{64}$/;
const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;
/** A segment goes on the wire in slices of this size, so progress (and an abort) come as it goes. */
const SEND_SLICE_BYTES = 256 * 1024;

interface Answer {
  status: number;
  body: unknown;
}

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
 * A segment's bytes, read from disk now and checked against the index: the
 * bytes to send, or an `UploadFailed` saying why they must not be sent.
 */
async function readSegment(dir: string, segment: UploadSegment): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await readFile(join(dir, segment.name));
  } catch (error) {
    throw new UploadFailed(
      `segment ${segment.name} cannot be read on this device: ${(error as Error).message}`,
      null,
      false,
    );
  }
  const sha256 = createHash("sha256").update(data).digest("hex");
  if (sha256 !== segment.sha256 || data.length !== segment.bytes) {
    throw new UploadFailed(
      `segment ${segment.name} on this device's disk no longer matches its checksum ` +
        `(${data.length} bytes hashing to ${sha256}; the index says ${segment.bytes} ` +
        `bytes, ${segment.sha256}): it was not sent`,
      null,
      false,
    );
  }
  return data;
}

function abortable(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export async function uploadRecording(options: UploadOptions): Promise<UploadResult> {
  const base = checkOptions(options);
  const { signal } = options;
  signal?.throwIfAborted();
  const secure = base.protocol === "https:";
  let ca: Buffer | undefined;
  if (options.caFile !== undefined) {
    try {
      ca = readFileSync(options.caFile);
    } catch (error) {
      throw new UploadFailed(
        `cannot read the controller's CA file ${options.caFile}: ${(error as Error).message}`,
        null,
        false,
      );
    }
  }
  const ownAgent = options.agent === undefined;
  const agent =
    options.agent ??
    (secure
      ? new https.Agent({ keepAlive: true, maxSockets: 1, ...(ca && { ca }) })
      : new http.Agent({ keepAlive: true, maxSockets: 1 }));
  const attempts = Math.max(1, options.attempts ?? 5);
  const backoffMs = options.backoffMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const authorization = `Bearer ${options.token}`;
  const at = (path: string) => new URL(`${base.pathname.replace(/\/$/, "")}${path}`, base);

  /**
   * One HTTP exchange; a network failure rejects, any answer resolves. A
   * body with `onSent` goes out in slices, `onSent` counting the bytes as
   * they are handed to the connection.
   */
  const exchange = (
    method: string,
    target: URL,
    headers: Record<string, string | number>,
    body: Buffer | null,
    onSent?: (bytes: number) => void,
  ): Promise<Answer> =>
    new Promise<Answer>((resolve, reject) => {
      const transport = target.protocol === "https:" ? https : http;
      const request = transport.request(
        target,
        {
          method,
          agent,
          headers: { authorization, ...headers },
          timeout: timeoutMs,
          ...(signal && { signal }),
          ...(ca && { ca }),
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
          });
          response.on("error", reject);
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              /* not JSON: keep the text for the error message */
            }
            resolve({ status: response.statusCode ?? 0, body: parsed });
          });
        },
      );
      request.on("timeout", () => {
        request.destroy(new Error(`no answer within ${timeoutMs} ms`));
      });
      request.on("error", reject);
      if (body === null) request.end();
      else if (onSent === undefined) request.end(body);
      else {
        const send = async () => {
          for (let at = 0; at < body.length; at += SEND_SLICE_BYTES) {
            const slice = body.subarray(at, at + SEND_SLICE_BYTES);
            onSent(slice.length);
            if (!request.write(slice)) {
              // a request that fails, is aborted or is answered early closes instead: its
              // error or answer settles the exchange
              await new Promise<void>((resolve) => {
                const go = () => {
                  request.off("drain", go).off("close", go);
                  resolve();
                };
                request.once("drain", go).once("close", go);
              });
              if (request.destroyed) return;
            }
          }
          request.end();
        };
        send().catch((error: unknown) => {
          request.destroy();
          reject(error instanceof Error ? error : new Error(String(error)));
        });
      }
    });

  const describe = (answer: Answer) => {
    const message =
      typeof answer.body === "object" && answer.body !== null && "message" in answer.body
        ? String(answer.body.message)
        : String(answer.body).slice(0, 300);
    return `${answer.status} ${message}`;
  };

  /** Runs one exchange until it is answered 2xx, trying transient failures again. */
  const withRetries = async (what: string, run: () => Promise<Answer>): Promise<unknown> => {
    for (let attempt = 1; ; attempt += 1) {
      signal?.throwIfAborted();
      let failure: UploadFailed;
      try {
        const answer = await run();
        if (answer.status >= 200 && answer.status < 300) return answer.body;
        failure = new UploadFailed(
          `${what}: the controller answered ${describe(answer)}`,
          answer.status,
          TRANSIENT_STATUS.has(answer.status),
        );
      } catch (error) {
        if (signal?.aborted) throw signal.reason as Error;
        if (error instanceof UploadFailed) throw error;
        // a certificate the device does not trust will not be trusted on the next try either
        const { code } = error as { code?: unknown };
        const tls =
          typeof code === "string" &&
          /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME|ALTNAME/.test(code);
        failure = new UploadFailed(`${what}: ${(error as Error).message}`, null, !tls);
      }
      if (!failure.transient) throw failure;
      if (attempt >= attempts) {
        throw new UploadFailed(
          `${failure.message} (gave up after ${attempts} tries)`,
          failure.status,
          true,
        );
      }
      const wait = Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1));
      await abortable(wait / 2 + Math.random() * (wait / 2), signal);
    }
  };

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
      }),
    );
    const answered = (await withRetries("sending the manifest", () =>
      exchange(
        "PUT",
        at("/manifest"),
        { "content-type": "application/json", "content-length": manifest.length },
        manifest,
      ),
    )) as { received?: unknown; complete?: unknown; next?: unknown };
    const already = new Set(
      Array.isArray(answered.received) ? (answered.received as string[]) : [],
    );
    let held = options.segments
      .filter((s) => already.has(s.name))
      .reduce((sum, s) => sum + s.bytes, 0);
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
    /** The segment's checked bytes; a refusal is kept until its turn comes (earlier ones go first). */
    const read = (segment: UploadSegment) => {
      const reading = readSegment(options.dir, segment);
      reading.catch(() => undefined); // awaited in its turn, or never if the upload ends first
      return { name: segment.name, reading };
    };
    /** The next segment's reading, started while the one before it is being stored. */
    const ahead: { read?: { name: string; reading: Promise<Buffer> } | undefined } = {};
    for (
      let segment = nextToUpload(missing, cursor);
      segment !== null;
      segment = nextToUpload(missing, cursor)
    ) {
      missing.splice(missing.indexOf(segment), 1);
      cursor = segment.seq + 1;
      const data = await (ahead.read?.name === segment.name ? ahead.read : read(segment)).reading;
      ahead.read = undefined;
      // the next segment is read and hashed once this one is on the wire, while the
      // controller stores it: the device's own work is then off the path the bytes take
      // (should the controller ask for another one next, that reading is set aside)
      const following = nextToUpload(missing, cursor);
      const readFollowing = () => {
        if (following !== null) ahead.read ??= read(following);
      };
      const answer = (await withRetries(`sending ${segment.name}`, () => {
        let sent = 0;
        return exchange(
          "PUT",
          at(`/segments/${segment.name}`),
          {
            "content-type": "application/octet-stream",
            "content-length": segment.bytes,
            "x-content-sha256": segment.sha256,
          },
          data,
          (bytes) => {
            sent += bytes;
            options.onProgress?.(held + sent, totalBytes);
            if (sent === segment.bytes) readFollowing();
          },
        );
      })) as { complete?: unknown; next?: unknown };
      readFollowing();
      held += segment.bytes;
      complete = answer.complete === true;
      follow(answer.next);
    }

    if (!complete) {
      const progress = (await withRetries("asking how far the upload got", () =>
        exchange("GET", base, {}, null),
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
    if (ownAgent) agent.destroy();
  }
}
