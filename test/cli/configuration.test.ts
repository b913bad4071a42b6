import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { settingEntries } from '../../src/settings.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'flowline.js');

/** The test's own environment without any Flowline setting, so only what a test sets counts. */
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !settingEntries().some(([, setting]) => setting.env === name)),
);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowline-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI in the temporary directory, where a test may have written a .env. */
function flowline(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, env: { ...cleanEnv, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function dotEnv(text: string): void {
  writeFileSync(join(dir, '.env'), text);
}

describe('flowline reads .env from its working directory', () => {
  it('takes settings from it (comments, export and quoted values as Node reads them)', () => {
    dotEnv(
      [
        '# the database of this test',
        `export DATABASE_URL="${join(dir, 'from-file.db')}"`,
        'LOG_LEVEL=warn # trailing comment',
        'MAIL_FROM="Flowline',
        '<flowline@example.com>"',
        '',
      ].join('\n'),
    );
    const result = flowline(['migrate']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('applied: 0001-initial');
    expect(existsSync(join(dir, 'from-file.db'))).toBe(true);
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('lets the environment win over the file, and a flag over both', () => {
    dotEnv(`DATABASE_URL=${join(dir, 'file.db')}\n`);
    expect(flowline(['migrate'], { DATABASE_URL: join(dir, 'env.db') }).status).toBe(0);
    expect(existsSync(join(dir, 'env.db'))).toBe(true);
    expect(existsSync(join(dir, 'file.db'))).toBe(false);

    expect(flowline(['migrate', '--database-url', join(dir, 'flag.db')], { DATABASE_URL: join(dir, 'env.db') }).status).toBe(0);
    expect(existsSync(join(dir, 'flag.db'))).toBe(true);
    expect(existsSync(join(dir, 'file.db'))).toBe(false);
  });

  it('names a bad value from the file by its variable', () => {
    dotEnv('PORT=eighty\n');
    const result = flowline(['serve']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('flowline: Invalid configuration:\nPORT="eighty" is not valid: expected an integer from 0 to 65535.\n');
  });

  it('refuses a malformed file with one line and exit code 2, without quoting it', () => {
    // Node's parser would let the line without `=` swallow SECRET_KEY's line and carry on.
    dotEnv(`DATABASE_URL=${join(dir, 'never.db')}\nSECRET_KEY hunter2\nLOG_LEVEL=warn\n`);
    const malformed = flowline(['migrate']);
    expect(malformed.status).toBe(2);
    expect(malformed.stderr).toBe('flowline: cannot load .env: line 2 is not NAME=value (nor a # comment)\n');
    expect(existsSync(join(dir, 'never.db'))).toBe(false);

    dotEnv(`DATABASE_URL=${join(dir, 'never.db')}\nMAIL_FROM="Flowline\nLOG_LEVEL=warn\n`);
    const unclosed = flowline(['migrate']);
    expect(unclosed.status).toBe(2);
    expect(unclosed.stderr).toBe('flowline: cannot load .env: line 2 opens a "-quoted value that is never closed\n');
  });

  it('refuses a .env it cannot read with one line and exit code 2', () => {
    mkdirSync(join(dir, '.env'));
    const result = flowline(['migrate'], { DATABASE_URL: join(dir, 'never.db') });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^flowline: cannot read \.env: EISDIR[^\n]*\n$/);
    expect(existsSync(join(dir, 'never.db'))).toBe(false);
  });
});

describe('setting flags on the command line', () => {
  it('reach the configuration, --no-data-alarm-minutes included, and secrets stay hidden', () => {
    const result = flowline(['serve', '--no-data-alarm-minutes', 'often', '--smtp-url', 'http://flowline:hunter2@mail.example.com', '--secret-key', 'hunter2']);
    expect(result.status).toBe(2);
    expect(result.stderr.split('\n')).toEqual([
      'flowline: Invalid configuration:',
      '--secret-key is not valid: expected 32 random bytes in base64 (openssl rand -base64 32).',
      '--no-data-alarm-minutes="often" is not valid: expected a whole number of minutes (0 turns the check off).',
      '--smtp-url="http://flowline:***@mail.example.com" is not valid: expected an smtp:// or smtps:// URL (with special characters of the password percent-encoded).',
      '',
    ]);
  });

  it('are only the ones a command uses', () => {
    const result = flowline(['migrate', '--port', '9000']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("unknown option '--port'");
  });
});
