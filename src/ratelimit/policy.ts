/**
 * Rate-limit policies: how many requests a client may make per window, per API face and
 * route class. Defaults follow the source documents (Fluent 100/min; Fluxx 1500 index/list,
 * 180 get, 60 writes per minute); `RATE_LIMITS` overrides any of them.
 */

export interface RatePolicy {
  max: number;
  windowMs: number;
}

export const FACES = ['fluent', 'fluxx', 'flowcommand', 'flowline'] as const;
export type FaceName = (typeof FACES)[number];

/**
 * `anonymous` is the per-IP budget for requests that fail authentication (or bring none);
 * `public` is the per-IP budget of routes that need no credentials. Every other class is per
 * authenticated client, and `default` applies to routes that name no class.
 */
export type FacePolicies = Readonly<Record<string, RatePolicy>> & { readonly default: RatePolicy; readonly anonymous: RatePolicy; readonly public: RatePolicy };

export type RateLimitPolicies = Readonly<Record<FaceName, FacePolicies>>;

const MINUTE = 60_000;
const perMinute = (max: number): RatePolicy => ({ max, windowMs: MINUTE });

/**
 * FlowCommand's document names no limit; 600/min lets a client walk a year of pings
 * (≈ 530 pages of 1000) in a minute. Failed logins are held to 60/min per IP and face, which
 * stops password guessing long before it costs real scrypt time.
 */
export const DEFAULT_RATE_LIMITS: RateLimitPolicies = {
  fluent: { default: perMinute(100), anonymous: perMinute(60), public: perMinute(100) },
  fluxx: { default: perMinute(180), list: perMinute(1500), get: perMinute(180), write: perMinute(60), anonymous: perMinute(60), public: perMinute(100) },
  flowcommand: { default: perMinute(600), anonymous: perMinute(60), public: perMinute(100) },
  // The sign-in form: 20 attempts a minute per IP; failed passwords of one account: 10 per 15
  // minutes from one IP, and 100 per 15 minutes from all IPs together. A guesser on one address
  // locks the account out of that address only; the account-wide budget stops guessing spread
  // over many addresses, at the price that such a spread attack locks the account everywhere.
  flowline: {
    default: perMinute(600),
    anonymous: perMinute(60),
    public: perMinute(100),
    signin: perMinute(20),
    signin_account: { max: 10, windowMs: 15 * MINUTE },
    signin_account_all: { max: 100, windowMs: 15 * MINUTE },
  },
};

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: MINUTE, h: 60 * MINUTE };

export class RateLimitSyntaxError extends Error {}

/**
 * Parses `fluent.default=100/1m,fluxx.write=60/1m,flowcommand.anonymous=30/30s`: a
 * comma-separated list of `<face>.<class>=<max>/<window>`, the window in ms, s, m or h.
 * Faces and classes must exist, so a typo cannot silently leave a default in force.
 */
export function parseRateLimits(text: string | undefined, base: RateLimitPolicies = DEFAULT_RATE_LIMITS): RateLimitPolicies {
  const result: Record<string, Record<string, RatePolicy>> = {};
  for (const face of FACES) result[face] = { ...base[face] };
  if (text === undefined || text.trim() === '') return result as unknown as RateLimitPolicies;
  for (const entry of text.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const match = /^([a-z]+)\.([a-z_]+)=(\d{1,9})\/(\d{1,9})(ms|s|m|h)$/.exec(entry);
    if (!match) throw new RateLimitSyntaxError(`"${entry}" is not <face>.<class>=<max>/<window> (for example fluent.default=100/1m)`);
    const [, face, routeClass, max, amount, unit] = match as unknown as [string, string, string, string, string, string];
    const policies = Object.hasOwn(result, face) ? result[face] : undefined;
    if (!policies) throw new RateLimitSyntaxError(`"${face}" is not a face (${FACES.join(', ')})`);
    if (!Object.hasOwn(policies, routeClass)) throw new RateLimitSyntaxError(`"${routeClass}" is not a route class of ${face} (${Object.keys(policies).join(', ')})`);
    const policy = { max: Number(max), windowMs: Number(amount) * UNIT_MS[unit]! };
    if (policy.max < 1 || policy.windowMs < 1) throw new RateLimitSyntaxError(`"${entry}" needs a maximum and a window above zero`);
    policies[routeClass] = policy;
  }
  return result as unknown as RateLimitPolicies;
}
