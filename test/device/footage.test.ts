/**
 * The whole footage path with the real daemon: a teacher books a slot, the
 * sim box records it over real MQTT, the teacher opens the recording, the
 * controller asks the box to upload it, the box uploads over real HTTP, and
 * the teacher's session is served the recording as HLS — every segment
 * byte-identical to the box's, the playlist decodable to the end — while a
 * colleague without access is refused.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { until } from "../helpers/device.js";
import { bookOnBox, footageOnController, schoolWithBox } from "../helpers/school-box.js";
import { probe } from "../helpers/media.js";

const DEVICE = "room-1";

void t.test("record on the box, open on the dashboard, watch it as HLS", async (t) => {
  const classroom = await schoolWithBox(t, DEVICE);
  const { school, box } = classroom;
  const { as } = school;
  const uploadLists: string[][] = [];
  box.daemon.config.onChange((config) => uploadLists.push(config.uploads ?? []));

  // a booking around now, pushed to the box as its schedule
  const bookingId = await bookOnBox(t, classroom, DEVICE, "self-reflection");

  // the teacher presses record (a minute early is fine), then stops
  await box.daemon.press("short");
  const recordingId = box.daemon.session.recording?.recordingId ?? "";
  t.equal(box.daemon.lamp.mode, "recording", "solid lamp: picture and sound");
  await until(
    async () => ((await box.daemon.index.get(recordingId))?.segments ?? 0) >= 2,
    "two segments",
  );
  await box.daemon.press("short");
  await until(async () => (await box.daemon.outbox.depth()) === 0, "the events delivered");
  await school.app.projector.catchUp();

  const mine = await as["teacher-a"].get(`/api/recordings/${recordingId}`);
  t.equal(mine.status, 200, "the recording is the teacher's");
  t.match(mine.json(), { bookingId, footage: { state: "on-device" } });

  // opening it asks the box for it; the box uploads over HTTP
  const playlistUrl = `/api/recordings/${recordingId}/footage/index.m3u8`;
  const first = await as["teacher-a"].get(playlistUrl);
  t.equal(first.status, 404, "not on the controller yet: asked for");
  await footageOnController(school, recordingId);
  const playlist = await as["teacher-a"].get(playlistUrl);
  t.equal(playlist.status, 200);
  t.match(playlist.headers["cache-control"], /no-store/, "never cached");
  t.match(playlist.body, /#EXT-X-ENDLIST/, "a finished recording");

  // every segment served equals the box's, and the whole decodes
  const served = mkdtempSync(join(tmpdir(), "classcam-served-"));
  t.teardown(() => rmSync(served, { recursive: true, force: true }));
  writeFileSync(join(served, "index.m3u8"), String(playlist.body));
  const row = await box.daemon.index.get(recordingId);
  const segments = await box.daemon.index.segments(recordingId);
  t.ok(segments.length >= 2, `${segments.length} segments`);
  for (const segment of segments) {
    const reply = await school.app.inject({
      method: "GET",
      url: `/api/recordings/${recordingId}/footage/${segment.name}`,
      headers: { cookie: as["teacher-a"].cookie ?? "" },
    });
    t.equal(reply.statusCode, 200, `${segment.name} served`);
    t.ok(
      reply.rawPayload.equals(readFileSync(join(row?.dir ?? "", segment.name))),
      `${segment.name} is byte-identical to the box's`,
    );
    writeFileSync(join(served, segment.name), reply.rawPayload);
  }
  const probed = await probe(join(served, "index.m3u8"));
  t.equal(probed.errors, "", "the served recording decodes cleanly");
  t.same(
    probed.streams.map((s) => s.codec_type).sort(),
    ["audio", "video"],
    "with picture and sound",
  );
  t.ok(probed.durationSeconds >= 3, `it lasts ${probed.durationSeconds} s`);

  t.ok(
    uploadLists.some((list) => list.includes(recordingId)),
    "the box was told to protect it until uploaded (config uploads)",
  );
  const other = await as["teacher-c"].get(playlistUrl);
  t.equal(other.status, 403, "a colleague it was not shared with is refused");
  await until(
    () => box.daemon.protection()?.uploads.includes(recordingId) === false,
    "the recording to leave the box's upload list once uploaded",
  );
});
