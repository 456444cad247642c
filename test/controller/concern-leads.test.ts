// Who a flagged concern goes to: the school's named leads, or every lead when none can take it.
import t from "tap";
import { concernLeads, type Candidate } from "../../controller/src/domain/concern-leads.js";

const PEOPLE: Candidate[] = [
  { id: "slt", roles: ["slt", "teacher"], active: true },
  { id: "head", roles: ["headteacher"], active: true },
  { id: "dpo", roles: ["dpo"], active: true },
  { id: "dpo-left", roles: ["dpo"], active: false },
  { id: "teacher", roles: ["teacher"], active: true },
  { id: "bursar", roles: ["bursar"], active: true },
];

const CASES: { name: string; named: string[]; leads: string[] }[] = [
  { name: "none named: every active lead", named: [], leads: ["dpo", "head", "slt"] },
  { name: "the DPO named: the DPO alone", named: ["dpo"], leads: ["dpo"] },
  { name: "named in the school's order", named: ["head", "slt"], leads: ["head", "slt"] },
  { name: "named twice: once", named: ["dpo", "dpo"], leads: ["dpo"] },
  {
    name: "a named lead who left is skipped",
    named: ["dpo-left", "slt"],
    leads: ["slt"],
  },
  {
    name: "nobody named can take it: every active lead",
    named: ["dpo-left", "teacher", "bursar", "nobody"],
    leads: ["dpo", "head", "slt"],
  },
];

for (const { name, named, leads } of CASES) {
  void t.test(name, async (t) => {
    t.same(concernLeads(named, PEOPLE), leads);
  });
}
