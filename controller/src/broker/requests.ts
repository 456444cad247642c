/**
 * Controller→device requests and their answers: each request carries a
 * correlation id, waits for the response with that id on the device's
 * response topic, and fails on timeout, on a failed publish or at shutdown.
 */
import { randomUUID } from "node:crypto";
import {
  checkRequest,
  encode,
  topics,
  type DeviceResponse,
  type RequestArgs,
  type RequestOp,
} from "@classcam/protocol";

interface PendingRequest {
  deviceId: string;
  op: RequestOp;
  resolve: (response: DeviceResponse<RequestOp>) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export type RequestAnswer = "answered" | "unmatched";

export class PendingRequests {
  private readonly pending = new Map<string, PendingRequest>();

  constructor(
    private readonly options: {
      publish: (topic: string, payload: Buffer) => Promise<void>;
      now: () => Date;
    },
  ) {}

  /** Publishes the request and waits for the device's answer. */
  send<Op extends RequestOp>(
    deviceId: string,
    op: Op,
    args: RequestArgs<Op>,
    timeoutMs: number,
  ): Promise<DeviceResponse<Op>> {
    const id = randomUUID();
    const payload = encode((value) => checkRequest(op, value), {
      id,
      sentAt: this.options.now().toISOString(),
      args,
    });
    return new Promise<DeviceResponse<Op>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`device '${deviceId}' did not answer '${op}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        deviceId,
        op,
        resolve: resolve,
        reject,
        timer,
      });
      this.options.publish(topics.request(deviceId, op), payload).catch((error: unknown) => {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(error instanceof Error ? error : new Error(String(error)));
      });
    });
  }

  /** Hands a parsed response to the request it answers, if one is waiting from that device. */
  answer(deviceId: string, op: RequestOp, response: DeviceResponse<RequestOp>): RequestAnswer {
    const pending = this.pending.get(response.id);
    if (!pending || pending.deviceId !== deviceId || pending.op !== op) return "unmatched";
    this.pending.delete(response.id);
    clearTimeout(pending.timer);
    pending.resolve(response);
    return "answered";
  }

  /** Fails every waiting request (at shutdown). */
  rejectAll(reason: string): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new Error(reason));
      this.pending.delete(id);
    }
  }
}
