/**
 * When to try a failed delivery again: exponential backoff from 5 s, doubling, capped at an
 * hour, with full jitter in the upper half of each step (so retries of many deliveries that
 * failed together spread out), for up to three days after the first attempt.
 */

export const FIRST_RETRY_MS = 5_000;
export const MAX_RETRY_DELAY_MS = 60 * 60_000;
export const RETRY_FOR_MS = 3 * 24 * 60 * 60_000;

/** Delay before attempt `attempt + 1`, given that `attempt` (≥ 1) attempts have failed. */
export function retryDelay(attempt: number, random: () => number = Math.random): number {
  const step = Math.min(MAX_RETRY_DELAY_MS, FIRST_RETRY_MS * 2 ** Math.min(attempt - 1, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

/** The next attempt's time, or null when retrying would pass the three-day horizon. */
export function nextAttemptAt(firstAttemptAt: number, now: number, attempt: number, random?: () => number): number | null {
  const at = now + retryDelay(attempt, random);
  return at - firstAttemptAt > RETRY_FOR_MS ? null : at;
}

/** Network errors, timeouts, 5xx, 408 and 429 are worth retrying; other 4xx are the receiver's final answer. */
export function isRetryable(status: number | null): boolean {
  if (status === null) return true;
  return status >= 500 || status === 408 || status === 429;
}
