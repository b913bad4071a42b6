import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import type { Clock } from './time.js';
import type { Alarm } from './types.js';

/**
 * Alarms the server raises itself, as Fluent does: type `fluent-alarm` (the name Fluent
 * clients test for). Devices may not send this type, so a device can never clear one.
 */
export const SERVER_ALARM_TYPE = 'fluent-alarm';

/** "No data received": raised when a controller falls silent, cleared by its next batch. */
export const NO_DATA_ALARM = { type: SERVER_ALARM_TYPE, code: 1, severity: 'warning', message: 'No data received' } as const;

/**
 * Raises the no-data alarm on every controller whose last batch arrived before `now - silenceMs`
 * and that has no such alarm active. Controllers that never sent anything are not "stopped".
 * Safe to run from every server process at once: the store raises each alarm at most once.
 */
export function raiseNoDataAlarms(store: Store, now: number, silenceMs: number): Promise<Alarm[]> {
  return store.raiseNoDataAlarms(now - silenceMs, now);
}

export interface NoDataWatch {
  stop(): Promise<void>;
}

/** Checks for silent controllers every `everyMs` until stopped; a failed check is logged and retried next time. */
export function watchForSilentControllers(store: Store, options: { silenceMs: number; everyMs: number; clock: Clock; logger: Logger }): NoDataWatch {
  let running: Promise<void> = Promise.resolve();
  const check = () => {
    running = raiseNoDataAlarms(store, options.clock.now(), options.silenceMs)
      .then((raised) => {
        if (raised.length > 0) options.logger.info({ controllers: raised.map((a) => a.controllerId) }, 'no-data alarms raised');
      })
      .catch((error: unknown) => options.logger.warn({ err: error }, 'no-data alarm check failed'));
  };
  check();
  const timer = setInterval(check, options.everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
