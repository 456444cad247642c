// The uploader's own HTTP/1.1 client (device/src/link/http-lane.ts) against a
// raw TCP server on loopback that answers exactly as each test scripts it:
// the framings a server may use, a connection kept or not, answers that come
// early, late, broken or too large, and requests it must refuse to send.
import { createServer, type Server, type Socket } from "node:net";
import t, { type Test } from "tap";
import { HttpLane } from "../../device/src/link/http-lane.js";
import { listenOnLoopback } from "../helpers/controller.js";

interface Seen {
  /** Each request's head and body as the server received them, by connection. */
  requests: { connection: number; head: string; body: Buffer }[];
  connections: number;
}

/** A server that reads each request whole (by content-length) and writes `answer(n)` for the n-th. */
async function server(
  t: Test,
  answer: (n: number, socket: Socket) => string | Buffer | null,
  options: { early?: boolean } = {},
): Promise<{ origin: URL; seen: Seen }> {
  const seen: Seen = { requests: [], connections: 0 };
  const listener: Server = createServer((socket) => {
    const connection = (seen.connections += 1);
    let pending = Buffer.alloc(0);
    socket.on("error", () => undefined);
    socket.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const end = pending.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = pending.toString("latin1", 0, end);
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (options.early === true) {
          // answers as soon as the head is in, and reads no more: the body stays unsent
          seen.requests.push({ connection, head, body: Buffer.alloc(0) });
          const reply = answer(seen.requests.length, socket);
          if (reply !== null) socket.write(reply);
          socket.pause();
          return;
        }
        if (pending.length < end + 4 + length) return;
        seen.requests.push({
          connection,
          head,
          body: pending.subarray(end + 4, end + 4 + length),
        });
        pending = pending.subarray(end + 4 + length);
        const reply = answer(seen.requests.length, socket);
        if (reply !== null) socket.write(reply);
      }
    });
  });
  const port = await listenOnLoopback(t, listener);
  return { origin: new URL(`http://127.0.0.1:${port}`), seen };
}

const json = (status: number, value: unknown, extra = "") => {
  const text = JSON.stringify(value);
  return `HTTP/1.1 ${status} X\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n${extra}\r\n${text}`;
};

const lane = (t: Test, origin: URL, timeoutMs = 10_000, maxAnswerBytes = 1024) => {
  const made = new HttpLane({ origin, timeoutMs, maxAnswerBytes });
  t.teardown(() => made.close());
  return made;
};
const SLICES = { sliceBytes: 1000 };

void t.test("a request goes out whole, in slices, and the connection is kept", async (t) => {
  const { origin, seen } = await server(t, (n) => json(200, { n }));
  const client = lane(t, origin);
  const body = Buffer.alloc(4500, 7);
  const sent: number[] = [];
  const answer = await client.exchange(
    "PUT",
    "/api/uploads/r/segments/seg-00001.ts",
    { authorization: "Bearer abc", "x-content-sha256": "ff" },
    body,
    { ...SLICES, onSent: (bytes) => sent.push(bytes) },
  );
  t.same(answer, { status: 200, body: { n: 1 } });
  t.same(sent, [1000, 1000, 1000, 1000, 500], "progress by slice");
  const first = seen.requests[0];
  t.match(first?.head, /^PUT \/api\/uploads\/r\/segments\/seg-00001\.ts HTTP\/1\.1\r\n/);
  t.match(first?.head, new RegExp(`\r\nhost: ${origin.host}\r\n`));
  t.match(first?.head, /\r\nauthorization: Bearer abc\r\n/);
  t.match(first?.head, /\r\ncontent-length: 4500(\r\n|$)/, "the length is given");
  t.ok(first?.body.equals(body), "the body arrives byte for byte");

  const second = await client.exchange("GET", "/api/uploads/r", {}, null, SLICES);
  t.same(second, { status: 200, body: { n: 2 } });
  // a body larger than the socket takes at once: answered as soon as its last byte is in
  const large = Buffer.alloc(16 * 1024 * 1024, 3);
  const third = await client.exchange("PUT", "/large", {}, large, { sliceBytes: 256 * 1024 });
  t.same(third, { status: 200, body: { n: 3 } });
  t.ok(seen.requests[2]?.body.equals(large), "the large body arrives byte for byte");
  t.same(await client.exchange("GET", "/after", {}, null, SLICES), { status: 200, body: { n: 4 } });
  t.equal(seen.connections, 1, "all on one kept-alive connection");
});

void t.test("chunked answers, 1xx before the answer, and bodies up to close", async (t) => {
  const { origin, seen } = await server(t, (n, socket) => {
    if (n === 1) {
      return 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5;x=1\r\n{"a":\r\n3\r\n12}\r\n0\r\nx-trailer: 1\r\n\r\n';
    }
    if (n === 2) return json(422, { error: "checksum-mismatch" }, "connection: close\r\n");
    setTimeout(() => socket.end("HTTP/1.1 503 Busy\r\n\r\nnot JSON, up to the close"), 10);
    return null;
  });
  const client = lane(t, origin);
  t.same(await client.exchange("GET", "/a", {}, null, SLICES), { status: 200, body: { a: 12 } });
  t.same(await client.exchange("GET", "/b", {}, null, SLICES), {
    status: 422,
    body: { error: "checksum-mismatch" },
  });
  t.notOk(client.open, "connection: close is honoured");
  t.same(await client.exchange("GET", "/c", {}, null, SLICES), {
    status: 503,
    body: "not JSON, up to the close",
  });
  t.same(
    seen.requests.map((r) => r.connection),
    [1, 1, 2],
    "a new connection after the one closed",
  );
});

void t.test(
  "an answer before the body is all sent ends the exchange; the connection is not used again",
  async (t) => {
    const { origin, seen } = await server(t, () => json(413, { message: "too large" }), {
      early: true,
    });
    const client = lane(t, origin);
    const answer = await client.exchange("PUT", "/big", {}, Buffer.alloc(64 * 1024 * 1024), {
      sliceBytes: 64 * 1024,
    });
    t.same(answer, { status: 413, body: { message: "too large" } });
    t.notOk(client.open, "closed: the rest of the body is not sent into the next exchange");
    t.equal((await client.exchange("GET", "/next", {}, null, SLICES)).status, 413);
    t.equal(seen.connections, 2, "the next exchange on a new connection");
  },
);

void t.test(
  "a kept connection the server closed while idle: the next exchange opens another",
  async (t) => {
    const { origin, seen } = await server(t, (n, socket) => {
      if (n === 1) setTimeout(() => socket.end(), 20);
      return json(200, { n });
    });
    const client = lane(t, origin);
    await client.exchange("GET", "/1", {}, null, SLICES);
    await new Promise((resolve) => setTimeout(resolve, 200));
    t.notOk(client.open, "the close was noticed while idle");
    t.same(await client.exchange("GET", "/2", {}, null, SLICES), { status: 200, body: { n: 2 } });
    t.equal(seen.connections, 2);
  },
);

void t.test("a kept connection silent for the timeout while idle is let go", async (t) => {
  const { origin, seen } = await server(t, (n) => json(200, { n }));
  const client = lane(t, origin, 200);
  await client.exchange("GET", "/1", {}, null, SLICES);
  t.ok(client.open, "kept after the answer");
  await new Promise((resolve) => setTimeout(resolve, 600));
  t.notOk(client.open, "closed after 200 ms idle");
  t.same(await client.exchange("GET", "/2", {}, null, SLICES), { status: 200, body: { n: 2 } });
  t.equal(seen.connections, 2, "the next exchange on a new connection");
});

void t.test(
  "broken, silent, oversized and aborted answers fail with what went wrong",
  async (t) => {
    const replies: (string | null)[] = [
      "SSH-2.0-OpenSSH\r\n\r\n",
      "HTTP/1.1 200 OK\r\ncontent-length: 12, 13\r\n\r\n",
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n100000\r\n",
      `HTTP/1.1 200 OK\r\nx-big: ${"a".repeat(70 * 1024)}\r\n\r\n`,
      null, // silent: times out
      `HTTP/1.1 500 Oops\r\ncontent-length: 5000\r\n\r\n${"b".repeat(5000)}`,
      "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n{}", // then the server hangs up mid-body
      null, // silent: aborted by the caller
    ];
    const { origin } = await server(t, (n, socket) => {
      const reply = replies[n - 1] ?? null;
      if (n === 9) setTimeout(() => socket.destroy(), 20);
      return reply;
    });
    const client = lane(t, origin, 300);
    const get = (signal?: AbortSignal) =>
      client.exchange("GET", "/", {}, null, { ...SLICES, signal });
    await t.rejects(get(), /not HTTP\/1\.x: "SSH-2\.0-OpenSSH"/);
    await t.rejects(get(), /content-length "12, 13" is not valid/);
    await t.rejects(get(), /chunked body is malformed/);
    await t.rejects(get(), /a header line of the answer is malformed/);
    await t.rejects(get(), /a chunk of the answer is larger than 1024 bytes/);
    await t.rejects(get(), /headers exceed 65536 bytes/);
    await t.rejects(get(), /no answer within 300 ms/);
    const large = await get();
    t.equal(large.status, 500);
    t.equal(String(large.body).length, 1024, "a large answer is kept only up to the bound");
    await t.rejects(get(), /closed the connection before its answer was whole/);
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error("power cut")), 50);
    await t.rejects(get(abort.signal), /power cut/, "an abort rejects with its reason");
    await t.rejects(get(abort.signal), /power cut/, "and an aborted signal sends nothing");
  },
);

void t.test(
  "a header or path that would break the request's lines is refused, not sent",
  async (t) => {
    const { origin, seen } = await server(t, () => json(200, {}));
    const client = lane(t, origin);
    await t.rejects(
      client.exchange("GET", "/", { authorization: "Bearer a\r\nx-evil: 1" }, null, SLICES),
      /the header authorization holds a line break/,
    );
    await t.rejects(
      client.exchange("GET", "/a b", {}, null, SLICES),
      /the path "\/a b" cannot go in a request line/,
    );
    t.equal(seen.requests.length, 0, "nothing reached the server");
    await t.rejects(
      Promise.all([
        client.exchange("GET", "/1", {}, null, SLICES),
        client.exchange("GET", "/2", {}, null, SLICES),
      ]),
      /one exchange at a time/,
    );
  },
);
