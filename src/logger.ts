import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

/** Secrets never reach the log, whichever object carries them. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'password',
  'token',
  'secret',
  'ingestKey',
  '*.password',
  '*.token',
  '*.secret',
  '*.ingestKey',
  '*.apiToken',
];

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination);
}
