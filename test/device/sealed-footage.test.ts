/**
 * Footage sealed on the box (issue 20 §1): a sim box given the controller's
 * sealing key records a lesson; then its data folder is imaged as a thief
 * would: no segment decodes with ffprobe, and the content key's bytes are in
 * no file under the data folder. Only the controller's private key opens the
 * sealed key in the index, and with it every segment decodes.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { newSealingKeyPair, segmentIv } from "@classcam/protocol";
import { tempDir } from "../helpers/controller.js";
import { boxDir, boxSettings, cacheBoxConfig, startBox, until } from "../helpers/device.js";
import {
  decodesAsIs,
  decryptSegment,
  decryptedCopy,
  firstSectionIntact,
  filesContaining,
  openedKey,
  probeDecrypted,
  sealedSettings,
} from "../helpers/sealed.js";

void t.test("a recording on a box with a sealing key is ciphertext on its card", async (t) => {
  const dir = boxDir();
  t.teardown(dir.remove);
  const scratch = tempDir("classcam-plain-");
  t.teardown(scratch.remove);
  cacheBoxConfig(dir.path);
  const controller = newSealingKeyPair();
  const sealed = sealedSettings(
    boxSettings("room-sealed", "s".repeat(32), "mqtt://127.0.0.1:9", dir.path),
    controller,
  );
  t.teardown(sealed.remove);
  const box = await startBox(sealed.settings);
  t.teardown(() => box.stop());

  await box.daemon.press("short");
  const recordingId = box.daemon.session.recording?.recordingId ?? "";
  t.not(recordingId, "", "the box records");
  await until(
    async () => ((await box.daemon.index.get(recordingId))?.segments ?? 0) >= 3,
    "three segments",
  );
  t.same(
    readdirSync(sealed.runtimeDir),
    [`key-${recordingId}`],
    "while it records, the open key is in the RAM folder only",
  );
  await box.daemon.press("short");
  t.equal(box.daemon.session.phase, "idle");
  t.notOk(
    existsSync(join(sealed.runtimeDir, `key-${recordingId}`)),
    "once the capture ends the open key is gone: the box cannot decrypt its own footage",
  );

  const row = await box.daemon.index.get(recordingId);
  t.match(
    row?.sealedKey,
    /^v2\./,
    "the index holds the sealed key (the key alone: an IV per segment)",
  );
  const content = openedKey(row?.sealedKey ?? null, controller, recordingId);
  t.same(
    filesContaining(dir.path, content.key),
    [],
    "the key's bytes are in no file under the data folder",
  );
  const segments = await box.daemon.index.segments(recordingId);
  t.ok(segments.length >= 3, `${segments.length} segments`);
  const first = join(row?.dir ?? "", segments[0]?.name ?? "");
  t.ok(
    await decodesAsIs(decryptedCopy(first, content, scratch.path)),
    "the card check sees a decrypted segment as readable (so its 'no' below means something)",
  );
  const firstIv = segmentIv(content, segments[0]?.name ?? "");
  for (const [i, segment] of segments.entries()) {
    const path = join(row?.dir ?? "", segment.name);
    const bytes = readFileSync(path);
    t.ok(
      firstSectionIntact(decryptSegment(bytes, content, segment.name)),
      `${segment.name}: its first packet is intact decrypted with its own IV (its sequence number)`,
    );
    if (i > 0) {
      t.notOk(
        firstSectionIntact(decryptSegment(bytes, { key: content.key, iv: firstIv }, segment.name)),
        `${segment.name} is not encrypted with the first segment's IV`,
      );
    }
    t.notOk(await decodesAsIs(path), `${segment.name} does not decode as it is on the card`);
    const probed = await probeDecrypted(path, content, scratch.path);
    const video = probed.streams.find((stream) => stream.codec_type === "video");
    t.ok(
      Number(video?.nb_read_frames ?? 0) > 0 && probed.errors === "",
      `${segment.name} decodes with the key the controller opens`,
    );
  }
});
