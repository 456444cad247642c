/** The cutter's playlist arithmetic: which segments a clip takes, and the tags that go with them. */
import t from "tap";
import { parsePlaylist, segmentsFor } from "../../controller/src/domain/clip-cutter.js";

const PLAYLIST = [
  "#EXTM3U",
  "#EXT-X-VERSION:3",
  "#EXT-X-TARGETDURATION:4",
  "#EXT-X-MEDIA-SEQUENCE:7",
  "#EXT-X-PLAYLIST-TYPE:VOD",
  '#EXT-X-KEY:METHOD=AES-128,URI="content.key",IV=0x00',
  "#EXTINF:4.000000,",
  "seg-00001.ts",
  "#EXTINF:4.000000,",
  "seg-00002.ts",
  "#EXT-X-DISCONTINUITY",
  "#EXTINF:3.500000,",
  "seg-00004.ts",
  "#EXTINF:4.000000,",
  "seg-00005.ts",
  "#EXT-X-ENDLIST",
  "",
].join("\n");

void t.test("each segment carries the key in force and its discontinuity", async (t) => {
  const parsed = parsePlaylist(PLAYLIST);
  t.equal(parsed.mediaSequence, 7);
  t.same(
    parsed.entries.map((e) => [e.uri, e.seconds, e.tags.length]),
    [
      ["seg-00001.ts", 4, 1],
      ["seg-00002.ts", 4, 1],
      ["seg-00004.ts", 3.5, 2],
      ["seg-00005.ts", 4, 1],
    ],
  );
  t.match(parsed.entries[2]?.tags, [
    '#EXT-X-KEY:METHOD=AES-128,URI="content.key",IV=0x00',
    "#EXT-X-DISCONTINUITY",
  ]);
});

const CASES: [string, number, number, ReturnType<typeof segmentsFor>][] = [
  ["inside one segment", 5, 6, { first: 1, last: 1, startSeconds: 4, endSeconds: 8 }],
  ["across a discontinuity", 7.9, 8.1, { first: 1, last: 2, startSeconds: 4, endSeconds: 11.5 }],
  ["on a boundary: nothing more", 4, 8, { first: 1, last: 1, startSeconds: 4, endSeconds: 8 }],
  ["from the start to the end", 0, 15.5, { first: 0, last: 3, startSeconds: 0, endSeconds: 15.5 }],
];
for (const [name, inSeconds, outSeconds, expected] of CASES) {
  void t.test(name, async (t) => {
    t.same(segmentsFor(parsePlaylist(PLAYLIST).entries, inSeconds, outSeconds), expected);
  });
}

void t.test("a start past the footage is refused in words", async (t) => {
  t.throws(() => segmentsFor(parsePlaylist(PLAYLIST).entries, 16, 17), {
    message: "the clip's start is past the end of the recording's footage",
  });
});
