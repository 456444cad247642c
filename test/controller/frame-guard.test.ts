// The broker's frame guard (controller/src/broker/frame-guard.ts) wraps the
// socket aedes reads from: bytes pass through unchanged, and a packet
// announced over the limit closes the connection before aedes gets its bytes.
import { once } from "node:events";
import { createServer, connect, type Socket } from "node:net";
import t, { type Test } from "tap";
import { guardFrames } from "../../controller/src/broker/frame-guard.js";

async function socketPair(t: Test): Promise<{ server: Socket; client: Socket }> {
  const listener = createServer();
  listener.listen(0, "127.0.0.1");
  await once(listener, "listening");
  const address = listener.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  const accepted = once(listener, "connection") as Promise<[Socket]>;
  const client = connect(address.port, "127.0.0.1");
  await once(client, "connect");
  const [server] = await accepted;
  t.teardown(() => {
    client.destroy();
    server.destroy();
    listener.close();
  });
  return { server, client };
}

/** Reads as aedes does: read() each time the socket is readable. */
function readAsAedes(socket: Socket): { bytes: () => number[] } {
  const seen: number[] = [];
  socket.on("readable", () => {
    const next = () => socket.read() as Buffer | null;
    for (let chunk = next(); chunk !== null; chunk = next()) seen.push(...chunk);
  });
  return { bytes: () => seen };
}

void t.test("bytes under the limit pass through unchanged, packet after packet", async (t) => {
  const { server, client } = await socketPair(t);
  const guarded = guardFrames(server, 1024);
  t.equal(guarded, server, "aedes is given the socket itself, not a second stream");
  const reader = readAsAedes(guarded);
  // a PUBACK, then a PINGREQ, sent in pieces that cut across the headers
  const sent = [0x40, 0x02, 0x00, 0x07, 0xc0, 0x00];
  client.write(Buffer.from(sent.slice(0, 3)));
  client.write(Buffer.from(sent.slice(3)));
  while (reader.bytes().length < sent.length) await once(guarded, "readable");
  t.same(reader.bytes(), sent, "every byte, in order");
});

void t.test("a packet announced over the limit closes the connection", async (t) => {
  const { server, client } = await socketPair(t);
  const guarded = guardFrames(server, 16);
  const reader = readAsAedes(guarded);
  const failed = once(guarded, "error") as Promise<[Error]>;
  client.write(Buffer.from([0x30, 0x7f, 0x00, 0x01, 0x61])); // PUBLISH of 127 bytes, begun
  const [error] = await failed;
  t.match(error.message, /127 bytes or more is over the 16-byte limit/);
  t.same(reader.bytes(), [], "none of its bytes reached the reader");
  t.ok(guarded.destroyed, "the socket is closed");
});
