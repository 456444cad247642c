/**
 * The spoken notice (issue 20 §2): the sentence a box says through its speaker
 * when a recording starts, after the lamp is lit, so everyone in the room is
 * told. The school sets its own words in the policy; on unless it turns it off.
 * Kept here because the controller checks it and the box speaks it.
 */

export interface SpokenNotice {
  /** Whether the box speaks the sentence when a recording starts. */
  enabled: boolean;
  /** The school's sentence, plain text. */
  text: string;
}

/** The longest sentence the box will speak (about twenty seconds of speech). */
export const SPOKEN_NOTICE_MAX_LENGTH = 300;

export const DEFAULT_SPOKEN_NOTICE: SpokenNotice = {
  enabled: true,
  text: "This lesson, or part of it, is being recorded for teacher training purposes.",
};

/** Every reason the spoken notice cannot stand, in the school's words; empty when it can. */
export function spokenNoticeProblems(notice: SpokenNotice): string[] {
  const problems: string[] = [];
  const text = notice.text.trim();
  if (notice.enabled && text === "") {
    problems.push("the spoken notice needs a sentence to say (or turn the spoken notice off)");
  }
  if (notice.text.length > SPOKEN_NOTICE_MAX_LENGTH) {
    problems.push(
      `the spoken notice is at most ${SPOKEN_NOTICE_MAX_LENGTH} characters (it has ${notice.text.length})`,
    );
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f<>]/.test(notice.text)) {
    problems.push(
      "the spoken notice is plain text on one line: no line breaks, control characters or < >",
    );
  }
  return problems;
}
