/** The copy with faces blurred, as the API answers it (the dashboard's type too). */
import { Type } from "@sinclair/typebox";
import { Obj, OneOf } from "./schemas.js";

export const AnonymisedCopySchema = Obj({
  /** none: not asked for yet; queued or making: being made; ready: made; failed: see error. */
  state: OneOf(["none", "queued", "making", "ready", "failed"]),
  progress: Type.Number({ minimum: 0, maximum: 1, description: "Share made, 0 to 1" }),
  /** Why it failed, in words for a person. */
  error: Type.Union([Type.String(), Type.Null()]),
  /** The copy the asker is shown when they watch it (none: they may not watch it). */
  yours: OneOf(["original", "anonymised", "none"]),
});
