/**
 * What the upload tests share: real HLS footage made once by ffmpeg (as the
 * box's buffer would list it), a school with one ended recording by teacher A
 * on room-1 that is only on the box, and an upload token as the custodian
 * issues one (only its hash kept).
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Test } from "tap";
import type { UploadSegment } from "../../device/src/link/uploader.js";
import { tempDir } from "./controller.js";
import { listSegments } from "./media.js";
import { deviceEvent, startSchool, type School } from "./school.js";

export const UPLOAD_START = new Date("2026-11-23T08:00:00.000Z");

export interface Footage {
  dir: string;
  segments: UploadSegment[];
  total: number;
  fileOf: (name: string) => Buffer;
}

/**
 * Eight seconds of test pattern as HLS, in a folder removed when the test
 * file ends: `video` is ffmpeg's `testsrc2` size and rate, `encode` the codec
 * options (GOP, quality) and `segmentSeconds` the HLS segment length.
 */
export function makeFootage(
  t: Pick<Test, "teardown">,
  options: {
    prefix: string;
    video: string;
    encode: string[];
    segmentSeconds: number;
    seconds?: number;
  },
): Footage {
  const footage = tempDir(options.prefix);
  t.teardown(footage.remove);
  execFileSync(
    "ffmpeg",
    [
      ...["-v", "error", "-f", "lavfi", "-i", `testsrc2=${options.video}`],
      ...["-t", String(options.seconds ?? 8), "-c:v", "libx264", ...options.encode],
      ...["-f", "hls", "-hls_time", String(options.segmentSeconds), "-hls_list_size", "0"],
      ...["-hls_segment_filename", join(footage.path, "seg-%05d.ts")],
      join(footage.path, "source.m3u8"),
    ],
    { stdio: "inherit" },
  );
  const segments: UploadSegment[] = listSegments(footage.path, "source.m3u8");
  return {
    dir: footage.path,
    segments,
    total: segments.reduce((sum, s) => sum + s.bytes, 0),
    fileOf: (name) => readFileSync(join(footage.path, name)),
  };
}

/** A recording by teacher A on room-1 of `footage`'s segments, ended, only on the box. */
export async function recordingOnBox(school: School, footage: Footage): Promise<string> {
  const booking = await school.as["teacher-a"].post("/api/bookings", {
    deviceId: "room-1",
    start: "2026-11-23T09:00:00Z",
    end: "2026-11-23T10:00:00Z",
    purpose: "coaching",
    classCode: "7A1",
  });
  const id = randomUUID();
  const { bookingId } = booking.json<{ bookingId: string }>();
  await deviceEvent(
    school.app,
    "room-1",
    "recording.started",
    { recordingId: id, bookingId, audio: true, encoder: "libx264" },
    new Date("2026-11-23T09:01:00Z"),
  );
  await deviceEvent(
    school.app,
    "room-1",
    "recording.stopped",
    {
      recordingId: id,
      reason: "button",
      durationSeconds: 8,
      segments: footage.segments.length,
      bytes: footage.total,
    },
    new Date("2026-11-23T09:02:00Z"),
  );
  return id;
}

/** A school (closed at the test's end) with one recording of `footage` only on the box. */
export async function schoolWithRecording(
  t: Pick<Test, "teardown">,
  footage: Footage,
): Promise<{ school: School; id: string }> {
  const school = await startSchool({ start: UPLOAD_START });
  t.teardown(school.close);
  return { school, id: await recordingOnBox(school, footage) };
}

/** An upload token as the custodian issues one (only its hash is kept). */
export async function issueUploadToken(app: FastifyInstance, recordingId: string): Promise<string> {
  const token = randomBytes(24).toString("base64url");
  await app.db.transaction((tx) =>
    tx.run("UPDATE recordings SET upload_token_hash = ? WHERE id = ?", [
      createHash("sha256").update(token).digest("hex"),
      recordingId,
    ]),
  );
  return token;
}
