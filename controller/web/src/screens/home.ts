/**
 * The start: what needs the person now, one part for each of their roles
 * (`GET /api/home` answers only those) — a teacher's next bookings, this
 * week's recordings not yet watched with the days before the box overwrites
 * them, consents asked, new shares and comments; a coach's shares awaiting
 * feedback; leadership's holds and investigations in force; the fleet's
 * problems for the Bursar and IT; the DPO's recent investigations, exports and
 * deletions. Each item links to the page where it is dealt with; an empty
 * part says so. Below, a compact menu of the person's pages. Kept up to date
 * by live notices.
 */
import { api } from "../api.js";
import { fill, h, type Child } from "../dom.js";
import { alertKind, day, purpose, role, span, when } from "../format.js";
import { mayOpen, type Person, type Screen, type ScreenContext } from "../screen.js";
import type {
  CoachHome,
  DpoHome,
  FleetHome,
  Home,
  LeadershipHome,
  TeacherHome,
} from "../types-home.js";
import { Messages, badge, loading, section } from "../ui.js";
import { throttle } from "./school-parts.js";

export function home(screens: () => readonly Screen[]): Screen {
  return {
    path: "",
    title: "Welcome",
    who: "anyone",
    async render(screen) {
      const person = screen.person;
      if (person === null) return;
      screen.setTitle(`Welcome, ${person.name}`);
      const messages = new Messages();
      const parts = h("div", { class: "home" });
      screen.body.append(
        h(
          "p",
          null,
          person.roles.length === 0
            ? "Your account has no role yet: ask the school's administrator to give you one."
            : `You are signed in as ${person.roles.map(role).join(", ")}.`,
        ),
        messages.element,
        parts,
        menu(screens(), person, screen),
      );
      if (person.roles.length === 0) return;
      fill(parts, loading("Loading what needs you…"));
      const reload = async () => {
        const answer = await api.get<Home>("/api/home");
        fill(parts, ...sections(answer));
      };
      const refresh = throttle(() => {
        reload().catch((error: unknown) => {
          messages.error(error);
        });
      }, 250);
      screen.onLeave(refresh.stop);
      const topics = [
        "bookings",
        "recordings",
        "consents",
        "devices",
        "coaching",
        "resync",
      ] as const;
      for (const topic of topics) {
        screen.live(topic, refresh.run);
      }
      await reload();
    },
  };
}

/** The person's pages, as a compact list of links. */
function menu(all: readonly Screen[], person: Person, screen: ScreenContext): HTMLElement {
  const offered = all.filter(
    (other) => other.menu !== undefined && mayOpen(other, person, screen.app),
  );
  return h(
    "nav",
    { class: "home-menu", attrs: { "aria-label": "Your pages" } },
    h("h2", null, "Your pages"),
    offered.length === 0
      ? h("p", null, "There is nothing here for your role yet.")
      : h(
          "ul",
          null,
          offered.map((other) => h("li", null, h("a", { href: `#/${other.path}` }, other.menu))),
        ),
  );
}

function sections(answer: Home): HTMLElement[] {
  return [
    ...(answer.teacher ? teacherParts(answer.teacher) : []),
    ...(answer.coach ? coachParts(answer.coach) : []),
    ...(answer.leadership ? leadershipParts(answer.leadership) : []),
    ...(answer.fleet ? fleetParts(answer.fleet) : []),
    ...(answer.dpo ? dpoParts(answer.dpo) : []),
  ];
}

/** A part of the home: its items as a list of links, or the sentence saying there are none. */
function part(title: string, empty: string, items: readonly Child[][]): HTMLElement {
  return section(
    title,
    items.length === 0
      ? h("p", { class: "empty" }, empty)
      : h(
          "ul",
          { class: "home-list" },
          items.map((item) => h("li", null, ...item)),
        ),
  );
}

interface AboutRecording {
  recordingId: string;
  room: string;
  purpose: string | null;
  startedAt: string;
}

/** "Coaching in Room 1, Mon 23 Nov 2026, 09:01", linking to the recording's page. */
function recordingLink(recording: AboutRecording): HTMLAnchorElement {
  return h(
    "a",
    { href: `#/recordings/${recording.recordingId}` },
    `${purpose(recording.purpose)} in ${recording.room}, ${when(recording.startedAt)}`,
  );
}

const note = (...children: Child[]) => h("span", { class: "home-note" }, ...children);

/** The server's whole days left, in words. */
function daysLeft(days: number): string {
  if (days === 0) return "less than a day left before the box overwrites it";
  return `${days} ${days === 1 ? "day" : "days"} left before the box overwrites it`;
}

function teacherParts(teacher: TeacherHome): HTMLElement[] {
  return [
    part(
      "Assignments to answer",
      "No coaching assignment is waiting for your answer.",
      teacher.assignments.map((assignment) => [
        h("a", { href: "#/coaching" }, assignment.title),
        note(`Set by ${assignment.setByName}; due ${day(`${assignment.dueOn}T12:00:00`)}`),
      ]),
    ),
    part(
      "Your next bookings",
      "You have no bookings in the next two weeks.",
      teacher.bookings.map((booking) => [
        h(
          "a",
          { href: "#/bookings" },
          `${purpose(booking.purpose)} in ${booking.room}, ${span(booking.start, booking.end)}`,
        ),
        booking.status === "draft" && [" ", badge("Draft", "warning")],
      ]),
    ),
    part(
      "Recordings this week you have not watched",
      "You have watched every recording of yours from this week.",
      teacher.unwatched.map((recording) => [
        recordingLink(recording),
        note(
          recording.daysLeft === null
            ? "Being kept: the box will not overwrite it"
            : daysLeft(recording.daysLeft),
        ),
      ]),
    ),
    part(
      "Asked to keep",
      "Nobody is asking you to keep a recording.",
      teacher.consents.map((recording) => [
        h(
          "a",
          { href: "#/consents" },
          `${purpose(recording.purpose)} in ${recording.room}, ${when(recording.startedAt)}`,
        ),
        note(`${recording.ownerName ?? "A colleague"} asks to keep it`),
      ]),
    ),
    part(
      "Shared with you",
      "Nothing new has been shared with you.",
      teacher.shares.map((share) => [
        recordingLink(share),
        note(`Shared by ${share.ownerName ?? "a colleague"}, ${when(share.sharedAt)}`),
      ]),
    ),
    part(
      "New comments",
      "There are no new comments on your recordings or those shared with you.",
      teacher.comments.map((comment) => [
        recordingLink(comment),
        note(`${comment.authorName}: “${comment.excerpt}”`),
      ]),
    ),
  ];
}

function coachParts(coach: CoachHome): HTMLElement[] {
  return [
    part(
      "Awaiting your feedback",
      "No recording shared with you is waiting for your feedback.",
      coach.awaitingFeedback.map((share) => [
        recordingLink(share),
        note(`Shared by ${share.ownerName ?? "a colleague"}, ${when(share.sharedAt)}`),
      ]),
    ),
    part(
      "Answers to your assignments",
      "No answer to an assignment you set is waiting for your feedback.",
      coach.answersAwaitingFeedback.map((answer) => [
        h(
          "a",
          {
            href:
              answer.recordingId !== null
                ? `#/recordings/${answer.recordingId}`
                : `#/coaching/answer?assignment=${answer.assignmentId}&teacher=${encodeURIComponent(answer.teacherId)}`,
          },
          `${answer.title}: ${answer.teacherName}`,
        ),
        note(
          `Answered ${answer.clipId === null ? "with a recording" : "with a clip"}, ` +
            when(answer.submittedAt),
        ),
      ]),
    ),
  ];
}

function leadershipParts(leadership: LeadershipHome): HTMLElement[] {
  return [
    part(
      "Holds in force",
      "No recording is on hold.",
      leadership.holds.map((hold) => [
        h("a", { href: "#/holds" }, `${hold.room}, ${when(hold.startedAt)}`),
        note(`Placed by ${hold.placedByName}, ${when(hold.placedAt)}: ${hold.reason}`),
      ]),
    ),
    part(
      "Investigations in force",
      "No investigation is open.",
      leadership.investigations.map((investigation) => [
        h("a", { href: "#/holds" }, `${investigation.room}, ${when(investigation.startedAt)}`),
        note(
          `Opened by ${investigation.openedByName}, ${when(investigation.openedAt)}: ` +
            investigation.reason,
        ),
      ]),
    ),
  ];
}

function fleetParts(fleet: FleetHome): HTMLElement[] {
  const shown = new Set(fleet.problems.map((problem) => problem.deviceId)).size;
  return [
    part(
      "Boxes that need attention",
      "Every classroom box is well.",
      fleet.problems.map((problem) => [
        h("a", { href: "#/fleet" }, `${problem.room}: ${alertKind(problem.kind)}`),
        (problem.detail !== "" || problem.since !== null) &&
          note(
            [problem.detail, problem.since === null ? "" : `since ${when(problem.since)}`]
              .filter((words) => words !== "")
              .join(", "),
          ),
      ]),
    ),
    ...(fleet.boxes > shown
      ? [
          h(
            "p",
            null,
            `${fleet.boxes - shown} more ${fleet.boxes - shown === 1 ? "box needs" : "boxes need"} ` +
              "attention: see the fleet page.",
          ),
        ]
      : []),
  ];
}

function dpoParts(dpo: DpoHome): HTMLElement[] {
  return [
    part(
      "Recent investigations",
      "No investigation was opened or closed in the last 30 days.",
      dpo.investigations.map((investigation) => [
        recordingLink(investigation),
        note(
          `Opened by ${investigation.openedByName}, ${when(investigation.openedAt)}` +
            (investigation.closedAt === null
              ? " — still open"
              : ` — closed ${when(investigation.closedAt)}`) +
            `: ${investigation.reason}`,
        ),
      ]),
    ),
    part(
      "Recent exports of the audit log",
      "Nobody exported the audit log in the last 30 days.",
      dpo.exports.map((entry) => [
        h("a", { href: "#/audit" }, `${entry.byName}, ${when(entry.at)}`),
        note(entry.format === "" ? "Exported" : `Exported as ${entry.format.toUpperCase()}`),
      ]),
    ),
    part(
      "Recent deletions",
      "No recording was deleted in the last 30 days.",
      dpo.deletions.map((deletion) => [
        recordingLink(deletion),
        note(
          `${deletion.copy === "device" ? "On the classroom box" : "On the school's server"}: ` +
            `${deletion.reason}, ` +
            (deletion.doneAt === null ? "not done yet" : `done ${when(deletion.doneAt)}`),
        ),
      ]),
    ),
  ];
}
