/**
 * Which segment of a recording goes up next: one rule, shared by the box
 * (which picks) and the controller (which names the segment a viewer is
 * waiting for, as `next` in its answers to the upload).
 *
 * An upload goes in recording order from a cursor: the first missing segment
 * at or after the cursor, else (the end reached) the first missing one from
 * the start. An archive upload's cursor stays at the start, so it keeps its
 * order; a viewer who seeks ahead of what has arrived moves the cursor there,
 * and the rest follows once the end is reached. Nothing is skipped or sent
 * twice: every missing segment is picked exactly once.
 */

/** The segment to send next among `missing`: see the rule above; null when nothing is missing. */
export function nextToUpload<S extends { seq: number }>(
  missing: readonly S[],
  cursor: number,
): S | null {
  let atOrAfter: S | null = null;
  let first: S | null = null;
  for (const segment of missing) {
    if (first === null || segment.seq < first.seq) first = segment;
    if (segment.seq >= cursor && (atOrAfter === null || segment.seq < atOrAfter.seq)) {
      atOrAfter = segment;
    }
  }
  return atOrAfter ?? first;
}

/**
 * Why the controller's `next` cannot be followed, in words, or null when it
 * names one of `names` (the recording's own segments, as the box knows them).
 * Absent (`undefined`) is fine: the box keeps its own order.
 */
export function uploadNextProblem(next: unknown, names: ReadonlySet<string>): string | null {
  if (next === undefined) return null;
  if (typeof next !== "string") {
    return `the controller's 'next' must be a segment name, not ${typeof next}`;
  }
  if (!names.has(next)) {
    return `the controller asked for segment '${next.slice(0, 80)}' next, which is not one of this recording's segments`;
  }
  return null;
}
