// Teacher zones (domain/zone-rule.ts), as tables: which faces stay sharp, what
// else "blur the background" blurs, which settings are refused, and whether a
// copy made under one setting may be served under another.
import t from "tap";
import {
  backgroundToBlur,
  coveredBy,
  facesToBlur,
  NO_ZONES,
  safeUnder,
  shareInside,
  zonesProblem,
  type Area,
  type TeacherZones,
} from "../../controller/src/domain/zone-rule.js";

const W = 1000;
const H = 500;
/** The front of the room: the left half of the picture, top to bottom. */
const FRONT: Area = { x: 0, y: 0, width: 0.5, height: 1 };
const faces = (setting: TeacherZones): TeacherZones => setting;
const inFront: TeacherZones = { mode: "faces", zones: [FRONT] };
const backgroundFront: TeacherZones = { mode: "background", zones: [FRONT] };

void t.test("which faces are blurred", async (t) => {
  const face = (x: number, y = 100): Area => ({ x, y, width: 100, height: 100 });
  const TABLE: [string, TeacherZones, Area, boolean][] = [
    ["no zones: a face in the front is blurred", NO_ZONES, face(100), true],
    ["a face wholly inside the zone stays sharp", inFront, face(100), false],
    ["a face wholly outside is blurred", inFront, face(700), true],
    ["a face half inside stays sharp (50 % is enough)", inFront, face(450), false],
    ["a face 40 % inside is blurred", inFront, face(460), true],
    ["blur the background: a face inside stays sharp", backgroundFront, face(100), false],
    ["blur the background: a face outside is blurred", backgroundFront, face(700), true],
    [
      "two zones that overlap are not counted twice",
      faces({
        mode: "faces",
        zones: [
          { x: 0.4, y: 0, width: 0.03, height: 1 },
          { x: 0.4, y: 0, width: 0.03, height: 1 },
        ],
      }),
      face(400),
      true,
    ],
    [
      "two zones side by side make one",
      faces({
        mode: "faces",
        zones: [
          { x: 0.4, y: 0, width: 0.03, height: 1 },
          { x: 0.43, y: 0, width: 0.03, height: 1 },
        ],
      }),
      face(400),
      false,
    ],
  ];
  for (const [words, setting, box, blurred] of TABLE) {
    t.equal(facesToBlur([box], setting, W, H).length === 1, blurred, words);
  }
  t.equal(
    shareInside({ x: 450, y: 0, width: 100, height: 10 }, [
      { x: 0, y: 0, width: 500, height: 500 },
    ]),
    0.5,
  );
});

void t.test("blur the background: everything outside the zones", async (t) => {
  t.same(backgroundToBlur(inFront, W, H), [], "faces mode blurs no background");
  t.same(backgroundToBlur(NO_ZONES, W, H), [], "nor does none");
  t.same(
    backgroundToBlur(backgroundFront, W, H),
    [{ x: 500, y: 0, width: 500, height: 500 }],
    "the right half",
  );
  const middle: TeacherZones = {
    mode: "background",
    zones: [{ x: 0.25, y: 0.2, width: 0.5, height: 0.6 }],
  };
  const blurred = backgroundToBlur(middle, W, H);
  t.same(
    blurred,
    [
      { x: 0, y: 0, width: 1000, height: 100 },
      { x: 0, y: 100, width: 250, height: 300 },
      { x: 750, y: 100, width: 250, height: 300 },
      { x: 0, y: 400, width: 1000, height: 100 },
    ],
    "a ring round a zone in the middle",
  );
  const area = blurred.reduce((sum, b) => sum + b.width * b.height, 0);
  t.equal(area, W * H - 500 * 300, "every pixel outside, none twice");
  const partial: TeacherZones = {
    mode: "background",
    zones: [{ x: 0.1005, y: 0, width: 0.2, height: 1 }],
  };
  t.same(
    backgroundToBlur(partial, W, H)[0],
    { x: 0, y: 0, width: 101, height: 500 },
    "a pixel the zone only partly covers is blurred",
  );
});

void t.test("what is refused", async (t) => {
  const TABLE: [string, TeacherZones, RegExp | null][] = [
    ["no zones, every face blurred", NO_ZONES, null],
    ["a zone", inFront, null],
    ["faces mode without a zone", { mode: "faces", zones: [] }, /draw at least one zone/],
    ["background without a zone", { mode: "background", zones: [] }, /draw at least one zone/],
    [
      "an empty zone",
      { mode: "faces", zones: [{ x: 0.1, y: 0.1, width: 0, height: 0.2 }] },
      /zone 1 is empty/,
    ],
    [
      "a zone past the right edge",
      { mode: "faces", zones: [FRONT, { x: 0.9, y: 0.1, width: 0.2, height: 0.2 }] },
      /zone 2 reaches outside the picture/,
    ],
    [
      "a negative corner",
      { mode: "faces", zones: [{ x: -0.1, y: 0, width: 0.2, height: 0.2 }] },
      /outside/,
    ],
    [
      "seventeen zones",
      { mode: "faces", zones: Array.from({ length: 17 }, () => FRONT) },
      /at most 16 zones \(17 were given\)/,
    ],
  ];
  for (const [words, setting, problem] of TABLE) {
    const found = zonesProblem(setting);
    if (problem === null) t.equal(found, null, words);
    else t.match(found, problem, words);
  }
});

void t.test("a copy made under other zones: served only when it shows no more", async (t) => {
  const smaller: TeacherZones = { mode: "faces", zones: [{ x: 0, y: 0, width: 0.3, height: 1 }] };
  const split: TeacherZones = {
    mode: "faces",
    zones: [
      { x: 0, y: 0, width: 0.5, height: 0.5 },
      { x: 0, y: 0.5, width: 0.5, height: 0.5 },
    ],
  };
  const TABLE: [string, TeacherZones, TeacherZones, boolean][] = [
    ["unchanged", inFront, inFront, true],
    ["the zone made smaller: the copy shows a face now blurred", inFront, smaller, false],
    ["the zone made larger: the copy is only more blurred", smaller, inFront, true],
    ["the same area drawn as two zones", inFront, split, true],
    ["zones removed", inFront, NO_ZONES, false],
    ["zones added to a room that had none", NO_ZONES, inFront, true],
    ["blur the background added: the copy's background is sharp", NO_ZONES, backgroundFront, false],
    ["faces → background, same zones", inFront, backgroundFront, false],
    ["background → faces, same zones", backgroundFront, inFront, true],
    ["background, zone made smaller", backgroundFront, { ...smaller, mode: "background" }, false],
    ["background → none: the faces it spared must be blurred", backgroundFront, NO_ZONES, false],
  ];
  for (const [words, made, now, safe] of TABLE) t.equal(safeUnder(made, now), safe, words);
  t.ok(coveredBy([], [FRONT]), "nothing is covered by anything");
  t.notOk(coveredBy([FRONT], []), "something is not covered by nothing");
});
