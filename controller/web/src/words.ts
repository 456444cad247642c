/**
 * Numbers in sentences: singular or plural as the number wants, and a
 * length of time that never reads "0 hours" when something was recorded.
 */

/** "1 recording", "3 recordings" (with "people" and such given as `many`). */
export function count(n: number, noun: string, many = `${noun}s`): string {
  return `${n.toLocaleString("en-GB")} ${n === 1 ? noun : many}`;
}

/** "there is 1 recording", "there are 3 recordings", "there are no recordings" */
export function thereAre(n: number, noun: string, many = `${noun}s`): string {
  if (n === 0) return `there are no ${many}`;
  return `there ${n === 1 ? "is" : "are"} ${count(n, noun, many)}`;
}

/**
 * Hours in words, to a tenth: "2.5 hours", "1 hour"; under three minutes'
 * worth (which would round to "0 hours") in minutes: "2 minutes", "1 minute".
 */
export function hours(value: number): string {
  if (value > 0 && value < 0.05) {
    const minutes = Math.max(1, Math.round(value * 60));
    return count(minutes, "minute");
  }
  const shown = value.toLocaleString("en-GB", { maximumFractionDigits: 1 });
  return `${shown} ${shown === "1" ? "hour" : "hours"}`;
}
