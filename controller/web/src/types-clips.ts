/**
 * The API's answers about clips and the exemplar bank, as the dashboard reads
 * them: the `Static` types of the server's schemas (`routes/clip-schemas.ts`),
 * imported with `import type` so no server code reaches the browser.
 */
import type { Static } from "@sinclair/typebox";
import type { BankEntrySchema, ClipSchema } from "../../src/routes/clip-schemas.js";

export type Clip = Static<typeof ClipSchema>;
export type BankEntry = Static<typeof BankEntrySchema>;
