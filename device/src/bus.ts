/**
 * The box's event bus: how its parts tell each other what happened without
 * holding each other. One interface (`BoxEvents`) maps each event's name to
 * its payload; a listener that throws (or rejects) is logged and the others
 * still hear the event.
 */
import type { Logger } from "pino";
import type { LampFaultDetail } from "./hw/lamp.js";
import type { Press } from "./hw/press.js";
import type { LampMode } from "./hw/types.js";

/** Every event on the box's bus, by name, with its payload. */
export interface BoxEvents {
  /** Events were raised or the state changed: the controller should hear (state republished). */
  changed: null;
  /** A press of the record button (the physical one, the demo panel, a test). */
  press: Press;
  /** The lamp stopped showing what it should while lit. */
  "lamp.fault": LampFaultDetail;
  /** The lamp's pattern changed. */
  "lamp.mode": LampMode;
  /** The camera went away or came back. */
  "camera.changed": { present: boolean; detail: string };
  /** The microphone went away or came back. */
  "microphone.changed": { present: boolean; detail: string };
  /** A new config from the controller was applied. */
  "config.applied": { version: number };
}

type Listener<T> = (payload: T) => void | Promise<void>;

export class EventBus<Events extends object = BoxEvents> {
  private readonly listeners: { [K in keyof Events]?: Set<Listener<Events[K]>> } = {};

  constructor(private readonly logger: Logger) {}

  /** Calls `listener` on every `name` event; returns a function that stops listening. */
  on<K extends keyof Events>(name: K, listener: Listener<Events[K]>): () => void {
    const set = (this.listeners[name] ??= new Set<Listener<Events[K]>>());
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Tells every listener of `name`; one that throws or rejects is logged, the rest still hear. */
  emit<K extends keyof Events>(name: K, payload: Events[K]): void {
    for (const listener of this.listeners[name] ?? []) {
      const failed = (error: unknown) =>
        this.logger.error({ err: error, event: name }, "a listener on the box's bus failed");
      try {
        const result = listener(payload);
        if (result instanceof Promise) result.catch(failed);
      } catch (error) {
        failed(error);
      }
    }
  }

  /** Forgets every listener (the daemon has stopped). */
  clear(): void {
    for (const name of Object.keys(this.listeners) as (keyof Events)[]) {
      this.listeners[name]?.clear();
    }
  }
}
