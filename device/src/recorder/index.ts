/** The capture pipeline: encoder choice, the ffmpeg capture, and clean-up of strays. */
export {
  chooseEncoder,
  forgetEncoderProbes,
  type EncoderChoice,
  type EncoderName,
  type EncoderOptions,
} from "./encoder.js";
export { Capture, type CaptureEnd } from "./capture.js";
export { type CaptureOptions } from "./command-line.js";
export { parsePlaylist, segmentName, type ClosedSegment } from "./segments.js";
export { PLAYLIST_NAME, parseHlsPlaylist, type Playlist, type PlaylistEntry } from "./playlist.js";
export { killStrayCaptures, type StrayOptions } from "./strays.js";
