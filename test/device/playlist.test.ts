// The one HLS playlist reader the box has (capture and buffer index both use it).
import t from "tap";
import { parseHlsPlaylist } from "../../device/src/recorder/playlist.js";
import { parsePlaylist } from "../../device/src/recorder/index.js";

const playlist = [
  "#EXTM3U",
  "#EXT-X-VERSION:3",
  "#EXT-X-TARGETDURATION:4",
  "#EXTINF:4.000000,",
  "seg-00000.ts",
  "#EXTINF:3.960000,\r",
  "seg-00001.ts\r",
  "#EXTINF:",
  "seg-00002.ts",
  "seg-00003.ts",
  "#EXTINF:2.0,",
  "other/seg-00004.ts",
  "",
].join("\n");

void t.test("lists every segment with its duration, null when cut short or missing", async (t) => {
  t.same(parseHlsPlaylist(playlist), {
    targetDuration: 4,
    entries: [
      { uri: "seg-00000.ts", durationSeconds: 4 },
      { uri: "seg-00001.ts", durationSeconds: 3.96 },
      { uri: "seg-00002.ts", durationSeconds: null },
      { uri: "seg-00003.ts", durationSeconds: null },
      { uri: "other/seg-00004.ts", durationSeconds: 2 },
    ],
  });
});

void t.test("no target duration when the playlist has none", async (t) => {
  t.same(parseHlsPlaylist("#EXTM3U\n#EXTINF:1,\nseg-00000.ts\n").targetDuration, null);
});

void t.test("the capture takes only whole entries naming its own segments", async (t) => {
  t.same(parsePlaylist(playlist), [
    { seq: 0, name: "seg-00000.ts", durationSeconds: 4 },
    { seq: 1, name: "seg-00001.ts", durationSeconds: 3.96 },
  ]);
});
