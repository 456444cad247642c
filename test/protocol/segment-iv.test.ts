// Each segment's IV (protocol's segment-iv.ts): a box's recording gives each
// segment its sequence number, a copy's key one IV for all; the key lines a
// playlist gets say so, segment by segment, and a player decrypting with them
// gets the footage back (checked against ffmpeg's own muxer in
// test/device/sealed-footage.test.ts and the browser in test/web/playback).
import t from "tap";
import {
  hlsKeyInfo,
  newContentKey,
  segmentIv,
  segmentSequence,
  withKeyLines,
} from "@classcam/protocol";

void t.test("a segment's sequence number is the number its name ends in", async (t) => {
  const cases: [string, number][] = [
    ["seg-00001.ts", 1],
    ["seg-00042.ts", 42],
    ["/data/recordings/x/seg-00000.ts", 0],
    ["part-123456.ts", 123456],
  ];
  for (const [name, sequence] of cases) t.equal(segmentSequence(name), sequence, name);
  for (const name of ["seg-.ts", "seg-00001.m4s", "index.m3u8", ""]) {
    t.throws(() => segmentSequence(name), /does not end in its sequence number/, name);
  }
});

void t.test("each segment's IV: its number, or the key's one IV", async (t) => {
  const perSegment = newContentKey();
  t.equal(segmentIv(perSegment, "seg-00001.ts").toString("hex"), "0".repeat(31) + "1");
  t.equal(segmentIv(perSegment, "seg-00300.ts").toString("hex"), "0".repeat(29) + "12c");
  const one = newContentKey("one");
  t.same(segmentIv(one, "seg-00001.ts"), one.iv);
  t.same(segmentIv(one, "seg-00300.ts"), one.iv);
});

void t.test("the key lines of a playlist", async (t) => {
  const playlist = [
    "#EXTM3U",
    "#EXT-X-MEDIA-SEQUENCE:1",
    '#EXT-X-KEY:METHOD=AES-128,URI="old",IV=0x00000000000000000000000000000001',
    "#EXTINF:2.0,",
    "seg-00001.ts",
    "#EXT-X-DISCONTINUITY",
    "#EXTINF:2.0,",
    "seg-00002.ts",
    "#EXT-X-ENDLIST",
    "",
  ].join("\n");
  const iv = (n: number) => `0x${n.toString(16).padStart(32, "0")}`;
  t.equal(
    withKeyLines(playlist, newContentKey(), "key"),
    [
      "#EXTM3U",
      "#EXT-X-MEDIA-SEQUENCE:1",
      `#EXT-X-KEY:METHOD=AES-128,URI="key",IV=${iv(1)}`,
      "#EXTINF:2.0,",
      "seg-00001.ts",
      `#EXT-X-KEY:METHOD=AES-128,URI="key",IV=${iv(2)}`,
      "#EXT-X-DISCONTINUITY",
      "#EXTINF:2.0,",
      "seg-00002.ts",
      "#EXT-X-ENDLIST",
      "",
    ].join("\n"),
    "per segment: the old key line gone, each segment's own before its tags",
  );
  const one = newContentKey("one");
  const hex = `0x${one.iv?.toString("hex") ?? ""}`;
  t.equal(
    withKeyLines(playlist, one, "/run/k"),
    [
      "#EXTM3U",
      "#EXT-X-MEDIA-SEQUENCE:1",
      `#EXT-X-KEY:METHOD=AES-128,URI="/run/k",IV=${hex}`,
      "#EXTINF:2.0,",
      "seg-00001.ts",
      "#EXT-X-DISCONTINUITY",
      "#EXTINF:2.0,",
      "seg-00002.ts",
      "#EXT-X-ENDLIST",
      "",
    ].join("\n"),
    "one IV: one line before the first segment",
  );
});

void t.test("ffmpeg's key info: an IV line only for a key with one IV", async (t) => {
  t.equal(hlsKeyInfo("key", "/run/k", newContentKey()), "key\n/run/k\n");
  const one = newContentKey("one");
  t.equal(hlsKeyInfo("key", "/run/k", one), `key\n/run/k\n${one.iv?.toString("hex") ?? ""}\n`);
});
