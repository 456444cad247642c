/**
 * The home's answer (`GET /api/home`), as the dashboard reads it: the
 * `Static` type of the server's schema (`controller/src/routes/home-schemas.ts`),
 * imported with `import type` so no server code reaches the browser.
 */
import type { Static } from "@sinclair/typebox";
import type { HomeSchema } from "../../src/routes/home-schemas.js";

export type Home = Static<typeof HomeSchema>;
export type TeacherHome = NonNullable<Home["teacher"]>;
export type CoachHome = NonNullable<Home["coach"]>;
export type LeadershipHome = NonNullable<Home["leadership"]>;
export type FleetHome = NonNullable<Home["fleet"]>;
export type DpoHome = NonNullable<Home["dpo"]>;
