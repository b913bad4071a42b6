import type { DestinationStream } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { openStore } from '../../src/store/open-store.js';

describe('logs readable in a terminal', () => {
  function capture(format: 'json' | 'pretty', level: 'debug' | 'info' = 'debug') {
    const lines: string[] = [];
    const stream: DestinationStream = { write: (line: string) => void lines.push(line) };
    return { logger: createLogger(level, stream, { format }), lines };
  }
  const secrets = { password: 'hunter2-password', nested: { token: 'tok-9f8e7d', ingestKey: 'flik_abcdef' }, headers: { authorization: 'Bearer tok-9f8e7d' } };

  it('pretty: one line per entry with time, level and message; secrets redacted as in JSON', () => {
    const { logger, lines } = capture('pretty');
    logger.info({ ...secrets, file: '/data/demo-credentials.json' }, 'demo data seeded');
    const text = lines.join('');
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: demo data seeded .*"file":"\/data\/demo-credentials\.json"/);
    expect(text.trimEnd().split('\n')).toHaveLength(1);
    expect(text).toContain('[redacted]');
    for (const secret of ['hunter2-password', 'tok-9f8e7d', 'flik_abcdef']) expect(text).not.toContain(secret);
    expect(() => JSON.parse(text)).toThrow();
  });

  it('json: one JSON object per line, secrets redacted', () => {
    const { logger, lines } = capture('json');
    logger.info(secrets, 'demo data seeded');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: 30, msg: 'demo data seeded', password: '[redacted]', nested: { token: '[redacted]', ingestKey: '[redacted]' }, headers: { authorization: '[redacted]' } });
  });

  it('request lines: none at info, one per request at debug, a 5xx at warn', async () => {
    // Never migrated, so /readyz answers 503.
    const store = openStore(':memory:');
    const info = capture('pretty', 'info');
    const debug = capture('pretty', 'debug');
    const apps = await Promise.all([info, debug].map(({ logger }) => buildApp({ config: loadConfig({}), store, logger })));
    try {
      for (const app of apps) {
        expect((await app.inject('/healthz')).statusCode).toBe(200);
        expect((await app.inject('/readyz')).statusCode).toBe(503);
      }
      expect(info.lines.join('')).not.toContain('/healthz');
      expect(info.lines.filter((l) => l.includes('request completed'))).toEqual([expect.stringMatching(/WARN.*request completed: GET \/readyz 503 in \d+ ms/)]);
      const completed = debug.lines.filter((l) => l.includes('request completed'));
      expect(completed).toHaveLength(2);
      expect(completed[0]).toMatch(/DEBUG.*request completed: GET \/healthz 200 in \d+ ms/);
      expect(debug.lines.join('')).not.toContain('incoming request');
    } finally {
      await Promise.all(apps.map((app) => app.close()));
      await store.close();
    }
  });
});
