// The rules of a sign-in through the school's identity provider, one test per
// rule (domain/oidc-rules.ts): the school's domains only, the groups a claim
// holds, the user name a first sign-in makes.
import t from "tap";
import { accountIdFor, groupsOf, inAllowedDomain } from "../../controller/src/domain/oidc-rules.js";

void t.test("only an address of one of the school's domains, exactly", async (t) => {
  t.ok(inAllowedDomain("Jane@School.org", ["school.org"]), "case does not matter");
  t.notOk(inAllowedDomain("eve@evil.school.org", ["school.org"]), "not a subdomain");
  t.notOk(inAllowedDomain("eve@school.org.evil.com", ["school.org"]), "not a longer domain");
  t.notOk(inAllowedDomain("school.org", ["school.org"]), "not without a local part");
  t.notOk(inAllowedDomain("@school.org", ["school.org"]), "not an empty local part");
  t.ok(inAllowedDomain("a@b@school.org", ["school.org"]), "the domain is after the last @");
});

// the roles the groups give: mappedRoles in oidc-role-map.ts (test/controller/oidc-role-map.test.ts)
void t.test("the groups a claim holds", async (t) => {
  t.same(groupsOf("SLT"), ["SLT"], "one group as a string");
  t.same(groupsOf(["SLT", 3, null]), ["SLT"], "only strings");
  t.same(groupsOf(undefined), []);
});

void t.test(
  "a first sign-in's user name: the e-mail's local part, made valid and free",
  async (t) => {
    const none = () => false;
    t.equal(accountIdFor("Jane.Teacher@school.org", none), "jane.teacher");
    t.equal(accountIdFor("o'brien+x@school.org", none), "o.brien.x");
    t.equal(accountIdFor("42@school.org", none), "staff.42");
    const taken = new Set(["admin", "admin-2"]);
    t.equal(
      accountIdFor("admin@school.org", (id) => taken.has(id)),
      "admin-3",
      "never an existing account",
    );
  },
);
