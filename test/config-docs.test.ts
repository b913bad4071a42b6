import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { REGENERATE, renderEnvExample, renderReadmeTable, splitAtConfigurationTable } from '../scripts/config-docs.js';
import { withConfigFlags } from '../src/cli/options.js';
import { loadConfig } from '../src/config.js';
import { defaultValue, flagHelp, settingEntries, type SettingGroup } from '../src/settings.js';

/**
 * The written forms of the setting definitions in src/settings.ts — the README's table,
 * `.env.example` and the flags of the real CLI — must say what the definitions say.
 */

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'flowline.js');
const BEHIND = `differs from the setting definitions in src/settings.ts: run \`${REGENERATE}\``;
const SERVE_GROUPS: SettingGroup[] = ['store', 'server', 'mail'];

/** `flowline <command> --help` of the real CLI, as built in src/cli/main.ts. */
async function help(...command: string[]): Promise<string> {
  const child = spawn(process.execPath, [BIN, ...command, '--help'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  child.stderr.on('data', (chunk) => (out += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code, out).toBe(0);
  return out;
}

/** The setting flags a help text lists, and its text with commander's line wrapping undone. */
function settingFlagsIn(helpText: string): { flags: string[]; text: string } {
  const listed = new Set([...helpText.matchAll(/^ {2}(--[\w-]+)/gm)].map((match) => match[1]));
  return {
    flags: settingEntries()
      .map(([, setting]) => setting.flag)
      .filter((flag) => listed.has(flag)),
    text: helpText.replace(/\s+/g, ' '),
  };
}

function flagsOf(groups: SettingGroup[]): string[] {
  return settingEntries()
    .filter(([, setting]) => groups.includes(setting.group))
    .map(([, setting]) => setting.flag);
}

describe('the written configuration matches src/settings.ts', () => {
  it("README.md's configuration table", () => {
    const { table } = splitAtConfigurationTable(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    expect(table, `README.md's configuration table ${BEHIND}`).toBe(renderReadmeTable());
  });

  it('.env.example', () => {
    expect(readFileSync(join(ROOT, '.env.example'), 'utf8'), `.env.example ${BEHIND}`).toBe(renderEnvExample());
  });

  it('the flags of `flowline serve` and `flowline migrate`, with generated help', async () => {
    const [serve, migrate] = await Promise.all([help('serve'), help('migrate')]);
    const served = settingFlagsIn(serve);
    expect(served.flags, 'serve takes every setting as a flag').toEqual(flagsOf(SERVE_GROUPS));
    for (const [, setting] of settingEntries()) {
      expect(served.text, `serve --help, ${setting.flag}`).toContain(` ${setting.flag} <${setting.argument}> ${flagHelp(setting)} `);
    }
    expect(settingFlagsIn(migrate).flags, 'migrate takes the store group only').toEqual(flagsOf(['store']));
  });
});

describe('withConfigFlags', () => {
  it('puts each flag under its Config key, so loadConfig sees every one', () => {
    // A good value for each: the key has no example, the others an example or a default.
    const good: Record<string, string> = { secretKey: Buffer.alloc(32, 1).toString('base64') };
    const args = settingEntries().flatMap(([key, setting]) => [setting.flag, good[key] ?? setting.example ?? defaultValue(setting) ?? '']);
    const command = withConfigFlags(new Command('serve'), SERVE_GROUPS).exitOverride();
    command.parse(args, { from: 'user' });
    expect(Object.keys(command.opts()).sort()).toEqual(settingEntries().map(([key]) => key).sort());
    const config = loadConfig({}, command.opts());
    expect(Object.keys(config).sort()).toEqual(settingEntries().map(([key]) => key).sort());
  });

  it('still takes { server: true } for serve and {} for the store commands', () => {
    const flags = (command: Command) => command.options.map((option) => option.long);
    expect(flags(withConfigFlags(new Command(), { server: true }))).toEqual(flags(withConfigFlags(new Command(), SERVE_GROUPS)));
    expect(flags(withConfigFlags(new Command(), {}))).toEqual(flagsOf(['store']));
    expect(flags(withConfigFlags(new Command()))).toEqual(flagsOf(['store']));
    expect(flags(withConfigFlags(new Command(), ['store', 'mail']))).toEqual(flagsOf(['store', 'mail']));
  });
});
