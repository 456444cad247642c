/**
 * An erasure request's deletion certificate, as the DPO keeps it: what was
 * deleted, where and when, each step's audit entry and the hash of the audit
 * chain at that point, and the command that checks the chain up to there.
 */
import { api } from "../api.js";
import { h } from "../dom.js";
import { when } from "../format.js";
import type { DeletionCertificate } from "../types-dpo.js";
import { badge, section, table } from "../ui.js";

const short = (hash: string) => `${hash.slice(0, 12)}…`;

export async function certificateView(erasureId: string): Promise<HTMLElement> {
  const c = await api.get<DeletionCertificate>(
    `/api/dpo/erasures/${encodeURIComponent(erasureId)}/certificate`,
  );
  const rows = c.recordings.flatMap((r) => [
    ...(r.marked
      ? [
          [
            r.room,
            when(r.startedAt),
            "Marked for erasure",
            when(r.marked.at),
            `${r.marked.seq} · ${short(r.marked.hash)}`,
          ],
        ]
      : []),
    ...r.deleted.map((d) => [
      r.room,
      when(r.startedAt),
      `Deleted from ${d.where}`,
      when(d.at),
      `${d.entry.seq} · ${short(d.entry.hash)}`,
    ]),
    ...r.waiting.map((w) => [r.room, when(r.startedAt), `Waiting: ${w}`, "—", "—"]),
  ]);
  return section(
    "Deletion certificate",
    h(
      "p",
      { attrs: { "data-certificate": c.complete ? "complete" : "waiting" } },
      c.complete
        ? badge("Complete: every copy is deleted", "good")
        : badge(
            "Not complete yet: a classroom box deletes its copy when it is next online",
            "warning",
          ),
    ),
    h(
      "dl",
      { class: "facts" },
      h("div", null, h("dt", null, "Request"), h("dd", null, c.reference)),
      h("div", null, h("dt", null, "Asked"), h("dd", null, when(c.requestedAt))),
      h(
        "div",
        null,
        h("dt", null, "Request's audit entry"),
        h("dd", null, `${c.request.seq} · ${short(c.request.hash)}`),
      ),
    ),
    rows.length === 0
      ? h("p", { class: "empty" }, "Nothing was erased under this request.")
      : table(
          "Each step of the erasure",
          ["Room", "Recorded", "Step", "When", "Audit entry"],
          rows,
        ),
    c.refused.length === 0
      ? null
      : h(
          "ul",
          { class: "refused" },
          c.refused.map((r) => h("li", null, `Not erased: ${r.reason}`)),
        ),
    h(
      "p",
      null,
      "To check the audit log holds every step as written here, run on the school's server: ",
      h("code", null, c.verify),
    ),
  );
}
