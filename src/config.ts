import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { echoedValue, SETTINGS, settingEntries, type SettingKey } from './settings.js';

/**
 * Configuration comes from the environment, with command-line flags overriding it. It is
 * parsed once, at startup, into a frozen object that is passed to whatever needs it; nothing
 * reads process.env anywhere else. The settings themselves are declared in src/settings.ts.
 */

type SettingSchemas = { [K in SettingKey]: (typeof SETTINGS)[K]['schema'] };

const ConfigSchema = Type.Object(Object.fromEntries(settingEntries().map(([key, setting]) => [key, setting.schema])) as SettingSchemas);

export type Config = Readonly<Static<typeof ConfigSchema>>;
export type LogLevel = Config['logLevel'];

/** Flags as the CLI collected them (camelCase keys, string values as typed). */
export type ConfigFlags = Partial<Record<keyof Config, string | number | undefined>>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = {}, flags: ConfigFlags = {}): Config {
  const fromFlag = (key: SettingKey) => flags[key] !== undefined && flags[key] !== '';
  const raw: Record<string, unknown> = {};
  for (const [key, setting] of settingEntries()) {
    const fromEnv = env[setting.env];
    if (fromFlag(key)) raw[key] = flags[key];
    else if (fromEnv !== undefined && fromEnv !== '') raw[key] = fromEnv;
  }
  // Only plain decimal digits make a number: TypeBox's lenient conversion would read 80.5 as
  // 80, 0x1F90 as 8080 and `true` as 1. Anything else stays text and fails the schema below.
  for (const [key, setting] of settingEntries()) {
    const text = raw[key];
    if (Type.IsInteger(setting.schema) && typeof text === 'string' && /^\d+$/.test(text.trim())) raw[key] = Number(text.trim());
  }
  const value = Value.Default(ConfigSchema, raw) as Record<string, unknown>;

  const problems: string[] = [];
  const refuse = (key: SettingKey, reason: string) => {
    const setting = SETTINGS[key];
    problems.push(`${fromFlag(key) ? setting.flag : setting.env}${echoedValue(setting, raw[key])} is not valid: ${reason}.`);
  };
  // Setting by setting, not Value.Errors over the whole object: that stops after a few errors
  // (a bad LOG_LEVEL alone makes eight, one per level), which would hide the settings after it.
  for (const [key, setting] of settingEntries()) {
    const text = value[key];
    const fits = text === undefined ? Type.IsOptional(setting.schema) : Value.Check(setting.schema, text);
    if (!fits) refuse(key, `expected ${setting.accepted}`);
    else if (setting.check !== undefined && typeof text === 'string') {
      const verdict = setting.check(text);
      if (verdict !== true) refuse(key, verdict === false ? `expected ${setting.accepted}` : verdict);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  return Object.freeze(value as Config);
}

/** Fastify's `trustProxy` option from the configured text. */
export function trustProxyOption(config: Config): boolean | string {
  const text = config.trustProxy?.trim();
  if (text === undefined || text === '' || text === 'false') return false;
  if (text === 'true') return true;
  return text;
}
