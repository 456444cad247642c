/**
 * A device's sign-in to the broker (aedes's `authenticate` hook): the client
 * id must be the device id, the Last Will only the device's own availability,
 * and the password the device's secret. Every refusal counts against the
 * source address (throttle.ts); past the limit a source is refused with
 * CONNACK 3 until the window passes, before its secret is hashed.
 *
 * An attempt takes its place in that count before its secret is checked and
 * gives it back when it succeeds, so a burst of simultaneous attempts from one
 * address is cut at the limit whatever its concurrency.
 */
import type { Client, ConnectPacket } from "aedes";
import type { Logger } from "pino";
import type { DeviceRegistry } from "../domain/devices.js";
import { canLeaveWill } from "./acl.js";
import { ConnectThrottle, type Attempt } from "./throttle.js";

/** The CONNACK return codes of MQTT 3.1.1 that a refusal can carry. */
export const ConnackCode = {
  identifierRejected: 2,
  serverUnavailable: 3,
  badUsernameOrPassword: 4,
  notAuthorized: 5,
} as const;

export type Refusal = Error & { returnCode: number };
export type SignInDone = (error: Refusal | null, success: boolean | null) => void;

export function refusal(returnCode: number, reason: string): Refusal {
  return Object.assign(new Error(reason), { returnCode });
}

export interface DeviceSignInOptions {
  registry: DeviceRegistry;
  logger: Logger;
  /** Refusals allowed per source address in the window. */
  connectFailures: { max: number; windowMs: number };
  /** A retired device is let in only to be told to wipe its buffer (retired.ts). */
  admitRetired: (client: Client) => void;
}

export class DeviceSignIn {
  private readonly throttle: ConnectThrottle;
  private readonly log: Logger;

  constructor(private readonly options: DeviceSignInOptions) {
    this.log = options.logger;
    this.throttle = new ConnectThrottle({
      maxFailures: options.connectFailures.max,
      windowMs: options.connectFailures.windowMs,
    });
  }

  check(
    client: Client,
    source: string,
    packet: ConnectPacket | undefined,
    username: string | undefined,
    password: Buffer | undefined,
    done: SignInDone,
  ): void {
    // reserve() never rejects: it waits while this address's attempts in progress fill its allowance
    void this.throttle
      .reserve(source)
      .then((attempt) => this.judge(client, source, packet, username, password, done, attempt));
  }

  private judge(
    client: Client,
    source: string,
    packet: ConnectPacket | undefined,
    username: string | undefined,
    password: Buffer | undefined,
    done: SignInDone,
    attempt: Attempt | null,
  ): void {
    if (attempt === null) {
      this.refuse(client, source, done, {
        code: ConnackCode.serverUnavailable,
        reason: "too many refused connections from this address; try later",
      });
      return;
    }
    const refuse = (code: number, reason: string) => {
      attempt.failed();
      this.refuse(client, source, done, { code, reason });
    };
    if (username === undefined || username === "") {
      refuse(ConnackCode.badUsernameOrPassword, "no username: it must be the device id");
      return;
    }
    if (client.id !== username) {
      refuse(
        ConnackCode.identifierRejected,
        `client id '${client.id}' is not the device id '${username}'; they must be equal`,
      );
      return;
    }
    const will = canLeaveWill(username, packet?.will);
    if (!will.allowed) {
      refuse(ConnackCode.notAuthorized, will.reason);
      return;
    }
    if (password === undefined || password.length === 0) {
      refuse(ConnackCode.badUsernameOrPassword, "no password: it must be the device secret");
      return;
    }
    this.checkSecret(client, source, username, password.toString("utf8"), attempt, done, refuse);
  }

  private checkSecret(
    client: Client,
    source: string,
    deviceId: string,
    secret: string,
    attempt: Attempt,
    done: SignInDone,
    refuse: (code: number, reason: string) => void,
  ): void {
    this.options.registry.checkCredentials(deviceId, secret).then(
      (result) => {
        if (result.movedToHmac) {
          this.log.info({ deviceId }, "device secret moved to HMAC from its old scrypt hash");
        }
        if (result.ok) {
          attempt.release();
          done(null, true);
          return;
        }
        switch (result.reason) {
          case "unknown-device":
            refuse(ConnackCode.badUsernameOrPassword, `no enrolled device '${deviceId}'`);
            break;
          case "wrong-secret":
            refuse(ConnackCode.badUsernameOrPassword, `wrong secret for device '${deviceId}'`);
            break;
          case "disabled":
            refuse(ConnackCode.notAuthorized, `device '${deviceId}' is disabled`);
            break;
          case "retired":
            attempt.release();
            this.log.info({ deviceId, source }, "retired device connected");
            this.options.admitRetired(client);
            done(null, true);
            break;
        }
      },
      (error: unknown) => {
        attempt.release();
        this.log.error({ err: error, deviceId }, "credential check failed");
        done(refusal(ConnackCode.serverUnavailable, "credential check failed"), false);
      },
    );
  }

  private refuse(
    client: Client,
    source: string,
    done: SignInDone,
    { code, reason }: { code: number; reason: string },
  ): void {
    this.log.warn({ clientId: client.id, source, reason, returnCode: code }, "connection refused");
    done(refusal(code, reason), false);
  }
}
