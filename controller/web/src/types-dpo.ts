/** The DPO's requests, as the server's schemas say (routes/dpo-schemas.ts). */
import type { Static } from "@sinclair/typebox";
import type {
  CertificateSchema,
  ErasureAnswerSchema,
  ExportAnswerSchema,
  FoundRecordingSchema,
} from "../../src/routes/dpo-schemas.js";

export type FoundRecording = Static<typeof FoundRecordingSchema>;
export type ExportAnswer = Static<typeof ExportAnswerSchema>;
export type ErasureAnswer = Static<typeof ErasureAnswerSchema>;
export type DeletionCertificate = Static<typeof CertificateSchema>;
