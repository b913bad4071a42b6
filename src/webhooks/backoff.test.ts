import { describe, expect, it } from 'vitest';
import { isRetryable, MAX_RETRY_DELAY_MS, nextAttemptAt, retryDelay, RETRY_FOR_MS } from './backoff.js';

describe('retry schedule', () => {
  it('doubles from 5 s with jitter in the upper half of each step, capped at an hour', () => {
    expect(retryDelay(1, () => 0)).toBe(2_500);
    expect(retryDelay(1, () => 1)).toBe(5_000);
    expect(retryDelay(2, () => 1)).toBe(10_000);
    expect(retryDelay(3, () => 0.5)).toBe(15_000);
    expect(retryDelay(40, () => 1)).toBe(MAX_RETRY_DELAY_MS);
  });

  it('stops after three days', () => {
    const first = 0;
    let now = first;
    let attempt = 1;
    for (;;) {
      const next = nextAttemptAt(first, now, attempt, () => 1);
      if (next === null) break;
      now = next;
      attempt += 1;
    }
    expect(now - first).toBeLessThanOrEqual(RETRY_FOR_MS);
    expect(now - first).toBeGreaterThan(RETRY_FOR_MS - MAX_RETRY_DELAY_MS);
    expect(attempt).toBeGreaterThan(70);
  });

  it('retries network errors, 5xx, 408 and 429, and takes other 4xx as final', () => {
    for (const status of [null, 500, 502, 503, 408, 429]) expect(isRetryable(status), String(status)).toBe(true);
    for (const status of [400, 401, 403, 404, 410, 422]) expect(isRetryable(status), String(status)).toBe(false);
  });
});
