// The audit log's sentence for a change of the spoken notice (issue 20 §2):
// in the school's words, never the policy's field names.
import t from "tap";
import { Naming, sentence } from "../../controller/web/src/audit-sentences.js";
import type { AuditEntry } from "../../controller/web/src/types-school.js";

const naming = new Naming({ people: {}, rooms: {}, recordings: {}, bookings: {} });

void t.test("turning the spoken notice off and rewording it reads in words", async (t) => {
  const entry: AuditEntry = {
    seq: 1,
    at: "2026-11-23T13:05:00.000Z",
    actor: "dpo",
    action: "policy.change",
    subject: "policy",
    detail: {
      before: { spokenNotice: { enabled: true, text: "This lesson is recorded." } },
      after: { spokenNotice: { enabled: false, text: "Part of this lesson is recorded." } },
    },
    prevHash: "0".repeat(64),
    hash: "1".repeat(64),
  };
  t.equal(
    sentence(entry, naming),
    "changed the school's policy: the spoken notice when a recording starts from true to false; " +
      "the spoken notice's words from This lesson is recorded. to Part of this lesson is recorded.",
  );
});
