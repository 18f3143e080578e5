/**
 * Bounded retries with backoff and jitter, inside a deadline. Small on purpose:
 * the only caller that retries (getPaymentStatus) must stay far inside SEQR's
 * 20 s confirmation window, so a retry never starts when the deadline cannot be met.
 */
import type { Clock } from './ports.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Delay before the second attempt; each later one doubles, with ±25 % jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function backoffDelay(policy: RetryPolicy, retry: number): number {
  const exact = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.round(exact * (0.75 + Math.random() * 0.5));
}

export async function withRetries<T>(
  policy: RetryPolicy,
  deadline: number,
  attempt: (remainingMs: number) => Promise<T>,
  isRetryable: (error: unknown) => boolean,
  onRetry?: (error: unknown, attemptNumber: number, delayMs: number) => void,
  clock: Pick<Clock, 'now' | 'sleep'> = { now: Date.now, sleep },
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(deadline - clock.now());
    } catch (error) {
      const delay = backoffDelay(policy, n - 1);
      if (n >= policy.attempts || !isRetryable(error) || clock.now() + delay >= deadline) throw error;
      onRetry?.(error, n, delay);
      await clock.sleep(delay);
    }
  }
}
