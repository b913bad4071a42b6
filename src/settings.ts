import { Type, type TLiteral, type TSchema } from 'typebox';
import { parseSecretKey } from './domain/secret-box.js';
import { parseRateLimits, RateLimitSyntaxError } from './ratelimit/policy.js';
import { allowedNetworks } from './webhooks/destination.js';
import { parseDatabaseUrl } from './store/open-store.js';

/**
 * Every setting of Flowline, declared once. The Config schema and its loader (src/config.ts),
 * the command-line flags (src/cli/options.ts), the README's configuration table and
 * `.env.example` (scripts/config-docs.ts, `npm run docs:config`) are all made from this
 * list, and test/config-docs.test.ts fails when one of the written ones falls behind.
 */

/**
 * Which commands take a setting's flag: `store`, every command that opens the database;
 * `server`, `serve` only; `mail`, the commands that send mail (`serve`, and the `user`
 * commands that invite or reset a password). Groups choose flags only: every command reads
 * every variable.
 */
export type SettingGroup = 'store' | 'server' | 'mail';

export interface Setting<S extends TSchema = TSchema> {
  readonly env: string;
  /** Commander keeps the value under the flag's camelCase, so that must be the key. */
  readonly flag: string;
  /** The flag's value as named in `--help`: `--port <port>`. */
  readonly argument: string;
  readonly schema: S;
  readonly group: SettingGroup;
  /** Completes "expected …" in the message that refuses a bad value. */
  readonly accepted: string;
  /** For the README (Markdown); help texts and `.env.example` take it without the markup. */
  readonly meaning: string;
  /** Markdown, where the schema has no default but something else stands in for one. */
  readonly defaultText?: string;
  /** What `.env.example` suggests for a setting that is unset by default. */
  readonly example?: string;
  /**
   * A secret value is never echoed in errors; a URL that may carry a password is echoed
   * with the password replaced.
   */
  readonly secret?: 'value' | 'url-password';
  /**
   * A further check of a text the schema let through: true when it is good, false to refuse
   * it with the accepted text, or the reason it is refused.
   */
  readonly check?: (text: string) => boolean | string;
}

/** A URL that parses as one, e.g. with a password whose `/`, `#`, `?` or `@` are percent-encoded. */
function isUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

/** Keeps each schema's own type, so the Config type can be read from the list. */
function setting<S extends TSchema>(definition: Setting<S>): Setting<S> {
  return definition;
}

function parses(parse: (text: string) => unknown, text: string): boolean {
  try {
    parse(text);
    return true;
  } catch {
    return false;
  }
}

type Literals<T extends readonly string[]> = { -readonly [I in keyof T]: TLiteral<T[I]> };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const SETTINGS = {
  port: setting({
    env: 'PORT',
    flag: '--port',
    argument: 'port',
    schema: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    group: 'server',
    accepted: 'an integer from 0 to 65535',
    meaning: 'port to listen on (`0` picks a free one)',
  }),
  host: setting({
    env: 'HOST',
    flag: '--host',
    argument: 'host',
    schema: Type.String({ minLength: 1, default: '127.0.0.1' }),
    group: 'server',
    accepted: 'a host name or IP address to listen on',
    meaning: 'address to listen on (`0.0.0.0` for every interface)',
  }),
  databaseUrl: setting({
    env: 'DATABASE_URL',
    flag: '--database-url',
    argument: 'url',
    schema: Type.String({ minLength: 1, default: './data/flowline.db' }),
    group: 'store',
    accepted: 'an SQLite file path, sqlite:<path>, or postgres://… (with special characters of the password percent-encoded)',
    meaning: 'an SQLite file path (or `sqlite:<path>`), or `postgres://…`',
    secret: 'url-password',
    check: (text) => {
      try {
        const location = parseDatabaseUrl(text);
        return location.kind === 'sqlite' || isUrl(location.url);
      } catch {
        return false;
      }
    },
  }),
  logLevel: setting({
    env: 'LOG_LEVEL',
    flag: '--log-level',
    argument: 'level',
    // Typed as the tuple it is, so that Config's logLevel is the union of the levels, not `any`.
    schema: Type.Union(LOG_LEVELS.map((level) => Type.Literal(level)) as Literals<typeof LOG_LEVELS>, { default: 'info' }),
    group: 'store',
    accepted: LOG_LEVELS.join(', '),
    meaning: `how much to log: \`${LOG_LEVELS.join(' ')}\``,
  }),
  logFormat: setting({
    env: 'LOG_FORMAT',
    flag: '--log-format',
    argument: 'format',
    schema: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('pretty')])),
    group: 'store',
    accepted: 'json or pretty',
    meaning: '`json` or `pretty`; unset: pretty when stdout is a terminal, JSON lines otherwise',
    example: 'json',
  }),
  redisUrl: setting({
    env: 'REDIS_URL',
    flag: '--redis-url',
    argument: 'url',
    schema: Type.Optional(Type.String({ pattern: '^rediss?://' })),
    group: 'server',
    accepted: 'a redis:// or rediss:// URL (with special characters of the password percent-encoded)',
    secret: 'url-password',
    check: isUrl,
    meaning: '`redis://…` (or `rediss://…`), for state shared by several server processes',
    example: 'redis://127.0.0.1:6379',
  }),
  rateLimits: setting({
    env: 'RATE_LIMITS',
    flag: '--rate-limits',
    argument: 'list',
    // Overrides of the default policies; the syntax is parsed in src/ratelimit/policy.ts.
    schema: Type.Optional(Type.String()),
    group: 'server',
    accepted: 'a comma-separated list of <face>.<class>=<max>/<window>, e.g. fluent.default=100/1m',
    meaning: 'overrides of the rate limits, e.g. `fluent.default=200/1m,fluxx.write=30/1m`',
    defaultText: 'the policies in [docs/rate-limits.md](docs/rate-limits.md)',
    example: 'fluent.default=200/1m,fluxx.write=30/1m',
    check: (text) => {
      try {
        parseRateLimits(text);
        return true;
      } catch (error) {
        if (error instanceof RateLimitSyntaxError) return error.message;
        throw error;
      }
    },
  }),
  trustProxy: setting({
    env: 'TRUST_PROXY',
    flag: '--trust-proxy',
    argument: 'value',
    // Not a hop count: a client that reaches the server directly could then choose its own
    // address with X-Forwarded-For and escape the per-IP limits.
    schema: Type.Optional(Type.String({ pattern: '^(true|false|(?=.*[.:])[0-9A-Fa-f.:/, ]+)$' })),
    group: 'server',
    accepted: "true, false, or a comma-separated list of the proxies' addresses/CIDRs (not a hop count)",
    meaning: "behind a reverse proxy: `true`, or the proxies' addresses (client IPs for per-IP limits; not a hop count, which clients could spoof)",
    example: '127.0.0.1',
  }),
  secretKey: setting({
    env: 'SECRET_KEY',
    flag: '--secret-key',
    argument: 'key',
    schema: Type.Optional(Type.String()),
    group: 'server',
    accepted: '32 random bytes in base64 (openssl rand -base64 32)',
    meaning: '32 random bytes, base64 (`openssl rand -base64 32`): seals webhook signing secrets (share it between processes)',
    defaultText: '`secret.key` beside the data',
    secret: 'value',
    check: (text) => parses(parseSecretKey, text),
  }),
  webhookAllowedNetworks: setting({
    env: 'WEBHOOK_ALLOWED_NETWORKS',
    flag: '--webhook-allowed-networks',
    argument: 'networks',
    schema: Type.Optional(Type.String()),
    group: 'server',
    accepted: 'a comma-separated list of networks such as 127.0.0.0/8,::1',
    meaning: 'private networks webhooks may reach anyway, e.g. `127.0.0.0/8,::1`',
    example: '127.0.0.0/8,::1',
    check: (text) => parses(allowedNetworks, text),
  }),
  webhookLeaseSeconds: setting({
    env: 'WEBHOOK_LEASE_SECONDS',
    flag: '--webhook-lease-seconds',
    argument: 'seconds',
    // A process killed mid-delivery has its deliveries sent again by another (or by its
    // restart) this long after it claimed them.
    schema: Type.Integer({ minimum: 1, maximum: 3600, default: 60 }),
    group: 'server',
    accepted: 'a whole number of seconds from 1 to 3600',
    meaning: 'how long a claimed delivery waits before another worker may send it again',
  }),
  noDataAlarmMinutes: setting({
    env: 'NO_DATA_ALARM_MINUTES',
    flag: '--no-data-alarm-minutes',
    argument: 'minutes',
    schema: Type.Integer({ minimum: 0, maximum: 525_600, default: 30 }),
    group: 'server',
    accepted: 'a whole number of minutes (0 turns the check off)',
    meaning: "raise the server's no-data alarm on a controller silent this long; `0` turns it off",
  }),
  publicUrl: setting({
    env: 'PUBLIC_URL',
    flag: '--public-url',
    argument: 'url',
    schema: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
    group: 'mail',
    accepted: 'an http:// or https:// URL, e.g. https://flowline.example.com',
    meaning: 'the address people reach the server at, used in set-password links in e-mails',
    defaultText: '`http://HOST:PORT`',
    example: 'https://flowline.example.com',
  }),
  smtpUrl: setting({
    env: 'SMTP_URL',
    flag: '--smtp-url',
    argument: 'url',
    schema: Type.Optional(Type.String({ pattern: '^smtps?://' })),
    group: 'mail',
    accepted: 'an smtp:// or smtps:// URL (with special characters of the password percent-encoded)',
    check: isUrl,
    meaning:
      'SMTP server for invitation and password-reset mail, e.g. `smtp://user:pass@mail.example.com:587` (`smtps://` for TLS); mail is off when unset and links are only returned/printed',
    example: 'smtp://user:pass@mail.example.com:587',
    secret: 'url-password',
  }),
  mailFrom: setting({
    env: 'MAIL_FROM',
    flag: '--mail-from',
    argument: 'address',
    schema: Type.String({ minLength: 3, default: 'Flowline <flowline@localhost>' }),
    group: 'mail',
    accepted: 'an e-mail address, e.g. Flowline <flowline@example.com>',
    meaning: "the From address of Flowline's mail",
  }),
};

export type SettingKey = keyof typeof SETTINGS;

/** The settings in the order they are declared, which is the order they are documented in. */
export function settingEntries(): [SettingKey, Setting][] {
  return Object.entries(SETTINGS) as [SettingKey, Setting][];
}

/** The schema's default as written in an environment variable, if it has one. */
export function defaultValue(setting: Setting): string | undefined {
  const value = (setting.schema as { default?: unknown }).default;
  return value === undefined ? undefined : String(value);
}

/** The default for the README (Markdown). */
export function defaultMarkdown(setting: Setting): string {
  if (setting.defaultText !== undefined) return setting.defaultText;
  const value = defaultValue(setting);
  return value === undefined ? 'unset' : `\`${value}\``;
}

/** Markdown as plain text, for `--help` and `.env.example`: code marks dropped, links by their text. */
export function plainText(markdown: string): string {
  return markdown.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replaceAll('`', '');
}

/** The flag's `--help` text: the meaning, then the variable and the default. */
export function flagHelp(setting: Setting): string {
  return `${plainText(setting.meaning)} (env ${setting.env}, default ${plainText(defaultMarkdown(setting))})`;
}

/**
 * A setting's value as an error message may echo it: `=` and the value, or nothing for a
 * secret. A URL keeps everything but its password; every character from the first `:` after
 * the scheme to the last `@` goes, so a password with an unescaped `@` or `/` is hidden too.
 */
export function echoedValue(setting: Setting, value: unknown): string {
  if (setting.secret === 'value') return '';
  if (setting.secret === 'url-password' && typeof value === 'string') return `=${JSON.stringify(withoutPassword(value))}`;
  return `=${JSON.stringify(value)}`;
}

function withoutPassword(url: string): string {
  const scheme = /^[A-Za-z][\w+.-]*:\/\//.exec(url)?.[0] ?? '';
  const rest = url.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  const colon = rest.indexOf(':');
  if (at === -1 || colon === -1 || colon > at) return url;
  return `${scheme}${rest.slice(0, colon)}:***${rest.slice(at)}`;
}
