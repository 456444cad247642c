/**
 * Numbers in the dashboard's sentences (`controller/web/src/words.ts`, used by
 * the use charts): singular and plural as the number wants ("Now there are 1
 * recording" was wrong), and minutes when hours would round to 0.
 */
import t from "tap";
import { count, hours, thereAre } from "../../controller/web/src/words.js";

void t.test("one or many", async (t) => {
  t.equal(count(1, "recording"), "1 recording");
  t.equal(count(2, "recording"), "2 recordings");
  t.equal(count(1_200, "person", "people"), "1,200 people");
  t.equal(thereAre(1, "recording"), "there is 1 recording");
  t.equal(thereAre(3, "recording"), "there are 3 recordings");
  t.equal(thereAre(0, "recording"), "there are no recordings");
});

void t.test("hours, or minutes when hours round to 0", async (t) => {
  t.equal(hours(0.02), "1 minute", "72 seconds");
  t.equal(hours(0.04), "2 minutes");
  t.equal(hours(0.001), "1 minute", "something recorded is never 0");
  t.equal(hours(0), "0 hours", "nothing recorded");
  t.equal(hours(1), "1 hour");
  t.equal(hours(1.04), "1 hour", "one as shown");
  t.equal(hours(2.5), "2.5 hours");
  t.equal(hours(0.05), "0.1 hours");
});
