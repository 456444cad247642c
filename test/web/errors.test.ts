/**
 * The dashboard's one place for error words (`controller/web/src/errors.ts`):
 * what the API answers becomes a sentence a teacher understands, and nothing
 * technical (headers, ids, routes, schema paths) reaches the page.
 */
import t, { type Test } from "tap";
import {
  MIN_INVESTIGATION_REASON,
  reasonTooShort,
} from "../../controller/src/domain/form-limits.js";
import {
  ApiError,
  inPlainWords,
  problemInWords,
  refusedInWords,
} from "../../controller/web/src/errors.js";

const words = (status: number, code: string, detail: string, path = "/api/x", retry?: number) =>
  inPlainWords(new ApiError(status, code, detail, retry ?? null, path));

/** What the API answered (as `words` takes it), the sentence the page shows, and why it matters. */
type InWords = [answer: Parameters<typeof words>, sentence: string, why?: string];

/** Each answer, put in plain words, is exactly its sentence. */
const inWords = (t: Test, cases: readonly InWords[]) => {
  for (const [answer, sentence, why] of cases)
    t.equal(words(...answer), sentence, ...(why === undefined ? [] : [why]));
};

void t.test("the API's reasons, as sentences", async (t) => {
  inWords(t, [
    [
      [400, "invalid", "the booking is in the past; overlaps booking 1 on this device"],
      "Please check what you entered. The booking is in the past; overlaps booking 1 on this device.",
    ],
    [
      [409, "conflict", "the recording is still in progress; ask when it has ended"],
      "That cannot be done just now. The recording is still in progress; ask when it has ended.",
    ],
    [
      [
        403,
        "forbidden",
        "only the owner may share a recording (shared footage cannot be re-shared)",
      ],
      "You are not allowed to do that. Only the owner may share a recording (shared footage cannot be re-shared).",
    ],
    [
      [404, "not-found", "no recording 'c0ffee00-0000-4000-8000-000000000000'"],
      "That could not be found. This recording no longer exists.",
      "no ids on the page",
    ],
  ]);
});

void t.test("a name already taken says so, not 'cannot be done just now'", async (t) => {
  inWords(t, [
    [
      [409, "conflict", "device 'sci-2' is already enrolled"],
      "That name is already taken. Device 'sci-2' is already enrolled.",
    ],
    [
      [409, "conflict", "user 'head' already exists"],
      "That name is already taken. User 'head' already exists.",
    ],
    [
      [409, "conflict", "device 'sci-1' was retired; ids are never reused — choose a new one"],
      "That name is already taken. Device 'sci-1' was retired; ids are never reused — choose a new one.",
    ],
    [
      [409, "conflict", "the booking is already cancelled"],
      "That is already done. The booking is already cancelled.",
    ],
  ]);
});

void t.test("a limit checked before sending reads as the server's refusal would", async (t) => {
  t.equal(
    refusedInWords(reasonTooShort(MIN_INVESTIGATION_REASON)),
    words(400, "invalid", reasonTooShort(MIN_INVESTIGATION_REASON)),
  );
  t.equal(
    refusedInWords(reasonTooShort(MIN_INVESTIGATION_REASON)),
    "Please check what you entered. Give a written reason of at least 20 characters.",
  );
});

void t.test("sign-in and session problems", async (t) => {
  inWords(t, [
    [
      [401, "unauthorised", "wrong user name or password", "/api/session"],
      "The user name or password is not right. Please try again.",
    ],
    [
      [403, "forbidden", "the current password is wrong", "/api/session/password"],
      "The current password is not right. Please try again.",
    ],
    [
      [401, "unauthorised", "sign in first", "/api/recordings"],
      "You are not signed in, or your session has ended. Please sign in again.",
    ],
    [
      [403, "forbidden", "missing or wrong X-CSRF-Token header (take it from GET /api/session)"],
      "This page is out of date. Please reload it and try again.",
      "no header names",
    ],
    [
      [429, "Too Many Requests", "too many attempts", "/api/session", 300],
      "Too many attempts. Please wait 5 minutes and try again.",
    ],
  ]);
});

void t.test("form fields out of shape, named as on the page", async (t) => {
  inWords(t, [
    [
      [400, "FST_ERR_VALIDATION", 'body/start must match format "date-time"'],
      "Please check what you entered. The start time is not a date and time.",
    ],
    [
      [
        400,
        "FST_ERR_VALIDATION",
        "body/start must be a date and time from 2000-01-01 to 2100-12-31, not 9999-01-01T09:00:00Z",
      ],
      "Please check what you entered. The start time must be between 2000-01-01 and 2100-12-31.",
      "a date out of bounds names the bounds",
    ],
    [
      [400, "FST_ERR_VALIDATION", "body must have required property 'withId'"],
      "Please check what you entered. The colleague is missing.",
    ],
    [
      [
        400,
        "FST_ERR_VALIDATION",
        "body/body must NOT have fewer than 1 characters, body/atSeconds must be >= 0",
      ],
      "Please check what you entered. The comment is too short or empty; the time in the recording must be a number in range.",
    ],
  ]);
});

void t.test("the server or the network failing", async (t) => {
  inWords(t, [
    [
      [500, "internal", "something went wrong on the server; it is logged"],
      "Something went wrong on the school's server. It has been logged; please try again in a moment.",
    ],
    [
      [0, "unreachable", ""],
      "The school's server cannot be reached. Check the network connection and try again.",
    ],
    [
      [502, "demo-box-unreachable", "the simulated classroom box is not answering (ECONNREFUSED)"],
      "The demo classroom box is not answering. Is the demo still running?",
    ],
  ]);
  t.equal(
    problemInWords(new TypeError("x is undefined")),
    "Something went wrong on this page. Please reload it and try again.",
    "a fault in the page itself is not shown raw",
  );
});
