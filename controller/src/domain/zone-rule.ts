/**
 * Teacher zones (issue 19): parts of a room's picture — the front, where the
 * teacher stands — where the copy with faces blurred leaves faces sharp, so a
 * coach still sees the teacher's expression. Per room (its box), one of:
 *
 * - `none`: every face is blurred, wherever it is (the default);
 * - `faces`: a face whose box lies mostly (≥ `SHARP_SHARE` of its area) inside
 *   the zones stays sharp; every other face is blurred;
 * - `background`: as `faces`, and every pixel outside the zones is blurred too,
 *   face or not ("blur the background").
 *
 * Pure: which faces stay sharp, what else is blurred, whether a setting is
 * valid, and whether a copy made under one setting may still be served under
 * another. Zones are rectangles in fractions (0 to 1) of the picture; boxes
 * are in the frame's pixels.
 */

export type ZoneMode = "none" | "faces" | "background";

export const ZONE_MODES: readonly ZoneMode[] = ["none", "faces", "background"];

/** A rectangle: fractions of the picture for a zone, pixels for a face's box. */
export interface Area {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface TeacherZones {
  mode: ZoneMode;
  zones: readonly Area[];
}

/** A room without zones: every face blurred. Copies made before zones existed were made so. */
export const NO_ZONES: TeacherZones = { mode: "none", zones: [] };

export const MAX_ZONES = 16;

/** A face stays sharp when at least this share of its box is inside the zones. */
export const SHARP_SHARE = 0.5;

/** What is wrong with a room's zones, in words for the person who drew them; null when nothing. */
export function zonesProblem(setting: TeacherZones): string | null {
  const { mode, zones } = setting;
  if (!ZONE_MODES.includes(mode)) return `'${mode}' is not a way to use zones`;
  if (zones.length > MAX_ZONES) {
    return `a room has at most ${MAX_ZONES} zones (${zones.length} were given)`;
  }
  for (const [i, zone] of zones.entries()) {
    const n = `zone ${i + 1}`;
    const parts = [zone.x, zone.y, zone.width, zone.height];
    if (!parts.every(Number.isFinite)) return `${n} is not four numbers`;
    if (zone.width <= 0 || zone.height <= 0) return `${n} is empty: give it a width and a height`;
    if (
      zone.x < 0 ||
      zone.y < 0 ||
      zone.x + zone.width > 1.000001 ||
      zone.y + zone.height > 1.000001
    )
      return `${n} reaches outside the picture: each zone lies within 0 to 100 % of its width and height`;
  }
  if (mode !== "none" && zones.length === 0) {
    return "draw at least one zone, or choose that every face is blurred";
  }
  return null;
}

/**
 * The zones in whole pixels, shrunk to the pixels wholly inside them: a pixel
 * a zone only partly covers counts as outside (it is blurred, never spared).
 */
export function zonesInPixels(zones: readonly Area[], width: number, height: number): Area[] {
  const out: Area[] = [];
  for (const zone of zones) {
    const x0 = Math.max(0, Math.ceil(zone.x * width - 1e-6));
    const y0 = Math.max(0, Math.ceil(zone.y * height - 1e-6));
    const x1 = Math.min(width, Math.floor((zone.x + zone.width) * width + 1e-6));
    const y1 = Math.min(height, Math.floor((zone.y + zone.height) * height + 1e-6));
    if (x1 > x0 && y1 > y0) out.push({ x: x0, y: y0, width: x1 - x0, height: y1 - y0 });
  }
  return out;
}

/**
 * The grid cut by every edge of `areas` (and of `within`, when given), and
 * whether each cell lies in the union of `areas`: the union measured without
 * counting an overlap twice.
 */
function cells(areas: readonly Area[], within: Area) {
  const xs = new Set([within.x, within.x + within.width]);
  const ys = new Set([within.y, within.y + within.height]);
  for (const a of areas) {
    for (const x of [a.x, a.x + a.width])
      if (x > within.x && x < within.x + within.width) xs.add(x);
    for (const y of [a.y, a.y + a.height])
      if (y > within.y && y < within.y + within.height) ys.add(y);
  }
  const sx = [...xs].sort((a, b) => a - b);
  const sy = [...ys].sort((a, b) => a - b);
  const out: { cell: Area; covered: boolean }[] = [];
  for (let j = 0; j + 1 < sy.length; j++) {
    for (let i = 0; i + 1 < sx.length; i++) {
      const x0 = sx[i] ?? 0;
      const x1 = sx[i + 1] ?? 0;
      const y0 = sy[j] ?? 0;
      const y1 = sy[j + 1] ?? 0;
      const cx = (x0 + x1) / 2;
      const cy = (y0 + y1) / 2;
      const covered = areas.some(
        (a) => cx > a.x && cx < a.x + a.width && cy > a.y && cy < a.y + a.height,
      );
      out.push({ cell: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, covered });
    }
  }
  return out;
}

/** The share of `box` inside the union of `areas` (0 to 1). */
export function shareInside(box: Area, areas: readonly Area[]): number {
  const whole = box.width * box.height;
  if (whole <= 0) return 0;
  let inside = 0;
  for (const { cell, covered } of cells(areas, box)) {
    if (covered) inside += cell.width * cell.height;
  }
  return inside / whole;
}

/** The faces (pixel boxes) to blur in a `width` × `height` frame: all but those mostly inside a zone. */
export function facesToBlur<T extends Area>(
  faces: readonly T[],
  setting: TeacherZones,
  width: number,
  height: number,
): T[] {
  if (setting.mode === "none" || setting.zones.length === 0) return [...faces];
  const zones = zonesInPixels(setting.zones, width, height);
  return faces.filter((face) => shareInside(face, zones) < SHARP_SHARE);
}

/**
 * What is blurred besides faces: in `background` mode, every pixel outside the
 * zones, as rectangles that do not overlap (rows of the grid the zones cut,
 * neighbouring cells joined); nothing in the other modes.
 */
export function backgroundToBlur(setting: TeacherZones, width: number, height: number): Area[] {
  if (setting.mode !== "background") return [];
  const zones = zonesInPixels(setting.zones, width, height);
  const out: Area[] = [];
  let run: Area | null = null;
  for (const { cell, covered } of cells(zones, { x: 0, y: 0, width, height })) {
    if (run !== null && (covered || cell.y !== run.y || cell.x !== run.x + run.width)) {
      out.push(run);
      run = null;
    }
    if (covered || cell.width <= 0 || cell.height <= 0) continue;
    if (run === null) run = { ...cell };
    else run.width += cell.width;
  }
  if (run !== null) out.push(run);
  return out;
}

/** Whether the union of `inner` lies inside the union of `outer`. */
export function coveredBy(inner: readonly Area[], outer: readonly Area[]): boolean {
  if (inner.length === 0) return true;
  const x0 = Math.min(...inner.map((a) => a.x));
  const y0 = Math.min(...inner.map((a) => a.y));
  const x1 = Math.max(...inner.map((a) => a.x + a.width));
  const y1 = Math.max(...inner.map((a) => a.y + a.height));
  const bounds = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  const both = cells([...inner, ...outer], bounds);
  return both.every(({ cell }) => {
    const cx = cell.x + cell.width / 2;
    const cy = cell.y + cell.height / 2;
    const at = (a: Area) => cx > a.x && cx < a.x + a.width && cy > a.y && cy < a.y + a.height;
    return !inner.some(at) || outer.some(at);
  });
}

/** Whether two settings are the same (the zones in the same order). */
export function sameZones(a: TeacherZones, b: TeacherZones): boolean {
  return (
    a.mode === b.mode &&
    a.zones.length === b.zones.length &&
    a.zones.every((z, i) => {
      const o = b.zones[i];
      return (
        o !== undefined &&
        z.x === o.x &&
        z.y === o.y &&
        z.width === o.width &&
        z.height === o.height
      );
    })
  );
}

/**
 * Whether a copy made under `made` shows nothing that `now` would blur, so it
 * may still be served. What each mode leaves sharp: `none` everything but
 * faces; `faces` everything but faces outside the zones; `background` only
 * what is inside the zones. A copy is safe when what it left sharp is left
 * sharp now too: a zone made smaller, a mode made stricter, makes it unsafe;
 * a zone made larger or a mode made looser leaves it safe (only more blurred
 * than it need be).
 */
export function safeUnder(made: TeacherZones, now: TeacherZones): boolean {
  const madeZones = made.mode === "none" ? [] : made.zones;
  const nowZones = now.mode === "none" ? [] : now.zones;
  switch (made.mode) {
    case "none":
      // faces all blurred, background sharp: unsafe only where the background must now be blurred
      return now.mode !== "background";
    case "faces":
      // background sharp everywhere, faces in the zones sharp
      return now.mode === "faces" && coveredBy(madeZones, nowZones);
    case "background":
      // only the zones sharp, faces in them too: those faces must still be spared now
      return now.mode !== "none" && coveredBy(madeZones, nowZones);
  }
}
