// When the mail outbox tries a refused message again: a minute, doubling, at most an hour.
import t from "tap";
import { mailRetryDelayMs } from "../../controller/src/domain/mail-retry.js";

const MINUTE = 60_000;
const CASES: [failures: number, delay: number][] = [
  [1, MINUTE],
  [2, 2 * MINUTE],
  [3, 4 * MINUTE],
  [6, 32 * MINUTE],
  [7, 60 * MINUTE],
  [8, 60 * MINUTE],
  [1000, 60 * MINUTE],
];

for (const [failures, delay] of CASES) {
  void t.test(`after ${failures} failure(s): ${delay / MINUTE} min`, async (t) => {
    t.equal(mailRetryDelayMs(failures), delay);
  });
}

void t.test("a count that is not a whole number from 1 is refused", async (t) => {
  for (const bad of [0, -1, 1.5, Number.NaN]) t.throws(() => mailRetryDelayMs(bad), RangeError);
});
