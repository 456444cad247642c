/** The teacher's own recordings, newest first, with where each is and what happens next. */
import { h } from "../dom.js";
import type { Screen } from "../screen.js";
import { recordingList } from "./recording-list.js";

export const myRecordings: Screen = {
  path: "recordings",
  title: "My recordings",
  menu: "My recordings",
  who: ["teacher"],
  render: (screen) =>
    recordingList(screen, {
      scope: "mine",
      caption: "My recordings, newest first",
      empty: [
        "You have no recordings yet. ",
        h("a", { href: "#/bookings/new" }, "Book a slot"),
        ", then press the record button on the classroom box.",
      ],
    }),
};
