// What the school tells everyone (issue 20 §2): the public privacy notice at
// /privacy, written from the live policy and the access rules, and each
// room's door sign as an A4 PDF with a QR code to that notice.
import t from "tap";
import { readFileSync } from "node:fs";
import QRCode from "qrcode";
import { LAMP_PATTERNS } from "../../controller/src/domain/privacy/lamp-patterns.js";
import { pdfRectangles, pdfText } from "../helpers/pdf-text.js";
import { startSchool } from "../helpers/school.js";

const START = new Date("2026-11-23T08:00:00.000Z");

void t.test("the privacy notice: public, and written from the live policy", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const { as, anonymous } = school;

  const page = await anonymous.get("/privacy");
  t.equal(page.status, 200, "no sign-in needed");
  t.match(page.headers["content-type"], /^text\/html/);
  const html = String(page.body);
  t.match(html, /<html lang="en-GB">/);
  t.match(html, /name="viewport"/, "readable on a phone");
  t.match(html, /Footage stays in the classroom box for 7 days/, "the buffer's days");
  t.match(html, /for at most 730 days/, "how long kept footage is kept");
  t.match(html, /teacher development/, "why");
  t.match(html, /Parents and pupils cannot be given access/);
  t.match(html, /Nobody can download a recording/, "from the access rule on downloads");
  t.match(html, /one copy that leaves the school is made by the data protection officer/);
  t.match(html, /senior leaders and the headteacher may open a recording for an investigation/i);
  t.match(html, /at least 20 characters/, "the investigation's reason, from its one limit");
  t.match(
    html,
    /the bursar, IT staff, the data protection officer and administrators see when and where/i,
  );
  t.match(html, /the school office \(ask for the data protection officer\)/, "no contact set yet");
  for (const lamp of LAMP_PATTERNS) t.match(html, lamp.pattern, `the lamp: ${lamp.pattern}`);

  const changed = await as.dpo.patch("/api/policy", {
    retention: { bufferDays: 3, archiveDays: 365 },
    audioDefault: false,
    privacyContact: { name: "Ms Ray <DPO>", email: "dpo@school.example" },
  });
  t.equal(changed.status, 200, JSON.stringify(changed.body));
  const after = String((await anonymous.get("/privacy")).body);
  t.match(after, /Footage stays in the classroom box for 3 days/);
  t.match(after, /for at most 365 days/);
  t.match(after, /picture only, unless the booking turns sound on/);
  t.match(after, /Ms Ray &#60;DPO&#62; \(dpo@school\.example\)/, "the contact, escaped");
  t.notMatch(after, /<DPO>/, "nothing the school types becomes markup");
});

void t.test("the privacy contact is checked", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const bad = await school.as.dpo.patch("/api/policy", {
    privacyContact: { email: "not an address" },
  });
  t.equal(bad.status, 400);
  t.match(bad.json(), { message: /'not an address' is not an e-mail address/ });
  const { privacyContact } = (await school.as["teacher-a"].get("/api/policy")).json<{
    privacyContact: { name: string; email: string };
  }>();
  t.same(privacyContact, { name: "", email: "" }, "nothing changed");
});

void t.test("README's lamp table is the one definition's", async (t) => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const start = readme.indexOf("The lamp, which pupils and visitors learn to read");
  t.ok(start > 0, "README has the lamp's table");
  const rows = readme
    .slice(start)
    .split("\n")
    .slice(4)
    .filter((_line, i, lines) => lines.slice(0, i + 1).every((l) => l.startsWith("|")))
    .map((line) =>
      line
        .split("|")
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  t.same(
    rows.map(([pattern, meaning]) => ({ pattern, meaning })),
    LAMP_PATTERNS,
    "the same patterns and meanings, in the same order",
  );
});

void t.test(
  "a room's door sign: A4, from live settings, with a QR code to the notice",
  async (t) => {
    const school = await startSchool({ start: START });
    t.teardown(school.close);
    const { as, httpUrl, anonymous } = school;

    t.equal((await anonymous.get("/api/devices/room-1/door-sign")).status, 401);
    const reply = await as.it.call("GET", "/api/devices/room-1/door-sign");
    t.equal(reply.status, 200);
    t.match(reply.headers["content-type"], /^application\/pdf/);
    const first = await fetchPdf(school, "room-1");
    t.match(first.subarray(0, 5).toString(), "%PDF-");
    t.match(first.toString("latin1"), /\/MediaBox \[0 0 595\.28 841\.89\]/, "A4");
    const text = pdfText(first);
    t.match(text, "Lessons in Room room-1 may be recorded");
    t.match(text, /may be recorded for teacher development/);
    t.match(text, /stays in the box for 7 days/);
    t.match(
      text,
      /senior leaders only for an investigation/,
      "who may watch, as the access rules say",
    );
    for (const lamp of LAMP_PATTERNS) {
      t.match(text, lamp.pattern, `the lamp: ${lamp.pattern}`);
      t.match(text, lamp.meaning.replace(/\*\*/g, ""), `means: ${lamp.meaning}`);
    }
    const noticeUrl = `${httpUrl}/privacy`;
    t.match(text, noticeUrl, "the notice's address, written out");
    t.match(text, /the school office/, "no contact yet");

    // the QR code: the squares drawn are the modules of the notice's address
    const cells = pdfRectangles(first).filter((r) => r.w === r.h && r.w > 1 && r.w < 10);
    const cell = cells[0]?.w ?? 0;
    const left = Math.min(...cells.map((r) => r.x));
    const top = Math.min(...cells.map((r) => r.y));
    const drawn = new Set(
      cells.map((r) => `${Math.round((r.y - top) / cell)},${Math.round((r.x - left) / cell)}`),
    );
    const { size, data } = QRCode.create(noticeUrl, { errorCorrectionLevel: "M" }).modules;
    const expected = new Set<string>();
    for (let row = 0; row < size; row += 1) {
      for (let col = 0; col < size; col += 1)
        if (data[row * size + col] === 1) expected.add(`${row},${col}`);
    }
    t.ok(expected.size > 100, "a real QR code");
    t.same([...drawn].sort(), [...expected].sort(), "the QR code encodes the notice's address");

    await as.dpo.patch("/api/policy", {
      retention: { bufferDays: 5 },
      privacyContact: { name: "Mr Okafor", email: "privacy@school.example" },
    });
    const second = pdfText(await fetchPdf(school, "room-1"));
    t.match(second, /stays in the box for 5 days/, "the sign follows the policy");
    t.match(second, "Mr Okafor (privacy@school.example)", "and names whom to ask");

    const ghost = await as.it.get("/api/devices/ghost/door-sign");
    t.equal(ghost.status, 404);
  },
);

async function fetchPdf(school: Awaited<ReturnType<typeof startSchool>>, id: string) {
  const response = await school.app.inject({
    method: "GET",
    url: `/api/devices/${id}/door-sign`,
    headers: { cookie: school.as.it.cookie ?? "" },
  });
  return response.rawPayload;
}
