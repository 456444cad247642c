/**
 * Coaching (issue 17): the school's framework of strands (seeded with the
 * Teachers' Standards and the Early Career Framework's headings, editable,
 * renamed by version, retired but never deleted), assignments set by a coach
 * or SLT for one teacher or several, each teacher's submission, and
 * comments that gain a kind, strands, a parent (a reply) and, for a next
 * step, when and by whom it was done.
 */
import type { Migration } from "@classcam/sqlite";

/** The starting set, in the school's words: [framework, code, name]. */
export const STARTING_STRANDS: readonly (readonly [string, string, string])[] = [
  [
    "Teachers' Standards",
    "TS1",
    "Set high expectations that inspire, motivate and challenge pupils",
  ],
  ["Teachers' Standards", "TS2", "Promote good progress by pupils"],
  ["Teachers' Standards", "TS3", "Know the subject and the curriculum well"],
  ["Teachers' Standards", "TS4", "Plan and teach well-structured lessons"],
  ["Teachers' Standards", "TS5", "Adapt teaching to the strengths and needs of all pupils"],
  ["Teachers' Standards", "TS6", "Use assessment accurately and well"],
  ["Teachers' Standards", "TS7", "Manage behaviour for a good and safe place to learn"],
  ["Teachers' Standards", "TS8", "Fulfil wider professional responsibilities"],
  ["Early Career Framework", "ECF1", "High expectations"],
  ["Early Career Framework", "ECF2", "How pupils learn"],
  ["Early Career Framework", "ECF3", "Subject and curriculum"],
  ["Early Career Framework", "ECF4", "Classroom practice"],
  ["Early Career Framework", "ECF5", "Adaptive teaching"],
  ["Early Career Framework", "ECF6", "Assessment"],
  ["Early Career Framework", "ECF7", "Managing behaviour"],
  ["Early Career Framework", "ECF8", "Professional behaviours"],
];

const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;

export function coachingMigration(version: number): Migration {
  const seed = STARTING_STRANDS.map(
    ([framework, code, name], index) =>
      `(${quote(framework)}, ${quote(code)}, ${quote(name)}, ${index + 1}, ` +
      `strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
  ).join(",\n        ");
  return {
    version,
    name: "coaching: framework strands, assignments, submissions, kinds of feedback, next steps",
    sql: `
      CREATE TABLE strands (
        id         INTEGER PRIMARY KEY,
        framework  TEXT NOT NULL,
        code       TEXT NOT NULL,
        name       TEXT NOT NULL,
        version    INTEGER NOT NULL DEFAULT 1,
        position   INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        retired_at TEXT
      ) STRICT;
      CREATE UNIQUE INDEX strands_by_code ON strands (code);
      INSERT INTO strands (framework, code, name, position, created_at) VALUES
        ${seed};

      CREATE TABLE assignments (
        id          TEXT PRIMARY KEY,
        set_by      TEXT NOT NULL REFERENCES users (id),
        title       TEXT NOT NULL,
        focus       TEXT NOT NULL,
        due_on      TEXT NOT NULL,
        suggestion  TEXT,
        created_at  TEXT NOT NULL
      ) STRICT;
      CREATE INDEX assignments_by_setter ON assignments (set_by, due_on);

      CREATE TABLE assignment_strands (
        assignment_id TEXT NOT NULL REFERENCES assignments (id),
        strand_id     INTEGER NOT NULL REFERENCES strands (id),
        PRIMARY KEY (assignment_id, strand_id)
      ) STRICT;

      -- one row per teacher the assignment is for, with that teacher's answer
      CREATE TABLE assignment_teachers (
        assignment_id TEXT NOT NULL REFERENCES assignments (id),
        teacher_id    TEXT NOT NULL REFERENCES users (id),
        recording_id  TEXT REFERENCES recordings (id),
        clip_id       TEXT REFERENCES clips (id),
        in_seconds    REAL,
        out_seconds   REAL,
        reflection    TEXT,
        submitted_at  TEXT,
        PRIMARY KEY (assignment_id, teacher_id)
      ) STRICT;
      CREATE INDEX assignment_teachers_by_teacher ON assignment_teachers (teacher_id);
      CREATE INDEX assignment_teachers_by_recording ON assignment_teachers (recording_id);

      -- next steps from earlier feedback that an assignment carries forward
      CREATE TABLE assignment_next_steps (
        assignment_id TEXT NOT NULL REFERENCES assignments (id),
        comment_id    INTEGER NOT NULL REFERENCES comments (id),
        PRIMARY KEY (assignment_id, comment_id)
      ) STRICT;

      ALTER TABLE comments ADD COLUMN kind TEXT NOT NULL DEFAULT 'comment'
        CHECK (kind IN ('comment', 'strength', 'question', 'suggestion', 'next-step'));
      ALTER TABLE comments ADD COLUMN parent_id INTEGER REFERENCES comments (id);
      ALTER TABLE comments ADD COLUMN done_at TEXT;
      ALTER TABLE comments ADD COLUMN done_by TEXT REFERENCES users (id);
      CREATE INDEX comments_by_parent ON comments (parent_id);

      CREATE TABLE comment_strands (
        comment_id INTEGER NOT NULL REFERENCES comments (id),
        strand_id  INTEGER NOT NULL REFERENCES strands (id),
        PRIMARY KEY (comment_id, strand_id)
      ) STRICT;
      CREATE INDEX comment_strands_by_strand ON comment_strands (strand_id);
    `,
  };
}
