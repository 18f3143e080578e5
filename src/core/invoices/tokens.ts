/**
 * Bearer tokens of an invoice: the notification token in SEQR's notificationUrl
 * and the subscribe token a browser shows. Only their hashes are stored.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export const hashToken = sha256;

/** Constant-time comparison of two secrets of any length (their digests are compared). */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

/** Constant-time check of a presented token against a stored hash. */
export function tokenMatches(presented: string | undefined, storedHash: string | undefined): boolean {
  if (!presented || !storedHash) return false;
  return secretsEqual(sha256(presented), storedHash);
}
