/**
 * The sign for a classroom's door: a printable A4 page saying that lessons in
 * the room may be recorded for teacher development, what the lamp's patterns
 * mean, whom to ask, and a QR code to the public privacy notice. Made from
 * the live policy each time it is asked for, so a printed sign is as current
 * as the day it was printed. `doorSign()` decides what it says (pure);
 * `doorSignPdf()` lays it out with pdfkit, the QR code drawn as squares from
 * the `qrcode` package's matrix.
 */
import type { SchoolPolicy } from "../policy.js";
import { LAMP_PATTERNS, plainMeaning } from "./lamp-patterns.js";
import { contactWords } from "./notice.js";

/** Where the public privacy notice is served (routes/privacy.ts). */
export const PRIVACY_NOTICE_PATH = "/privacy";

export interface DoorSign {
  heading: string;
  paragraphs: string[];
  lamp: { caption: string; rows: [string, string][] };
  ask: string;
  /** The privacy notice's address, written under the QR code that encodes it. */
  noticeUrl: string;
}

/** The privacy notice's address for a controller reached at `publicUrl`. */
export function privacyNoticeUrl(publicUrl: string): string {
  return new URL(PRIVACY_NOTICE_PATH, publicUrl).toString();
}

export function doorSign(policy: SchoolPolicy, room: string, publicUrl: string): DoorSign {
  const { bufferDays } = policy.retention;
  return {
    heading: `Lessons in ${room} may be recorded`,
    paragraphs: [
      "Lessons in this room may be recorded for teacher development: a teacher watches their own lesson to improve their teaching.",
      "The camera box records only when a teacher has booked it, and its lamp is lit whenever it records.",
      `Footage stays in the box for ${bufferDays} day${bufferDays === 1 ? "" : "s"} and is then overwritten, unless everyone on the booking agrees to keep it. The teacher and the colleagues they choose may watch it, senior leaders only for an investigation with a written reason; parents and pupils cannot be given access.`,
    ],
    lamp: {
      caption: "What the lamp on the camera box means",
      rows: LAMP_PATTERNS.map((lamp) => [lamp.pattern, plainMeaning(lamp)]),
    },
    ask: `Questions, or to see or erase footage of yourself: ${contactWords(policy.privacyContact)}.`,
    noticeUrl: privacyNoticeUrl(publicUrl),
  };
}

const MM = 72 / 25.4;

/**
 * The sign as an A4 PDF. pdfkit and qrcode are loaded at the first sign, not
 * at start: with the fonts' and encryption's tables they held about 6 MB of a
 * controller that seldom prints one (issue 21, peak RSS).
 */
export async function doorSignPdf(sign: DoorSign): Promise<Buffer> {
  const [{ default: PDFDocument }, { default: QRCode }] = await Promise.all([
    import("pdfkit"),
    import("qrcode"),
  ]);
  const margin = 18 * MM;
  const doc = new PDFDocument({
    size: "A4",
    margin,
    info: { Title: sign.heading, Subject: "Lesson recording: door sign" },
  });
  const done = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on("data", (chunk: Buffer) => chunks.push(chunk));
    doc.on("end", () => {
      resolve(Buffer.concat(chunks));
    });
    doc.on("error", reject);
  });
  const width = doc.page.width - 2 * margin;
  doc.font("Helvetica-Bold").fontSize(30).text(sign.heading, { width });
  doc.moveDown(0.5);
  doc.font("Helvetica").fontSize(14);
  for (const paragraph of sign.paragraphs) {
    doc.text(paragraph, { width });
    doc.moveDown(0.5);
  }
  doc.moveDown(0.5);
  doc.font("Helvetica-Bold").fontSize(16).text(sign.lamp.caption, { width });
  doc.moveDown(0.3);
  const patternWidth = width * 0.38;
  for (const [pattern, meaning] of sign.lamp.rows) {
    const top = doc.y;
    doc
      .font("Helvetica-Bold")
      .fontSize(12)
      .text(pattern, margin, top, { width: patternWidth - 8 });
    const afterPattern = doc.y;
    doc
      .font("Helvetica")
      .fontSize(12)
      .text(meaning, margin + patternWidth, top, { width: width - patternWidth });
    doc.y = Math.max(afterPattern, doc.y) + 6;
  }
  doc.x = margin;
  doc.moveDown(0.5);
  doc.font("Helvetica").fontSize(14).text(sign.ask, margin, doc.y, { width });
  doc.moveDown(1);
  // the QR code: one filled square per dark module, with a quiet zone of four
  const qr = QRCode.create(sign.noticeUrl, { errorCorrectionLevel: "M" });
  const { size, data } = qr.modules;
  const side = 45 * MM;
  const cell = side / (size + 8);
  const left = margin;
  const top = doc.y;
  for (let row = 0; row < size; row += 1) {
    for (let col = 0; col < size; col += 1) {
      if (data[row * size + col] === 1) {
        doc.rect(left + (col + 4) * cell, top + (row + 4) * cell, cell, cell);
      }
    }
  }
  doc.fill("#000000");
  doc
    .font("Helvetica")
    .fontSize(12)
    .text(
      `The school's privacy notice for lesson recording: ${sign.noticeUrl}`,
      left + side + 6 * MM,
      top + 4 * cell,
      { width: width - side - 6 * MM },
    );
  doc.end();
  return done;
}
