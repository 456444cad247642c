/** A room's teacher zones, as the API answers them (the dashboard's type too). */
import { Type } from "@sinclair/typebox";
import { MAX_ZONES } from "../domain/zone-rule.js";
import { Obj, OneOf } from "./schemas.js";

/** A zone: a rectangle in fractions (0 to 1) of the picture's width and height. */
const ZoneSchema = Obj({
  x: Type.Number({ minimum: 0, maximum: 1, description: "Left edge, from the left (0 to 1)" }),
  y: Type.Number({ minimum: 0, maximum: 1, description: "Top edge, from the top (0 to 1)" }),
  // an empty zone, one past the picture's edge, more than 16: refused by the rule, in its words
  width: Type.Number({ minimum: 0, maximum: 1, description: "Width (0 to 1), more than 0" }),
  height: Type.Number({ minimum: 0, maximum: 1, description: "Height (0 to 1), more than 0" }),
});

export const TeacherZonesSchema = Obj({
  /**
   * none: every face blurred; faces: faces mostly inside a zone left sharp;
   * background: as faces, and everything outside the zones blurred too.
   */
  mode: OneOf(["none", "faces", "background"]),
  zones: Type.Array(ZoneSchema, {
    maxItems: 4 * MAX_ZONES,
    description: `At most ${MAX_ZONES} zones`,
  }),
});
