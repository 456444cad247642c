/**
 * What the box's lamp shows and what each pattern means, as pupils and
 * visitors learn to read it: the one definition behind the table in README,
 * the door signs and the public privacy notice (test/controller/privacy-notice
 * checks that README's table says the same).
 */
export interface LampPattern {
  pattern: string;
  meaning: string;
}

export const LAMP_PATTERNS: readonly LampPattern[] = [
  { pattern: "solid on", meaning: "recording picture **and** sound" },
  {
    pattern: "on, with a short dark wink (120 ms) every 2 s",
    meaning: "recording picture only; the microphone is closed",
  },
  {
    pattern: "three quick blinks, then off",
    meaning: "the press was refused (no booking, disk full of protected footage, camera missing…)",
  },
  {
    pattern: "fast even blink (4 per second)",
    meaning:
      "a fault: the lamp could not be driven or read back, nothing records until the next press succeeds",
  },
  { pattern: "off", meaning: "nothing is captured" },
];

/** A pattern's meaning as plain text (README's bold marks dropped), for a sign or a web page. */
export const plainMeaning = (pattern: LampPattern): string => pattern.meaning.replace(/\*\*/g, "");
