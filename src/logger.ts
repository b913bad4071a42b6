import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { pino, type DestinationStream, type Logger } from 'pino';
import { isColorSupported, prettyFactory } from 'pino-pretty';
import type { Config, LogLevel } from './config.js';

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

/** Query parameters whose values are secrets (OAuth's token request takes client_secret in the query). */
const SECRET_QUERY_PARAMETER = /^(client_secret|secret|token|access_token|refresh_token|password|api_key|key)$/i;

/** A request URL as it may be logged: the values of secret query parameters replaced. */
export function loggedUrl(url: string): string {
  const query = url.indexOf('?');
  if (query === -1) return url;
  const parameters = url.slice(query + 1).split('&').map((parameter) => {
    const name = parameter.split('=')[0] ?? '';
    let decoded = name;
    try {
      decoded = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      // A malformed escape is logged as it came: it names no secret parameter we know.
    }
    return SECRET_QUERY_PARAMETER.test(decoded.trim()) ? `${name}=[redacted]` : parameter;
  });
  return `${url.slice(0, query)}?${parameters.join('&')}`;
}

/** What a request line records of the request: never its headers, never a secret in its URL. */
function requestFields(request: { method?: string; url?: string; ip?: string; hostname?: string }) {
  return { method: request.method, url: loggedUrl(request.url ?? ''), hostname: request.hostname, remoteAddress: request.ip };
}

export type LogFormat = NonNullable<Config['logFormat']>;

export interface LoggerOptions {
  /** `json` for JSON lines, `pretty` for a person; unset: pretty when the logs go to a terminal. */
  format?: LogFormat;
}

/**
 * The process logger. Without a destination it writes to stdout: pretty on a terminal, JSON
 * lines otherwise (a file, a pipe, a log collector). Redaction happens before either format
 * sees a line, so pretty output hides secrets exactly as JSON does.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream, options: LoggerOptions = {}): Logger {
  const toTerminal = destination === undefined && process.stdout.isTTY === true;
  const format = options.format ?? (toTerminal ? 'pretty' : 'json');
  const settings = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, serializers: { req: requestFields } };
  if (format === 'json') return pino(settings, destination);
  return pino(settings, prettyStream(destination ?? process.stdout, toTerminal && isColorSupported));
}

/**
 * pino-pretty as a synchronous in-process stream rather than a worker transport: a line is on
 * the terminal before the call returns, so nothing is lost when the CLI exits right after an
 * error, and its order with the CLI's own output (the demo credentials) is kept.
 */
function prettyStream(destination: DestinationStream, colorize: boolean): DestinationStream {
  const prettify = prettyFactory({
    colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    // The request lines say method, URL, status and time in their message (RequestLogController).
    ignore: 'pid,hostname,req,res,responseTime',
    singleLine: true,
  });
  return { write: (line: string) => void destination.write(prettify(line)) };
}

/**
 * Fastify's request lines, sized for a person watching the log: at info a server that is
 * merely busy (the demo simulator posts every ten seconds) prints nothing per request. One
 * line per completed request at debug, with method, URL, status and time in the message;
 * at warn when the answer is a 5xx (the error handler logs the error itself at error).
 * "incoming request" stays available at trace, for requests that never complete.
 */
export class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.trace({ req: request }, `incoming request: ${request.method} ${loggedUrl(request.url)}`);
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const summary = `${request.method} ${loggedUrl(request.url)} ${reply.statusCode} in ${Math.round(reply.elapsedTime)} ms`;
    const fields = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...fields, err: error }, `request errored: ${summary}`);
    else if (reply.statusCode >= 500) reply.log.warn(fields, `request completed: ${summary}`);
    else reply.log.debug(fields, `request completed: ${summary}`);
  }
}
