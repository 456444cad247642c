/**
 * What a PDF made by pdfkit says and draws, read without a PDF library: its
 * content streams inflated, the text of each `TJ`/`Tj` (standard fonts,
 * WinAnsi-encoded hex strings) and each filled rectangle (`re`).
 */
import { inflateSync } from "node:zlib";

const WIN_ANSI: Record<number, string> = {
  0x85: "…",
  0x91: "‘",
  0x92: "’",
  0x93: "“",
  0x94: "”",
  0x96: "–",
  0x97: "—",
};

function contentStreams(pdf: Buffer): string[] {
  const text = pdf.toString("latin1");
  const streams: string[] = [];
  const pattern = /<<([^]*?)>>\s*stream\r?\n/g;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const start = match.index + match[0].length;
    const end = text.indexOf("endstream", start);
    const raw = pdf.subarray(start, end);
    const body = /FlateDecode/.test(match[1] ?? "")
      ? (() => {
          try {
            return inflateSync(raw).toString("latin1");
          } catch {
            return "";
          }
        })()
      : raw.toString("latin1");
    streams.push(body);
  }
  return streams;
}

const decodeHex = (hex: string) =>
  [...Buffer.from(hex, "hex")].map((byte) => WIN_ANSI[byte] ?? String.fromCharCode(byte)).join("");

/** Every line of text drawn, in order, joined by spaces (whitespace collapsed). */
export function pdfText(pdf: Buffer): string {
  const lines: string[] = [];
  for (const stream of contentStreams(pdf)) {
    for (const match of stream.matchAll(/\[([^\]]*)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj/g)) {
      const inner = match[1] ?? `<${match[2] ?? ""}>`;
      lines.push(
        [...inner.matchAll(/<([0-9a-fA-F]*)>/g)].map((hex) => decodeHex(hex[1] ?? "")).join(""),
      );
    }
  }
  return lines.join(" ").replace(/\s+/g, " ");
}

/** Every rectangle drawn: x, y, width, height. */
export function pdfRectangles(pdf: Buffer): { x: number; y: number; w: number; h: number }[] {
  const number = "(-?[0-9.]+)";
  const pattern = new RegExp(`${number} ${number} ${number} ${number} re`, "g");
  return contentStreams(pdf).flatMap((stream) =>
    [...stream.matchAll(pattern)].map((m) => ({
      x: Number(m[1]),
      y: Number(m[2]),
      w: Number(m[3]),
      h: Number(m[4]),
    })),
  );
}
