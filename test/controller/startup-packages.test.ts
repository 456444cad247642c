/**
 * Issue 21 (peak RSS ≤ 120 MB): what the controller uses seldom is loaded when
 * first used, not at start. pdfkit with qrcode (a door sign), node-ical (a
 * timetable feed) and nodemailer (a mail) held about 10 MB of heap and paged in
 * fonts, encryption tables and time-zone data in every controller.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import t from "tap";
import { REPO, nodeArgs } from "../helpers/controller.js";

const run = promisify(execFile);

void t.test("starting the controller loads no package it needs only now and then", async (t) => {
  const { stdout } = await run(
    process.execPath,
    [...nodeArgs(), join(REPO, "test/helpers/packages-at-start.ts")],
    { cwd: REPO, maxBuffer: 10_000_000 },
  );
  const loaded = JSON.parse(stdout) as string[];
  // the check can see: the broker and the web server are loaded
  t.ok(loaded.includes("aedes"), "aedes is loaded at start");
  t.ok(loaded.includes("fastify"), "fastify is loaded at start");
  for (const seldom of ["pdfkit", "qrcode", "node-ical", "nodemailer"]) {
    t.notOk(loaded.includes(seldom), `${seldom} is not loaded at start`);
  }
});
