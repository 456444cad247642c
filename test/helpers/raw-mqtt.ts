/**
 * A bare MQTT 3.1.1 connection over a socket, for sending what a well-behaved
 * client library would refuse to send (wildcard publish topics, huge frames).
 */
import { connect, type Socket } from "node:net";
import mqttPacket from "mqtt-packet";

export interface RawConnection {
  socket: Socket;
  packets: mqttPacket.Packet[];
  send: (packet: mqttPacket.Packet) => void;
  closed: Promise<void>;
}

export async function rawConnect(
  port: number,
  credentials: { clientId: string; username: string; password: string },
): Promise<{ connection: RawConnection; returnCode: number }> {
  const socket = connect(port, "127.0.0.1");
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const packets: mqttPacket.Packet[] = [];
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.on("error", () => undefined);
  socket.on("data", (chunk: Buffer) => parser.parse(chunk));
  const connack = new Promise<number>((resolve, reject) => {
    parser.on("packet", (packet) => {
      packets.push(packet);
      if (packet.cmd === "connack") resolve(packet.returnCode ?? -1);
    });
    void closed.then(() => reject(new Error("closed before CONNACK")));
  });
  const send = (packet: mqttPacket.Packet) => socket.write(mqttPacket.generate(packet));
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  send({
    cmd: "connect",
    protocolId: "MQTT",
    protocolVersion: 4,
    clean: true,
    keepalive: 30,
    clientId: credentials.clientId,
    username: credentials.username,
    password: Buffer.from(credentials.password),
  });
  return { connection: { socket, packets, send, closed }, returnCode: await connack };
}
