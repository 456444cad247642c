/**
 * A booking's own masks on the booking form (issue 19): rectangles drawn over
 * the room's picture — or a blank one — which the room's box blacks out, with
 * the room's own masks, in every recording under the booking, before anything
 * is written. Shown with the form's do-not-record part, so the seat of a pupil
 * who may not be recorded never reaches the disk; the mitigation "masks on
 * this booking" names them. The rectangle editor is the policy screen's
 * (rect-editor.ts). Whoever sets the room's masks (SLT, the headteacher, the
 * DPO) may take a picture of the room now to draw on; whoever may change a
 * saved booking may take one of its room (`POST /api/bookings/:id/picture`,
 * before it starts, while the room is free); a new booking is drawn on a
 * blank one until it is saved.
 */
import { api } from "../api.js";
import { h } from "../dom.js";
import { RectEditor, type Rect } from "../rect-editor.js";
import type { Person } from "../screen.js";
import type { Role } from "../types.js";
import { BOOKING_PICTURE_ROLES } from "../../../src/domain/booking-picture-rule.js";
import { Messages, button, onPress } from "../ui.js";

/** The most masks a booking carries (the protocol's MAX_PRIVACY_MASKS). */
export const MAX_BOOKING_MASKS = 16;

/** Who may ask a box for a picture of its room now (the server's MASK_ROLES). */
const PICTURE_ROLES: readonly Role[] = ["slt", "headteacher", "dpo"];

export interface BookingMasks {
  readonly element: HTMLElement;
  /** The rectangles drawn, tidied. */
  masks(): Rect[];
  /** The room chosen: a picture of another room is let go. */
  room(deviceId: string, name: string): void;
}

export function bookingMasks(
  me: Person,
  booking: { bookingId: string; masks: readonly Rect[] } | null,
): BookingMasks {
  const messages = new Messages();
  const spoken = h("p", { class: "visually-hidden", attrs: { "aria-live": "polite" } });
  const rects = new RectEditor({
    kind: "mask",
    noun: "Mask",
    caption: "Masks on this booking, in % of the picture",
    none: "No masks on this booking.",
    max: MAX_BOOKING_MASKS,
    announce: (words) => {
      spoken.textContent = words;
    },
  });
  rects.rects = booking?.masks ?? [];
  const about = h("p", { class: "hint", attrs: { "aria-live": "polite" } });
  let current = { deviceId: "", name: "" };
  let loadId = 0;

  const setsMasks = me.roles.some((role) => PICTURE_ROLES.includes(role));
  // the route's roles: the Bursar may change bookings but never sees a classroom's pixels
  const seesRooms = me.roles.some((role) => BOOKING_PICTURE_ROLES.includes(role));
  const mayTake = setsMasks || (booking !== null && seesRooms);
  const pictureOf = (deviceId: string) =>
    setsMasks || booking === null
      ? `/api/devices/${encodeURIComponent(deviceId)}/picture`
      : `/api/bookings/${booking.bookingId}/picture`;
  const take = button("Take a picture of the room now (the lamp will light)");
  take.hidden = !mayTake;
  onPress(take, messages, async () => {
    const { deviceId, name } = current;
    const load = ++loadId;
    rects.loading();
    about.textContent = `Taking a picture of ${name}: its lamp is lit…`;
    let picture: Blob;
    try {
      picture = await api.picture(pictureOf(deviceId));
    } catch (error) {
      if (load === loadId) {
        rects.showBlank();
        about.textContent = `No picture of ${name}: draw on the blank picture.`;
      }
      throw error;
    }
    if (load !== loadId) return;
    const url = URL.createObjectURL(picture);
    // the decoded picture stays shown: its address is let go at once
    await rects.showPicture(url).finally(() => URL.revokeObjectURL(url));
    if (load !== loadId) return;
    about.textContent =
      `${name} as its box saw it just now (the room's own masks are black). ` +
      "Taking it is recorded in the audit log; it is kept nowhere.";
  });
  const add = button("Add a mask");
  add.addEventListener("click", () => {
    if (!rects.add()) messages.problem(`A booking has at most ${MAX_BOOKING_MASKS} masks.`);
  });

  const element = h(
    "fieldset",
    { class: "field booking-masks" },
    h("legend", null, "Masks on this booking"),
    h(
      "p",
      { class: "hint" },
      "Black out where the pupils who must not be recorded sit: the room's box blacks these out, " +
        "with the room's own masks, in every recording of this booking before anything is written. " +
        "Drag over the picture to draw one, or add one and type its place and size (in % of the " +
        "picture, left to right and top to bottom as the camera sees the room). Once the lesson " +
        "is recorded they cannot be changed.",
    ),
    about,
    h("div", { class: "actions" }, take),
    rects.stage,
    rects.numbers,
    spoken,
    messages.element,
    h("div", { class: "actions" }, add),
  );

  return {
    element,
    masks: () => rects.rects,
    room(deviceId, name) {
      if (deviceId === current.deviceId) return;
      current = { deviceId, name };
      loadId += 1;
      rects.showBlank();
      about.textContent = mayTake
        ? `To see ${name} while you draw, take a picture: its box takes it now, with the lamp lit.`
        : `Drawn on a blank picture of ${name}. To draw on a picture of the room, save the ` +
          "booking (a draft will do) and open it again before the lesson.";
    },
  };
}
