/**
 * The systemd units: `systemd-analyze verify` finds nothing wrong, and
 * `systemd-analyze security` rates their exposure (printed; the controller's
 * target is ≤ 2.0). The device's unit arrives with the provisioning issue,
 * with the daemon's readiness and watchdog notifications.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import t from "tap";
import { REPO } from "../helpers/controller.js";

const UNITS = [{ file: "classcam-controller.service", maxExposure: 2.0 }];

for (const unit of UNITS) {
  void t.test(`${unit.file}: verified, exposure ≤ ${unit.maxExposure}`, async (t) => {
    const path = join(REPO, "systemd", unit.file);
    const verify = spawnSync("systemd-analyze", ["verify", "--man=no", path], { encoding: "utf8" });
    const said = `${verify.stdout}${verify.stderr}`;
    t.equal(verify.status, 0, verify.status === 0 ? "systemd-analyze verify" : said);
    // unknown users and missing ExecStart binaries are the install script's business
    const complaints = said
      .split("\n")
      .filter(
        (line) => line.trim() !== "" && !/Command .* is not executable|No such file/.test(line),
      );
    t.same(complaints, [], "no complaints about the unit itself");
    const security = spawnSync("systemd-analyze", ["security", "--offline=true", path], {
      encoding: "utf8",
    });
    const match = /Overall exposure level for \S+: ([\d.]+)/.exec(security.stdout);
    t.ok(match, match ? "systemd-analyze security rated it" : security.stdout + security.stderr);
    const exposure = Number(match?.[1]);
    t.comment(`${unit.file}: exposure ${exposure} (target ≤ ${unit.maxExposure})`);
    t.ok(exposure <= unit.maxExposure, `exposure ${exposure} ≤ ${unit.maxExposure}`);
  });
}
