import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { parseSecretKey } from './domain/secret-box.js';
import { parseRateLimits, RateLimitSyntaxError } from './ratelimit/policy.js';
import { allowedNetworks } from './webhooks/destination.js';

/**
 * Configuration comes from the environment, with command-line flags overriding it. It is
 * parsed once, at startup, into a frozen object that is passed to whatever needs it; nothing
 * reads process.env anywhere else.
 */

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const ConfigSchema = Type.Object({
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  host: Type.String({ minLength: 1, default: '127.0.0.1' }),
  databaseUrl: Type.String({ minLength: 1, default: './data/flowline.db' }),
  redisUrl: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  /** Minutes a controller may stay silent before the server raises its no-data alarm; 0 turns the check off. */
  noDataAlarmMinutes: Type.Integer({ minimum: 0, maximum: 525_600, default: 30 }),
  /** 32 bytes in base64 sealing webhook secrets; when unset, `serve` keeps a key file beside the data. */
  secretKey: Type.Optional(Type.String()),
  /**
   * How long a worker's claim on a delivery lasts: a process killed mid-delivery has its
   * deliveries sent again by another (or its restart) this long after it claimed them.
   */
  webhookLeaseSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 60 }),
  /** Private networks webhooks may be delivered to anyway, e.g. `127.0.0.0/8,::1`. */
  webhookAllowedNetworks: Type.Optional(Type.String()),
  /** Overrides of the default rate-limit policies, e.g. `fluent.default=100/1m` (see src/ratelimit/policy.ts). */
  rateLimits: Type.Optional(Type.String()),
  /**
   * Fastify's `trustProxy`: `true`, or the addresses/CIDRs of the proxies in front. Not a hop
   * count: a client that reaches the server directly could then choose its own address with
   * X-Forwarded-For and escape the per-IP limits.
   */
  trustProxy: Type.Optional(Type.String({ pattern: '^(true|false|(?=.*[.:])[0-9A-Fa-f.:/, ]+)$' })),
  /** The address people reach the server at (for links in e-mails), e.g. https://flowline.example.com; default http://HOST:PORT. */
  publicUrl: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
  /** SMTP server for invitation and password-reset mail, e.g. smtp://user:pass@mail.example.com:587; mail is off when unset. */
  smtpUrl: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  /** The From address of Flowline's mail. */
  mailFrom: Type.String({ minLength: 3, default: 'Flowline <flowline@localhost>' }),
  /** `json` for JSON lines, `pretty` for a terminal; unset: pretty when stdout is a TTY. */
  logFormat: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('pretty')])),
  logLevel: Type.Union(
    LOG_LEVELS.map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
});

export type Config = Readonly<Static<typeof ConfigSchema>>;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Flags as the CLI collected them (camelCase keys, string values as typed). */
export type ConfigFlags = Partial<Record<keyof Config, string | number | undefined>>;

const SOURCES: Record<keyof Config, { env: string; flag: string; accepted: string }> = {
  port: { env: 'PORT', flag: '--port', accepted: 'an integer from 0 to 65535' },
  host: { env: 'HOST', flag: '--host', accepted: 'a host name or IP address to listen on' },
  databaseUrl: { env: 'DATABASE_URL', flag: '--database-url', accepted: 'an SQLite file path, sqlite:<path>, or postgres://…' },
  redisUrl: { env: 'REDIS_URL', flag: '--redis-url', accepted: 'a redis:// or rediss:// URL' },
  noDataAlarmMinutes: { env: 'NO_DATA_ALARM_MINUTES', flag: '--no-data-alarm-minutes', accepted: 'a whole number of minutes (0 turns the check off)' },
  secretKey: { env: 'SECRET_KEY', flag: '--secret-key', accepted: '32 random bytes in base64 (openssl rand -base64 32)' },
  webhookLeaseSeconds: { env: 'WEBHOOK_LEASE_SECONDS', flag: '--webhook-lease-seconds', accepted: 'a whole number of seconds from 1 to 3600' },
  webhookAllowedNetworks: { env: 'WEBHOOK_ALLOWED_NETWORKS', flag: '--webhook-allowed-networks', accepted: 'a comma-separated list of networks such as 127.0.0.0/8,::1' },
  rateLimits: { env: 'RATE_LIMITS', flag: '--rate-limits', accepted: 'a comma-separated list of <face>.<class>=<max>/<window>, e.g. fluent.default=100/1m' },
  trustProxy: { env: 'TRUST_PROXY', flag: '--trust-proxy', accepted: 'true, false, or a comma-separated list of the proxies\' addresses/CIDRs (not a hop count)' },
  publicUrl: { env: 'PUBLIC_URL', flag: '--public-url', accepted: 'an http:// or https:// URL, e.g. https://flowline.example.com' },
  smtpUrl: { env: 'SMTP_URL', flag: '--smtp-url', accepted: 'an smtp:// or smtps:// URL' },
  mailFrom: { env: 'MAIL_FROM', flag: '--mail-from', accepted: 'an e-mail address, e.g. Flowline <flowline@example.com>' },
  logFormat: { env: 'LOG_FORMAT', flag: '--log-format', accepted: 'json or pretty' },
  logLevel: { env: 'LOG_LEVEL', flag: '--log-level', accepted: LOG_LEVELS.join(', ') },
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = {}, flags: ConfigFlags = {}): Config {
  const raw: Record<string, unknown> = {};
  for (const [key, source] of Object.entries(SOURCES) as [keyof Config, (typeof SOURCES)[keyof Config]][]) {
    const flag = flags[key];
    const fromEnv = env[source.env];
    if (flag !== undefined && flag !== '') raw[key] = flag;
    else if (fromEnv !== undefined && fromEnv !== '') raw[key] = fromEnv;
  }
  // Only plain decimal digits make a port: TypeBox's lenient conversion would read 80.5 as 80,
  // 0x1F90 as 8080 and `true` as 1. Anything else stays text and fails the schema below.
  for (const key of ['port', 'noDataAlarmMinutes', 'webhookLeaseSeconds'] as const) {
    const text = raw[key];
    if (typeof text === 'string' && /^\d+$/.test(text.trim())) raw[key] = Number(text.trim());
  }
  const value = Value.Default(ConfigSchema, raw);
  const problems = new Map<string, string>();
  for (const error of Value.Errors(ConfigSchema as TSchema, value)) {
    const key = error.instancePath.split('/')[1] as keyof Config | undefined;
    if (!key || problems.has(key)) continue;
    const source = SOURCES[key];
    const from = flags[key] !== undefined && flags[key] !== '' ? source.flag : source.env;
    problems.set(key, `${from}=${JSON.stringify(raw[key])} is not valid: expected ${source.accepted}.`);
  }
  const checks: [keyof Config, (text: string) => unknown][] = [
    ['secretKey', parseSecretKey],
    ['webhookAllowedNetworks', allowedNetworks],
  ];
  for (const [key, check] of checks) {
    const text = (value as Record<string, unknown>)[key];
    if (typeof text !== 'string' || problems.has(key)) continue;
    try {
      check(text);
    } catch {
      const from = flags[key] !== undefined && flags[key] !== '' ? SOURCES[key].flag : SOURCES[key].env;
      // Never echo a secret key, even a malformed one.
      problems.set(key, `${from}${key === 'secretKey' ? '' : `=${JSON.stringify(text)}`} is not valid: expected ${SOURCES[key].accepted}.`);
    }
  }
  if (!problems.has('rateLimits')) {
    try {
      parseRateLimits((value as Config).rateLimits);
    } catch (error) {
      if (!(error instanceof RateLimitSyntaxError)) throw error;
      const from = flags.rateLimits !== undefined && flags.rateLimits !== '' ? SOURCES.rateLimits.flag : SOURCES.rateLimits.env;
      problems.set('rateLimits', `${from}=${JSON.stringify(raw.rateLimits)} is not valid: ${error.message}.`);
    }
  }
  if (problems.size > 0) throw new ConfigError([...problems.values()].join('\n'));
  return Object.freeze(value as Config);
}

/** Fastify's `trustProxy` option from the configured text. */
export function trustProxyOption(config: Config): boolean | string {
  const text = config.trustProxy?.trim();
  if (text === undefined || text === '' || text === 'false') return false;
  if (text === 'true') return true;
  return text;
}
