// The spoken notice's one rule, as a table: what the box may be asked to say.
import t from "tap";
import { SPOKEN_NOTICE_MAX_LENGTH, spokenNoticeProblems } from "@classcam/protocol";

const rows: [string, { enabled: boolean; text: string }, string[]][] = [
  ["the default sentence", { enabled: true, text: "This lesson is being recorded." }, []],
  ["off and empty", { enabled: false, text: "" }, []],
  [
    "on and empty",
    { enabled: true, text: "" },
    ["the spoken notice needs a sentence to say (or turn the spoken notice off)"],
  ],
  [
    "on and only spaces",
    { enabled: true, text: "   " },
    ["the spoken notice needs a sentence to say (or turn the spoken notice off)"],
  ],
  ["at the limit", { enabled: true, text: "a".repeat(SPOKEN_NOTICE_MAX_LENGTH) }, []],
  [
    "one past the limit, even when off",
    { enabled: false, text: "a".repeat(SPOKEN_NOTICE_MAX_LENGTH + 1) },
    ["the spoken notice is at most 300 characters (it has 301)"],
  ],
  [
    "a line break",
    { enabled: true, text: "Recording.\nSmile." },
    ["the spoken notice is plain text on one line: no line breaks, control characters or < >"],
  ],
  [
    "markup",
    { enabled: true, text: "<speak>Recording</speak>" },
    ["the spoken notice is plain text on one line: no line breaks, control characters or < >"],
  ],
  [
    "quotes and apostrophes are words",
    { enabled: true, text: `Year 9's "lesson" -- recorded.` },
    [],
  ],
];

for (const [what, notice, expected] of rows) {
  t.same(spokenNoticeProblems(notice), expected, what);
}
