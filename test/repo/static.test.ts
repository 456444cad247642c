// The whole repository type-checks under strict TypeScript, passes the one
// lint config, and is formatted — checked as part of the suite so CI sees it.
import t, { type Test } from "tap";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO } from "../helpers/controller.js";

function check(t: Test, command: string, args: string[]) {
  const result = spawnSync(join(REPO, "node_modules/.bin", command), args, {
    cwd: REPO,
    encoding: "utf8",
  });
  t.equal(
    result.status,
    0,
    `${command} ${args.join(" ")}\n${result.stdout}${result.stderr}`.trim(),
  );
}

void t.test("tsc builds every package (strict, project references)", async (t) => {
  check(t, "tsc", ["-b"]);
});

void t.test("the tests, scripts and dashboard type-check too", async (t) => {
  check(t, "tsc", ["-p", "test", "--noEmit"]);
  check(t, "tsc", ["-p", "scripts", "--noEmit"]);
  // the dashboard has the browser's types, kept apart from the server's
  check(t, "tsc", ["-p", "controller/web", "--noEmit"]);
});

void t.test("eslint passes (no floating promises, exhaustive switches)", async (t) => {
  check(t, "eslint", ["."]);
});

void t.test("prettier finds nothing to reformat", async (t) => {
  check(t, "prettier", ["--check", "."]);
});
