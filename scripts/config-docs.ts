/**
 * The README's configuration table and `.env.example`, rendered from the setting definitions
 * in src/settings.ts. scripts/write-config-docs.ts (`npm run docs:config`) writes them;
 * test/config-docs.test.ts fails when the files hold anything else.
 */
import { defaultMarkdown, defaultValue, plainText, settingEntries, type Setting } from '../src/settings.js';

export const REGENERATE = 'npm run docs:config';

const ENV_EXAMPLE_WIDTH = 100;

export function renderReadmeTable(): string {
  const cell = (markdown: string) => markdown.replaceAll('|', '\\|');
  const rows = settingEntries().map(
    ([, setting]) => `| \`${setting.env}\` | \`${setting.flag}\` | ${cell(defaultMarkdown(setting))} | ${cell(setting.meaning)} |`,
  );
  return ['| variable | flag | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

export function renderEnvExample(): string {
  const header = comment(
    'The flowline command reads .env from its working directory: copy this file there as .env and edit it. ' +
      'A variable already set in the environment wins over the file, and a flag over both. ' +
      `Written from src/settings.ts by \`${REGENERATE}\`.`,
  );
  const entries = settingEntries().map(([, setting]) => envEntry(setting));
  return `${[header, ...entries].join('\n\n')}\n`;
}

/** A default is written out as a line of its own; an unset setting as a commented example. */
function envEntry(setting: Setting): string {
  const lines = [comment(plainText(setting.meaning))];
  if (setting.defaultText !== undefined) lines.push(comment(`When unset: ${plainText(setting.defaultText)}`));
  const value = defaultValue(setting);
  if (value !== undefined) lines.push(`${setting.env}=${envValue(value)}`);
  else lines.push(`# ${setting.env}=${setting.example === undefined ? '' : envValue(setting.example)}`);
  return lines.join('\n');
}

/** Quoted when it holds more than a shell word could, so the file can be sourced too. */
function envValue(value: string): string {
  if (/^[\w.,:/@+=-]*$/.test(value)) return value;
  if (/["\\\n$`]/.test(value)) throw new Error(`${JSON.stringify(value)} cannot be written in .env.example as it is`);
  return `"${value}"`;
}

function comment(text: string): string {
  const lines: string[] = [];
  let line = '#';
  for (const word of text.split(/\s+/)) {
    if (line !== '#' && line.length + 1 + word.length > ENV_EXAMPLE_WIDTH) {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines.join('\n');
}

/**
 * Splits the README around the table of its "## Configuration" section, the one run of `|`
 * lines between that heading and the next. A second run (a table split by a blank line, say)
 * is refused rather than left beside the rewritten one.
 */
export function splitAtConfigurationTable(readme: string): { before: string; table: string; after: string } {
  const lines = readme.split('\n');
  const heading = lines.indexOf('## Configuration');
  if (heading === -1) throw new Error('README.md has no "## Configuration" heading');
  const runs: [number, number][] = [];
  let inFence = false;
  let index = heading + 1;
  for (; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.startsWith('```')) inFence = !inFence;
    if (inFence) continue;
    if (/^#{1,6} /.test(line)) break;
    const inTable = line.startsWith('|');
    const last = runs.at(-1);
    if (inTable && last !== undefined && last[1] === index) last[1] = index + 1;
    else if (inTable) runs.push([index, index + 1]);
  }
  if (runs.length !== 1) throw new Error(`README.md's "## Configuration" section has ${runs.length} tables, not one`);
  const [start, end] = runs[0]!;
  return {
    before: lines.slice(0, start).join('\n'),
    table: lines.slice(start, end).join('\n'),
    after: lines.slice(end).join('\n'),
  };
}

export function withConfigurationTable(readme: string, table: string): string {
  const { before, after } = splitAtConfigurationTable(readme);
  return [before, table, after].join('\n');
}
