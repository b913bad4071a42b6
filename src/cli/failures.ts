/**
 * What the CLI says when a command fails for an ordinary reason (the port is taken, the
 * database is down, misnamed or refuses the login, a file cannot be written): one line on
 * stderr and exit code 1. A stack trace would bury the one fact the user needs; an error not
 * recognised here is a bug and keeps its stack. Bad usage and bad configuration exit with 2
 * (commander's own errors here; `fail(…, 2)` where commands check their flags).
 */
import BetterSqlite from 'better-sqlite3';
import { CommanderError, type Command } from 'commander';
import { dirname, resolve, sep } from 'node:path';
import { inspect } from 'node:util';
import pg from 'pg';
import { isAppError } from '../errors.js';
import { DemoAlreadySeededError, DemoCredentialsFileError } from '../demo/seed.js';
import { parseDatabaseUrl } from '../store/open-store.js';
import { fail } from './options.js';

/** What the failing step was working on, so the line can name it. */
export interface FailureContext {
  /** DATABASE_URL when the step used the database (its password never appears in a line). */
  databaseUrl?: string;
  /** The demo credentials file the command reads or writes. */
  demoFile?: string;
}

/** The database did not answer a first query in time (a firewall dropping packets, or a server that accepts and then says nothing). */
export class DatabaseNoAnswerError extends Error {
  readonly seconds: number;

  constructor(seconds: number) {
    super(`The database did not answer within ${seconds} s.`);
    this.name = 'DatabaseNoAnswerError';
    this.seconds = seconds;
  }
}

/** One line for a failure an ordinary user can fix, or null for anything else. */
export function describeFailure(error: unknown, context: FailureContext = {}): string | null {
  if (isAppError(error)) return error.message;
  if (error instanceof DemoAlreadySeededError) return alreadySeeded(context);
  if (error instanceof DemoCredentialsFileError) return badCredentialsFile(error);
  const postgres = postgresTargetOf(context);
  if (error instanceof DatabaseNoAnswerError) {
    return `${postgres ? `PostgreSQL at ${postgres.address}` : 'the database'} did not answer within ${error.seconds} s; check the host and port in DATABASE_URL, and that no firewall drops the connection`;
  }
  if (error instanceof pg.DatabaseError) return postgresRefusal(error, postgres);
  if (error instanceof BetterSqlite.SqliteError) return sqliteFailure(error, sqliteFileOf(context));
  const system = systemErrorOf(error);
  if (system) return systemFailure(system, context);
  return postgresHandshakeFailure(error, postgres);
}

/** Ends the process with the failure's one line when it is a known one; returns otherwise, so the caller rethrows. */
export function exitOnKnownFailure(error: unknown, context: FailureContext = {}): void {
  const line = describeFailure(error, context);
  if (line !== null) fail(line);
}

/**
 * Runs the command line: known failures as one line and exit code 1, usage errors (which
 * commander has already explained) with exit code 2, and anything else with its stack.
 */
export async function runCommandLine(program: Command, argv: string[]): Promise<void> {
  // Set on every command: commander reports an error from the command it was parsing, and a
  // subcommand only inherits the setting from a parent that had it when it was created.
  for (const command of commandTree(program)) command.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
    exitOnKnownFailure(error);
    process.stderr.write(`flowline: unexpected error (a bug worth reporting):\n${inspect(error)}\n`);
    process.exit(1);
  }
}

function commandTree(command: Command): Command[] {
  return [command, ...command.commands.flatMap((child) => commandTree(child))];
}

// --- PostgreSQL ------------------------------------------------------------------------------

export interface PostgresTarget {
  host: string;
  port: string;
  /** `host:port`, as a line names the server. */
  address: string;
  /** Empty when the URL names none (libpq then uses the user name). */
  database: string;
  user: string;
}

/** Where a postgres:// URL points, read from the URL alone; its password is left out on purpose. */
export function postgresTarget(url: string): PostgresTarget | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  // A socket directory may be given as ?host=/var/run/postgresql instead of in the authority.
  const host = decodeURIComponent(parsed.hostname) || parsed.searchParams.get('host') || 'localhost';
  const port = parsed.port || parsed.searchParams.get('port') || '5432';
  return { host, port, address: `${host}:${port}`, database: decodeURIComponent(parsed.pathname.replace(/^\//, '')), user: decodeURIComponent(parsed.username) };
}

function postgresTargetOf(context: FailureContext): PostgresTarget | null {
  if (context.databaseUrl === undefined) return null;
  const location = safeLocation(context.databaseUrl);
  return location?.kind === 'postgres' ? postgresTarget(location.url) : null;
}

function postgresRefusal(error: pg.DatabaseError, target: PostgresTarget | null): string | null {
  const server = target ? `PostgreSQL at ${target.address}` : 'PostgreSQL';
  switch (error.code) {
    case '28P01':
      return `${server} refused the login: ${error.message}; check the user name and password in DATABASE_URL`;
    case '28000':
      return `${server} refused the login: ${error.message}; check the user name in DATABASE_URL (and the server's pg_hba.conf)`;
    case '3D000': {
      const name = target?.database || /database "(.*)" does not exist/.exec(error.message)?.[1] || 'flowline';
      const options = target ? `-h ${target.host} -p ${target.port}${target.user ? ` -U ${target.user}` : ''} ` : '';
      return `${server} has no database "${name}": create it with \`createdb ${options}${name}\`, or name an existing one in DATABASE_URL`;
    }
    case '42501':
      return `${server} refused a migration step: ${error.message}; the user in DATABASE_URL needs to own the database (or have CREATE on its schema)`;
    case '22021':
    case '22P05':
      return 'the input holds a character PostgreSQL cannot store (a NUL byte): remove it and try again';
    case '53300':
    case '57P03':
      return `${server} is not accepting connections now: ${error.message}; try again shortly`;
    default:
      return null;
  }
}

/**
 * pg's own timeouts and dropped handshakes are plain Errors without a code; they are known
 * only when the failing step was talking to PostgreSQL.
 */
function postgresHandshakeFailure(error: unknown, target: PostgresTarget | null): string | null {
  if (!target || !(error instanceof Error)) return null;
  if (/^(timeout expired|Connection terminated due to connection timeout)$/.test(error.message)) {
    return `PostgreSQL at ${target.address} did not answer in time; check the host and port in DATABASE_URL, and that no firewall drops the connection`;
  }
  if (error.message === 'Connection terminated unexpectedly') {
    return `PostgreSQL at ${target.address} closed the connection while it was being opened; check that DATABASE_URL names a PostgreSQL server (and its SSL settings)`;
  }
  return null;
}

// --- SQLite ----------------------------------------------------------------------------------

function safeLocation(url: string): ReturnType<typeof parseDatabaseUrl> | null {
  try {
    return parseDatabaseUrl(url);
  } catch {
    return null;
  }
}

function sqliteFileOf(context: FailureContext): string | null {
  if (context.databaseUrl === undefined) return null;
  const location = safeLocation(context.databaseUrl);
  return location?.kind === 'sqlite' && location.file !== ':memory:' ? resolve(location.file) : null;
}

function sqliteFailure(error: InstanceType<typeof BetterSqlite.SqliteError>, file: string | null): string | null {
  const database = file ? `the SQLite file ${file}` : 'the SQLite database';
  const elsewhere = 'or choose another path with DATABASE_URL';
  if (error.code === 'SQLITE_CANTOPEN') return `cannot open ${database}: its folder must exist and be writable, and the path must not be a folder; fix that, ${elsewhere}`;
  if (error.code.startsWith('SQLITE_READONLY')) return `${database} is read-only (${error.message}); make it and its folder writable, ${elsewhere}`;
  if (error.code === 'SQLITE_NOTADB') return `${database} is not an SQLite database; ${elsewhere}`;
  if (error.code === 'SQLITE_CORRUPT') return `${database} is corrupt (${error.message}); restore it from a backup, ${elsewhere}`;
  if (error.code === 'SQLITE_FULL') return `cannot write ${database}: the disk is full`;
  if (error.code === 'SQLITE_BUSY') return `${database} stayed locked by another process (${error.message}); stop the other Flowline using it, ${elsewhere}`;
  return null;
}

// --- the operating system: ports, connections, files -------------------------------------

interface SystemError {
  code: string;
  syscall?: string;
  address?: string;
  port?: number;
  hostname?: string;
  path?: string;
}

function systemErrorOf(error: unknown): SystemError | null {
  // Connecting to a name with several addresses fails with an AggregateError of one error per address.
  const candidate = error instanceof AggregateError && error.errors.length > 0 ? error.errors[0] : error;
  if (!(candidate instanceof Error)) return null;
  const { code, syscall } = candidate as Partial<SystemError>;
  return typeof code === 'string' && typeof syscall === 'string' ? (candidate as unknown as SystemError) : null;
}

const CONNECT_PROBLEMS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'no answer (timed out)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
};

const FILE_PROBLEMS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  EEXIST: 'a file of that name is in the way',
};

const FILE_ACTIONS: Record<string, string> = {
  mkdir: 'create the folder',
  open: 'open',
  read: 'read',
  write: 'write',
  rename: 'replace',
  unlink: 'remove',
};

function systemFailure(error: SystemError, context: FailureContext): string | null {
  const postgres = postgresTargetOf(context);
  if (error.syscall === 'listen') {
    const where = `${error.address ?? 'the address'}:${error.port ?? '?'}`;
    if (error.code === 'EADDRINUSE') return `cannot listen on ${where}: the port is already in use (another Flowline?); choose another with --port or PORT (0 picks a free one)`;
    if (error.code === 'EACCES') return `cannot listen on ${where}: permission denied (ports below 1024 need privileges); choose another with --port or PORT`;
    if (error.code === 'EADDRNOTAVAIL') return `cannot listen on ${where}: this machine has no such address; choose another with --host or HOST (127.0.0.1, or 0.0.0.0 for every interface)`;
    return null;
  }
  if (error.syscall === 'connect' && CONNECT_PROBLEMS[error.code]) {
    const server = postgres ? 'PostgreSQL at ' : '';
    const hint = postgres ? '; is PostgreSQL running there? Check the host and port in DATABASE_URL' : '';
    return `cannot connect to ${server}${error.address ?? '?'}:${error.port ?? '?'}: ${CONNECT_PROBLEMS[error.code]}${hint}`;
  }
  if (error.syscall === 'getaddrinfo' && (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN')) {
    const problem = error.code === 'ENOTFOUND' ? 'not found' : 'could not be looked up (DNS unavailable)';
    if (postgres && error.hostname === postgres.host) return `cannot connect to PostgreSQL: host name "${error.hostname}" ${problem}; check the host in DATABASE_URL`;
    return `host name "${error.hostname ?? '?'}" ${problem}`;
  }
  const problem = FILE_PROBLEMS[error.code];
  if (error.path === undefined || problem === undefined || (error.code === 'EEXIST' && error.syscall !== 'mkdir')) return null;
  const line = `cannot ${FILE_ACTIONS[error.syscall ?? ''] ?? error.syscall} ${error.path}: ${problem}`;
  const sqliteFile = sqliteFileOf(context);
  // The SQLite file's folder also holds the secret key and the demo credentials.
  return sqliteFile && isWithinOrAbove(resolve(error.path), dirname(sqliteFile)) ? `${line}; the SQLite file ${sqliteFile} needs a writable folder: fix that, or choose another path with DATABASE_URL` : line;
}

/** Whether `path` is `folder`, one of its ancestors, or a file directly in it. */
function isWithinOrAbove(path: string, folder: string): boolean {
  return path === folder || folder.startsWith(path.endsWith(sep) ? path : `${path}${sep}`) || dirname(path) === folder;
}

// --- the demo --------------------------------------------------------------------------------

function alreadySeeded(context: FailureContext): string {
  const kept = context.demoFile ? ` (kept in ${context.demoFile}; re-issued if that file is missing)` : '';
  return `this database is already seeded with the demo; \`flowline serve --demo\` on it prints the demo credentials${kept}`;
}

function badCredentialsFile(error: DemoCredentialsFileError): string {
  const reissue = 'delete it, and `flowline serve --demo` issues new demo credentials into it';
  switch (error.problem) {
    case 'unreadable':
      return `cannot read the demo credentials file ${error.file} (${error.detail}); fix its permissions, or ${reissue}`;
    case 'not-json':
      return `the demo credentials file ${error.file} is corrupt (${error.detail}); ${reissue}`;
    case 'not-credentials':
      return `${error.file} is not a demo credentials file (${error.detail}); if it is a damaged one, ${reissue}`;
  }
}
