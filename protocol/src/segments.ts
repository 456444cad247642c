/**
 * How long one video segment may last: two facts, on two sides of the upload.
 *
 * - A box cuts its recording into segments of at most
 *   `MAX_RECORDED_SEGMENT_SECONDS` (its `recorder.segmentSeconds` setting), so a
 *   power cut loses at most that much footage.
 * - The controller accepts an uploaded segment of up to
 *   `MAX_ACCEPTED_SEGMENT_SECONDS` (its measured duration, in the upload
 *   manifest). That is well above the setting because the encoder cuts only at
 *   a keyframe, and a segment whose duration had to be probed after a crash may
 *   run long; the bound only keeps nonsense out.
 */

/** The longest segment a box may be set to record (`recorder.segmentSeconds`). */
export const MAX_RECORDED_SEGMENT_SECONDS = 4;

/** The longest segment, by its measured duration, the controller accepts in an upload. */
export const MAX_ACCEPTED_SEGMENT_SECONDS = 60;
