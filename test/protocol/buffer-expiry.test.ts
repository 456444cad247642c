// When buffer footage may be overwritten: the recording's end plus the
// school's bufferDays, one definition for box, controller and dashboard.
import t from "tap";
import { bufferExpired, bufferExpiredIfEndedBy, bufferExpiresAt } from "@classcam/protocol";

void t.test("bufferExpiresAt: the end plus bufferDays whole days", async (t) => {
  const rows: [string, string, number, string][] = [
    ["one day", "2026-09-01T16:00:00.000Z", 1, "2026-09-02T16:00:00.000Z"],
    ["the default week", "2026-09-01T16:00:00.000Z", 7, "2026-09-08T16:00:00.000Z"],
    ["the longest, fourteen days", "2026-09-01T16:00:00.000Z", 14, "2026-09-15T16:00:00.000Z"],
    ["across the month's end", "2026-09-28T23:30:00.000Z", 7, "2026-10-05T23:30:00.000Z"],
    ["across the year's end", "2026-12-30T08:00:00.000Z", 3, "2027-01-02T08:00:00.000Z"],
    ["across a leap day", "2028-02-27T10:00:00.000Z", 2, "2028-02-29T10:00:00.000Z"],
    // days of 24 hours: the clocks going back in Europe change nothing
    ["across the end of summer time", "2026-10-24T12:00:00.000Z", 2, "2026-10-26T12:00:00.000Z"],
    [
      "an end written with an offset",
      "2026-09-01T17:00:00.000+01:00",
      7,
      "2026-09-08T16:00:00.000Z",
    ],
    ["milliseconds kept", "2026-09-01T16:00:00.123Z", 1, "2026-09-02T16:00:00.123Z"],
  ];
  for (const [name, endedAt, bufferDays, expected] of rows) {
    t.equal(bufferExpiresAt(endedAt, bufferDays).toISOString(), expected, name);
  }
});

void t.test("bufferExpiredIfEndedBy: the same rule read backwards, for a query", async (t) => {
  const now = new Date("2026-09-08T16:00:00.000Z");
  for (const days of [1, 7, 14]) {
    const latest = bufferExpiredIfEndedBy(now, days);
    t.equal(bufferExpiresAt(latest.toISOString(), days).getTime(), now.getTime(), `${days} days`);
  }
  t.equal(bufferExpiredIfEndedBy(now, 7).toISOString(), "2026-09-01T16:00:00.000Z");
});

void t.test(
  "bufferExpired: only once the days are wholly past, on box and controller",
  async (t) => {
    const ended = "2026-11-02T10:00:00.000Z";
    const end = Date.parse(ended) + 7 * 24 * 60 * 60 * 1000;
    const rows: [string, number, boolean][] = [
      ["a millisecond before the days end", end - 1, false],
      ["at the instant they end", end, false],
      ["a millisecond after", end + 1, true],
    ];
    for (const [what, now, expired] of rows) {
      t.equal(bufferExpired(ended, 7, now), expired, what);
      t.equal(bufferExpired(ended, 7, new Date(now)), expired, `${what} (as a Date)`);
    }
  },
);
