// Which segment goes up next (protocol's upload-order): in order from a
// cursor, the rest once the end is reached; every missing segment exactly once.
import t from "tap";
import { nextToUpload, uploadNextProblem } from "@classcam/protocol";

/** Picks until nothing is missing, as the box does, moving the cursor after each pick. */
function drain(seqs: number[], cursor: number): number[] {
  const missing = seqs.map((seq) => ({ seq }));
  const order: number[] = [];
  for (let at = cursor, next = nextToUpload(missing, at); next; next = nextToUpload(missing, at)) {
    order.push(next.seq);
    missing.splice(missing.indexOf(next), 1);
    at = next.seq + 1;
  }
  return order;
}

void t.test("an archive upload (cursor at the start) keeps recording order", async (t) => {
  t.same(drain([3, 0, 2, 1, 4], 0), [0, 1, 2, 3, 4]);
  t.equal(nextToUpload([], 0), null, "nothing missing: nothing to send");
});

void t.test(
  "a seek ahead starts at the cursor; the rest follows; nothing lost or twice",
  async (t) => {
    t.same(drain([0, 1, 2, 3, 4, 5, 6], 4), [4, 5, 6, 0, 1, 2, 3]);
    t.same(drain([0, 2, 5, 9], 3), [5, 9, 0, 2], "a cursor between segments takes the next one");
    t.same(drain([0, 1, 2], 50), [0, 1, 2], "a cursor past the end starts from the beginning");
    const seqs = Array.from({ length: 200 }, (_, i) => i * 2);
    for (const cursor of [0, 1, 77, 399, 1000]) {
      t.same(
        [...drain(seqs, cursor)].sort((a, b) => a - b),
        seqs,
        `every one once from ${cursor}`,
      );
    }
  },
);

void t.test("the controller's next: absent, or one of the recording's own names", async (t) => {
  const names = new Set(["seg-00000.ts", "seg-00001.ts"]);
  t.equal(uploadNextProblem(undefined, names), null);
  t.equal(uploadNextProblem("seg-00001.ts", names), null);
  t.match(uploadNextProblem(7, names), /must be a segment name, not number/);
  t.match(uploadNextProblem(null, names), /must be a segment name/);
  t.match(
    uploadNextProblem("../../etc/passwd", names),
    /asked for segment '..\/..\/etc\/passwd' next, which is not one of this recording's segments/,
  );
});
