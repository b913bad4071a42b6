import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIsoSeconds, parseIsoTime } from './time.js';

describe('formatIsoSeconds', () => {
  it('matches toISOString truncated to the second, for any instant and any call order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -62_000_000_000_000, max: 253_402_300_799_999 }), { minLength: 1, maxLength: 20 }), (times) => {
        for (const ms of times) {
          expect(formatIsoSeconds(ms)).toBe(new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z'));
        }
      }),
    );
  });

  it('writes the FlowCommand form', () => {
    expect(formatIsoSeconds(Date.parse('2019-02-05T20:41:02.999Z'))).toBe('2019-02-05T20:41:02Z');
    expect(formatIsoSeconds(0)).toBe('1970-01-01T00:00:00Z');
  });
});

describe('parseIsoTime', () => {
  it('reads Z, offsets and no offset (UTC)', () => {
    expect(parseIsoTime('2019-02-05T19:44:09Z')).toBe(Date.parse('2019-02-05T19:44:09Z'));
    expect(parseIsoTime('2019-02-05T21:44:09+02:00')).toBe(Date.parse('2019-02-05T19:44:09Z'));
    expect(parseIsoTime('2019-02-05T19:44:09')).toBe(Date.parse('2019-02-05T19:44:09Z'));
    expect(parseIsoTime('2019-02-30T00:00:00Z')).toBeNull();
    expect(parseIsoTime('yesterday')).toBeNull();
  });
});
