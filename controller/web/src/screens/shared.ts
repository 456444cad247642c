/** Recordings colleagues have shared with me, to watch and comment on (not to share on). */
import type { Screen } from "../screen.js";
import { recordingList } from "./recording-list.js";

export const sharedWithMe: Screen = {
  path: "shared",
  title: "Shared with me",
  menu: "Shared with me",
  who: ["teacher", "coach", "slt", "headteacher"],
  render: (screen) =>
    recordingList(screen, {
      scope: "shared",
      caption: "Recordings shared with me, newest first",
      empty: "Nobody has shared a recording with you at the moment.",
    }),
};
