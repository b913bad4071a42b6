import { Option, type Command } from 'commander';
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig, type Config, type ConfigFlags } from '../config.js';
import { flagHelp, settingEntries, type SettingGroup } from '../settings.js';

/** What `{ server: true }` stood for before groups: `serve` sends mail too. */
const SERVE_GROUPS: readonly SettingGroup[] = ['store', 'server', 'mail'];

/**
 * Gives a command the flags of the settings in `groups` (see SettingGroup), each overriding
 * its variable, and loads `.env` before the command runs. `{ server: true }` is the form
 * written before groups existed: `serve`'s groups; `{}` is `['store']`.
 */
/** Commands that send set-password links: the store's settings and the mail ones (PUBLIC_URL, SMTP_URL, MAIL_FROM). */
export const MAIL_COMMAND: readonly SettingGroup[] = ['store', 'mail'];

export function withConfigFlags(command: Command, groups: readonly SettingGroup[] | { server?: boolean } = ['store']): Command {
  const chosen = isGroupList(groups) ? groups : groups.server ? SERVE_GROUPS : ['store'];
  for (const [, setting] of settingEntries()) {
    if (!chosen.includes(setting.group)) continue;
    const option = new Option(`${setting.flag} <${setting.argument}>`, flagHelp(setting));
    // Commander reads a flag starting with --no- as the negation of another (and would put
    // --no-data-alarm-minutes under `dataAlarmMinutes`); a setting's flag never is one.
    option.negate = false;
    command.addOption(option);
  }
  return command.hook('preAction', () => loadDotEnv('.env'));
}

function isGroupList(groups: readonly SettingGroup[] | { server?: boolean }): groups is readonly SettingGroup[] {
  return Array.isArray(groups);
}

/**
 * Loads a `.env` file from the working directory into process.env, if there is one; the CLI
 * does this before parsing configuration, loadConfig itself never does. process.loadEnvFile
 * leaves a variable that is already set alone, so the environment wins over the file, and a
 * flag over both. Its parser does not refuse anything: it skips what it cannot read, and a
 * line without `=` swallows the line after it, so the lines are checked first.
 */
export function loadDotEnv(file: string): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    fail(`cannot read ${file}: ${(error as Error).message}`, 2);
  }
  const problem = dotEnvProblem(text);
  if (problem !== undefined) fail(`cannot load ${file}: ${problem}`, 2);
  try {
    process.loadEnvFile(file);
  } catch (error) {
    fail(`cannot load ${file}: ${(error as Error).message}`, 2);
  }
}

/**
 * The first line of a .env text that is neither blank, a `#` comment, nor `NAME=value`
 * (optionally after `export `), counting a quoted value over the lines it spans. The line
 * itself is not quoted back: it may hold a secret.
 */
export function dotEnvProblem(text: string): string | undefined {
  // Node would read the mark as part of the first name, and that variable would silently be lost.
  if (text.startsWith('\uFEFF')) return 'it starts with a byte-order mark: save it as UTF-8 without one';
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const value = /^(?:export\s+)?[\w.-]+\s*=\s*(.*)$/.exec(line)?.[1];
    if (value === undefined) return `line ${index + 1} is not NAME=value (nor a # comment)`;
    const quote = value[0];
    if ((quote !== '"' && quote !== "'" && quote !== '`') || value.indexOf(quote, 1) !== -1) continue;
    const opened = index;
    do index++;
    while (index < lines.length && !lines[index]!.includes(quote));
    if (index === lines.length) return `line ${opened + 1} opens a ${quote}-quoted value that is never closed`;
  }
  return undefined;
}

export function configFrom(flags: ConfigFlags): Config {
  try {
    return loadConfig(process.env, flags);
  } catch (error) {
    if (error instanceof ConfigError) fail(`Invalid configuration:\n${error.message}`, 2);
    throw error;
  }
}

export function fail(message: string, exitCode = 1): never {
  process.stderr.write(`flowline: ${message}\n`);
  process.exit(exitCode);
}
