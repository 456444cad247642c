// The broker's guarded connection (controller/src/broker/frame-guard.ts) passes
// bytes through unchanged, and what aedes writes under a cork reaches the
// socket as one write.
import { once } from "node:events";
import { createServer, connect, type Socket } from "node:net";
import t, { type Test } from "tap";
import { GuardedConnection } from "../../controller/src/broker/frame-guard.js";

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

void t.test("corked pieces of a packet go out in one socket write", async (t) => {
  const { server, client } = await socketPair(t);
  const guarded = new GuardedConnection(server, 1024);
  const writes: number[] = [];
  const write = server.write.bind(server);
  server.write = (chunk: Buffer, ...rest: never[]) => {
    writes.push(chunk.length);
    return write(chunk, ...rest);
  };

  let received = Buffer.alloc(0);
  client.on("data", (chunk: Buffer) => (received = Buffer.concat([received, chunk])));

  // a PUBACK written as mqtt-packet writes it: header, length, message id
  guarded.cork();
  guarded.write(Buffer.from([0x40]));
  guarded.write(Buffer.from([0x02]));
  guarded.write(Buffer.from([0x00, 0x07]));
  process.nextTick(() => guarded.uncork());
  await new Promise<void>((resolve) => {
    const check = () => (received.length >= 4 ? resolve() : client.once("data", check));
    check();
  });
  t.same([...received], [0x40, 0x02, 0x00, 0x07], "every byte, in order");
  t.same(writes, [4], "the three corked pieces went out as one write of 4 bytes");
});

void t.test("a packet announced over the limit closes the connection", async (t) => {
  const { server, client } = await socketPair(t);
  const guarded = new GuardedConnection(server, 16);
  const failed = once(guarded, "error") as Promise<[Error]>;
  client.write(Buffer.from([0x30, 0x7f])); // PUBLISH of 127 bytes
  const [error] = await failed;
  t.match(error.message, /127 bytes or more is over the 16-byte limit/);
});
