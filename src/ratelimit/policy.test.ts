import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import { DEFAULT_RATE_LIMITS, FACES, parseRateLimits, RateLimitSyntaxError, type RateLimitPolicies } from './policy.js';

const MINUTE = 60_000;
const perMinute = (max: number) => ({ max, windowMs: MINUTE });

/** The RateLimitSyntaxError parseRateLimits throws for `text`, or a failure when it throws none. */
function syntaxError(text: string): RateLimitSyntaxError {
  try {
    parseRateLimits(text);
  } catch (error) {
    expect(error).toBeInstanceOf(RateLimitSyntaxError);
    return error as RateLimitSyntaxError;
  }
  throw new Error(`parseRateLimits(${JSON.stringify(text)}) did not throw`);
}

/** A deep copy, to prove the defaults are never modified by parsing. */
const snapshot = (policies: RateLimitPolicies) => JSON.parse(JSON.stringify(policies)) as unknown;

describe('DEFAULT_RATE_LIMITS', () => {
  it('has the documented policies (Fluent 100/min, Fluxx 1500/180/60, FlowCommand and Flowline 600/min)', () => {
    expect(DEFAULT_RATE_LIMITS).toEqual({
      fluent: { default: perMinute(100), anonymous: perMinute(60), public: perMinute(100) },
      fluxx: { default: perMinute(180), list: perMinute(1500), get: perMinute(180), write: perMinute(60), anonymous: perMinute(60), public: perMinute(100) },
      flowcommand: { default: perMinute(600), anonymous: perMinute(60), public: perMinute(100) },
      flowline: { default: perMinute(600), anonymous: perMinute(60), public: perMinute(100), signin: perMinute(20), signin_account: { max: 10, windowMs: 15 * 60_000 }, signin_account_all: { max: 100, windowMs: 15 * 60_000 } },
    });
  });

  it('names every face, each with default, anonymous and public classes', () => {
    expect(Object.keys(DEFAULT_RATE_LIMITS).sort()).toEqual([...FACES].sort());
    for (const face of FACES) expect(Object.keys(DEFAULT_RATE_LIMITS[face])).toEqual(expect.arrayContaining(['default', 'anonymous', 'public']));
  });
});

describe('parseRateLimits', () => {
  describe('without overrides', () => {
    it.each([['undefined', undefined], ['empty', ''], ['blank', '  \t '], ['only commas', ' , ,, ']])('%s text gives the defaults', (_name, text) => {
      expect(parseRateLimits(text)).toEqual(DEFAULT_RATE_LIMITS);
    });

    it('returns its own objects: changing the result leaves the defaults alone', () => {
      const before = snapshot(DEFAULT_RATE_LIMITS);
      const result = parseRateLimits(undefined) as unknown as Record<string, Record<string, unknown>>;
      result.fluent!.default = { max: 1, windowMs: 1 };
      expect(snapshot(DEFAULT_RATE_LIMITS)).toEqual(before);
      expect(parseRateLimits('').fluent.default).toEqual(perMinute(100));
    });
  });

  describe('overrides', () => {
    it('replaces exactly the named policies and keeps every other default', () => {
      const before = snapshot(DEFAULT_RATE_LIMITS);
      const result = parseRateLimits('fluent.default=200/1m,fluxx.write=30/1m,flowcommand.anonymous=20/30s');
      expect(result).toEqual({
        ...DEFAULT_RATE_LIMITS,
        fluent: { ...DEFAULT_RATE_LIMITS.fluent, default: { max: 200, windowMs: MINUTE } },
        fluxx: { ...DEFAULT_RATE_LIMITS.fluxx, write: { max: 30, windowMs: MINUTE } },
        flowcommand: { ...DEFAULT_RATE_LIMITS.flowcommand, anonymous: { max: 20, windowMs: 30_000 } },
      });
      expect(snapshot(DEFAULT_RATE_LIMITS)).toEqual(before);
    });

    it.each([
      ['250ms', 250],
      ['1s', 1000],
      ['30s', 30_000],
      ['1m', 60_000],
      ['15m', 900_000],
      ['1h', 3_600_000],
      ['24h', 86_400_000],
    ])('reads a window of %s as %i ms', (window, ms) => {
      expect(parseRateLimits(`flowline.default=7/${window}`).flowline.default).toEqual({ max: 7, windowMs: ms });
    });

    it('accepts every class of every face, including anonymous and public', () => {
      for (const face of FACES) {
        for (const routeClass of Object.keys(DEFAULT_RATE_LIMITS[face])) {
          expect(parseRateLimits(`${face}.${routeClass}=3/2s`)[face][routeClass]).toEqual({ max: 3, windowMs: 2000 });
        }
      }
    });

    it('ignores blanks around entries and empty entries (a trailing comma)', () => {
      const result = parseRateLimits('  fluent.default=5/1s ,, fluxx.list=9/9s ,');
      expect(result.fluent.default).toEqual({ max: 5, windowMs: 1000 });
      expect(result.fluxx.list).toEqual({ max: 9, windowMs: 9000 });
    });

    it('lets a later entry for the same policy win', () => {
      expect(parseRateLimits('fluent.default=5/1s,fluent.default=6/2s').fluent.default).toEqual({ max: 6, windowMs: 2000 });
    });

    it('accepts the largest numbers the syntax allows (nine digits)', () => {
      expect(parseRateLimits('fluent.default=999999999/999999999ms').fluent.default).toEqual({ max: 999_999_999, windowMs: 999_999_999 });
    });

    it('starts from the base it is given', () => {
      const base = parseRateLimits('fluent.default=10/1s');
      const result = parseRateLimits('fluent.anonymous=2/1s', base);
      expect(result.fluent).toEqual({ ...DEFAULT_RATE_LIMITS.fluent, default: { max: 10, windowMs: 1000 }, anonymous: { max: 2, windowMs: 1000 } });
      expect(base.fluent.anonymous).toEqual(perMinute(60));
    });
  });

  describe('malformed entries are refused with the expected syntax', () => {
    it.each([
      'fluent.default',
      'fluent.default=',
      'fluent.default=100',
      'fluent.default=100/',
      'fluent.default=100/1',
      'fluent.default=100/m',
      'fluent.default=/1m',
      'fluent.default=100/1d',
      'fluent.default=100/1min',
      'fluent.default=100/1M',
      'fluent.default=-1/1m',
      'fluent.default=+1/1m',
      'fluent.default=1.5/1m',
      'fluent.default=100/1.5m',
      'fluent.default=1e3/1m',
      'fluent.default=1234567890/1m',
      'fluent.default=100/1234567890ms',
      'fluent.default=100per1m',
      'fluent.default=100 /1m',
      'fluent.default = 100/1m',
      'fluent .default=100/1m',
      'fluent=100/1m',
      'default=100/1m',
      '.default=100/1m',
      'fluent.=100/1m',
      'Fluent.default=100/1m',
      'fluent.Default=100/1m',
      'fluent.default.extra=100/1m',
      'fluent-default=100/1m',
      'fluent.default=100/1m;fluxx.list=1/1s',
      'fluent.default:100/1m',
    ])('%j', (entry) => {
      const error = syntaxError(entry);
      expect(error.message).toBe(`"${entry.trim()}" is not <face>.<class>=<max>/<window> (for example fluent.default=100/1m)`);
    });

    it('names the bad entry among good ones, and applies none of them', () => {
      expect(syntaxError('fluent.default=5/1s,fluxx.list=oops,flowline.default=1/1s').message).toMatch(/^"fluxx\.list=oops" is not <face>\.<class>=<max>\/<window>/);
    });
  });

  describe('unknown faces and classes are refused (a typo cannot leave a default in force)', () => {
    it.each(['fluxy', 'fluentx', 'flow', 'walchem', 'anonymous'])('face %j', (face) => {
      expect(syntaxError(`${face}.default=5/1m`).message).toBe(`"${face}" is not a face (fluent, fluxx, flowcommand, flowline)`);
    });

    it.each([
      ['fluent', 'list', 'default, anonymous, public'],
      ['fluent', 'write', 'default, anonymous, public'],
      ['flowline', 'anon', 'default, anonymous, public, signin, signin_account, signin_account_all'],
      ['flowcommand', 'get', 'default, anonymous, public'],
      ['fluxx', 'lists', 'default, list, get, write, anonymous, public'],
      ['fluxx', 'public_', 'default, list, get, write, anonymous, public'],
    ])('class %s.%s', (face, routeClass, known) => {
      expect(syntaxError(`${face}.${routeClass}=5/1m`).message).toBe(`"${routeClass}" is not a route class of ${face} (${known})`);
    });

    // The existence checks must not see Object.prototype: `constructor.assign=1/1m` would
    // otherwise overwrite Object.assign for the whole process.
    it('class names inherited from Object.prototype (constructor, __proto__) are unknown classes', () => {
      expect(syntaxError('fluent.constructor=5/1m').message).toBe('"constructor" is not a route class of fluent (default, anonymous, public)');
      expect(syntaxError('fluent.__proto__=5/1m').message).toBe('"__proto__" is not a route class of fluent (default, anonymous, public)');
    });

    it('face names inherited from Object.prototype (constructor) are unknown faces', () => {
      // `constructor.name` (a read-only property of Object) fails without side effects if this regresses.
      expect(syntaxError('constructor.name=5/1m').message).toBe('"constructor" is not a face (fluent, fluxx, flowcommand, flowline)');
    });
  });

  describe('zero is refused', () => {
    it.each(['fluent.default=0/1m', 'fluent.default=000/1m', 'fluent.default=5/0s', 'fluent.default=5/0ms', 'fluent.default=5/0h', 'fluxx.write=0/0m'])('%j', (entry) => {
      expect(syntaxError(entry).message).toBe(`"${entry}" needs a maximum and a window above zero`);
    });
  });
});

describe('loadConfig with RATE_LIMITS', () => {
  /** The ConfigError thrown by loadConfig, or a failure when it does not throw one. */
  function configError(env: NodeJS.ProcessEnv, flags: Parameters<typeof loadConfig>[1] = {}): ConfigError {
    try {
      loadConfig(env, flags);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return error as ConfigError;
    }
    throw new Error(`loadConfig(${JSON.stringify(env)}, ${JSON.stringify(flags)}) did not throw`);
  }

  it('keeps a valid value as given', () => {
    expect(loadConfig({ RATE_LIMITS: 'fluent.default=50/1m' }).rateLimits).toBe('fluent.default=50/1m');
    expect(loadConfig({}, { rateLimits: 'fluxx.write=1/1s' }).rateLimits).toBe('fluxx.write=1/1s');
  });

  it.each([
    ['a malformed entry', 'fluent.default=100', 'is not <face>.<class>=<max>/<window> (for example fluent.default=100/1m)'],
    ['an unknown face', 'fluxy.default=5/1m', '"fluxy" is not a face (fluent, fluxx, flowcommand, flowline)'],
    ['an unknown class', 'fluent.write=5/1m', '"write" is not a route class of fluent (default, anonymous, public)'],
    ['a zero maximum', 'fluent.default=0/1m', 'needs a maximum and a window above zero'],
    ['a zero window', 'fluent.default=5/0s', 'needs a maximum and a window above zero'],
  ])('refuses %s, naming RATE_LIMITS, its value and the problem', (_name, value, problem) => {
    const error = configError({ RATE_LIMITS: value });
    expect(error.message.startsWith(`RATE_LIMITS=${JSON.stringify(value)} is not valid: `)).toBe(true);
    expect(error.message).toContain(problem);
    expect(error.message).not.toContain('--rate-limits');
  });

  it('names the --rate-limits flag when the bad value came from it (and the flag wins over the variable)', () => {
    const error = configError({ RATE_LIMITS: 'fluent.default=5/1m' }, { rateLimits: 'fluent.default=5/1x' });
    expect(error.message).toBe('--rate-limits="fluent.default=5/1x" is not valid: "fluent.default=5/1x" is not <face>.<class>=<max>/<window> (for example fluent.default=100/1m).');
    // A good flag overrides a bad variable.
    expect(loadConfig({ RATE_LIMITS: 'nonsense' }, { rateLimits: 'fluent.default=5/1m' }).rateLimits).toBe('fluent.default=5/1m');
  });

  it('reports a bad RATE_LIMITS together with the other bad variables', () => {
    const error = configError({ RATE_LIMITS: 'fluent.default=5', PORT: 'eighty' });
    const lines = error.message.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.some((line) => line.startsWith('PORT='))).toBe(true);
    expect(lines.some((line) => line.startsWith('RATE_LIMITS="fluent.default=5" is not valid: '))).toBe(true);
  });
});
