import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const LEVELS = 'fatal, error, warn, info, debug, trace, silent';
const MAIL_FROM = 'Flowline <flowline@localhost>';
const KEY = Buffer.alloc(32, 7).toString('base64');

/** The ConfigError thrown by loadConfig, or a failure when it does not throw one. */
function configError(env: NodeJS.ProcessEnv, flags: Parameters<typeof loadConfig>[1] = {}): ConfigError {
  try {
    loadConfig(env, flags);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).name).toBe('ConfigError');
    return error as ConfigError;
  }
  throw new Error(`loadConfig(${JSON.stringify(env)}, ${JSON.stringify(flags)}) did not throw`);
}

describe('loadConfig', () => {

  it('refuses URLs that do not parse, with their passwords hidden (a / # ? or @ in a password must be percent-encoded)', () => {
    for (const [env, value] of [
      ['SMTP_URL', 'smtp://u:ab/cd@mail.example.com:587'],
      ['SMTP_URL', 'smtp://u:hunter2@[::1'],
      ['REDIS_URL', 'redis://default:p#ss@127.0.0.1:6379'],
      ['DATABASE_URL', 'postgres://u:ab/cd@127.0.0.1:5432/db'],
    ] as const) {
      const message = configError({ [env]: value }).message;
      expect(message).toMatch(new RegExp(`^${env}=".*" is not valid: expected .*percent-encoded`));
      expect(message).not.toMatch(/hunter2|ab\/cd|p#ss/);
    }
    expect(loadConfig({ SMTP_URL: 'smtp://u:ab%2Fcd@mail.example.com:587', DATABASE_URL: 'postgres://u:ab%2Fcd@127.0.0.1:5432/db' }).smtpUrl).toBe('smtp://u:ab%2Fcd@mail.example.com:587');
  });
  it('has the documented defaults', () => {
    const defaults = {
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: './data/flowline.db',
      logLevel: 'info',
      noDataAlarmMinutes: 30,
      webhookLeaseSeconds: 60,
      mailFrom: MAIL_FROM,
    };
    expect(loadConfig()).toEqual(defaults);
    expect(loadConfig({})).toEqual(defaults);
    expect(loadConfig({}).redisUrl).toBeUndefined();
  });

  it('does not read process.env unless given it', () => {
    const saved = process.env.PORT;
    process.env.PORT = '1234';
    try {
      expect(loadConfig().port).toBe(8080);
      expect(loadConfig(process.env).port).toBe(1234);
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
    }
  });

  it('reads every variable from the environment', () => {
    const config = loadConfig({
      PORT: '9090',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://flowline:secret@db.example:5432/flowline',
      REDIS_URL: 'redis://cache.example:6379/0',
      LOG_LEVEL: 'debug',
      NO_DATA_ALARM_MINUTES: '0',
      RATE_LIMITS: 'fluent.default=50/1m',
      TRUST_PROXY: '10.0.0.0/8, 127.0.0.1',
      SECRET_KEY: KEY,
      WEBHOOK_LEASE_SECONDS: '120',
      WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8,::1',
      PUBLIC_URL: 'https://flowline.example.com',
      SMTP_URL: 'smtps://flowline:pw@mail.example.com:465',
      MAIL_FROM: 'Flowline <flowline@example.com>',
      LOG_FORMAT: 'json',
      UNRELATED: 'ignored',
    });
    expect(config).toEqual({
      port: 9090,
      host: '0.0.0.0',
      databaseUrl: 'postgres://flowline:secret@db.example:5432/flowline',
      redisUrl: 'redis://cache.example:6379/0',
      logLevel: 'debug',
      noDataAlarmMinutes: 0,
      webhookLeaseSeconds: 120,
      rateLimits: 'fluent.default=50/1m',
      trustProxy: '10.0.0.0/8, 127.0.0.1',
      secretKey: KEY,
      webhookAllowedNetworks: '127.0.0.0/8,::1',
      publicUrl: 'https://flowline.example.com',
      smtpUrl: 'smtps://flowline:pw@mail.example.com:465',
      mailFrom: 'Flowline <flowline@example.com>',
      logFormat: 'json',
    });
  });

  it('accepts every form of DATABASE_URL and both Redis schemes', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlite:/var/lib/flowline.db' }).databaseUrl).toBe('sqlite:/var/lib/flowline.db');
    expect(loadConfig({ DATABASE_URL: '/tmp/x.db' }).databaseUrl).toBe('/tmp/x.db');
    expect(loadConfig({ REDIS_URL: 'rediss://cache.example:6380' }).redisUrl).toBe('rediss://cache.example:6380');
  });

  it('accepts the edges of the port range and every log level', () => {
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
    expect(loadConfig({ PORT: '65535' }).port).toBe(65535);
    for (const level of LEVELS.split(', ')) expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ PORT: '', HOST: '', DATABASE_URL: '', REDIS_URL: '', LOG_LEVEL: '' })).toEqual(loadConfig());
    expect(loadConfig({ PORT: '9000' }, { port: '' }).port).toBe(9000);
  });

  it('lets flags override the environment', () => {
    const config = loadConfig(
      { PORT: '9090', HOST: '0.0.0.0', DATABASE_URL: 'env.db', REDIS_URL: 'redis://env', LOG_LEVEL: 'debug' },
      { port: '7070', host: '::1', databaseUrl: 'flag.db', redisUrl: 'rediss://flag', logLevel: 'warn' },
    );
    expect(config).toEqual({
      port: 7070,
      host: '::1',
      databaseUrl: 'flag.db',
      redisUrl: 'rediss://flag',
      logLevel: 'warn',
      noDataAlarmMinutes: 30,
      webhookLeaseSeconds: 60,
      mailFrom: MAIL_FROM,
    });
  });

  it('takes numeric flags as given by the CLI, and mixes flags with the environment', () => {
    expect(loadConfig({}, { port: 3000 }).port).toBe(3000);
    expect(loadConfig({ HOST: '10.0.0.1', LOG_LEVEL: 'error' }, { port: 3001 })).toEqual({
      port: 3001,
      host: '10.0.0.1',
      databaseUrl: './data/flowline.db',
      logLevel: 'error',
      noDataAlarmMinutes: 30,
      webhookLeaseSeconds: 60,
      mailFrom: MAIL_FROM,
    });
  });

  it('returns a frozen object', () => {
    const config = loadConfig({ PORT: '9090' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(config.port).toBe(9090);
  });

  describe('bad values throw a ConfigError naming the variable and the accepted values', () => {
    it('PORT=abc', () => {
      expect(configError({ PORT: 'abc' }).message).toBe('PORT="abc" is not valid: expected an integer from 0 to 65535.');
    });

    it('PORT=70000 and PORT=-1', () => {
      expect(configError({ PORT: '70000' }).message).toMatch(/^PORT=.*70000.* is not valid: expected an integer from 0 to 65535\.$/);
      expect(configError({ PORT: '-1' }).message).toMatch(/^PORT=.*-1.* is not valid: expected an integer from 0 to 65535\.$/);
    });

    it('PORT values that only look like numbers are refused, not rounded or reinterpreted', () => {
      const accepted: string[] = [];
      for (const port of ['80.5', 'true', '0x1F90', '8080abc', '1e3', '8080 9090']) {
        try {
          accepted.push(`PORT=${port} → ${loadConfig({ PORT: port }).port}`);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as Error).message, port).toMatch(/^PORT=.* is not valid: expected an integer from 0 to 65535\.$/);
        }
      }
      expect(accepted).toEqual([]);
    });

    it('NO_DATA_ALARM_MINUTES and TRUST_PROXY', () => {
      expect(configError({ NO_DATA_ALARM_MINUTES: '1.5' }).message).toBe(
        'NO_DATA_ALARM_MINUTES="1.5" is not valid: expected a whole number of minutes (0 turns the check off).',
      );
      expect(configError({ TRUST_PROXY: 'everyone' }).message).toMatch(/^TRUST_PROXY="everyone" is not valid: expected true, false, or a comma-separated list/);
      // A hop count would let a client that reaches the server directly pick its own address.
      expect(configError({ TRUST_PROXY: '1' }).message).toMatch(/^TRUST_PROXY="1" is not valid/);
    });

    it('LOG_LEVEL=loud', () => {
      expect(configError({ LOG_LEVEL: 'loud' }).message).toBe(`LOG_LEVEL="loud" is not valid: expected ${LEVELS}.`);
    });

    it('REDIS_URL=http://x', () => {
      expect(configError({ REDIS_URL: 'http://x' }).message).toBe('REDIS_URL="http://x" is not valid: expected a redis:// or rediss:// URL (with special characters of the password percent-encoded).');
    });

    it('a bad flag is named as the flag, not the variable', () => {
      expect(configError({ PORT: '8080' }, { port: 'abc' }).message).toBe('--port="abc" is not valid: expected an integer from 0 to 65535.');
      expect(configError({}, { port: 70000 }).message).toMatch(/^--port=70000 is not valid: expected an integer from 0 to 65535\.$/);
      expect(configError({}, { logLevel: 'loud' }).message).toBe(`--log-level="loud" is not valid: expected ${LEVELS}.`);
      expect(configError({}, { redisUrl: 'http://x' }).message).toBe('--redis-url="http://x" is not valid: expected a redis:// or rediss:// URL (with special characters of the password percent-encoded).');
    });

    it('a good flag overrides a bad variable without complaint', () => {
      expect(loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud' }, { port: '8081', logLevel: 'info' })).toMatchObject({ port: 8081, logLevel: 'info' });
    });

    it('PUBLIC_URL, SMTP_URL, MAIL_FROM and LOG_FORMAT', () => {
      expect(configError({ PUBLIC_URL: 'flowline.example.com' }).message).toBe(
        'PUBLIC_URL="flowline.example.com" is not valid: expected an http:// or https:// URL, e.g. https://flowline.example.com.',
      );
      expect(configError({ SMTP_URL: 'mail.example.com:25' }).message).toBe('SMTP_URL="mail.example.com:25" is not valid: expected an smtp:// or smtps:// URL (with special characters of the password percent-encoded).');
      expect(configError({ MAIL_FROM: 'x' }).message).toBe('MAIL_FROM="x" is not valid: expected an e-mail address, e.g. Flowline <flowline@example.com>.');
      expect(configError({ LOG_FORMAT: 'yaml' }).message).toBe('LOG_FORMAT="yaml" is not valid: expected json or pretty.');
    });

    it('WEBHOOK_LEASE_SECONDS and WEBHOOK_ALLOWED_NETWORKS', () => {
      expect(configError({ WEBHOOK_LEASE_SECONDS: '0' }).message).toBe('WEBHOOK_LEASE_SECONDS=0 is not valid: expected a whole number of seconds from 1 to 3600.');
      expect(configError({}, { webhookAllowedNetworks: '10.0.0.0/33' }).message).toBe(
        '--webhook-allowed-networks="10.0.0.0/33" is not valid: expected a comma-separated list of networks such as 127.0.0.0/8,::1.',
      );
    });

    it('never echoes SECRET_KEY, from the variable or the flag', () => {
      const secret = 'not-a-key-but-still-secret';
      for (const error of [configError({ SECRET_KEY: secret }), configError({}, { secretKey: secret })]) {
        expect(error.message).toMatch(/^(SECRET_KEY|--secret-key) is not valid: expected 32 random bytes in base64 \(openssl rand -base64 32\)\.$/);
        expect(error.message).not.toContain(secret);
      }
      // A key of the wrong length is refused too.
      expect(configError({ SECRET_KEY: Buffer.alloc(16).toString('base64') }).message).toMatch(/^SECRET_KEY is not valid/);
    });

    it('echoes a bad SMTP_URL with its password replaced, however the password is written', () => {
      expect(configError({ SMTP_URL: 'http://flowline:hunter2@mail.example.com:587' }).message).toBe(
        'SMTP_URL="http://flowline:***@mail.example.com:587" is not valid: expected an smtp:// or smtps:// URL (with special characters of the password percent-encoded).',
      );
      for (const url of ['smtp:/flowline:hunter2@mail.example.com', 'flowline:hunter2@mail.example.com:587', 'http://flowline:hun@ter2@mail', 'http://flowline:hun/ter2@mail']) {
        const message = configError({}, { smtpUrl: url }).message;
        expect(message, url).toMatch(/^--smtp-url=".*:\*\*\*@.*" is not valid/);
        expect(message, url).not.toMatch(/hunter2|ter2/);
      }
      // Without a password there is nothing to hide.
      expect(configError({ SMTP_URL: 'http://mail.example.com' }).message).toContain('SMTP_URL="http://mail.example.com"');
    });

    it('reports every bad value at once, one per line', () => {
      const lines = configError({ PORT: 'abc', LOG_LEVEL: 'loud', REDIS_URL: 'http://x' }).message.split('\n');
      expect(lines).toHaveLength(3);
      expect(lines.map((l) => l.split('=')[0]).sort()).toEqual(['LOG_LEVEL', 'PORT', 'REDIS_URL']);
    });

    it('reports every bad value however many there are', () => {
      const bad = {
        PORT: 'abc',
        HOST: '',
        DATABASE_URL: '',
        LOG_LEVEL: 'loud',
        LOG_FORMAT: 'yaml',
        REDIS_URL: 'http://x',
        RATE_LIMITS: 'nonsense',
        TRUST_PROXY: 'everyone',
        SECRET_KEY: 'short',
        WEBHOOK_ALLOWED_NETWORKS: 'everywhere',
        WEBHOOK_LEASE_SECONDS: '0',
        NO_DATA_ALARM_MINUTES: '-1',
        PUBLIC_URL: 'nowhere',
        SMTP_URL: 'mail',
        MAIL_FROM: 'x',
      };
      const named = configError(bad).message.split('\n').map((line) => /^[A-Z_]+/.exec(line)?.[0]);
      expect(named.sort()).toEqual(Object.keys(bad).filter((name) => bad[name as keyof typeof bad] !== '').sort());
    });
  });
});
