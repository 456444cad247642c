/**
 * The school's public privacy notice for lesson recording, written from the
 * live policy and the access rules themselves (domain/access.ts: who may see
 * footage, that nothing can be downloaded, that there are no parent
 * accounts), so it says what the software does and changes when the policy
 * does. Pure: the page (routes/privacy.ts) and the door signs render it.
 */
import {
  COLLEAGUE_ROLES,
  LEADERSHIP,
  METADATA_ROLES,
  MIN_INVESTIGATION_REASON,
  ROLES,
  decide,
  type Role,
} from "../access.js";
import type { PrivacyContact, SchoolPolicy } from "../policy.js";
import { LAMP_PATTERNS, plainMeaning } from "./lamp-patterns.js";
import { roleList } from "./role-words.js";

export interface NoticeSection {
  heading: string;
  paragraphs: string[];
  /** Rows of two cells, the first a row heading (the lamp's patterns). */
  table?: { caption: string; columns: [string, string]; rows: [string, string][] };
}

export interface PrivacyNotice {
  title: string;
  sections: NoticeSection[];
}

const days = (n: number) => `${n.toLocaleString("en-GB")} day${n === 1 ? "" : "s"}`;

/** "Ms Ray, the data protection officer (dpo@school.example)", or the school office when unset. */
export function contactWords(contact: PrivacyContact): string {
  const name = contact.name.trim();
  const email = contact.email.trim();
  if (name === "" && email === "") return "the school office (ask for the data protection officer)";
  if (email === "") return name;
  if (name === "") return email;
  return `${name} (${email})`;
}

/** Whether anyone at all, with every role there is, could download a recording. */
function anyoneMayDownload(): boolean {
  const everyone = { id: "anyone", roles: ROLES };
  const own = {
    ...{ ownerId: "anyone", staff: ["anyone"], onHold: false },
    ...{ shares: [], investigations: [], assignedTo: [] },
  };
  return decide(everyone, "download", own, new Date(0)).allowed;
}

/** Whether the school's accounts have a role for parents or pupils. */
function hasAccountsFor(who: string): boolean {
  return (ROLES as readonly string[]).includes(who);
}

/**
 * The notice. `roomsWithZones`: the rooms with a teacher zone, where faces at
 * the front are left sharp in the copies with faces blurred (`zone-rule.ts`).
 */
export function privacyNotice(
  policy: SchoolPolicy,
  roomsWithZones: readonly string[] = [],
): PrivacyNotice {
  const { bufferDays, archiveDays } = policy.retention;
  const metadataOnly: Role[] = METADATA_ROLES.filter(
    (role) => !COLLEAGUE_ROLES.includes(role) && !LEADERSHIP.includes(role),
  );
  const contact = contactWords(policy.privacyContact);
  const families = !hasAccountsFor("parent") && !hasAccountsFor("pupil");
  return {
    title: "Lesson recording: privacy notice",
    sections: [
      {
        heading: "What is recorded",
        paragraphs: [
          "Some lessons are recorded by a camera box in the classroom, when a teacher has booked the room for it. " +
            (policy.audioDefault
              ? "A recording has picture and sound, unless the booking turns sound off."
              : "A recording has picture only, unless the booking turns sound on."),
          "The box's lamp is lit whenever it records: no picture or sound is taken while the lamp is off.",
          ...(policy.doNotRecordClasses.length > 0
            ? [
                "Classes with a pupil who must not be recorded are booked only with a way to keep that pupil out of the picture.",
              ]
            : []),
        ],
        table: {
          caption: "What the lamp on the camera box means",
          columns: ["The lamp", "What it means"],
          rows: LAMP_PATTERNS.map((lamp) => [lamp.pattern, plainMeaning(lamp)]),
        },
      },
      {
        heading: "Why",
        paragraphs: [
          "Recordings are for teacher development: a teacher watches their own lesson, alone or with a colleague or coach, to improve their teaching.",
        ],
      },
      {
        heading: "How long it is kept",
        paragraphs: [
          `Footage stays in the classroom box for ${days(bufferDays)} and is then overwritten.`,
          `It is kept longer only if everyone on the booking agrees, and then for at most ${days(archiveDays)}. The teacher may delete their recording at any time.`,
          "Footage placed on hold for an investigation is kept until the hold is released.",
        ],
      },
      {
        heading: "Who may see it",
        paragraphs: [
          `The teacher who recorded the lesson, and the ${roleList(COLLEAGUE_ROLES)} they choose to share it with, until the share ends; a recording shared with someone cannot be shared on.`,
          ...(policy.anonymity.blurFaces && roomsWithZones.length > 0
            ? [
                `In ${listWords(roomsWithZones)}, faces in the teacher zone at the front of the room, where the teacher stands, ` +
                  "are not blurred in the copies colleagues watch, so that a coach can see the teacher's face; a pupil who stands there is seen too.",
              ]
            : []),
          `${capitalise(roleList(LEADERSHIP))} may open a recording for an investigation only with a written reason of at least ${MIN_INVESTIGATION_REASON} characters; this is recorded and the teacher is told.`,
          `${capitalise(roleList(metadataOnly))} see when and where a recording was made, never the footage.`,
          ...(anyoneMayDownload()
            ? []
            : [
                "Nobody can download a recording, and there are no public links to one. The one copy that leaves the school is made by the data protection officer for a person who asks for footage of themselves (a subject access request).",
              ]),
          ...(families
            ? [
                "Parents and pupils cannot be given access to recordings: there are no accounts for them.",
              ]
            : []),
          "Every time anyone watches, shares, keeps or deletes a recording, it is written in an audit log that cannot be changed unnoticed.",
        ],
      },
      {
        heading: "Whom to ask",
        paragraphs: [
          `Questions about recording, a request to see footage of yourself or your child, or to have it erased: ${contact}.`,
        ],
      },
    ],
  };
}

/** "A", "A and B", "A, B and C". */
const listWords = (items: readonly string[]) =>
  items.length <= 1
    ? (items[0] ?? "")
    : `${items.slice(0, -1).join(", ")} and ${items.at(-1) ?? ""}`;

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The notice as a page of its own: readable on a phone, no scripts, no sign-in. */
export function privacyNoticeHtml(notice: PrivacyNotice): string {
  const section = (s: NoticeSection) =>
    [
      `<section><h2>${escape(s.heading)}</h2>`,
      ...s.paragraphs.map((p) => `<p>${escape(p)}</p>`),
      s.table
        ? `<table><caption>${escape(s.table.caption)}</caption><thead><tr>${s.table.columns
            .map((c) => `<th scope="col">${escape(c)}</th>`)
            .join("")}</tr></thead><tbody>${s.table.rows
            .map(
              ([head, cell]) =>
                `<tr><th scope="row">${escape(head)}</th><td>${escape(cell)}</td></tr>`,
            )
            .join("")}</tbody></table>`
        : "",
      "</section>",
    ].join("\n");
  return `<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(notice.title)}</title>
<style>
body { font: 1.05rem/1.5 system-ui, sans-serif; color: #1a1a1a; background: #fff; margin: 0; }
main { max-width: 40rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 1.5rem; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; font-weight: 600; padding: 0.25rem 0; }
th, td { text-align: left; vertical-align: top; border: 1px solid #767676; padding: 0.4rem; }
</style>
</head>
<body>
<main>
<h1>${escape(notice.title)}</h1>
${notice.sections.map(section).join("\n")}
</main>
</body>
</html>
`;
}
