/**
 * How every key route answers (a recording's, a clip's): the 16 bytes of an
 * AES-128 key, never cached by anything between the controller and the player.
 */
import type { FastifyReply } from "fastify";
import { Type } from "@sinclair/typebox";

/** The 200 answer of a key route, for its schema. */
export const KEY_ANSWER = {
  description: "The 16 bytes of the AES-128 key",
  content: { "application/octet-stream": { schema: Type.String({ format: "binary" }) } },
};

/** Sends `key` as a key route's answer. */
export function sendKey(reply: FastifyReply, key: Buffer): FastifyReply {
  return reply
    .header("cache-control", "private, no-store")
    .type("application/octet-stream")
    .send(key);
}
