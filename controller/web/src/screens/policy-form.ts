/**
 * The policy screen's first form: how long footage stays in the classroom
 * boxes and how long kept footage is kept, the longest booking, how far
 * ahead bookings may be made, whether the record button works outside a
 * booking, whether new bookings record sound, whether faces are blurred
 * for everyone but the teacher who recorded, and the spoken notice the boxes
 * say when a recording starts. Each number is checked against the bounds the
 * server keeps before it is sent.
 */
import { api } from "../api.js";
import { h } from "../dom.js";
import type { Policy } from "../types.js";
import { Messages, checkbox, field, onSubmit, section } from "../ui.js";
import { radios } from "./school-parts.js";
// the buffer's bounds from their one definition (a module with no imports, safe to bundle)
import { MAX_BUFFER_DAYS, MIN_BUFFER_DAYS } from "../../../../protocol/src/buffer-expiry.js";
import { SPOKEN_NOTICE_MAX_LENGTH } from "../../../../protocol/src/spoken-notice.js";

/** How many days ahead a booking may start: the bounds the server keeps (bookings.horizonDays). */
const HORIZON = { min: 1, max: 730 };

function numberInput(value: number, min: number, max: number): HTMLInputElement {
  return h("input", {
    type: "number",
    required: true,
    min: String(min),
    max: String(max),
    step: "1",
    value: String(value),
    attrs: { inputmode: "numeric" },
  });
}

/** Retention, the longest booking, how far ahead bookings may be made, unbooked recording, sound. */
export function policyForm(policy: Policy): HTMLElement {
  const messages = new Messages();
  const bufferDays = numberInput(policy.retention.bufferDays, MIN_BUFFER_DAYS, MAX_BUFFER_DAYS);
  const archiveDays = numberInput(policy.retention.archiveDays, 1, 3650);
  const maxMinutes = numberInput(policy.bookings.maxMinutes, 5, 480);
  const horizonDays = numberInput(policy.bookings.horizonDays, HORIZON.min, HORIZON.max);
  const unbooked = checkbox("Allow recording outside a booking (the button works at any time)", {
    checked: policy.bookings.allowUnbookedRecording,
  });
  const blurFaces = checkbox(
    "Blur every face in footage anyone but its teacher watches (a colleague it is shared with, a mentor)",
    { checked: policy.anonymity.blurFaces },
  );
  const spoken = checkbox(
    "Say the spoken notice when a recording starts (through the classroom box's speaker, after the lamp comes on)",
    { checked: policy.spokenNotice.enabled },
  );
  const sentence = h("input", {
    type: "text",
    maxLength: SPOKEN_NOTICE_MAX_LENGTH,
    value: policy.spokenNotice.text,
  });
  const sound = radios(
    "New bookings record",
    [
      { value: "on", label: "Picture and sound" },
      { value: "off", label: "Picture only" },
    ],
    policy.audioDefault ? "on" : "off",
  );
  const form = h(
    "form",
    { class: "form", noValidate: true },
    h(
      "div",
      { class: "row" },
      field(
        "Days in the classroom box",
        bufferDays,
        `Footage is overwritten after this many days (${MIN_BUFFER_DAYS} to ${MAX_BUFFER_DAYS}) unless it is kept or held.`,
      ),
      field(
        "Days kept footage is kept",
        archiveDays,
        "Footage everyone agreed to keep is deleted after this (730 days is two years).",
      ),
      field("Longest booking (minutes)", maxMinutes, "From 5 to 480."),
      field(
        "Bookings up to (days ahead)",
        horizonDays,
        `A booking starts at most this many days from today (${HORIZON.min} to ${HORIZON.max}; 365 is a year).`,
      ),
    ),
    unbooked,
    sound.fieldset,
    blurFaces,
    spoken,
    field(
      "What the box says",
      sentence,
      `Your school's own words, plain text on one line, at most ${SPOKEN_NOTICE_MAX_LENGTH} characters.`,
    ),
    messages.element,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "button primary" }, "Save the policy"),
    ),
  );
  onSubmit(form, messages, async () => {
    const whole = (input: HTMLInputElement, name: string, min: number, max: number) => {
      const value = Number(input.value);
      if (!Number.isInteger(value) || value < min || value > max) {
        input.focus();
        throw new RangeError(`${name} must be a whole number from ${min} to ${max}.`);
      }
      return value;
    };
    let change;
    try {
      change = {
        retention: {
          bufferDays: whole(
            bufferDays,
            "Days in the classroom box",
            MIN_BUFFER_DAYS,
            MAX_BUFFER_DAYS,
          ),
          archiveDays: whole(archiveDays, "Days kept footage is kept", 1, 3650),
        },
        bookings: {
          maxMinutes: whole(maxMinutes, "The longest booking", 5, 480),
          horizonDays: whole(horizonDays, "Bookings up to", HORIZON.min, HORIZON.max),
          allowUnbookedRecording: unbooked.querySelector("input")?.checked === true,
        },
        audioDefault: sound.value() === "on",
        anonymity: { blurFaces: blurFaces.querySelector("input")?.checked === true },
        spokenNotice: {
          enabled: spoken.querySelector("input")?.checked === true,
          text: sentence.value.trim(),
        },
      };
      if (change.spokenNotice.enabled && change.spokenNotice.text === "") {
        sentence.focus();
        throw new RangeError(
          "Write the sentence the box says when a recording starts, or turn the spoken notice off.",
        );
      }
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      messages.problem(error.message);
      return;
    }
    await api.patch<Policy>("/api/policy", change);
    messages.success("The policy is saved. The classroom boxes get it now.");
  });
  return section("Retention and recording", form);
}
