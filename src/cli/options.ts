import type { Command } from 'commander';
import { ConfigError, loadConfig, type Config, type ConfigFlags } from '../config.js';

/** The flags every command that opens the store or serves shares; each overrides its variable. */
export function withConfigFlags(command: Command, { server = false } = {}): Command {
  command.option('--database-url <url>', 'SQLite file path, sqlite:<path>, or postgres://… (env DATABASE_URL, default ./data/flowline.db)');
  command.option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env LOG_LEVEL, default info)');
  if (server) {
    command.option('--port <port>', 'port to listen on (env PORT, default 8080)');
    command.option('--host <host>', 'address to listen on (env HOST, default 127.0.0.1)');
    command.option('--redis-url <url>', 'redis:// URL for state shared by several server processes (env REDIS_URL)');
    command.option('--no-data-alarm-minutes <minutes>', 'raise a no-data alarm on controllers silent this long; 0 = off (env NO_DATA_ALARM_MINUTES, default 30)');
    command.option('--webhook-lease-seconds <seconds>', 'how long a webhook delivery stays claimed by a worker (env WEBHOOK_LEASE_SECONDS, default 60)');
    command.option('--rate-limits <list>', 'rate-limit overrides, e.g. fluent.default=100/1m,fluxx.write=60/1m (env RATE_LIMITS)');
    command.option('--trust-proxy <value>', 'true, or the proxies\' addresses: where client IPs come from (env TRUST_PROXY)');
  }
  return command;
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
