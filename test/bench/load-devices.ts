/**
 * Load generator for the broker-ingest bench, run as its own process: N
 * simulated classroom devices, each a real `mqtt` client (MQTT 3.1.1) on its
 * own loopback connection, behaving like the device does:
 *
 *  - connects with clientId = username = its id and its secret as password
 *    (or no credentials, for the pass-through broker), with its Last Will;
 *  - subscribes to its ack topic, publishes availability "online" (retained);
 *  - publishes its state (retained, QoS 1) every second;
 *  - publishes events (QoS 1) at random, one per 10 s on average;
 *  - matches each application ack to the events it names, and so measures
 *    publish → commit (or, through a plain broker, publish → pass-through ack).
 *
 * Timeline: connect ramp (bounded concurrency) → warm-up → measurement window
 * → stop publishing and wait (bounded) for outstanding acks. Phase changes and
 * the result go to the parent over IPC (or, run alone, to stdout as JSON).
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { checkState, topics, type DeviceState } from "@classcam/protocol";
import { makeEvent, seeded } from "../helpers/events.js";
import {
  deviceIds,
  errorText,
  latencyOf,
  positiveInt,
  positiveNumber,
  SLICE_SECONDS,
  type LoadMessage,
  type LoadResult,
  pool,
  sleep,
} from "./shared.js";

const HELP = `Usage: load-devices.ts --url mqtt://HOST:PORT (--credentials FILE | --devices N) [options]

  --url URL              broker to connect to
  --credentials FILE     JSON [{"id": "...", "secret": "..."}, …]: connect with these
  --devices N            without --credentials: N devices bench-0001… with no credentials
  --concurrency N        connects in flight at once (default 50)
  --warmup S             seconds after the last connect before measuring (default 5)
  --seconds S            measurement window in seconds (default 30)
  --drain S              most seconds to wait for outstanding acks at the end (default 15)
  --event-interval S     mean seconds between one device's events (default 10)
  --state-interval S     seconds between one device's state messages (default 1)
  --seed N               random seed (default 1)
`;

interface Credential {
  id: string;
  secret: string | null;
}

interface Device {
  id: string;
  secret: string | null;
  index: number;
  client: MqttClient | null;
  seq: number;
  bootId: string;
  bootedAt: number;
  bytesWritten: number;
  unacked: number;
  recording: { recordingId: string; startedAt: string } | null;
  stateTimer: NodeJS.Timeout | null;
  eventTimer: NodeJS.Timeout | null;
}

interface Pending {
  device: Device;
  sentAt: number;
  inWindow: boolean;
}

type Phase = "ramp" | "warmup" | "window" | "drain" | "done";

function send(message: LoadMessage): Promise<void> {
  if (!process.send) {
    process.stdout.write(`${JSON.stringify(message)}\n`);
    return Promise.resolve();
  }
  const sendIpc = process.send.bind(process);
  return new Promise((resolve) => {
    sendIpc(message, undefined, undefined, () => {
      resolve();
    });
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      url: { type: "string" },
      credentials: { type: "string" },
      devices: { type: "string" },
      concurrency: { type: "string" },
      warmup: { type: "string" },
      seconds: { type: "string" },
      drain: { type: "string" },
      "event-interval": { type: "string" },
      "state-interval": { type: "string" },
      seed: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const url = values.url;
  if (url === undefined) throw new Error(`--url is required\n${HELP}`);
  const credentials: Credential[] =
    values.credentials !== undefined
      ? (JSON.parse(readFileSync(values.credentials, "utf8")) as { id: string; secret: string }[])
      : deviceIds(positiveInt(values.devices, "--devices", 0)).map((id) => ({ id, secret: null }));
  if (credentials.length === 0) throw new Error(`--credentials or --devices is required\n${HELP}`);
  const concurrency = positiveInt(values.concurrency, "--concurrency", 50);
  const warmupMs = positiveNumber(values.warmup, "--warmup", 5) * 1000;
  const windowMs = positiveNumber(values.seconds, "--seconds", 30) * 1000;
  const drainMs = positiveNumber(values.drain, "--drain", 15) * 1000;
  const eventMeanMs = positiveNumber(values["event-interval"], "--event-interval", 10) * 1000;
  const stateMs = positiveNumber(values["state-interval"], "--state-interval", 1) * 1000;
  const random = seeded(positiveInt(values.seed, "--seed", 1));

  let phase: Phase = "ramp";
  const pending = new Map<string, Pending>();
  const ackLatencies: number[] = [];
  const ackLatenciesBySlice: number[][] = [];
  const clock = { windowStartedAt: 0 };
  const pubackLatencies: number[] = [];
  const connectLatencies: number[] = [];
  const counts = {
    connectFailures: 0,
    eventsPublished: 0,
    eventsAckedInWindow: 0,
    eventsRejected: 0,
    statesPublished: 0,
    totalEventsPublished: 0,
    totalEventsAccepted: 0,
    connectionsLost: 0,
    publishErrors: 0,
  };
  const firstError: { text: string | null } = { text: null };
  const noteError = (error: unknown) => {
    counts.publishErrors += 1;
    firstError.text ??= errorText(error);
  };

  const devices: Device[] = credentials.map(({ id, secret }, index) => ({
    id,
    secret,
    index,
    client: null,
    seq: 0,
    bootId: randomUUID(),
    bootedAt: Date.now() - Math.floor(random() * 86_400_000),
    bytesWritten: Math.floor(random() * 1e11),
    unacked: 0,
    // a quarter of the rooms are recording a lesson
    recording:
      index % 4 === 0
        ? { recordingId: randomUUID(), startedAt: new Date(Date.now() - 600_000).toISOString() }
        : null,
    stateTimer: null,
    eventTimer: null,
  }));

  const stateOf = (device: Device, now: Date): DeviceState => {
    device.bytesWritten += device.recording ? 1_250_000 : 0;
    return {
      at: now.toISOString(),
      software: "classcam-device/0.1.0",
      bootId: device.bootId,
      lamp: device.recording ? "recording" : "off",
      recording: device.recording && {
        recordingId: device.recording.recordingId,
        bookingId: `booking-${device.index}`,
        startedAt: device.recording.startedAt,
        audio: true,
      },
      configVersion: 1,
      encoder: "libx264",
      storage: {
        totalBytes: 256_000_000_000,
        freeBytes: 180_000_000_000 - (device.bytesWritten % 10_000_000_000),
        bufferBytes: 60_000_000_000,
        protectedBytes: 4_000_000_000,
      },
      health: {
        uptimeSeconds: Math.floor((now.getTime() - device.bootedAt) / 1000),
        temperatureC: 45 + (device.index % 15),
        bytesWritten: device.bytesWritten,
      },
      outboxDepth: device.unacked,
    };
  };

  // every state payload is built the same way: check the shape once, per kind
  for (const device of devices.slice(0, 2)) {
    const checked = checkState(stateOf(device, new Date()));
    if (!checked.ok) throw new Error(`the bench builds an invalid state: ${checked.error}`);
  }

  const publishState = (device: Device) => {
    const client = device.client;
    if (!client?.connected) return;
    if (phase === "window") counts.statesPublished += 1;
    client.publish(
      topics.state(device.id),
      JSON.stringify(stateOf(device, new Date())),
      { qos: 1, retain: true },
      (error) => {
        if (error) noteError(error);
      },
    );
  };

  const publishEvent = (device: Device) => {
    const client = device.client;
    if (!client?.connected) return;
    const event = makeEvent(device.seq, new Date());
    device.seq += 1;
    const payload = JSON.stringify(event);
    const inWindow = phase === "window";
    const sentAt = performance.now();
    pending.set(event.id, { device, sentAt, inWindow });
    device.unacked += 1;
    counts.totalEventsPublished += 1;
    if (inWindow) counts.eventsPublished += 1;
    client.publish(topics.events(device.id), payload, { qos: 1, retain: false }, (error) => {
      if (error) noteError(error);
      else if (inWindow) pubackLatencies.push(performance.now() - sentAt);
    });
  };

  // exponential gaps (a Poisson stream per device), mean eventMeanMs, capped at 6×
  const nextEventIn = () =>
    Math.min(eventMeanMs * 6, Math.max(20, -Math.log(1 - random()) * eventMeanMs));

  const scheduleEvent = (device: Device) => {
    device.eventTimer = setTimeout(() => {
      if (phase === "drain" || phase === "done") return;
      publishEvent(device);
      scheduleEvent(device);
    }, nextEventIn());
  };

  const onAck = (payload: Buffer) => {
    const now = performance.now();
    let ack: { accepted?: unknown; rejected?: unknown };
    try {
      ack = JSON.parse(payload.toString()) as typeof ack;
    } catch {
      return;
    }
    const settle = (id: unknown, accepted: boolean) => {
      if (typeof id !== "string") return;
      const entry = pending.get(id);
      if (!entry) return; // a duplicate ack
      pending.delete(id);
      entry.device.unacked -= 1;
      if (accepted) {
        counts.totalEventsAccepted += 1;
        if (phase === "window") counts.eventsAckedInWindow += 1;
        if (entry.inWindow) {
          ackLatencies.push(now - entry.sentAt);
          // an event sent by a timer that fired a little late still counts in the last slice
          const slice = Math.min(
            Math.floor((entry.sentAt - clock.windowStartedAt) / (SLICE_SECONDS * 1000)),
            Math.ceil(windowMs / (SLICE_SECONDS * 1000)) - 1,
          );
          (ackLatenciesBySlice[slice] ??= []).push(now - entry.sentAt);
        }
      } else {
        counts.eventsRejected += 1;
      }
    };
    if (Array.isArray(ack.accepted)) for (const id of ack.accepted) settle(id, true);
    if (Array.isArray(ack.rejected)) {
      for (const item of ack.rejected) settle((item as { id?: unknown } | null)?.id, false);
    }
  };

  const startDevice = async (device: Device): Promise<void> => {
    const options: IClientOptions = {
      clientId: device.id,
      protocolVersion: 4,
      clean: true,
      keepalive: 60,
      reconnectPeriod: 0,
      connectTimeout: 180_000,
      will: {
        topic: topics.availability(device.id),
        payload: Buffer.from('{"status":"offline"}'),
        retain: true,
        qos: 1,
      },
      ...(device.secret !== null && { username: device.id, password: device.secret }),
    };
    let client: MqttClient | null = null;
    for (let attempt = 1; client === null; attempt += 1) {
      const started = performance.now();
      try {
        client = await mqtt.connectAsync(url, options, false);
        connectLatencies.push(performance.now() - started);
      } catch (error) {
        counts.connectFailures += 1;
        if (attempt >= 3) throw new Error(`${device.id} could not connect: ${errorText(error)}`);
        await sleep(1000);
      }
    }
    device.client = client;
    const ackTopic = topics.ack(device.id);
    client.on("message", (topic, payload) => {
      if (topic === ackTopic) onAck(payload);
    });
    client.on("close", () => {
      if (phase !== "done") counts.connectionsLost += 1;
    });
    client.on("error", (error) => {
      noteError(error);
    });
    await client.subscribeAsync(ackTopic, { qos: 1 });
    client.publish(
      topics.availability(device.id),
      JSON.stringify({ status: "online", at: new Date().toISOString() }),
      { qos: 1, retain: true },
      (error) => {
        if (error) noteError(error);
      },
    );
    publishState(device);
    device.stateTimer = setInterval(() => {
      publishState(device);
    }, stateMs);
    scheduleEvent(device);
  };

  // ---- connect ramp
  await send({ type: "ramp-start" });
  const rampStarted = performance.now();
  let failed = 0;
  await pool(devices, concurrency, async (device) => {
    try {
      await startDevice(device);
    } catch (error) {
      failed += 1;
      if (failed <= 3) process.stderr.write(`load: ${errorText(error)}\n`);
    }
  });
  const connectSeconds = (performance.now() - rampStarted) / 1000;
  const connected = devices.filter((device) => device.client?.connected === true).length;
  await send({ type: "connected", seconds: connectSeconds, connected, failed });

  // ---- warm-up, then the measurement window
  phase = "warmup";
  await sleep(warmupMs);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  await send({ type: "window-start" });
  phase = "window";
  loop.enable();
  const cpuBefore = process.cpuUsage();
  const windowStarted = performance.now();
  clock.windowStartedAt = windowStarted;
  await sleep(windowMs);
  const windowSeconds = (performance.now() - windowStarted) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  loop.disable();
  phase = "drain";
  await send({ type: "window-end" });

  // ---- stop publishing; wait for the acks of what is outstanding
  for (const device of devices) {
    if (device.stateTimer) clearInterval(device.stateTimer);
    if (device.eventTimer) clearTimeout(device.eventTimer);
  }
  const drainStarted = performance.now();
  while (pending.size > 0 && performance.now() - drainStarted < drainMs) await sleep(50);
  const drainSeconds = (performance.now() - drainStarted) / 1000;
  let eventsUnacked = 0;
  for (const entry of pending.values()) if (entry.inWindow) eventsUnacked += 1;

  phase = "done";
  await Promise.all(
    devices.map(async (device) => {
      const client = device.client;
      if (!client) return;
      await Promise.race([client.endAsync(), sleep(5000).then(() => client.endAsync(true))]);
    }),
  );
  if (firstError.text !== null)
    process.stderr.write(`load: first client error: ${firstError.text}\n`);

  const result: LoadResult = {
    devices: devices.length,
    connected,
    connectFailures: counts.connectFailures,
    connectSeconds,
    connectLatency: latencyOf(connectLatencies),
    windowSeconds,
    eventsPublished: counts.eventsPublished,
    eventsAckedInWindow: counts.eventsAckedInWindow,
    eventsUnacked,
    eventsRejected: counts.eventsRejected,
    statesPublished: counts.statesPublished,
    ackLatency: latencyOf(ackLatencies),
    ackLatencyBySlice: Array.from({ length: ackLatenciesBySlice.length }, (_, slice) => ({
      fromSecond: slice * SLICE_SECONDS,
      toSecond: Math.min((slice + 1) * SLICE_SECONDS, windowMs / 1000),
      ...latencyOf(ackLatenciesBySlice[slice] ?? []),
    })),
    pubackLatency: latencyOf(pubackLatencies),
    totalEventsPublished: counts.totalEventsPublished,
    totalEventsAccepted: counts.totalEventsAccepted,
    connectionsLost: counts.connectionsLost,
    publishErrors: counts.publishErrors,
    loadEventLoopDelayP99Ms: Math.round(loop.percentile(99) / 1e4) / 100,
    loadCpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / windowSeconds) * 1000) / 10,
    drainSeconds,
  };
  await send({ type: "result", result });
  return 0;
}

// the bench owns this process: when it goes away, so do we
process.on("disconnect", () => {
  process.exit(1);
});

main().then(
  (code) => {
    process.exit(code);
  },
  async (error: unknown) => {
    process.stderr.write(`load-devices: ${errorText(error)}\n`);
    await send({ type: "fatal", error: errorText(error) });
    process.exit(1);
  },
);
