/**
 * The player starts on footage while the classroom box is still uploading it
 * (issue 21 §1): Watch pressed before anything arrived, it plays as soon as a
 * few segments are in; as the rest arrive the
 * growing playlist is followed and the video plays on past what was there at
 * the start, with no page errors. The footage is sealed as a box seals it
 * (issue 20 §1): encrypted with HLS AES-128, its key sealed to the controller,
 * so hls.js plays it through the key route (the opening audited).
 */
import t from "tap";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hlsKeyInfo, newContentKey, sealContentKey } from "@classcam/protocol";
import { loadSealingKeys, SEALING_KEYS_DIR } from "../../controller/src/sealing-keys.js";
import { tempDir } from "../helpers/controller.js";
import { listSegments } from "../helpers/media.js";
import { deviceEvent, startSchool } from "../helpers/school.js";
import { launchBrowser, openDashboard, signIn, go, waitInPage } from "./browser.js";

const dir = tempDir("classcam-playback-");
t.teardown(dir.remove);
const CONTENT = newContentKey();
const ram = tempDir("classcam-ram-");
t.teardown(ram.remove);
writeFileSync(join(ram.path, "content.key"), CONTENT.key);
writeFileSync(
  join(ram.path, "key-info"),
  hlsKeyInfo("key", join(ram.path, "content.key"), CONTENT),
);
execFileSync("ffmpeg", [
  ...["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10", "-t", "12"],
  ...["-c:v", "libx264", "-g", "10", "-f", "hls", "-hls_time", "1", "-hls_list_size", "0"],
  ...["-hls_flags", "periodic_rekey", "-hls_key_info_file", join(ram.path, "key-info")],
  ...["-hls_segment_filename", join(dir.path, "seg-%05d.ts"), join(dir.path, "source.m3u8")],
]);
const SEGMENTS = listSegments(dir.path, "source.m3u8");
const TOTAL = SEGMENTS.reduce((sum, s) => sum + s.bytes, 0);

void t.test("Watch plays footage still arriving, and follows it as it grows", async (t) => {
  const school = await startSchool({ start: new Date("2026-11-23T08:00:00.000Z") });
  t.teardown(school.close);
  const booking = await school.as["teacher-a"].post("/api/bookings", {
    deviceId: "room-1",
    start: "2026-11-23T09:00:00Z",
    end: "2026-11-23T10:00:00Z",
    purpose: "coaching",
    classCode: "7A1",
  });
  const { bookingId } = booking.json<{ bookingId: string }>();
  const id = randomUUID();
  const at = (time: string) => new Date(`2026-11-23T${time}Z`);
  await deviceEvent(
    school.app,
    "room-1",
    "recording.started",
    { recordingId: id, bookingId, audio: false, encoder: "libx264" },
    at("09:01:00"),
  );
  await deviceEvent(
    school.app,
    "room-1",
    "recording.stopped",
    {
      recordingId: id,
      reason: "button",
      durationSeconds: 12,
      segments: SEGMENTS.length,
      bytes: TOTAL,
    },
    at("09:02:00"),
  );
  // the box's side of the upload, by hand: the manifest and the first three segments
  const token = randomBytes(24).toString("base64url");
  await school.app.db.transaction((tx) =>
    tx.run("UPDATE recordings SET upload_token_hash = ? WHERE id = ?", [
      createHash("sha256").update(token).digest("hex"),
      id,
    ]),
  );
  const put = async (url: string, payload: string | Buffer, headers: Record<string, string>) => {
    const reply = await school.app.inject({
      method: "PUT",
      url: `/api/uploads/${id}/${url}`,
      headers: { authorization: `Bearer ${token}`, ...headers },
      payload,
    });
    t.equal(reply.statusCode, 200, `the box sends ${url}`);
  };
  const send = (i: number) => {
    const segment = SEGMENTS[i];
    if (!segment) throw new Error(`no segment ${i}`);
    return put(`segments/${segment.name}`, readFileSync(join(dir.path, segment.name)), {
      "content-type": "application/octet-stream",
      "x-content-sha256": segment.sha256,
    });
  };
  const sealing = loadSealingKeys(join(school.controller.dataDir, SEALING_KEYS_DIR));
  const sealedKey = sealContentKey(CONTENT, sealing.current.publicKey, id);
  await put("manifest", JSON.stringify({ segments: SEGMENTS, sealedKey }), {
    "content-type": "application/json",
  });

  const browser = await launchBrowser(t);
  const { page, problems } = await openDashboard(browser, school.httpUrl);
  await signIn(page, "teacher-a");
  await go(page, `recordings/${id}`, "recordings/:id");
  // Watch before anything has arrived: the box is asked, the page waits
  await page.getByRole("button", { name: "Watch", exact: true }).click();
  await page.getByText("The classroom box has been asked for the footage").waitFor();
  for (const i of [0, 1, 2]) await send(i);
  await waitInPage(page, "document.querySelector('video')?.currentTime > 0.3", 30_000);
  const progress = await school.app.footage.progress(id);
  t.notOk(progress.complete, "it plays while the upload is still going");
  t.equal(progress.received.length, 3, "with three segments of twelve in");

  for (let i = 3; i < SEGMENTS.length; i += 1) await send(i);
  await waitInPage(page, "document.querySelector('video').currentTime > 5", 30_000);
  t.pass("it played on past the three seconds that were there when it started");
  const audit = (await school.as.dpo.get(`/api/audit?subject=${id}&limit=1000`)).json<{
    entries: { action: string; actor: string }[];
  }>().entries;
  t.ok(
    audit.some((e) => e.action === "footage.key" && e.actor === "teacher-a"),
    "the player opened the key through the key route (audited)",
  );
  t.same(problems, [], "no page errors");
});
