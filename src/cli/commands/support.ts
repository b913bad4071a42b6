import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDatabaseUrl } from '../../store/open-store.js';
import type { Command } from 'commander';
import { getUser, normalEmail } from '../../domain/accounts.js';
import { CLI_ACTOR } from '../../domain/actor.js';
import { listCustomers } from '../../domain/onboarding.js';
import type { Customer, User } from '../../domain/types.js';
import { ERRORS, isAppError } from '../../errors.js';
import type { Store } from '../../store/store.js';
import { configFrom, fail } from '../options.js';

/** main.ts's `withStore`: opens the store the flags and environment name, runs the work, closes it. */
export type WithStore = (flags: Record<string, unknown>, work: (store: Store) => Promise<void>) => Promise<void>;

/**
 * A command group (`flowline customer …`), or a command of its own (`flowline import`). A
 * malformed command line (a missing or unknown option, no subcommand) is one line and exit
 * code 2, apart from refused input, which exits with 1; `--help` shows the usage.
 */
export function commandGroup(program: Command, name: string, description: string): Command {
  return usageErrors(program.command(name).description(description));
}

export function usageErrors(command: Command): Command {
  return command.showHelpAfterError(false).exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));
}

/** Bad usage: the command line itself is wrong. */
export function usage(message: string): never {
  fail(message, 2);
}

/** Runs a check of the command line's values before the store is opened; its AppError is one line and exit code 1. */
export function checked<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (isAppError(error)) fail(error.message);
    throw error;
  }
}

/**
 * The store, once its migrations are applied: on an older database the commands would fail
 * on a missing column, so they say what to run instead.
 */
export function withMigratedStore(withStore: WithStore, flags: Record<string, unknown>, work: (store: Store) => Promise<void>): Promise<void> {
  // Opening an SQLite file creates it (and its folders): a mistyped DATABASE_URL would leave an
  // empty database behind, so a file that is not there is reported, not made.
  const location = parseDatabaseUrl(configFrom(flags).databaseUrl);
  if (location.kind === 'sqlite' && location.file !== ':memory:' && !existsSync(location.file)) {
    fail(`there is no database at ${resolve(location.file)}: check DATABASE_URL (or --database-url), or create it with \`flowline migrate\``);
  }
  return withStore(flags, async (store) => {
    const current = await store.currentMigration();
    if (current !== store.latestMigration()) {
      throw ERRORS.unavailable(`The database is ${current === null ? 'empty' : `at migration ${current}`}: run \`flowline migrate\` first.`);
    }
    await work(store);
  });
}

/** Repeatable options (`--channel a --channel b`) collect into a list. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * A customer named by exact name or by id, the name first (as a controller is found by serial
 * number first): a name two customers share must be given as an id, and a number that is one
 * customer's name and another's id is refused rather than guessed.
 */
export async function customerByRef(store: Store, ref: string): Promise<Customer> {
  const text = ref.trim();
  const customers = await listCustomers(store, CLI_ACTOR);
  const named = customers.filter((c) => c.name === text);
  const byId = /^\d+$/.test(text) ? customers.find((c) => c.id === Number(text)) : undefined;
  if (named.length > 1) throw ERRORS.conflict(`${named.length} customers are named "${text}" (ids ${named.map((c) => c.id).join(', ')}): name the customer by id.`);
  if (named.length === 1 && byId && byId.id !== named[0]!.id) {
    throw ERRORS.conflict(`"${text}" is the name of customer ${named[0]!.id} and the id of customer "${byId.name}": rename one of them.`);
  }
  const found = named[0] ?? byId;
  if (!found) throw ERRORS.notFound(`Customer "${text}"`);
  return found;
}

/** A user by login e-mail (which is unique across customers). */
export async function userByEmail(store: Store, email: string): Promise<User> {
  const found = await store.findUserCredentialsByEmail(normalEmail(email));
  if (!found) throw ERRORS.notFound(`User with e-mail ${email.trim()}`);
  return getUser(store, CLI_ACTOR, found.id);
}

/** A positive integer id given on the command line. */
export function idOf(text: string, what: string): number {
  const id = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(id) || id < 1) throw ERRORS.invalidRequest(`${what} takes an id (a positive whole number), not "${text}".`);
  return id;
}

/** A number given on the command line, within bounds. */
export function numberOf(text: string, what: string, range: { min?: number; max?: number; above?: number } = {}): number {
  const value = Number(text);
  const inRange = (range.min === undefined || value >= range.min) && (range.max === undefined || value <= range.max) && (range.above === undefined || value > range.above);
  if (text.trim() === '' || !Number.isFinite(value) || !inRange) {
    const bounds = range.above !== undefined ? ` above ${range.above}` : range.min !== undefined && range.max !== undefined ? ` from ${range.min} to ${range.max}` : '';
    throw ERRORS.invalidRequest(`${what} takes a number${bounds}, not "${text}".`);
  }
  return value;
}

/** A list as JSON for scripts: an array, one object per record. */
export function printJson(rows: readonly object[]): void {
  console.log(JSON.stringify(rows, null, 2));
}

/** Rows as tab-separated columns. */
export function printRows(rows: readonly (string | number | null)[][]): void {
  for (const row of rows) console.log(row.map((cell) => cell ?? '-').join('\t'));
}

/** A file a person gave on the command line, as text; a UTF-8 byte-order mark (some editors add one) is dropped. */
export function readTextFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  } catch (error) {
    throw ERRORS.invalidRequest(`Cannot read ${path}: ${(error as Error).message}`);
  }
}
